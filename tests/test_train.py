"""`pixelarena train` / `eval` end to end in subprocesses: run directories, resume after SIGKILL, SIGTERM,
safe checkpoint loading, W&B offline, bad input."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio.v2 as imageio
import pytest
import torch

from pixelarena.agents.cli.main import main
from pixelarena.agents.run.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from pixelarena.agents.run.metrics import read_metrics
from tests.stopping import wait_for_checkpoint
from tests.wandb_records import offline_runs, read_offline_run

TINY = ["--n-envs", "8", "--n-steps", "32", "--batch-size", "128", "--n-epochs", "2", "--eval-episodes", "4"]
ENV = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "SDL_VIDEODRIVER": "dummy"}


def pixelarena(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pixelarena", *args], capture_output=True, text=True, timeout=timeout,
                          env=ENV)  # fmt: skip


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pixelarena", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV)  # fmt: skip


def test_train_writes_a_complete_run_and_eval_reads_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    result = pixelarena("train", "--env", "Chase", "--steps", "2k", "--run-dir", str(run), "--show", *TINY)
    assert result.returncode == 0, result.stderr
    assert f"the agent's play is in {(run / 'agent.gif').resolve()}" in result.stdout  # no display: a video
    assert len(imageio.mimread(run / "agent.gif")) > 2
    config = json.loads((run / "config.json").read_text())
    assert config["env"] == "Chase" and config["encoder"] == "cnn" and config["steps"] == 2048
    rows = read_metrics(run / "metrics.jsonl")
    assert [r["step"] for r in rows] == list(range(256, 2049, 256))
    assert all("charts/sps" in r and "wall_time" in r for r in rows)
    assert "losses/value_loss" in rows[-1] and "charts/episode_return" in rows[-1]
    # Every update's approx KL (SB3 hands it as a numpy scalar), and the entropy itself, positive: Chase's five
    # moves give at most log 5, and PPO from a near-uniform start stays close to it over 2k steps.
    updates = [r for r in rows if "losses/clip_fraction" in r]
    assert updates and all(r["losses/approx_kl"] >= 0 for r in updates)
    assert all(1.0 < r["losses/entropy"] <= math.log(5) + 1e-6 for r in updates), [r["losses/entropy"] for r in updates]
    assert load_checkpoint(run / "model.safetensors").step == 2048
    facts = json.loads((run / "facts.json").read_text())
    assert facts["params"] > 0 and facts["receptive_field"] > 0
    assert json.loads((run / "eval.json").read_text())["episodes"] == 4

    evaluated = pixelarena("eval", str(run), "--episodes", "6", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    out = json.loads(evaluated.stdout)
    assert out["episodes"] == 6 and out["ci_low"] <= out["mean"] <= out["ci_high"] and out["stochastic"] is False
    # The rest in this process: the command above showed what a real process prints, and each start costs seconds.
    first, second = (eval_json(capsys, run, "--episodes", "6", "--stochastic") for _ in range(2))
    assert first["stochastic"] is True and first["returns"] == second["returns"], "sampled play is seeded by --seed"
    # A policy this close to uniform (its entropy, checked above) samples other moves than its greedy ones.
    assert first["returns"] != out["returns"], "--stochastic samples; greedy play takes the likeliest move"
    bigger = eval_json(capsys, run, "--episodes", "3", "--env-kwargs", "size=16", "n_enemies=5")
    assert bigger["env_kwargs"] == {"view": "ego", "size": 16, "n_enemies": 5}


def eval_json(capsys: pytest.CaptureFixture[str], run: Path, *args: str) -> dict:
    """`pixelarena eval RUN ... --json` in this process: what it prints, read."""
    capsys.readouterr()
    assert main(["eval", str(run), *args, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def wait_for_wandb_history(folder: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    """Until the training's offline W&B file holds its run and a row of history."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the training ended before W&B wrote its history"
        try:
            if any(part.steps for part in offline_runs(folder)):
                return
        except (AssertionError, ValueError, OSError):
            pass  # not written yet
        time.sleep(0.1)
    raise AssertionError(f"no W&B history in {folder} after {timeout:.0f}s")


def test_killed_run_resumes_to_exactly_its_target(tmp_path: Path) -> None:
    run = tmp_path / "run"
    # The vector observation and the MLP: the quickest steps; what is killed and resumed is the same for any encoder.
    process = start("train", "--steps", "12k", "--run-dir", str(run), "--checkpoint-every", "1k", "--wandb",
                    "--encoder", "mlp", "--obs", "vector", *TINY)  # fmt: skip
    wait_for_checkpoint(run, process, 2048)
    wait_for_wandb_history(run / "wandb", process)  # W&B writes its file in blocks: killed before, it holds nothing
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = load_checkpoint(run / "checkpoints" / "latest.safetensors").step
    assert killed_at < 12032  # 12k rounded up to whole rollouts of 8 x 32 steps

    resumed = pixelarena("train", "--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming at step {killed_at:,}" in resumed.stdout
    steps = [r["step"] for r in read_metrics(run / "metrics.jsonl")]
    assert steps == list(range(256, 12033, 256)), "metrics continue without gaps or repeats"
    walls = [r["wall_time"] for r in read_metrics(run / "metrics.jsonl")]
    assert walls == sorted(walls)
    assert load_checkpoint(run / "model.safetensors").step == 12032
    assert load_checkpoint(run / "checkpoints" / "latest.safetensors").optimizer is not None
    # W&B: the resume continues the killed process's run (same id, resumed); the steps it logged after the
    # checkpoint are not logged again, so `wandb sync RUN/wandb` uploads one history in step order.
    first, second = offline_runs(run / "wandb")
    assert first.run.run_id == second.run.run_id and second.run.resume
    assert first.run.display_name == second.run.display_name
    assert second.steps[0] > max(first.steps[-1], killed_at) and second.steps[-1] == 12032
    assert set(first.steps + second.steps) <= set(steps) and first.steps + second.steps == sorted(
        set(first.steps + second.steps)
    )


def test_sigterm_saves_a_checkpoint_and_exits_130(tmp_path: Path) -> None:
    run = tmp_path / "run"
    process = start("train", "--steps", "200k", "--run-dir", str(run), "--checkpoint-every", "100k", *TINY)
    deadline = time.time() + 120
    while not (run / "metrics.jsonl").exists() or len(read_metrics(run / "metrics.jsonl")) < 2:
        assert time.time() < deadline and process.poll() is None
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "pixelarena train --resume" in stderr
    step = load_checkpoint(run / "checkpoints" / "latest.safetensors").step
    assert step >= 512 and step % 256 == 0


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 256-step Chase run, trained once for the tests that tamper with a copy of it."""
    run = tmp_path_factory.mktemp("small") / "run"
    result = pixelarena("train", "--steps", "256", "--run-dir", str(run), *TINY)
    assert result.returncode == 0, result.stderr
    return run


def test_pickle_payload_checkpoint_is_refused_and_never_runs(small_run: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):  # executed by pickle.load / torch.load(weights_only=False)
            return (os.system, (f"touch {marker}",))

    run = Path(shutil.copytree(small_run, tmp_path / "run"))
    torch.save({"policy": Payload()}, run / "model.safetensors")  # a pickle where our weights were
    before = {p: p.stat().st_mtime for p in run.rglob("*")}
    result = pixelarena("eval", str(run), "--episodes", "2")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not a readable pixelarena checkpoint" in result.stderr
    assert not marker.exists()
    assert {p: p.stat().st_mtime for p in run.rglob("*")} == before, "the run directory is untouched"


def test_truncated_checkpoint_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.safetensors"
    save_checkpoint(path, torch.nn.Linear(3, 2), None, 7, *_spaces())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt, truncated"):
        load_checkpoint(path)


def test_checkpoint_for_other_spaces_is_refused(small_run: Path, tmp_path: Path) -> None:
    run = Path(shutil.copytree(small_run, tmp_path / "run"))
    config = json.loads((run / "config.json").read_text())
    config["env_kwargs"] = {"size": 9}  # a flat-head policy cannot act on other map sizes
    config["encoder"] = "mlp"
    (run / "config.json").write_text(json.dumps(config))
    result = pixelarena("eval", str(run), "--episodes", "2")
    assert result.returncode == 2
    assert (
        "does not fit this env" in result.stderr or "lacks weights" in result.stderr or "has weights" in result.stderr
    )


def _spaces():
    import gymnasium as gym
    import numpy as np

    return gym.spaces.Box(0, 1, (3,), np.float32), gym.spaces.Discrete(2)


# The table of bad input is tests/test_bad_input.py (in-process, every command); these rows check what only a real
# process shows: its exit code and a stderr with no traceback, for an option the parser refuses and a value refused
# once the run's config is resolved.
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--steps", "10q"], "500k"),
        (["--env-kwargs", "size=3"], "size must be between"),
    ],
)
def test_bad_input_is_one_line_with_exit_code_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = pixelarena("train", "--run-dir", str(tmp_path / "run"), *args, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert not (tmp_path / "run").exists(), "bad input must not leave a run directory behind"


def test_wandb_offline_writes_a_run_with_the_agents_video(tmp_path: Path) -> None:
    """W&B's environment variables hold where no option says otherwise (WANDB_DIR, WANDB_PROJECT; WANDB_TAGS
    joined by --wandb-tags), the offline run's folder and its `wandb sync` command are printed, the summary holds
    the best greedy return, and the config the device used, without the logging options."""
    run, wandb_dir = tmp_path / "run", tmp_path / "wandb-dir"
    env = {**ENV, "WANDB_DIR": str(wandb_dir), "WANDB_PROJECT": "from-env", "WANDB_TAGS": "env-tag"}
    result = subprocess.run([sys.executable, "-m", "pixelarena", "train", "--env", "Chase", "--encoder", "mlp", "--obs",
                             "vector", "--steps", "768", "--eval-every", "256", "--run-dir", str(run), "--wandb",
                             "--wandb-group", "g", "--wandb-tags", "mine", "--wandb-entity", "team", *TINY],
                            capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "W&B:" not in result.stderr, "no W&B call failed (each failure is reported once and stops tracking)"
    assert not (run / "wandb").exists()
    (offline,) = (wandb_dir / "wandb").glob("offline-run-*")
    recorded = read_offline_run(offline)
    command = f"wandb sync {offline.parent}/offline-run-*-{recorded.run.run_id}"
    assert f"W&B: offline run in {offline}; upload it with: {command}" in result.stdout
    assert (recorded.run.project, recorded.run.entity, recorded.run.run_group) == ("from-env", "team", "g")
    assert (recorded.run.job_type, list(recorded.run.tags)) == ("train", ["env-tag", "mine"])
    assert recorded.config["device"] == "cpu" and recorded.config["device_requested"] == "auto"
    assert recorded.config["arm"] == "mlp:vector" and "comparison" not in recorded.config
    assert not {"wandb", "wandb_project", "wandb_tags", "wandb_group", "threads"} & set(recorded.config)
    greedy = [
        row["charts/greedy_return"] for row in read_metrics(run / "metrics.jsonl") if "charts/greedy_return" in row
    ]
    assert recorded.metrics["charts/greedy_return"].summary.max
    assert recorded.summary["best/greedy_return"] == max(greedy) and recorded.summary["charts/greedy_return"] == {
        "max": max(greedy)
    }
    # The video logged at the end (media/agent): wandb copies the file into the run's media.
    videos = list((offline / "files" / "media" / "videos").rglob("agent_*.gif"))
    assert len(videos) == 1 and videos[0].read_bytes()[:6] in (b"GIF87a", b"GIF89a"), videos
    assert recorded.history[-1]["media/agent/_type"] == "video-file"


@pytest.mark.parametrize("env", ["tests.user_envs:ChannelsLastEnv", "tests.user_envs:ChannelsFirstEnv"])
def test_user_envs_train_through_module_class(env: str, tmp_path: Path) -> None:
    """A user's image env (uint8 channels-last, float channels-first) trains and evaluates with no code changes."""
    run = tmp_path / "run"
    result = pixelarena("train", "--env", env, "--steps", "512", "--run-dir", str(run), *TINY)
    assert result.returncode == 0, result.stderr
    config = json.loads((run / "config.json").read_text())
    assert config["env"] == env and config["encoder"] == "cnn"
    assert read_metrics(run / "metrics.jsonl")[-1]["step"] == 512
    evaluated = pixelarena("eval", str(run), "--episodes", "3", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["episodes"] == 3


def test_vector_env_gets_the_mlp_encoder_by_default(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = pixelarena("train", "--env", "CartPole-v1", "--steps", "256", "--run-dir", str(run), *TINY)
    assert result.returncode == 0, result.stderr
    assert json.loads((run / "config.json").read_text())["encoder"] == "mlp"
