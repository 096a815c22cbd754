"""`pixelarena compare` end to end in subprocesses: a tiny grid in two parallel jobs, interrupted half-way and run
again (finished runs untouched, stopped runs resumed), its report and transfer table, a failing run, bad input."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from pixelarena.agents.cli.main import main
from pixelarena.agents.experiments.grid import plan_grid, prepare_run_dirs
from pixelarena.agents.experiments.options import CompareArgs
from pixelarena.agents.experiments.suites import SUITES
from pixelarena.agents.run.checkpoint import load_checkpoint
from pixelarena.agents.run.metrics import read_metrics
from pixelarena.agents.run.run_dir import RunDir
from tests.test_report import is_a_plot
from tests.wandb_records import offline_runs

TINY = ["--n-envs", "8", "--n-steps", "32", "--batch-size", "128", "--n-epochs", "2", "--eval-episodes", "4"]
ENV = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "SDL_VIDEODRIVER": "dummy"}
TARGET = 4096  # 4k steps, a multiple of one rollout (8 envs x 32 steps)


def grid_args(run_dir: Path) -> list[str]:
    return ["compare", "--env", "Chase", "--encoders", "mlp:vector,cnn:grid", "--seeds", "2", "--steps", "4k",
            "--jobs", "2", "--checkpoint-every", "512", "--eval-env-kwargs", "size=8", "n_enemies=5",
            "--run-dir", str(run_dir), "--wandb", "--wandb-artifacts", "--tensorboard", *TINY]  # fmt: skip


def pixelarena(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pixelarena", *args], capture_output=True, text=True, timeout=timeout,
                          env=ENV)  # fmt: skip


TRAINING_FILES = ("config.json", "metrics.jsonl", "facts.json", "eval.json", "model.safetensors",
                  "checkpoints/latest.safetensors")  # fmt: skip


def checkpoint_step(path: Path) -> int:
    """The step in a checkpoint's header, from one read of the file: safetensors' load_file opens the file again
    by name to map its tensors, so reading a checkpoint that training replaces meanwhile can fail half-way."""
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    return json.loads(json.loads(data[8 : 8 + size])["__metadata__"]["pixelarena"])["step"]


def files_of(run_dir: Path, names: tuple[str, ...] = (*TRAINING_FILES, "transfer.json")) -> dict[str, int]:
    """Modification times of what training (and transfer evaluation) write in a run directory."""
    return {name: (run_dir / name).stat().st_mtime_ns for name in names if (run_dir / name).exists()}


@dataclasses.dataclass
class Interrupted:
    root: Path
    stderr: str
    finished: dict[str, dict[str, int]]  # trained before the interruption: run name -> training files' mtimes
    stopped: dict[str, int]  # stopped mid-way: run name -> checkpoint step
    rerun: subprocess.CompletedProcess


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory: pytest.TempPathFactory) -> Interrupted:
    """A 2 encoders x 2 seeds grid, stopped with SIGINT once a run has finished and another is half-way, then
    run again with the same command.

    The grid starts with SIGINT ignored, as a background job of a script (``cmd &``) or a test run started that
    way inherits it: Python then raises no KeyboardInterrupt of its own, and the grid must still stop."""
    root = tmp_path_factory.mktemp("compare") / "grid"
    process = subprocess.Popen([sys.executable, "-m", "pixelarena", *grid_args(root)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=ENV,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))  # fmt: skip
    deadline = time.time() + 240
    while True:
        assert time.time() < deadline and process.poll() is None, process.communicate()
        runs = sorted(p for p in root.glob("Chase__*") if (p / "config.json").exists())
        done = [p for p in runs if (p / "eval.json").exists()]
        midway = [p for p in runs if not (p / "eval.json").exists() and (p / "checkpoints/latest.safetensors").exists()]
        if done and any(checkpoint_step(p / "checkpoints/latest.safetensors") < TARGET // 2 for p in midway):
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    runs = sorted(p for p in root.glob("Chase__*"))
    # Their transfer evaluation may have been stopped: the re-run may finish it, but must not train them again.
    finished = {p.name: files_of(p, TRAINING_FILES) for p in runs if (p / "eval.json").exists()}
    stopped = {p.name: load_checkpoint(p / "checkpoints/latest.safetensors").step for p in runs
               if not (p / "eval.json").exists() and (p / "checkpoints/latest.safetensors").exists()}  # fmt: skip
    assert finished and stopped and len(finished) < 4
    rerun = pixelarena(*grid_args(root))
    return Interrupted(root, stderr, finished, stopped, rerun)


def test_interrupted_grid_resumes_without_redoing_finished_runs(interrupted: Interrupted) -> None:
    assert "run the same command again to continue" in interrupted.stderr
    assert interrupted.rerun.returncode == 0, interrupted.rerun.stderr
    assert f"{len(interrupted.finished)} finished (skipped), {len(interrupted.stopped)} to resume" in (
        interrupted.rerun.stdout
    )
    for name, mtimes in interrupted.finished.items():
        assert files_of(interrupted.root / name, TRAINING_FILES) == mtimes, f"{name} was trained: left untouched"
    assert any(step > 0 for step in interrupted.stopped.values())
    for name, step in interrupted.stopped.items():
        run_dir = interrupted.root / name
        assert step < TARGET
        if step > 0:  # a run stopped before its first update saves step 0 and starts over
            assert f"resuming at step {step:,}" in (run_dir / "output.log").read_text()
        assert [row["step"] for row in read_metrics(run_dir / "metrics.jsonl")] == list(range(256, TARGET + 1, 256))
    for run_dir in interrupted.root.glob("Chase__*"):
        assert load_checkpoint(run_dir / "model.safetensors").step == TARGET
        config = json.loads((run_dir / "config.json").read_text())
        assert config["threads"] == 1, "two jobs: one torch thread each"
        label = config["wandb_tags"][0]
        assert label.startswith(f"{config['encoder']}:{config['obs']}") and config["comparison"] == "grid"
        assert config["wandb_group"] == f"grid/{label}", "one W&B group per arm: its seeds average into one line"


def test_compare_report_has_a_row_per_encoder_plots_and_the_transfer_table(interrupted: Interrupted) -> None:
    report = (interrupted.root / "report.md").read_text()
    assert f"compare: report in {interrupted.root / 'report.md'}" in interrupted.rerun.stdout
    assert "4,096 env steps per run, seeds 0, 1" in report
    rows = [line for line in report.splitlines() if line.startswith(("| mlp |", "| cnn |"))]
    assert [row.split(" | ")[:3] for row in rows] == [["| mlp", "vector", "2/2"], ["| cnn", "grid@ego", "2/2"]]
    assert rows[0].split(" | ")[8] == "global" and rows[1].split(" | ")[8].endswith(" px")
    for name in ("final_scores.png", "curves_steps.png", "curves_wall.png"):
        assert is_a_plot(interrupted.root / name), name
    assert "| encoder:obs | training settings | size=8 | n_enemies=5 |" in report
    transfer = report[report.index("## Transfer") :].splitlines()
    mlp_row = next(line for line in transfer if line.startswith("| mlp:vector |"))
    cnn_row = next(line for line in transfer if line.startswith("| cnn:grid@ego |"))
    # The vector has no map size (size=8 runs) but one slot per enemy (5 enemies: another input length);
    # the cnn's layers are all convolutional or pooled: it runs on both.
    assert mlp_row.endswith(" | n/a |") and "n/a" not in mlp_row.split(" | ")[2]
    assert "n/a" not in cnn_row
    assert "- mlp:vector on n_enemies=5: cannot move the mlp policy" in report


def test_rerun_of_a_finished_grid_trains_nothing(interrupted: Interrupted) -> None:
    before = {p.name: files_of(p) for p in interrupted.root.glob("Chase__*")}
    result = pixelarena(*grid_args(interrupted.root))
    assert result.returncode == 0, result.stderr
    assert "4 runs, 4 finished (skipped), 0 to resume, 0 to start" in result.stdout
    assert {p.name: files_of(p) for p in interrupted.root.glob("Chase__*")} == before


def test_a_failing_run_is_reported_and_the_others_finish(tmp_path: Path) -> None:
    broken = tmp_path / "Chase__cnn__grid@ego__s0" / "checkpoints"  # the cnn preset's view: centred on the player
    broken.mkdir(parents=True)
    (broken / "latest.safetensors").write_bytes(b"not a checkpoint")
    result = pixelarena("compare", "--env", "Chase", "--encoders", "mlp:vector", "cnn:grid", "--seeds", "1",
                        "--steps", "512", "--jobs", "2", "--run-dir", str(tmp_path), *TINY)  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "1 of 2 runs failed" in result.stderr and "Chase__cnn__grid@ego__s0 (exit 2)" in result.stderr
    assert "not a readable pixelarena checkpoint" in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "Chase__mlp__vector__s0" / "eval.json").exists()
    assert "| cnn | grid@ego | 0/1 | n/a |" in (tmp_path / "report.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--encoders", "mlp,cnnn"], "unknown encoder 'cnnn': choose one of mlp, cnn, impala, unet"),
        (["--encoders", "mlp:rgb"], "unknown obs mode 'rgb': choose one of pixels, grid, vector"),
        (["--encoders", "cnn:vector"], "encoder spec 'cnn:vector' on Chase: cnn on Chase (vector obs)"),
        (["--encoders", "cnn", "cnn:pixels"], "are the same runs (cnn:pixels@ego)"),
        (["--encoders", "cnn", "--eval-env-kwargs", "size=3"], "size=3 does not work on Chase"),
        (["--encoders", "cnn", "--eval-env-kwargs", "size"], "key=value1,value2"),
        (["--encoders", "cnn", "--seeds", "0"], "--seeds must be positive"),
        (["--encoders", "cnn", "--jobs", "0"], "--jobs must be positive"),
        (["--encoders", "cnn", "--n-envs", "-1"], "--n-envs must be positive"),
        (["--suite", "claim", "--budget", "tpu"], "unknown budget 'tpu': choose one of cpu, gpu"),
        (["--suite", "claim", "--experiments", "e9"], "unknown experiment 'e9'"),
    ],
)
def test_bad_input_is_one_line_with_exit_code_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = [] if "--suite" in args else ["--env", "Chase", "--steps", "1k"]
    assert main(["compare", *base, *args, "--run-dir", str(tmp_path / "grid")]) == 2
    stderr = capsys.readouterr().err
    assert stderr.count("\n") == 1 and message in stderr, stderr
    assert not (tmp_path / "grid").exists(), "bad input must not leave run directories behind"


def test_every_suite_experiment_plans_on_every_budget(tmp_path: Path) -> None:
    """The suite table holds only valid specs, budgets and variants (checked as compare checks them)."""
    for suite in SUITES.values():
        assert {t.of for t in suite.transfers} <= {e.key for e in suite.experiments}
        for experiment in suite.experiments:
            assert experiment.seeds >= 3 and set(experiment.steps) == set(suite.budgets)
            variants = [kv for t in suite.transfers if t.of == experiment.key for kv in t.eval_env_kwargs]
            options = CompareArgs(env_kwargs=experiment.env_kwargs)
            for budget, steps in experiment.steps.items():
                grid = plan_grid(options, experiment.env, experiment.encoders, steps, experiment.seeds,
                                 tmp_path / experiment.key, f"{suite.name}-{budget}", variants, jobs=2,
                                 seeds_by_spec=experiment.seeds_by_spec)  # fmt: skip
                counts = [experiment.seeds_by_spec.get(spec, experiment.seeds) for spec in experiment.encoders]
                assert len(grid.runs) == sum(counts)
    assert not any(tmp_path.iterdir()), "planning writes nothing"


def test_encoder_specs_carry_arguments_and_their_own_seed_counts(tmp_path: Path) -> None:
    specs = ["cnn:pixels", "cnn+stem=rgb:pixels", "mlp+hidden_sizes=(64,64):vector"]
    grid = plan_grid(CompareArgs(), "Chase", specs, "1k", 2, tmp_path / "g", "g", seeds_by_spec={specs[1]: 1})
    names = [grid.run_dir(config).name for config in grid.runs]
    assert names == ["Chase__cnn__pixels@ego__s0", "Chase__cnn+stem=rgb__pixels@ego__s0",
                     "Chase__mlp+hidden_sizes=(64,64)__vector__s0", "Chase__cnn__pixels@ego__s1",
                     "Chase__mlp+hidden_sizes=(64,64)__vector__s1"]  # fmt: skip
    assert [config.encoder_kwargs for config in grid.runs[:3]] == [{}, {"stem": "rgb"}, {"hidden_sizes": (64, 64)}]
    with pytest.raises(ValueError, match="seeds given for specs that are not compared: unet"):
        plan_grid(CompareArgs(), "Chase", specs, "1k", 2, tmp_path / "g", "g", seeds_by_spec={"unet": 1})
    with pytest.raises(ValueError, match="are the same runs"):
        plan_grid(CompareArgs(), "Chase", ["cnn+stem=rgb:pixels", "cnn+stem=rgb"], "1k", 1, tmp_path, "g")


def test_wandb_has_a_group_per_arm_whole_resumed_runs_and_the_comparisons_tables(interrupted: Interrupted) -> None:
    """The W&B files of the interrupted and resumed grid, read back as `wandb sync` uploads them."""
    arms = ["mlp:vector", "cnn:grid@ego"]
    names, params = set(), {}
    for run_dir in sorted(interrupted.root.glob("Chase__*")):
        parts = offline_runs(run_dir / "wandb")
        last = parts[-1].run
        parts = [part for part in parts if part.run.run_id == last.run_id]  # a run stopped in W&B's start has none
        config, rows = parts[0].config, read_metrics(run_dir / "metrics.jsonl")
        assert config["arm"] in arms and last.run_group == f"grid/{config['arm']}" and last.job_type == "train"
        assert config["comparison"] == "grid" and config["device"] == "cpu" and config["params"] > 0
        assert not {"wandb", "wandb_group", "wandb_tags", "tensorboard"} & set(config)
        assert all((part.run.display_name, part.run.run_group) == (last.display_name, last.run_group) for part in parts)
        names.add(last.display_name)
        params[config["arm"]] = config["params"]
        # One run with its whole history: each part continues the last (resume), no step logged twice, every
        # metrics.jsonl key in W&B.
        steps = [step for part in parts for step in part.steps]
        assert steps == [row["step"] for row in rows], run_dir.name
        assert all(part.run.resume for part in parts[1:])
        assert len(parts) == 1 + (run_dir.name in interrupted.stopped and interrupted.stopped[run_dir.name] > 0)
        keys = {key for part in parts for row in part.history for key in row}
        assert {key for row in rows for key in row} - {"step"} <= keys
        if run_dir.name not in interrupted.finished:  # (a finished run may have been stopped in its W&B upload)
            assert [a.type for a in parts[-1].artifacts] == ["model"], "--wandb-artifacts: the run's model"
        # TensorBoard: the same scalars, the stopped part's steps after the checkpoint purged.
        accumulator = EventAccumulator(str(run_dir))
        accumulator.Reload()
        assert [event.step for event in accumulator.Scalars("losses/entropy")] == [
            row["step"] for row in rows if "losses/entropy" in row
        ]
    assert len(names) == 4, "unique run names"
    comparisons = offline_runs(interrupted.root / "wandb")  # one per compare command that reached its report
    assert comparisons and all((run.run.job_type, run.run.run_group) == ("compare", "grid") for run in comparisons)
    comparison = comparisons[-1]
    assert comparison.config["comparison"] == "grid" and comparison.config["arms"] == arms
    table = json.loads(next((comparison.folder / "files").rglob("scores_*.table.json")).read_text())
    assert table["columns"][:8] == ["arm", "encoder", "obs", "seeds done", "seeds", "IQM", "CI low", "CI high"]
    assert {"params", "receptive field", "FLOPs", "SPS"} <= set(table["columns"])
    assert [row[0] for row in table["data"]] == arms
    assert {row[0]: row[table["columns"].index("params")] for row in table["data"]} == params
    logged = {key.split("/")[1] for row in comparison.history for key in row if key.startswith("tables/")}
    assert logged == {"scores", "improvement", "equal_seconds", "transfer"}
    assert {key.split("/")[1] for key in comparison.history[0] if key.startswith("plots/")} == {
        "final_scores", "curves_steps", "curves_wall"}  # fmt: skip
    report = next(a for a in comparison.artifacts if a.type == "report")
    assert {entry.path for entry in report.manifest.contents} == {"report.md", "final_scores.png", "curves_steps.png",
                                                                  "curves_wall.png"}  # fmt: skip
    assert f"wandb sync {interrupted.root}/*/wandb {interrupted.root}/wandb" in interrupted.rerun.stdout


@pytest.mark.slow
def test_claim_suite_runs_every_experiment_and_writes_the_combined_report(tmp_path: Path) -> None:
    """The whole claim suite, one seed of a few hundred steps per run: the pipeline, not the results."""
    result = pixelarena("compare", "--suite", "claim", "--seeds", "1", "--steps", "512", "--jobs", "2",
                        "--run-dir", str(tmp_path), *TINY, timeout=900)  # fmt: skip
    assert result.returncode == 0, result.stderr
    suite = SUITES["claim"]
    report = (tmp_path / "report.md").read_text()
    for experiment in suite.experiments:
        assert len(list((tmp_path / experiment.key).glob("*/eval.json"))) == len(experiment.encoders)
        assert f"## {experiment.title}" in report and (tmp_path / experiment.key / "report.md").exists()
    for transfer in suite.transfers:
        assert f"## {transfer.title}" in report
        for run_dir in (tmp_path / transfer.of).glob("Chase__*"):
            assert len(json.loads((run_dir / "transfer.json").read_text())) == 6


def test_a_rerun_gives_unfinished_runs_its_runtime_settings_and_leaves_finished_ones(tmp_path: Path) -> None:
    def plan(jobs: int, **options: object) -> Path:
        args = CompareArgs(n_envs=8, n_steps=32, batch_size=128, **options)
        grid = plan_grid(args, "Chase", ["cnn"], "1k", 1, tmp_path, "g", jobs=jobs)
        prepare_run_dirs(grid)
        return grid.run_dir(grid.runs[0])

    run_dir = plan(jobs=2)
    assert RunDir(run_dir).read_config().threads == 1 and not RunDir(run_dir).read_config().wandb
    plan(jobs=1, wandb=True)
    assert RunDir(run_dir).read_config().threads is None and RunDir(run_dir).read_config().wandb
    (run_dir / "eval.json").write_text("{}")
    plan(jobs=2)
    assert RunDir(run_dir).read_config().threads is None, "a finished run's config stays as it was trained"


def test_a_folder_holding_runs_with_other_settings_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("a folder with other settings got as far as training")

    monkeypatch.setattr("pixelarena.agents.experiments.compare.run_grids", must_not_run)
    grid = plan_grid(CompareArgs(n_envs=8, n_steps=32, batch_size=128), "Chase", ["cnn"], "1k", 1, tmp_path, "g")
    prepare_run_dirs(grid)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    common = ["compare", "--env", "Chase", "--encoders", "cnn", "--seeds", "1", "--steps", "1k", "--run-dir",
              str(tmp_path), "--n-envs", "8", "--n-steps", "32"]  # fmt: skip
    assert main([*common, "--batch-size", "128", "--learning-rate", "0.0005"]) == 2  # the preset's is 0.001
    stderr = capsys.readouterr().err
    assert stderr.count("\n") == 1, stderr
    assert f"{tmp_path / 'Chase__cnn__pixels@ego__s0'} holds a run with other settings (ppo: " in stderr, stderr
    assert "choose another --name or --run-dir, or delete that run" in stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before, "nothing changed"


def test_a_comparison_killed_by_sigkill_leaves_no_training_running(tmp_path: Path) -> None:
    """Linux's parent-death signal: the trainings get SIGTERM when their driver dies, save and stop."""
    from tests.test_stress import training_children

    root = tmp_path / "grid"
    process = subprocess.Popen([sys.executable, "-m", "pixelarena", "compare", "--env", "Chase",
                                "--encoders", "mlp:vector", "--seeds", "2", "--steps", "1m", "--jobs", "2",
                                "--checkpoint-every", "256",
                                "--run-dir", str(root), *TINY], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=ENV)  # fmt: skip
    deadline = time.time() + 240
    while len(list(root.glob("*/checkpoints/latest.safetensors"))) < 2:  # both trainings are under way
        assert time.time() < deadline and process.poll() is None, "the comparison did not start its trainings"
        time.sleep(0.2)
    children = training_children(root)
    assert len(children) == 2, children
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.time() + 120
    while training_children(root) and time.time() < deadline:
        time.sleep(0.2)
    left = training_children(root)
    for pid in left:  # not to leave a million-step training behind when this fails
        os.kill(pid, signal.SIGKILL)
    assert not left, "a training outlived its comparison"
    for log in root.glob("*/output.log"):
        assert "pixelarena: stopped at step" in log.read_text(), "it saved a checkpoint and stopped"
