"""A run on disk and what defines it: the typed config, presets, turning command-line options into a config,
the run directory (every file in it, written atomically), checkpoints and the metrics file."""
