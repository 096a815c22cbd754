"""Training a run: its PPO model (stable-baselines3), the training loop top to bottom, its callbacks (progress,
checkpoints, signals) and W&B tracking."""
