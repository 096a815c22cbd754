"""The real rl-zoo3 beside pixelarena: Chase trained through rl-zoo3's own ``train`` entry point
(``python -m rl_zoo3.train``) with its PPO hyperparameters for Atari, given as a hyperparameter file
(``rl_zoo3_chase.yml`` here), not re-implemented.

One thing is added, through rl-zoo3's documented ``callback`` hyperparameter: :class:`SolvedClock`, which times
training (its own evaluations excluded) and evaluates the greedy policy every ``every`` env steps on 32 Chase games
as the SB3-defaults reference does, stopping at the solved score or the time cap. rl-zoo3's own evaluation is off
(``--eval-freq -1``). Needs the zoo extra: ``pip install -c constraints.txt -e ".[zoo]"``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from pixelarena.agents.bench.baseline import SolvedRun, _TimeToSolved, greedy_score_reference

HYPERPARAMS = Path(__file__).with_name("rl_zoo3_chase.yml")
ENV_ID = "pixelarena/Chase-v0"


def zoo_version() -> str | None:
    """rl-zoo3's installed version, None when it is not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rl_zoo3")
    except PackageNotFoundError:
        return None


class SolvedClock(_TimeToSolved):
    """rl-zoo3 callback: greedy evaluation every ``every`` env steps (32 games of Chase at 72x72), training stopped
    at Chase's solved score or after ``cap_seconds`` of training; the curve is written to ``output`` (JSON) after
    every evaluation, so a run stopped from outside still tells where it got."""

    def __init__(self, every: int, cap_seconds: float, output: str) -> None:
        from pixelarena import envs

        super().__init__(lambda: greedy_score_reference(self.model), envs.GAMES["Chase"].SOLVED_SCORE, every,
                         cap_seconds)  # fmt: skip
        self.output = Path(output)

    def _on_rollout_end(self) -> None:
        evaluations = len(self.curve)
        super()._on_rollout_end()
        if len(self.curve) > evaluations:
            run = {"solved": self.solved, "seconds": self.spent, "steps": self.model.num_timesteps, "best": self.best,
                   "curve": self.curve}  # fmt: skip
            self.output.write_text(json.dumps(run))


def hyperparams_with_clock(folder: Path, every: int, cap_seconds: float) -> tuple[Path, Path]:
    """A copy of the hyperparameter file with :class:`SolvedClock` as its callback; returns (file, clock output)."""
    output = folder / "solved_clock.json"
    callback = f"  callback:\n    - pixelarena.agents.bench.zoo.SolvedClock:\n        every: {every}\n" \
               f"        cap_seconds: {cap_seconds}\n        output: {json.dumps(str(output))}\n"  # fmt: skip
    path = folder / HYPERPARAMS.name
    path.write_text(HYPERPARAMS.read_text() + callback)
    return path, output


def time_to_solved_zoo(cap_seconds: float, threads: int = 1, seed: int = 0, every: int = 16_384,
                       folder: Path | None = None) -> SolvedRun:  # fmt: skip
    """Train Chase with ``python -m rl_zoo3.train`` and the hyperparameter file until the greedy policy is solved
    or ``cap_seconds`` of training have passed."""
    if zoo_version() is None:
        raise ValueError('rl-zoo3 is not installed: pip install -c constraints.txt -e ".[zoo]"')
    with tempfile.TemporaryDirectory(prefix="pixelarena-zoo-") as scratch:
        folder = Path(folder or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        hyperparams, output = hyperparams_with_clock(folder, every, cap_seconds)
        command = [sys.executable, "-m", "rl_zoo3.train", "--algo", "ppo", "--env", ENV_ID,
                   "--gym-packages", "pixelarena.envs", "--conf-file", str(hyperparams), "--seed", str(seed),
                   "--num-threads", str(threads),
                   "--device", "cpu", "--eval-freq", "-1", "--log-folder", str(folder / "logs"),
                   "--verbose", "0"]  # fmt: skip
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        if not output.exists():
            return SolvedRun(False, 0.0, 0, float("-inf"), [])
        run = json.loads(output.read_text())
        return SolvedRun(run["solved"], run["seconds"], run["steps"], run["best"], [tuple(c) for c in run["curve"]])
