"""Training a grid's runs on this machine: each run in its own process, N at a time, under one progress bar.

Each run trains as ``python -m pixelarena train --resume RUN`` (a fresh run directory simply resumes from step 0), so
a crash or a signal stays in that process, and its output goes to ``RUN/output.log``; with transfer variants a
finished run is then evaluated on them (``python -m pixelarena.agents.evaluation.transfer``), also in its own process.
Finished runs (those with an eval.json) are skipped and unfinished ones resume from their last checkpoint.

Ctrl-C (or SIGTERM) sends SIGTERM to the running trainings, which save a checkpoint and stop; the command then
exits with code 130 and a re-run continues. A run that fails is reported with the last line of its log and the
others go on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import IO

from pixelarena.agents.experiments.grid import Grid, prepare_run_dirs
from pixelarena.agents.reporting.markdown import format_duration
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.training.progress import StepBar

POLL_SECONDS = 0.5
STOP_TIMEOUT_SECONDS = 120  # a stopping training finishes its PPO update before it saves


class RunsFailed(Exception):
    """Some runs of a comparison failed (the others finished); exit code 1."""

    def __init__(self, failures: list[str], total: int) -> None:
        lines = "\n".join(f"  {failure}" for failure in failures)
        super().__init__(f"{len(failures)} of {total} runs failed (the report covers the others):\n{lines}")


@dataclass
class Job:
    """One run's remaining commands (train, then transfer evaluation), run one after the other."""

    run: RunDir
    steps: int
    commands: deque[list[str]]
    trains: bool
    process: subprocess.Popen | None = None
    log: IO[str] | None = None
    started: float = field(default_factory=time.perf_counter)

    def start_next(self, env: dict[str, str]) -> None:
        command = self.commands.popleft()
        if self.log is None:
            self.log = open(self.run.log_file, "a")  # noqa: SIM115 - closed by close()
        self.log.write(f"\n$ {' '.join(command)}\n")
        self.log.flush()
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                        preexec_fn=_stop_with_parent)  # fmt: skip

    def close(self) -> None:
        if self.log is not None:
            self.log.close()

    def step(self) -> int:
        """Env steps trained so far (what the progress bar counts)."""
        return self.steps if self.run.finished else self.run.trained_steps()

    def error_line(self) -> str:
        """The last line of the run's log: a one-line error, or a traceback's last line."""
        lines = [line for line in self.run.log_file.read_text().splitlines() if line.strip()]
        return lines[-1].strip() if lines else "no output"


def make_jobs(grid: Grid) -> list[Job]:
    """The work left: runs without eval.json train (resuming where they are), runs missing variants evaluate."""
    jobs = []
    for config in grid.runs:
        run = grid.run(config)
        commands: deque[list[str]] = deque()
        if not run.finished:
            commands.append([sys.executable, "-m", "pixelarena", "train", "--resume", str(run)])
        done = run.read_transfer()
        missing = [variant for variant in grid.variants if variant not in done]
        if missing:
            commands.append([sys.executable, "-m", "pixelarena.agents.evaluation.transfer", str(run), *missing])
        if commands:
            jobs.append(Job(run, config.steps, commands, trains=not run.finished))
    return jobs


def describe_plan(grid: Grid, jobs: list[Job]) -> str:
    to_train = [job.run for job in jobs if job.trains]
    resume = sum(run.checkpoint_file.exists() for run in to_train)
    finished = len(grid.runs) - len(to_train)
    evaluate = len(jobs) - len(to_train)
    extra = f", {evaluate} to evaluate on other settings" if evaluate else ""
    return (f"{grid.root}: {len(grid.runs)} runs, {finished} finished (skipped), {resume} to resume, "
            f"{len(to_train) - resume} to start{extra}")  # fmt: skip


def _stop_with_parent() -> None:
    """In the child, before it runs: ask Linux to send it SIGTERM when the comparison's process dies (even by
    SIGKILL), so that a killed grid leaves no training running on its own; it saves a checkpoint and stops."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _child_env(threads: int | None) -> dict[str, str]:
    env = {**os.environ, "TQDM_DISABLE": "1"}  # no progress bars in the logs: the grid has one
    if threads:
        # BLAS and OpenMP pools beside torch's own: the same limit, so parallel jobs do not oversubscribe.
        env.update({name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    return env


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_jobs(jobs: list[Job], parallel: int, threads: int | None, runs_total: int) -> list[str]:
    """Run the jobs, ``parallel`` at a time, under one progress bar (runs done of ``runs_total``, env steps of
    the remaining work, ETA); returns one line per failed job.

    Raises:
        KeyboardInterrupt: On Ctrl-C or SIGTERM, after the running trainings saved checkpoints and stopped.
    """
    env = _child_env(threads)
    pending, running, failures = deque(jobs), [], []
    progress = {id(job): job.step() for job in jobs}  # env steps trained: only running jobs change
    runs_done = runs_total - len(jobs)
    bar = StepBar(sum(job.steps for job in jobs), sum(progress.values()), f"runs {runs_done}/{runs_total}",
                  mininterval=1.0)  # fmt: skip
    # SIGINT explicitly too: inherited as ignored (a background job of a script), Python would not raise on it.
    # A SIGTERM stops the grid as Ctrl-C does.
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while pending or running:
            while pending and len(running) < parallel:
                job = pending.popleft()
                job.started = time.perf_counter()
                running.append(job)  # before it starts: a signal while it starts must still stop it
                job.start_next(env)
            time.sleep(POLL_SECONDS)
            for job in list(running):
                progress[id(job)] = job.step()
                assert job.process is not None
                code = job.process.poll()
                if code is None:
                    continue
                if code == 0 and job.commands:
                    job.start_next(env)
                    continue
                running.remove(job)
                job.close()
                runs_done += 1
                head = f"[{runs_done}/{runs_total}] {job.run.name}"
                if code == 0:
                    seconds = time.perf_counter() - job.started
                    bar.write(f"{head}: done in {format_duration(seconds)}{_score(job.run)}")
                else:
                    failures.append(f"{job.run.name} (exit {code}): {job.error_line()} [{job.run.log_file}]")
                    bar.write(f"{head}: FAILED (exit {code}): {job.error_line()}")
            bar.set_description(f"runs {runs_done}/{runs_total}", refresh=False)
            bar.update(sum(progress.values()) - bar.n)  # redraws at most every mininterval
    except KeyboardInterrupt:
        bar.write(f"compare: stopping {len(running)} running job(s); trainings save a checkpoint first ...")
        _stop(running)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        bar.close()
        for job in running:
            job.close()
    return failures


def _score(run: RunDir) -> str:
    result = run.read_eval()
    return "" if result is None else f", greedy return {result.summary()}"


def _stop(running: list[Job]) -> None:
    """SIGTERM every running child once (a second SIGINT would make train stop without its checkpoint), wait
    for them; a second Ctrl-C kills what is left (a re-run resumes from the last periodic checkpoint)."""
    alive = [job.process for job in running if job.process is not None and job.process.poll() is None]
    for process in alive:
        process.send_signal(signal.SIGTERM)
    try:
        for process in alive:
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
    except KeyboardInterrupt:
        for process in alive:
            if process.poll() is None:
                process.kill()


def run_grids(grids: Sequence[Grid], jobs: int, threads: int | None) -> list[str]:
    """Create the run directories and train what is left of every grid, in one pool of jobs."""
    for grid in grids:
        prepare_run_dirs(grid)
    work = [make_jobs(grid) for grid in grids]
    for grid, grid_jobs in zip(grids, work):
        print(f"compare: {describe_plan(grid, grid_jobs)}")
    everything = [job for grid_jobs in work for job in grid_jobs]
    if not everything:
        return []
    try:
        return run_jobs(everything, jobs, threads, sum(len(grid.runs) for grid in grids))
    except KeyboardInterrupt:
        print("compare: interrupted; finished runs are kept and stopped ones saved a checkpoint: run the same "
              "command again to continue", file=sys.stderr)  # fmt: skip
        raise
