"""Which env a run plays and how it is built: one resolver for an env spec (a pixelarena game or any Gymnasium
env), the stable-baselines3 vector env over a batched game, and vector envs for other people's games."""
