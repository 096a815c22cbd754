"""`compare --backend ray` and `pixelarena sweep` on Ray Tune, on this machine (no network): the same rows as the
local backend, trials spread over a two-node cluster started in the test, a killed driver resumed without redoing
finished runs, and a tiny sweep that writes a preset train can use. Each starts Ray (tens of seconds): slow, but
for one small test in the default run, a one-run grid and a two-trial sweep on one local Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray.tune", reason="the ray extra is not installed (pip install -e '.[ray]')")

from pixelarena.agents.cli.main import main
from pixelarena.agents.run.checkpoint import load_checkpoint
from pixelarena.agents.run.metrics import read_metrics

TINY = ["--env-kwargs", "size=8", "--n-envs", "8", "--n-steps", "32", "--batch-size", "128", "--n-epochs", "1",
        "--eval-episodes", "4", "--checkpoint-every", "256"]  # fmt: skip
ENV = {**os.environ, "WANDB_MODE": "disabled", "TQDM_DISABLE": "1", "RAY_AUTH_MODE": "disabled"}


def grid(root: Path, *extra: str, steps: str = "1024", seeds: str = "1") -> list[str]:
    return ["compare", "--env", "Chase", "--encoders", "mlp:vector,cnn:grid", "--seeds", seeds, "--steps", steps,
            "--jobs", "2", "--run-dir", str(root), *TINY, *extra]  # fmt: skip


def scores(root: Path) -> dict[str, tuple[float, list[int]]]:
    return {run.name: (json.loads((run / "eval.json").read_text())["mean"],
                       [row["step"] for row in read_metrics(run / "metrics.jsonl")])
            for run in sorted(root.glob("Chase__*"))}  # fmt: skip


@pytest.fixture
def fresh_ray():
    import ray

    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_backend_gives_the_local_backends_rows(tmp_path: Path, fresh_ray: None) -> None:
    assert main(grid(tmp_path / "local")) == 0
    assert main(grid(tmp_path / "ray", "--backend", "ray", "--cpus-per-run", "1")) == 0
    local, on_ray = scores(tmp_path / "local"), scores(tmp_path / "ray")
    assert len(local) == 2 and local == on_ray, "the same runs, seeds and threads give the same results"
    report = (tmp_path / "ray" / "report.md").read_text()
    assert "| mlp | vector | 1/1 |" in report and "| cnn | grid | 1/1 |" in report


@pytest.mark.slow
def test_trials_land_on_both_nodes_of_a_two_node_cluster(tmp_path: Path, fresh_ray: None) -> None:
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    try:
        assert main(grid(tmp_path / "g", "--backend", "ray", "--address", cluster.address)) == 0
        nodes = {
            line.split()[-1]
            for run in (tmp_path / "g").glob("Chase__*")
            for line in (run / "output.log").read_text().splitlines()
            if line.startswith("$ ray trial on node")
        }
        assert len(nodes) == 2, f"both runs on one node: {nodes}"  # fmt: skip
    finally:
        import ray

        ray.shutdown()
        cluster.shutdown()


@pytest.mark.slow
def test_a_killed_ray_driver_resumes_and_redoes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "g"
    args = [sys.executable, "-m", "pixelarena", *grid(root, "--backend", "ray", steps="4096", seeds="2")]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    deadline = time.time() + 300
    while not any(root.glob("Chase__*/eval.json")):
        assert time.time() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    # The killed driver's local Ray may let a running trial end (its run lock keeps a new trial off that run).
    time.sleep(5)
    finished = {run.name: (run / "eval.json").stat().st_mtime_ns for run in root.glob("Chase__*")
                if (run / "eval.json").exists()}  # fmt: skip
    rerun = subprocess.run(args, capture_output=True, text=True, env=ENV, timeout=900)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(finished)} finished (skipped)" in rerun.stdout
    for name, mtime in finished.items():
        assert (root / name / "eval.json").stat().st_mtime_ns == mtime, f"{name} was redone"
    for run in root.glob("Chase__*"):
        assert load_checkpoint(run / "model.safetensors").step == 4096
        steps = [row["step"] for row in read_metrics(run / "metrics.jsonl")]
        assert steps == sorted(set(steps)) and steps[-1] == 4096


@pytest.mark.slow
def test_a_sweep_of_four_trials_writes_a_preset_train_uses(tmp_path: Path, fresh_ray: None) -> None:
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.agents.training.resolve import resolve

    preset = tmp_path / "best.json"
    sweep = ["sweep", "--env", "Chase", "--encoder", "mlp", "--obs", "vector", "--steps", "2048", "--trials", "4"]
    code = main([*sweep, "--seeds", "2", "--jobs", "2", "--run-dir", str(tmp_path / "sweep"), "--output", str(preset)])
    assert code == 0
    data = json.loads(preset.read_text())
    assert data["sweep"]["trials"] == 4 and data["encoder"] == "mlp"
    config = resolve(TrainArgs(preset=str(preset)))
    assert (
        config.encoder == "mlp" and config.obs == "vector" and config.ppo.learning_rate == data["ppo"]["learning_rate"]
    )


def test_a_ray_grid_and_a_sweep_on_one_small_local_ray(tmp_path: Path, fresh_ray: None) -> None:
    """The default run's Ray test: Ray starts once (the first call) and both commands use it."""
    root = tmp_path / "g"
    assert main(["compare", "--env", "Chase", "--encoders", "mlp:vector", "--seeds", "1", "--steps", "256", "--jobs",
                 "1", "--backend", "ray", "--run-dir", str(root), *TINY]) == 0  # fmt: skip
    (run,) = root.glob("Chase__*")
    assert load_checkpoint(run / "model.safetensors").step == 256 and (run / "eval.json").exists()
    assert "$ ray trial on node" in (run / "output.log").read_text()
    space = tmp_path / "space.toml"
    space.write_text('learning_rate = { loguniform = [1e-4, 1e-3] }\nn_envs = { choice = [8] }\n'
                     'n_steps = { choice = [32] }\nbatch_size = { choice = [128] }\n')  # fmt: skip
    preset = tmp_path / "best.json"
    assert main(["sweep", "--env", "Chase", "--encoder", "mlp", "--obs", "vector", "--steps", "256", "--trials", "2",
                 "--seeds", "2", "--early-stopping", "none", "--space", str(space), "--run-dir", str(tmp_path / "s"),
                 "--output", str(preset)]) == 0  # fmt: skip
    data = json.loads(preset.read_text())
    assert data["sweep"]["trials"] == 2 and data["encoder"] == "mlp" and 1e-4 <= data["ppo"]["learning_rate"] <= 1e-3
