"""stable-baselines3 callbacks of a training run: the progress bar, and checkpoints at rollout boundaries."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from tqdm import tqdm

from agents.run.checkpoint import save_checkpoint
from agents.training.signals import StopOnSignal


class ProgressBar(BaseCallback):
    """tqdm bar over env steps, starting from the resumed step, with SPS and the mean of the last 100 returns."""

    def __init__(self, total: int, start: int) -> None:
        super().__init__()
        self.total, self.start = total, start
        self.returns: deque[float] = deque(maxlen=100)
        self.bar: tqdm | None = None

    def _on_training_start(self) -> None:
        self.bar = tqdm(total=self.total, initial=self.start, unit="step", unit_scale=True, dynamic_ncols=True,
                        desc="training", mininterval=0.5)  # fmt: skip

    def _on_step(self) -> bool:
        for info in self.locals.get("infos", ()):
            if "episode" in info:
                self.returns.append(info["episode"]["r"])
        assert self.bar is not None
        self.bar.update(self.model.num_timesteps - self.bar.n)
        if self.returns and self.n_calls % 16 == 0:
            self.bar.set_postfix_str(f"return {np.mean(self.returns):+.2f}", refresh=False)
        return True

    def _on_training_end(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Checkpointer(BaseCallback):
    """Saves a checkpoint at rollout boundaries every ``every`` steps, and stops when a signal asks to."""

    def __init__(self, path: Path, every: int, stop: StopOnSignal, extra: dict[str, Any]) -> None:
        super().__init__()
        self.path, self.every, self.stop, self.extra = path, every, stop, extra
        self.boundary_step = 0  # num_timesteps at the last rollout start: the weights match this step
        self.saved_step = -1

    def _on_training_start(self) -> None:
        self.boundary_step = self.saved_step = self.model.num_timesteps

    def _on_rollout_start(self) -> None:
        # Here the last update is done and no new rollout has begun: a clean point to resume from.
        self.boundary_step = self.model.num_timesteps
        if self.boundary_step - self.saved_step >= self.every:
            self.save()

    def _on_step(self) -> bool:
        return not self.stop.requested

    def save(self) -> None:
        save_checkpoint(self.path, self.model.policy, self.model.policy.optimizer, self.boundary_step,
                        self.model.observation_space, self.model.action_space, self.extra)  # fmt: skip
        self.saved_step = self.boundary_step
