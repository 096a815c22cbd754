"""A training time limit (``--seconds``): the run stops at the first rollout boundary after its seconds of
training, counted across resumes, and its schedules anneal over those seconds instead of over the step target."""

from __future__ import annotations

import time
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback


class TimeBudget(BaseCallback):
    """Stops PPO at a rollout boundary once ``seconds`` of training have passed (``offset`` of them before a
    resume), and makes SB3's progress (which drives linear learning-rate and clip schedules) run on the clock."""

    def __init__(self, model: Any, seconds: float, offset: float) -> None:
        super().__init__()
        self.seconds, self.offset = seconds, offset
        self.started = time.perf_counter()
        self.used_up = False
        # SB3 sets the progress remaining from num_timesteps / total_timesteps before every update; a run limited
        # by time would then anneal over a step cap it never reaches. The instance attribute replaces that method.
        model._update_current_progress_remaining = self._progress_on_the_clock
        self.ppo = model
        self._progress_on_the_clock()

    def elapsed(self) -> float:
        return self.offset + time.perf_counter() - self.started

    def _progress_on_the_clock(self, *_: Any) -> None:
        self.ppo._current_progress_remaining = max(0.0, 1.0 - self.elapsed() / self.seconds)

    def _on_rollout_start(self) -> None:
        # The last update is done and no new rollout has begun: the weights match num_timesteps.
        if self.elapsed() >= self.seconds:
            self.used_up = True

    def _on_step(self) -> bool:
        return not self.used_up
