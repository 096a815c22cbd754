"""Evaluating trained policies: greedy rollouts with a confidence interval, on the training settings or on
others (transfer)."""
