"""Which weights a command uses: the file it names (--weights final, best or latest), never another in its place.

A finished run's model file missing, truncated, made for other spaces or of another step stops eval, play, export
and resume with one line that names the file and what to do; the best and latest checkpoints likewise. A score is
only ever printed with the weights file and step it belongs to.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from safetensors import safe_open
from safetensors.torch import load, load_file, save_file

from pixelarena.agents.cli.main import main
from pixelarena.agents.run.checkpoint import HEADER_KEY, load_checkpoint
from pixelarena.agents.run.run_dir import RunDir
from tests.planted_weights import prefer
from tests.test_faults import TINY, pixelarena

ROLLOUT = 256  # 8 envs x 32 steps


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run of 512 steps with all three weights files: the final policy, the best kept (--eval-every) and
    the last checkpoint."""
    path = tmp_path_factory.mktemp("weights") / "run"
    result = pixelarena("train", "--run-dir", str(path), "--steps", "512", "--env-kwargs", "size=8", "--encoder",
                        "mlp", "--obs", "vector", "--eval-every", "256", "--threads", "1", *TINY)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return path


def copy(run: Path, tmp_path: Path) -> RunDir:
    return RunDir(shutil.copytree(run, tmp_path / "run"))


def rewrite_header(path: Path, **changes: object) -> None:
    """The same tensors under a header with ``changes`` (another step, other spaces)."""
    tensors = load_file(str(path))
    with safe_open(str(path), framework="pt") as handle:
        header = json.loads(handle.metadata()[HEADER_KEY])
    save_file(tensors, str(path), metadata={HEADER_KEY: json.dumps({**header, **changes})})


def missing(path: Path, run: RunDir) -> str:
    path.unlink()
    return "is missing"


def truncated(path: Path, run: RunDir) -> str:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return "is not a readable pixelarena checkpoint"


def other_spaces(path: Path, run: RunDir) -> str:
    rewrite_header(path, observation_space="Box(shape=(3,), dtype=float32)")
    return "does not fit this env"


def other_step(path: Path, run: RunDir) -> str:
    """A step the file cannot have: the last checkpoint of another moment, a final policy other than the best kept,
    a best policy beyond the run's end."""
    best = load_checkpoint(run.best_file).step
    step = {"latest": ROLLOUT, "final": 3 * ROLLOUT - best, "best": 2 * ROLLOUT + ROLLOUT}[weights_of(path, run)]
    rewrite_header(path, step=step)
    return f"holds the weights of step {step:,}"


def weights_of(path: Path, run: RunDir) -> str:
    return next(name for name in RunDir.WEIGHTS if run.weights_file(name) == path)


DAMAGES: dict[str, Callable[[Path, RunDir], str]] = {
    "missing": missing,
    "truncated": truncated,
    "other-spaces": other_spaces,
    "other-step": other_step,
}
COMMANDS = {
    "eval": ["eval", "RUN", "--episodes", "2"],
    "play": ["play", "RUN", "--record", "OUT/agent.gif", "--episodes", "1"],
    "export": ["export", "RUN", "--onnx", "OUT/policy.onnx"],
}
CASES = [(command, weights, damage) for command in COMMANDS for weights in RunDir.WEIGHTS for damage in DAMAGES]
CASES += [("resume", "final", damage) for damage in DAMAGES]


def run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def contents(run: RunDir) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(run.path.rglob("*")) if p.is_file() and p.name != ".lock"}


@pytest.mark.parametrize(("command", "weights", "damage"), CASES, ids=["-".join(case) for case in CASES])
def test_damaged_weights_stop_every_command_with_one_line(
    command: str, weights: str, damage: str, run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copied = copy(run, tmp_path)
    path = copied.weights_file(weights)
    expected = DAMAGES[damage](path, copied)
    before = contents(copied)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    if command == "resume":
        argv = ["train", "--resume", str(copied)]
    else:
        argv = [arg.replace("RUN", str(copied)).replace("OUT", str(out_dir)) for arg in COMMANDS[command]]
        argv += ["--weights", weights]
    code, out, err = run_main(argv, capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert str(path) in lines[0] and expected in lines[0], lines[0]
    # What to do: other weights of the run, or how to rebuild them.
    assert "--weights" in lines[0] or "train --resume" in lines[0], lines[0]
    assert "nothing to do" not in out and "mean return" not in out, out
    assert list(out_dir.iterdir()) == [], "nothing written"
    assert contents(copied) == before, "the run is left as it was"


def test_every_command_names_the_weights_it_used(run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rundir = RunDir(run)
    steps = {name: load_checkpoint(rundir.weights_file(name)).step for name in RunDir.WEIGHTS}
    # Two moments, so that a command reading the wrong file says another step: this seeded run's best greedy
    # policy is its first (step 256), the last checkpoint is step 512, and the final policy is the best kept.
    assert steps == {"final": 256, "best": 256, "latest": 512}, steps
    for weights, step in steps.items():
        code, out, err = run_main(["eval", str(run), "--episodes", "2", "--weights", weights], capsys)
        assert code == 0, err
        assert f"; weights {rundir.weights_file(weights)} (step {step:,})" in out, out
        code, out, err = run_main(["eval", str(run), "--episodes", "2", "--weights", weights, "--json"], capsys)
        assert code == 0, err
        assert json.loads(out) | {"weights": str(rundir.weights_file(weights)), "step": step} == json.loads(out)
    code, out, err = run_main(["export", str(run), "--onnx", str(tmp_path / "p.onnx"), "--weights", "latest"], capsys)
    assert code == 0 and f"from {rundir.checkpoint_file} (step 512)" in out, err


def test_each_choice_of_weights_acts_on_the_file_it_names(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The final policy is the best kept, so here best and final hold one step and the same weights: the step a
    command prints cannot tell them apart. Each file is made to prefer its own move, and the policy each
    ``--weights`` exports (run by onnxruntime, apart from the exporter's own check) must make that move."""
    onnxruntime = pytest.importorskip("onnxruntime", reason="the export extra is not installed")
    from pixelarena.agents.export.onnx import env_observations

    copied = copy(run, tmp_path)
    moves = {name: move for move, name in enumerate(RunDir.WEIGHTS)}  # final: 0, best: 1, latest: 2
    for name, move in moves.items():
        prefer(copied.weights_file(name), move)
    observations = env_observations(copied.read_config().env_spec(), 16)
    for name, move in moves.items():
        policy = tmp_path / f"{name}.onnx"
        code, _, err = run_main(["export", str(copied.path), "--onnx", str(policy), "--weights", name], capsys)
        assert code == 0, err
        session = onnxruntime.InferenceSession(str(policy), providers=["CPUExecutionProvider"])
        logits, _ = session.run(None, {"obs": observations})
        assert (logits.argmax(1) == move).all(), f"--weights {name} acted on another file's weights"


def test_an_unfinished_run_has_no_final_policy_but_its_last_checkpoint(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copied = copy(run, tmp_path)
    copied.eval_file.unlink()  # as a run still training, or killed during its final evaluation
    code, out, err = run_main(["eval", str(copied), "--episodes", "2"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "has not finished (trained to step 512 of 512)" in err and "--weights latest" in err, err
    code, out, err = run_main(["eval", str(copied), "--episodes", "2", "--weights", "latest"], capsys)
    assert code == 0 and f"weights {copied.checkpoint_file} (step 512)" in out, err


def test_the_rebuild_the_message_offers_restores_the_final_policy(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copied = copy(run, tmp_path)
    policy = copied.model_file.read_bytes()
    best = load_checkpoint(copied.best_file).step
    copied.model_file.unlink()
    code, _, err = run_main(["train", "--resume", str(copied)], capsys)
    assert code == 2 and f"delete {copied.eval_file} and run pixelarena train --resume {copied}" in err, err
    copied.eval_file.unlink()
    code, _, err = run_main(["train", "--resume", str(copied)], capsys)
    assert code == 0, err
    assert load_checkpoint(copied.model_file).step == best
    rebuilt, original = load_file(str(copied.model_file)), load(policy)
    assert rebuilt.keys() == original.keys() and all(rebuilt[k].equal(original[k]) for k in original)
    code, out, err = run_main(["eval", str(copied), "--episodes", "2"], capsys)
    assert code == 0 and f"weights {copied.model_file} (step {best:,})" in out, err
