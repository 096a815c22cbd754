"""TensorBoard event files of a run (``train --tensorboard``): the rows of metrics.jsonl as scalars, in the run
directory itself, so that ``tensorboard --logdir runs/`` lists every run (a comparison's as ``<comparison>/<run>``).

The file format is TensorBoard's own, written by torch's ``SummaryWriter`` (stable-baselines3's
``tensorboard_log`` writes the same files through it). Names and values are those of metrics.jsonl
(agents/run/metrics.py), so W&B, TensorBoard and the reports show the same numbers under the same names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

INSTALL_HINT = "pip install 'pixelarena[tensorboard]' (or pip install tensorboard)"


def check_tensorboard() -> None:
    """Raise a one-line ValueError when the ``tensorboard`` package (which torch writes event files with) is missing."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise ValueError(f"--tensorboard needs the tensorboard package: {INSTALL_HINT}") from None


class TensorBoardWriter:
    """Scalars of each metrics row at its env step, in event files of ``folder``."""

    def __init__(self, folder: Path, start_step: int = 0) -> None:
        from torch.utils.tensorboard import SummaryWriter

        # A resumed run redoes the steps after its checkpoint: purge_step makes TensorBoard drop what the stopped
        # process wrote after it (from purge_step on), as metrics.jsonl keeps the rows up to the checkpoint's step.
        self.writer = SummaryWriter(log_dir=str(folder), purge_step=start_step + 1 if start_step else None)

    def write(self, row: dict[str, Any]) -> None:
        for key, value in row.items():
            if key != "step":
                self.writer.add_scalar(key, value, row["step"])
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
