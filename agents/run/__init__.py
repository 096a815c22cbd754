"""A run on disk and what defines it: the typed config, presets, the run directory (every file in it, written
atomically, read back typed), results, checkpoints, the metrics file, and the run's PPO model built or loaded."""
