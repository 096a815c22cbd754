"""Faults a long training meets: killed after its last checkpoint, a full disk, NaNs, a user's env that raises,
W&B failing; and files from elsewhere (checkpoints, config.json, metrics.jsonl, transfer.json) that are data only."""

from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from pixelarena.agents.cli.main import main
from pixelarena.agents.run.checkpoint import CheckpointError, load_checkpoint
from pixelarena.agents.run.config import PPOSettings, RunConfig
from pixelarena.agents.run.metrics import read_metrics
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.training.signals import EnvFailed, TrainingDiverged
from pixelarena.agents.training.train import train

TINY = ["--n-envs", "8", "--n-steps", "32", "--batch-size", "128", "--n-epochs", "1", "--eval-episodes", "2"]
ENV = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "SDL_VIDEODRIVER": "dummy"}


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``pixelarena ARGS`` in this process (no interpreter start-up): exit code and stderr."""
    try:
        code = main(list(args))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, capsys.readouterr().err


def pixelarena(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pixelarena", *args], capture_output=True, text=True, timeout=timeout,
                          env=ENV)  # fmt: skip


def tiny_config(env: str = "Chase", steps: int = 512, **changes: object) -> RunConfig:
    obs = "pixels" if env == "Chase" else None
    config = RunConfig(env=env, encoder="cnn", obs=obs, steps=steps, seed=0, n_envs=2 if obs is None else 8,
                       device="cpu", env_kwargs={"size": 8} if obs else {}, eval_episodes=2, checkpoint_every=64,
                       ppo=PPOSettings(n_steps=32, batch_size=64, n_epochs=1))  # fmt: skip
    return RunConfig(**{**config.__dict__, **changes})


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("finished") / "run"
    result = pixelarena("train", "--run-dir", str(run), "--steps", "512", "--env-kwargs", "size=8", *TINY)
    assert result.returncode == 0, result.stderr
    return run


def copy_run(run: Path, dest: Path) -> Path:
    dest.mkdir(parents=True)
    for path in run.rglob("*"):
        if path.is_file():
            target = dest / path.relative_to(run)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    return dest


# ------------------------------------------------------------------------------------- resume at the end of a run
def test_a_run_killed_during_its_final_evaluation_resumes_to_its_evaluation(finished: Path, tmp_path: Path) -> None:
    run = copy_run(finished, tmp_path / "run")
    (run / "eval.json").unlink()  # what a kill during the final evaluation leaves: the final checkpoint, no eval.json
    (run / "model.safetensors").unlink()
    result = pixelarena("train", "--resume", str(run))
    assert result.returncode == 0, result.stderr
    assert json.loads((run / "eval.json").read_text())["episodes"] == 2
    assert load_checkpoint(run / "model.safetensors").step == 512
    steps = [row["step"] for row in read_metrics(run / "metrics.jsonl")]
    assert steps == sorted(set(steps)) and steps[-1] == 512


def test_a_finished_run_resumes_to_nothing_and_extends_with_steps(finished: Path, tmp_path: Path) -> None:
    run = copy_run(finished, tmp_path / "run")
    before = (run / "eval.json").read_text()
    result = pixelarena("train", "--resume", str(run))
    assert result.returncode == 0 and "nothing to do" in result.stdout, result.stderr
    assert (run / "eval.json").read_text() == before
    result = pixelarena("train", "--resume", str(run), "--steps", "1024")
    assert result.returncode == 0, result.stderr
    assert "resuming at step 512" in result.stdout
    assert load_checkpoint(run / "checkpoints" / "latest.safetensors").step == 1024
    # The run's model is its best greedy policy (the preset's --eval-every), chosen among steps 512 and 1024.
    best = load_checkpoint(run / "checkpoints" / "best.safetensors").step
    assert best in (512, 1024) and load_checkpoint(run / "model.safetensors").step == best
    assert RunDir(run).read_config().steps == 1024
    steps = [row["step"] for row in read_metrics(run / "metrics.jsonl")]
    assert steps == sorted(set(steps)) and steps[-1] == 1024


def test_a_second_trainer_of_the_same_run_is_refused(tmp_path: Path) -> None:
    """Two real trainers of one run: the second says that it waits for the lock (here 1 s, not 3 minutes), then
    gives up in one line naming the first; the first trains on. Removing the lock from training would let the second
    train. Meanwhile eval says that the run is being trained, by whom, and which weights it has."""
    run = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-m", "pixelarena", "train", "--run-dir", str(run), "--steps", "1m",
                              "--env-kwargs", "size=8", "--checkpoint-every", "256", "--threads", "1", *TINY],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not lock_is_held(run):
            assert first.poll() is None, f"the first trainer exited with {first.returncode}"
            assert time.monotonic() < deadline, "the first trainer never took the run's lock"
            time.sleep(0.1)
        while not (run / "metrics.jsonl").exists():
            assert first.poll() is None and time.monotonic() < deadline, "the first trainer wrote no metrics"
            time.sleep(0.1)
        code = "import sys; from pixelarena.agents.run.run_dir import RunDir; RunDir.LOCK_WAIT_SECONDS = 1.0; " \
               "from pixelarena.agents.cli.main import main; sys.exit(main(sys.argv[1:]))"  # fmt: skip
        second = subprocess.run([sys.executable, "-c", code, "train", "--resume", str(run)], capture_output=True,
                                text=True, timeout=300, env=ENV)  # fmt: skip
        assert second.returncode == 2, second.stderr
        who = rf"process {first.pid}, at step [\d,]+"
        assert re.fullmatch(rf"{re.escape(str(run))} is being trained by {who}: waiting up to 1s for it to stop\n",
                            second.stdout), second.stdout  # fmt: skip
        assert re.fullmatch(rf"pixelarena: error: {re.escape(str(run))} is being trained by {who}; it is still "
                            r"training after 1s of waiting\n", second.stderr), second.stderr  # fmt: skip
        evaluation = subprocess.run([sys.executable, "-m", "pixelarena", "eval", str(run)], capture_output=True,
                                    text=True, timeout=300, env=ENV)  # fmt: skip
        assert evaluation.returncode == 2, evaluation.stderr
        assert re.fullmatch(rf"pixelarena: error: {re.escape(str(run))} is being trained now \({who} of [\d,]+\), "
                            r"so it has no final policy yet: --weights latest uses its last checkpoint\n",
                            evaluation.stderr), evaluation.stderr  # fmt: skip
        assert first.poll() is None, "the first trainer goes on"
    finally:
        first.kill()  # a million steps: not to be left running
        first.wait()


HALF_BUILT = """
from pixelarena.agents.cli.main import _run

class HalfBuilt:  # as a ZipFile a signal stopped inside its constructor: its destructor reads what was never set
    def __del__(self):
        self._writing

def command(args):
    half = HalfBuilt()
    raise KeyboardInterrupt

raise SystemExit(_run(command, None))
"""


def test_an_interrupt_is_one_line_even_when_it_leaves_an_object_half_built() -> None:
    """Seen in `pixelarena demos` under SIGTERM (rarely: the signal must land inside ZipFile's constructor): the
    half-built object's destructor failed as the interrupted frames were freed, and Python printed that after the
    command's one line."""
    result = subprocess.run([sys.executable, "-c", HALF_BUILT], capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stderr) == (130, "pixelarena: interrupted\n")


def test_a_burst_of_sigterms_stops_a_training_once_and_it_says_so(tmp_path: Path) -> None:
    """Linux's parent-death signal, which stops a comparison's trainings when the comparison dies, comes once per
    exiting thread of the parent: a burst of SIGTERMs. Whenever the repeats land, the training saves a checkpoint,
    says where it stopped and exits 130 (a repeat after its handler was gone used to kill it silently)."""
    run = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "pixelarena", "train", "--run-dir", str(run), "--steps", "1m",
                                "--env-kwargs", "size=8", "--checkpoint-every", "256", "--threads", "1", *TINY],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV)  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not (run / "checkpoints" / "latest.safetensors").exists():  # it is learning: its handler is set
            assert process.poll() is None and time.monotonic() < deadline, "no checkpoint came"
            time.sleep(0.1)
        while process.poll() is None:
            process.send_signal(signal.SIGTERM)
            time.sleep(0.005)
        err = process.communicate(timeout=60)[1]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    lines = error_lines(err)
    assert len(lines) == 1 and re.fullmatch(rf"pixelarena: stopped at step [\d,]+; continue with: pixelarena train "
                                            rf"--resume {re.escape(str(run))}", lines[0]), err  # fmt: skip


def lock_is_held(run: Path) -> bool:
    """Whether a process holds ``run``'s training lock (taking it for an instant if not)."""
    import fcntl

    lock = run / RunDir.LOCK
    if not lock.exists():
        return False
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


# ------------------------------------------------------------------------------------------------- write faults
# The real failures: a small tmpfs that fills up, a read-only bind mount. Both need root (mount); elsewhere they
# skip and say why.
def mount(*args: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("a small tmpfs or a read-only bind mount needs root (mount)")
    result = subprocess.run(["mount", *args], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"this machine cannot mount: {result.stderr.strip()}")


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    """Mount points to unmount after the test (lazily: a training's files may still be closing)."""
    points: list[Path] = []
    yield points
    for point in reversed(points):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def small_disk(where: Path, size: int, mounts: list[Path]) -> Path:
    where.mkdir(parents=True)
    mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where))
    mounts.append(where)
    return where


def fill(disk: Path, leave: int) -> None:
    """Fill ``disk`` up to ``leave`` bytes of free space."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    (disk / "filler").write_bytes(b"\0" * max(free - leave, 0))


def snapshot(run: Path) -> dict[str, bytes]:
    return {str(path.relative_to(run)): path.read_bytes() for path in sorted(run.rglob("*")) if path.is_file()}


def test_a_full_disk_keeps_the_last_checkpoint_and_the_run_resumes(
    tmp_path: Path, mounts: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A disk with room for one checkpoint but not for a second beside it (the save writes a temporary file first):
    the training stops in one line (safetensors' own error for a full disk included), no half-written file stays,
    and once there is room the run resumes to its target."""
    disk = small_disk(tmp_path / "disk", 1_600_000, mounts)  # a checkpoint is 0.87 MB (weights and Adam's moments)
    run = disk / "run"
    code, err = in_process(capsys, "train", "--run-dir", str(run), "--steps", "2048", "--env-kwargs", "size=8",
                           "--checkpoint-every", "256", "--eval-every", "0", *TINY)  # fmt: skip
    assert code == 1, err
    assert error_lines(err) == [f"pixelarena: cannot write {run / 'checkpoints' / 'latest.safetensors'}: No space left "
                                "on device; the previous version is kept"], err  # fmt: skip
    assert not list(run.rglob(".*.tmp")), "a half-written file stayed"
    assert load_checkpoint(run / "checkpoints" / "latest.safetensors").step == 256
    # A writer of pixelarena's own (not safetensors, which removes its partial file itself): the ONNX export.
    fill(disk, leave=4096)
    code, err = in_process(capsys, "export", str(run), "--onnx", str(disk / "policy.onnx"), "--weights", "latest")
    assert (code, error_lines(err)) == (1, [f"pixelarena: cannot write {disk / 'policy.onnx'}: No space left on "
                                            "device"]), err  # fmt: skip
    assert not list(disk.rglob(".*.tmp")), "a half-written file stayed"
    (disk / "filler").unlink()
    subprocess.run(["mount", "-o", "remount,size=16m", str(disk)], check=True)
    code, err = in_process(capsys, "train", "--resume", str(run))
    assert code == 0, err
    assert load_checkpoint(run / "model.safetensors").step == 2048


def test_a_resume_on_a_nearly_full_disk_leaves_the_run_as_it_was(
    finished: Path, tmp_path: Path, mounts: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Raising a finished run's step target on a disk without room for a checkpoint: one line, exit 1, and every
    file but the metrics (rows past the old end, cut at the next resume) byte for byte as before: config.json keeps
    the old target (it is recorded only once a checkpoint that needs it is safe), eval.json stays."""
    disk = small_disk(tmp_path / "disk", 4_000_000, mounts)
    run = copy_run(finished, disk / "run")
    fill(disk, leave=64 * 1024)
    before = snapshot(run)
    code, err = in_process(capsys, "train", "--resume", str(run), "--steps", "1024")
    assert code == 1, err
    lines = error_lines(err)
    assert len(lines) == 1 and re.fullmatch(r"pixelarena: cannot write \S+\.safetensors: No space left on device; "
                                            r"the previous version is kept", lines[0]), err  # fmt: skip
    after = snapshot(run)
    metrics = after.pop("metrics.jsonl")
    assert metrics.startswith(before.pop("metrics.jsonl"))
    assert after == before
    assert main(["train", "--resume", str(run)]) == 0
    assert "has finished (512 steps" in capsys.readouterr().out  # still finished, at its old target


def test_a_read_only_run_directory_is_read_and_refuses_writes_in_one_line(
    finished: Path, tmp_path: Path, mounts: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    run = copy_run(finished, tmp_path / "source")
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    mount("--bind", str(run), str(read_only))
    mounts.append(read_only)
    mount("-o", "remount,ro,bind", str(read_only))
    before = snapshot(read_only)
    code, err = in_process(capsys, "train", "--resume", str(read_only), "--steps", "1024")
    assert (code, error_lines(err)) == (1, [f"pixelarena: cannot train {read_only}: its lock cannot be opened "
                                            "(Read-only file system)"]), err  # fmt: skip
    code, err = in_process(capsys, "export", str(read_only), "--onnx", str(read_only / "policy.onnx"))
    assert (code, error_lines(err)) == (1, [f"pixelarena: cannot write {read_only / 'policy.onnx'}: Read-only file "
                                            "system"]), err  # fmt: skip
    code, err = in_process(capsys, "eval", str(read_only), "--episodes", "2")
    assert code == 0, err  # reading needs no write
    assert snapshot(read_only) == before


# ----------------------------------------------------------------------------------------------- training faults
def test_non_finite_weights_stop_training_naming_the_step(tmp_path: Path) -> None:
    with pytest.raises(TrainingDiverged, match=r"non-finite weights after the update ending at step 64"):
        train(tiny_config("tests.user_envs:NaNRewardEnv"), tmp_path / "run")
    assert not (tmp_path / "run" / "model.safetensors").exists()
    checkpoint = tmp_path / "run" / "checkpoints" / "latest.safetensors"
    assert not checkpoint.exists() or all(torch.isfinite(t).all() for t in load_checkpoint(checkpoint).policy.values())


def test_an_exception_in_a_users_env_names_it_and_saves_a_checkpoint(tmp_path: Path) -> None:
    config = tiny_config("tests.user_envs:FailingEnv", steps=1024, env_kwargs={"fail_at": 100})
    with pytest.raises(EnvFailed, match=r"env tests.user_envs:FailingEnv raised RuntimeError: the level file is "
                                        r"missing \(step 100\) at step \d+; a checkpoint of step 192"):  # fmt: skip
        train(config, tmp_path / "run")
    assert load_checkpoint(tmp_path / "run" / "checkpoints" / "latest.safetensors").step == 192


def test_the_env_failure_is_one_line_with_exit_code_1(tmp_path: Path) -> None:
    result = pixelarena("train", "--env", "tests.user_envs:FailingEnv", "--env-kwargs", "fail_at=100", "--run-dir",
                        str(tmp_path / "run"), "--steps", "1024", "--n-envs", "2", "--n-steps", "32",
                        "--batch-size", "64", "--checkpoint-every", "64")  # fmt: skip
    assert result.returncode == 1, result.stderr
    lines = error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(r"pixelarena: env tests.user_envs:FailingEnv raised RuntimeError: the level file is missing "
                        r"\(step 100\) at step \d+; a checkpoint of step \d+ was saved: fix the env, then pixelarena "
                        rf"train --resume {re.escape(str(tmp_path / 'run'))}", lines[0]), lines[0]  # fmt: skip


def error_lines(stderr: str) -> list[str]:
    """stderr's lines but the progress bar's redraws (each starts with its name, and the error must not follow one
    on its line)."""
    return [line for line in stderr.splitlines() if line.strip() and not line.startswith("training:")]


@pytest.mark.parametrize("fails", ["init", "log"])
def test_wandb_failing_never_stops_training(
    fails: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import wandb

    class Broken:
        id, name, project, offline = "broken", "run", "pixelarena", True
        dir = str(tmp_path / "files")
        summary: dict = {}

        def define_metric(self, *args: object, **kwargs: object) -> None:
            pass

        def log(self, *args: object, **kwargs: object) -> None:
            raise ConnectionError("the W&B service crashed")

        def finish(self) -> None:
            raise ConnectionError("the W&B service crashed")

    def init(**kwargs: object) -> Broken:
        if fails == "init":
            raise wandb.errors.CommError("no network")
        return Broken()

    monkeypatch.setattr(wandb, "init", init)
    run = train(tiny_config(wandb=True), tmp_path / "run")
    assert RunDir(run).finished
    assert ("W&B: not tracking this run" if fails == "init" else "W&B: log failed") in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------ untrusted files
def write_safetensors(path: Path, header: bytes, payload: bytes = b"") -> None:
    path.write_bytes(struct.pack("<Q", len(header)) + header + payload)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (struct.pack("<Q", 2**40) + b"{}", "not a readable pixelarena checkpoint"),  # oversized header
        (struct.pack("<Q", 10) + b"{not json}", "not a readable pixelarena checkpoint"),
        (b"PK\x03\x04 an SB3 zip", "not a readable pixelarena checkpoint"),
        (b"", "not a readable pixelarena checkpoint"),
    ],
)
def test_malformed_safetensors_are_refused(content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def _tampered_weights(finished: Path, tmp_path: Path, change: str) -> Path:
    from safetensors.torch import load_file, save_file

    run = copy_run(finished, tmp_path / "run")
    (run / "checkpoints" / "latest.safetensors").unlink()
    path = run / "model.safetensors"
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata()
    tensors = load_file(str(path))
    name = next(k for k in tensors if k.endswith("weight"))
    if change == "dtype":
        tensors[name] = tensors[name].double()
    elif change == "shape":
        tensors[name] = torch.zeros(3, 3)
    elif change == "name":
        tensors["policy.../../../etc/passwd"] = tensors.pop(name)
    elif change == "nan":
        tensors[name] = tensors[name].clone()
        tensors[name].view(-1)[0] = float("nan")
    elif change == "step":
        metadata = {"pixelarena": json.dumps({**json.loads(metadata["pixelarena"]), "step": "1; rm -rf /"})}
    save_file(tensors, str(path), metadata=metadata)
    return run


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("dtype", "torch.float64"),
        ("shape", "(3, 3)"),
        ("name", "weights the policy lacks"),
        ("step", "is not a count"),
        ("nan", "holds weights that are not finite (NaN or inf)"),
    ],
)
def test_tampered_weights_are_refused(change: str, message: str, finished: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    run = _tampered_weights(finished, tmp_path, change)
    code, err = in_process(capsys, "eval", str(run), "--episodes", "1")
    assert code == 2 and message in err and len(error_lines(err)) == 1, err
    code, err = in_process(capsys, "export", str(run), "--onnx", str(tmp_path / "policy.onnx"))
    assert code == 2 and message in err and len(error_lines(err)) == 1, err
    assert not (tmp_path / "policy.onnx").exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("steps", 1e400, "steps = Infinity is not a valid int"),
        ("steps", 10**30, "is not a valid int"),
        ("n_envs", "8", 'n_envs = "8" is not a valid int'),
        ("env", ["Chase"], 'env = ["Chase"] is not a valid str'),
        ("ppo", {"learning_rate": "__import__('os')"}, "learning_rate"),
        ("eval_episodes", -3, "must be positive"),
        ("__class__", "x", "unknown fields"),
        ("env", "../../../../tmp/evil", "unknown Gymnasium env"),
    ],
)
def test_tampered_config_json_is_refused(field: str, value: object, message: str, finished: Path,
                                         tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    run = copy_run(finished, tmp_path / "run")
    (run / "eval.json").unlink()
    config = json.loads((run / "config.json").read_text())
    config[field] = value
    (run / "config.json").write_text(json.dumps(config))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, err = in_process(capsys, "train", "--resume", str(run))
    assert code == 2 and message in err and "Traceback" not in err, err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before, "nothing is written"


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("metrics.jsonl", '{"step": "x", "wall_time": 1}\n{"step": 1, "wall_time": 1}\n', "is not a count"),
        ("metrics.jsonl", '{"step": 1, "wall_time": 1e999}\n', "is not a finite number"),
        ("metrics.jsonl", "[1, 2]\n{}\n", "must be a JSON object"),
        ("metrics.jsonl", "oops\n{}\n", "is not JSON"),
        ("transfer.json", '{"size=8": {"mean": "high"}}', "missing"),
        ("transfer.json", '["size=8"]', "must map variants"),
        ("eval.json", '{"episodes": 2, "mean": 1e999, "ci_low": 0, "ci_high": 1, "returns": [1, 1]}', "finite"),
        ("facts.json", '{"params": "many"}', "missing"),
    ],
)
def test_tampered_result_files_are_refused_by_report(
    file: str, content: str, message: str, finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = copy_run(finished, tmp_path / "cmp" / "run")
    (run / file).write_text(content)
    code, err = in_process(capsys, "report", str(tmp_path / "cmp"))
    assert code == 2 and message in err and "Traceback" not in err, err


def test_a_metrics_line_cut_short_by_a_kill_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1, "wall_time": 0.5}\n{"step": 2, "wall_ti')
    assert read_metrics(path) == [{"step": 1, "wall_time": 0.5}]
