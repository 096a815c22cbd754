"""stable-baselines3 callbacks of a training run: the progress bar, and checkpoints at rollout boundaries."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback

from pixelarena.agents.run.checkpoint import save_checkpoint
from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.training.progress import StepBar
from pixelarena.agents.training.resume_state import ResumeState, capture, to_tensors
from pixelarena.agents.training.signals import StopOnSignal, TrainingDiverged


class ProgressBar(BaseCallback):
    """tqdm bar over env steps, starting from the resumed step, with SPS and the mean of the last 100 returns."""

    def __init__(self, total: int, start: int) -> None:
        super().__init__()
        self.total, self.start = total, start
        self.returns: deque[float] = deque(maxlen=100)
        self.bar: StepBar | None = None

    def _on_training_start(self) -> None:
        self.bar = StepBar(self.total, self.start, "training", mininterval=0.5)

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
    """Saves a checkpoint at rollout boundaries every ``every`` steps, stops when a signal asks to, and stops
    training with :class:`TrainingDiverged` when an update left non-finite weights (before they are saved)."""

    def __init__(self, model: Any, run: RunDir, every: int, stop: StopOnSignal, extra: dict[str, Any],
                 best: Any | None = None, raised: RunConfig | None = None) -> None:  # fmt: skip
        """``raised``: the run's config with a raised step target, written to config.json once the first checkpoint
        is safe (before that, the run on disk is the one that was resumed)."""
        super().__init__()
        self.ppo, self.run, self.every, self.stop, self.extra, self.best = model, run, every, stop, extra, best
        self.raised = raised
        self.boundary_step = model.num_timesteps  # the weights match this step (the last rollout start)
        self.boundary_state: ResumeState | None = None  # the rest of the run's state there
        self.saved_step = self.boundary_step if run.checkpoint_file.exists() else 0
        self.in_rollout = False

    def _on_rollout_start(self) -> None:
        # Here the last update is done and no new rollout has begun: a clean point to resume from.
        self.boundary_step = self.ppo.num_timesteps
        finite = torch.stack([torch.isfinite(p).all() for p in self.ppo.policy.parameters()]).all()
        if not finite:  # one host sync per rollout (on a GPU), not one per parameter
            raise TrainingDiverged(self.run.path, self.boundary_step, self.saved_step)
        # Before anything of the new rollout draws a random number: what a resume from here must put back.
        self.boundary_state = capture(self.ppo, self.best)
        if self.boundary_step - self.saved_step >= self.every:
            self.save()
        self.in_rollout = True

    def _on_rollout_end(self) -> None:
        self.in_rollout = False

    def _on_step(self) -> bool:
        return not self.stop.requested

    def save(self, step: int | None = None) -> None:
        """Checkpoint the weights, optimizer and resume state as of ``step`` (default: the last rollout boundary;
        another step is the state now, as at the end of training)."""
        if step is None or step == self.boundary_step:
            step, state = self.boundary_step, self.boundary_state
        else:
            state = capture(self.ppo, self.best)
        save_checkpoint(self.run.checkpoint_file, self.ppo.policy, self.ppo.policy.optimizer, step,
                        self.ppo.observation_space, self.ppo.action_space, self.extra,
                        to_tensors(state) if state is not None else None)  # fmt: skip
        self.saved_step = step
        if self.raised is not None:
            self.run.write_config(self.raised)
            self.run.eval_file.unlink(missing_ok=True)  # unfinished again until it reaches the new target
            self.raised = None
