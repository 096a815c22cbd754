"""A progress bar for training: steps, steps/second, recent return and ETA."""

from __future__ import annotations

from collections import deque

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from tqdm import tqdm


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
