"""Keeping the best policy of a run (``--eval-every``): rl-zoo3's best model, chosen on games of its own.

PPO's greedy score swings between updates (on Chase by 2-4 points from one evaluation to the next,
docs/performance.md), so the weights a run ends with are often not its best. With ``eval_every`` set, the
greedy policy plays ``eval_episodes`` games every ``eval_every`` env steps and at the end; the best weights so
far are kept in ``checkpoints/best.safetensors`` and become the run's ``model.safetensors``.

The selection games are seeded ``SELECTION_SEED + seed``, apart from the final evaluation's
(``EVAL_SEED + seed``): the score a run reports is measured on games its choice never saw, so picking the best of
many evaluations does not inflate it.
"""

from __future__ import annotations

import math
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

from pixelarena.agents.evaluation.evaluate import evaluate_model
from pixelarena.agents.run.checkpoint import CheckpointError, load_checkpoint, load_policy_weights, save_checkpoint
from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.run_dir import RunDir

SELECTION_SEED = 20_000
GREEDY_KEY = "eval/greedy_return"  # the metrics row's charts/greedy_return (agents/run/metrics.py)


class BestPolicy(BaseCallback):
    """Greedy evaluation at rollout boundaries every ``config.eval_every`` steps; the best weights are saved."""

    def __init__(self, model: Any, config: RunConfig, run: RunDir) -> None:
        super().__init__()
        self.ppo, self.config, self.run = model, config, run
        self.best_score, self.best_step = -math.inf, -1
        self.last_step = model.num_timesteps
        if run.best_file.exists():  # a resumed run keeps the best it had
            header = load_checkpoint(run.best_file).header
            score = header.get("greedy_return")
            if isinstance(score, int | float) and math.isfinite(score):
                self.best_score, self.best_step = float(score), int(header["step"])

    def _on_rollout_start(self) -> None:
        # Here the last update is done and no new rollout has begun: the weights match num_timesteps.
        if self.ppo.num_timesteps - self.last_step >= self.config.eval_every:
            self.consider()

    def _on_step(self) -> bool:
        return True

    def consider(self) -> float:
        """Evaluate the current weights on the selection games; keep them if they beat the best so far."""
        step = self.ppo.num_timesteps
        self.last_step = step
        score = evaluate_model(self.ppo, self.config, self.config.eval_episodes, SELECTION_SEED + self.config.seed).mean
        self.ppo.logger.record(GREEDY_KEY, score)
        if score > self.best_score:
            self.best_score, self.best_step = score, step
            save_checkpoint(self.run.best_file, self.ppo.policy, None, step, self.ppo.observation_space,
                            self.ppo.action_space, {"greedy_return": score})  # fmt: skip
        return score

    def restore_best(self) -> int:
        """Load the best weights kept into the model (the run's policy from now on); returns their step.

        Raises:
            CheckpointError: The best checkpoint is unreadable.
        """
        if not self.run.best_file.exists():
            raise CheckpointError(f"no best policy was kept in {self.run.best_file}")
        load_policy_weights(self.ppo.policy, load_checkpoint(self.run.best_file))
        return self.best_step
