"""The progress bar of env steps that train and compare show."""

from __future__ import annotations

import weakref
from typing import Any

from tqdm import tqdm

BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_steps}/{total_steps} [{elapsed}<{remaining}, {steps_per_s}{postfix}]"


class StepBar(tqdm):
    """A tqdm bar over env steps in whole numbers with thousands separators (4,096/560,000 and 1,234 steps/s),
    where tqdm's unit_scale shows 4.10k: a step count people compare with --steps and the run's files."""

    def __init__(self, total: int, initial: int, desc: str, mininterval: float) -> None:
        super().__init__(total=total, initial=initial, desc=desc, mininterval=mininterval, unit="step",
                         dynamic_ncols=True, bar_format=BAR_FORMAT)  # fmt: skip
        _OPEN.add(self)

    @property
    def format_dict(self) -> dict[str, Any]:
        values = super().format_dict
        elapsed, done = values["elapsed"], values["n"] - values["initial"]
        rate = values["rate"] or (done / elapsed if elapsed else None)
        values.update(n_steps=f"{values['n']:,}", total_steps=f"{values['total']:,}",
                      steps_per_s="? steps/s" if rate is None else f"{rate:,.0f} steps/s")  # fmt: skip
        return values


_OPEN: weakref.WeakSet[StepBar] = weakref.WeakSet()


def close_bars() -> None:
    """End every bar still open, on a line of its own. A training that fails mid-rollout never reaches the callback
    that closes its bar, which would otherwise be left with the error printed after it on the same line and be
    drawn once more below it when the interpreter exits."""
    for bar in list(_OPEN):
        bar.close()
