"""The run directory: every file a run writes, by one type.

    RUN/config.json                       the RunConfig: enough to rebuild the run (written first)
    RUN/checkpoints/latest.safetensors    weights + optimizer at the last rollout boundary saved (resume)
    RUN/checkpoints/best.safetensors      with --eval-every: the best greedy policy so far (its score in the header)
    RUN/metrics.jsonl                     one row per PPO iteration (agents/run/metrics.py)
    RUN/facts.json                        the encoder's architecture facts on the run's spaces
    RUN/model.safetensors                 the run's policy: the final weights, or the best kept (--eval-every)
    RUN/eval.json                         the final greedy evaluation; written last: a run with it has finished
    RUN/transfer.json                     evaluations on other game settings (compare --eval-env-kwargs)
    RUN/cloning.json                      with --demos: what behaviour cloning did (agents/demos/cloning.py)
    RUN/output.log                        what compare's job printed for this run
    RUN/agent.gif, RUN/screenshots/       what the viewer recorded

Every file is written to a temporary name and renamed into place, so a kill never leaves half a file where a good
one was; everything read back is typed (:mod:`agents.run.results`).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from safetensors import SafetensorError

from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.metrics import read_metrics
from pixelarena.agents.run.results import EvalResult, RunFacts, TransferEntry, transfer_entry_from_json


class RunWriteError(Exception):
    """A file of a run could not be written (disk full, read-only, permissions); the previous version is kept."""


@functools.cache
def _new_file_mode() -> int:
    """The mode ``open()`` gives a new file: 0o666 less the umask (0o644 under umask 022). safetensors writes its
    files 0o600, which would make a run's weights the only files others sharing the run cannot read."""
    mask = os.umask(0o022)  # reading the umask means setting it; 022 is what it most likely is anyway
    os.umask(mask)
    return 0o666 & ~mask


def replace_atomically(path: Path, write: Callable[[Path], None]) -> Path:
    """``write`` the file under a temporary name beside ``path``, flush it to disk, and rename it to ``path``.

    Whatever stops the writer (a full or read-only disk, Ctrl-C, SIGTERM, a bug) removes the temporary file, so no
    hidden half-written file stays behind; a clean-up that fails too (a read-only disk) never hides the first error.

    Raises:
        RunWriteError: When the disk refuses (full, read-only; safetensors' own error for them included): ``path``
            keeps its previous content.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        with contextlib.suppress(OSError):  # a file system without modes (FAT, some mounts) keeps its own
            os.chmod(tmp, _new_file_mode())
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        reason = _disk_error(error)
        if reason is None:
            raise
        kept = "; the previous version is kept" if path.exists() else ""
        raise RunWriteError(f"cannot write {path}: {reason}{kept}") from None
    return path


def _disk_error(error: BaseException) -> str | None:
    """What the disk said, for an error of writing a file (None for anything else). safetensors reports a full
    disk as its own ``SafetensorError`` with the OS error in its text, not as an ``OSError``."""
    if isinstance(error, OSError):
        return error.strerror or str(error)
    if isinstance(error, SafetensorError):
        found = re.search(r'(?:I/O error: |message: ")([^"(]+)', str(error))  # its text differs between versions
        return found.group(1).strip() if found else str(error).splitlines()[0]
    return None


def write_text_atomically(path: Path, text: str) -> Path:
    return replace_atomically(path, lambda tmp: tmp.write_text(text))


def write_json_atomically(path: Path, data: Any) -> Path:
    return write_text_atomically(path, json.dumps(data, indent=2) + "\n")


class RunDir:
    """One run's directory (it need not exist yet). Paths are attributes; reads are typed; writes are atomic."""

    CONFIG = "config.json"
    CHECKPOINT = "checkpoints/latest.safetensors"
    BEST = "checkpoints/best.safetensors"
    MODEL = "model.safetensors"
    METRICS = "metrics.jsonl"
    FACTS = "facts.json"
    EVAL = "eval.json"
    TRANSFER = "transfer.json"
    CLONING = "cloning.json"
    LOG = "output.log"
    VIDEO = "agent.gif"
    CURVES = "curves.png"
    SCREENSHOTS = "screenshots"
    LOCK = ".lock"
    LOCK_WAIT_SECONDS = 180.0
    WEIGHTS = {"final": MODEL, "best": BEST, "latest": CHECKPOINT}
    """What ``--weights`` chooses: the run's policy (its final weights, or the best kept with --eval-every), the
    best greedy policy kept so far (--eval-every), the last checkpoint (the last weights, what a resume starts
    from)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.config_file = self.path / self.CONFIG
        self.checkpoint_file = self.path / self.CHECKPOINT
        self.best_file = self.path / self.BEST
        self.model_file = self.path / self.MODEL
        self.metrics_file = self.path / self.METRICS
        self.facts_file = self.path / self.FACTS
        self.eval_file = self.path / self.EVAL
        self.transfer_file = self.path / self.TRANSFER
        self.cloning_file = self.path / self.CLONING
        self.log_file = self.path / self.LOG
        self.video_file = self.path / self.VIDEO
        self.screenshots = self.path / self.SCREENSHOTS

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    def __str__(self) -> str:
        return str(self.path)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def curves_file(self) -> Path:
        """The plot of this run's curves (`pixelarena report RUN`)."""
        return self.path / self.CURVES

    @property
    def events_dir(self) -> Path:
        """Where TensorBoard's event files go (``train --tensorboard``): the run directory itself, so that
        ``tensorboard --logdir runs/`` names each run by its folder."""
        return self.path

    @property
    def is_run(self) -> bool:
        """Whether a run was created here (it has a config.json)."""
        return self.config_file.is_file()

    @property
    def finished(self) -> bool:
        """Whether the run trained to its end and was evaluated (eval.json is written last)."""
        return self.eval_file.exists()

    @classmethod
    def in_folder(cls, folder: Path) -> list[RunDir]:
        """The run directories directly inside ``folder`` (a comparison), sorted by name."""
        return [cls(path.parent) for path in sorted(Path(folder).glob(f"*/{cls.CONFIG}"))]

    # ------------------------------------------------------------------------------------------------ config
    @classmethod
    def create(cls, path: Path, config: RunConfig) -> RunDir:
        """Make the directory and write its config.json; refuses a directory that already holds a run."""
        run = cls(path)
        if run.config_file.exists():
            raise ValueError(f"{path} already holds a run; continue it with --resume {path} or pick another --run-dir")
        blocking = next((p for p in (run.path, *run.path.parents) if p.exists() and not p.is_dir()), None)
        if blocking is not None:
            raise ValueError(f"--run-dir {path}: {blocking} is a file, not a directory; choose another --run-dir")
        created = not run.path.exists()
        try:
            run.path.mkdir(parents=True, exist_ok=True)
            run.write_config(config)
        except (OSError, RunWriteError) as error:
            if created:
                shutil.rmtree(run.path, ignore_errors=True)
            raise ValueError(f"--run-dir {path} cannot be created: {error}") from None
        return run

    @contextlib.contextmanager
    def lock(self, wait_seconds: float | None = None) -> Iterator[None]:
        """Hold the run's lock while training it: one process trains a run at a time; the lock file holds the
        trainer's process id, so that other commands can say who trains the run (:meth:`trainer`).

        A second trainer says that it waits, and waits up to ``wait_seconds`` (default :attr:`LOCK_WAIT_SECONDS`: a
        stopped training may still be saving its checkpoint, e.g. after its comparison was killed), then gives up
        with a one-line ValueError.
        """
        wait = self.LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds
        try:
            handle = open(self.path / self.LOCK, "a+")  # noqa: SIM115 (the ``with`` below closes it)
        except OSError as error:
            raise RunWriteError(f"cannot train {self.path}: its lock cannot be opened ({error.strerror})") from None
        with handle:
            deadline = time.monotonic() + wait
            said = False
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    who = self.trainer() or "another process"
                    if time.monotonic() > deadline:
                        raise ValueError(f"{self.path} is being trained by {who}; it is still training after "
                                         f"{wait:g}s of waiting") from None  # fmt: skip
                    if not said:  # a waiting resume is not a hung one
                        print(f"{self.path} is being trained by {who}: waiting up to {wait:g}s for it to stop",
                              flush=True)  # fmt: skip
                        said = True
                    time.sleep(0.2)
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            try:
                yield
            finally:
                handle.truncate(0)
                handle.flush()
                fcntl.flock(handle, fcntl.LOCK_UN)

    def trainer(self) -> str | None:
        """Who trains the run now, in words ("process 4242, at step 12,288"); None when no process holds its lock.
        The lock is only tested (taken shared for an instant), never waited for."""
        lock = self.path / self.LOCK
        try:
            handle = open(lock)  # noqa: SIM115 (closed below; a missing lock file means no trainer)
        except OSError:
            return None
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = handle.read().strip()
            else:
                fcntl.flock(handle, fcntl.LOCK_UN)
                return None
        try:
            step = f"at step {self.trained_steps():,}"
        except ValueError:  # metrics being written: the step is a detail
            step = ""
        return ", ".join(part for part in (f"process {pid}" if pid.isdigit() else "another process", step) if part)

    def read_config(self) -> RunConfig:
        """The run's config, or a one-line ValueError saying what is missing or wrong (a file given for the run
        directory names the run it belongs to)."""
        if self.path.is_file():
            raise ValueError(self._a_file_not_a_run())
        if not self.path.is_dir():
            raise ValueError(f"run directory {self.path} does not exist")
        if not self.config_file.is_file():
            raise ValueError(f"{self.path} is not a pixelarena run (no {self.CONFIG})")
        try:
            return RunConfig.from_json(json.loads(self.config_file.read_text()))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{self.config_file} is unreadable: {error}") from None

    @classmethod
    def owner_of(cls, file: Path) -> tuple[RunDir, str | None] | None:
        """The run ``file`` lies in (directly, or in its checkpoints/) and which of its :attr:`WEIGHTS` the file is
        (None for another of its files); None when it lies in no run."""
        for run in (cls(parent) for parent in list(Path(file).parents)[:2]):
            if run.is_run:
                inside = Path(file).relative_to(run.path).as_posix()
                return run, next((name for name, path in cls.WEIGHTS.items() if path == inside), None)
        return None

    def _a_file_not_a_run(self) -> str:
        """Why the file ``self.path`` is not a run directory, naming the run it is a file of (rl-zoo3 and SB3 load
        a model file; pixelarena takes the run, and --weights chooses its file)."""
        owner = self.owner_of(self.path)
        if owner is None:
            return f"{self.path} is a file, not a run directory (a directory with {self.CONFIG})"
        run, weights = owner
        default = ", the default," if weights == "final" else ""
        reads = "" if weights is None else f" (--weights {weights}{default} reads this file)"
        return f"{self.path} is a file of the run {run.path}: give the run directory, {run.path}{reads}"

    def write_config(self, config: RunConfig) -> None:
        write_json_atomically(self.config_file, config.to_json())

    # ------------------------------------------------------------------------------------------------ results
    def read_eval(self) -> EvalResult | None:
        """The final evaluation; None until the run has finished."""
        data = self._read_json(self.eval_file)
        return None if data is None else EvalResult.from_json(data, str(self.eval_file))

    def write_eval(self, result: EvalResult) -> None:
        write_json_atomically(self.eval_file, result.to_json())

    def read_facts(self) -> RunFacts | None:
        data = self._read_json(self.facts_file)
        return None if data is None else RunFacts.from_json(data, str(self.facts_file))

    def write_facts(self, facts: RunFacts) -> None:
        write_json_atomically(self.facts_file, facts.to_json())

    def read_transfer(self) -> dict[str, TransferEntry]:
        """Transfer results by variant (``size=16``); empty when there are none."""
        data = self._read_json(self.transfer_file)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ValueError(f"{self.transfer_file} must map variants to results")
        return {key: transfer_entry_from_json(entry, f"{self.transfer_file} [{key}]") for key, entry in data.items()}

    def write_transfer(self, results: dict[str, TransferEntry]) -> None:
        write_json_atomically(self.transfer_file, {key: entry.to_json() for key, entry in results.items()})

    # ------------------------------------------------------------------------------------------------ metrics
    def read_metrics(self) -> list[dict[str, Any]]:
        return read_metrics(self.metrics_file)

    def trained_steps(self) -> int:
        """Env steps trained so far: the step of the last metrics row (0 before the first)."""
        rows = self.read_metrics()
        return rows[-1]["step"] if rows else 0

    def truncate_metrics(self, last_step: int) -> float:
        """Keep the metrics rows up to ``last_step`` (a resume redoes what came after); return their last wall time."""
        rows = [row for row in self.read_metrics() if row["step"] <= last_step]
        write_text_atomically(self.metrics_file, "".join(json.dumps(row) + "\n" for row in rows))
        return rows[-1]["wall_time"] if rows else 0.0

    # ------------------------------------------------------------------------------------------------ weights
    def weights_file(self, weights: str) -> Path:
        """The file of the weights ``weights`` names (one of :attr:`WEIGHTS`). A command uses the file it names,
        never another in its place: a score must belong to the weights it is reported for."""
        return self.path / self.WEIGHTS[weights]

    @staticmethod
    def _read_json(path: Path) -> Any:
        if not path.exists():
            return None
        try:
            return json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{path} is not valid JSON: {error}") from None
