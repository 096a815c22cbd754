"""Recurrent policies (--recurrent: sb3-contrib's RecurrentPPO with an LSTM after pixelarena's encoder): one learns
a cue it has to remember, which the same encoder without memory cannot; a run killed with kill -9 resumes to its
exact step target, the same run as an uninterrupted one; its ONNX export (LSTM state in and out) matches the
PyTorch policy within 1e-5; the viewer and the Python API carry the memory; what an LSTM cannot follow yet is
refused in one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.model import load_trained
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.training.options import TrainArgs
from pixelarena.agents.training.resolve import resolve
from tests.stopping import signal_at_checkpoint

ENV = {**os.environ, "WANDB_MODE": "disabled", "TQDM_DISABLE": "1", "SDL_VIDEODRIVER": "dummy"}
STEPS = 256
# A small Chase with a small LSTM, a checkpoint every rollout and the best-policy evaluator in play.
ARGS = ["--env", "Chase", "--encoder", "cnn", "--obs", "pixels", "--env-kwargs", "size=8", "--recurrent", "--lstm-size",
        "16", "--n-envs", "4", "--n-steps", "16", "--batch-size", "32", "--checkpoint-every", "64", "--eval-every",
        "128", "--eval-episodes", "2", "--threads", "1", "--seed", "1", "--steps", str(STEPS)]  # fmt: skip


def train(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pixelarena", "train", *args], capture_output=True, text=True, env=ENV,
                          timeout=3600)  # fmt: skip


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted recurrent run."""
    run = tmp_path_factory.mktemp("recurrent") / "reference"
    result = train(*ARGS, "--run-dir", str(run))
    assert result.returncode == 0, result.stderr
    return run


# Learning a memory task takes about 50 s of training on 2 cores: slow. The default run keeps the recurrent run's
# exact resume, its ONNX export and the API's memory (the tests below).
@pytest.mark.slow
@pytest.mark.parametrize(("recurrent", "low", "high"), [(True, 0.9, 1.0), (False, 0.0, 0.5)])
def test_memory_recalls_a_cue_that_a_policy_without_memory_cannot(
    recurrent: bool, low: float, high: float, tmp_path: Path
) -> None:
    """RecallCueEnv names the rewarded action in its first observation only and asks for it three blank steps
    later: the LSTM solves it in about 20k steps (greedy +1.00 over 100 episodes); a policy without memory sees a
    blank frame when it chooses, so it cannot beat 1/3 (it scored +0.26)."""
    run = tmp_path / "run"
    result = train("--env", "tests.user_envs:RecallCueEnv", "--encoder", "mlp", "--steps", "30k", "--n-envs", "16",
                   "--n-steps", "32", "--batch-size", "256", "--threads", "1", "--seed", "0", "--eval-episodes", "100",
                   "--run-dir", str(run), *(["--recurrent"] if recurrent else []))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads((run / "config.json").read_text())["recurrent"] is recurrent
    assert low <= json.loads((run / "eval.json").read_text())["mean"] <= high


def test_a_recurrent_run_killed_resumes_to_its_exact_target(reference: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-m", "pixelarena", "train", *ARGS, "--run-dir", str(run)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)  # fmt: skip
    signal_at_checkpoint(run, process, 128, signal.SIGKILL)
    process.communicate(timeout=600)
    assert process.returncode == -signal.SIGKILL
    assert not (run / "eval.json").exists()
    resumed = train("--resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert RunDir(run).trained_steps() == STEPS and RunDir(run).finished
    # Weights, optimizer, step, the games and the LSTM's memory of them came back: the same run, bit for bit.
    times = ("wall_time", "charts/sps")
    rows = [[{k: v for k, v in json.loads(line).items() if k not in times}
             for line in (path / "metrics.jsonl").read_text().splitlines()] for path in (run, reference)]  # fmt: skip
    assert rows[0] == rows[1]
    ours, theirs = load_file(str(run / "model.safetensors")), load_file(str(reference / "model.safetensors"))
    assert any("lstm_actor" in key for key in theirs)
    assert all(np.array_equal(ours[key], theirs[key]) for key in theirs if key.startswith("policy."))


def test_the_onnx_export_carries_the_lstm_state_and_matches_pytorch(reference: Path, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    import onnxruntime
    from sb3_contrib.common.recurrent.type_aliases import RNNStates

    from pixelarena.agents.export.onnx import env_observations, export_onnx

    info = export_onnx(reference, tmp_path / "policy.onnx")
    assert info.max_difference <= 1e-5
    _, model = load_trained(reference)
    policy = model.policy.eval()
    session = onnxruntime.InferenceSession(str(tmp_path / "policy.onnx"), providers=["CPUExecutionProvider"])
    envs = 4
    observations = env_observations(RunDir(reference).read_config().env_spec(), 12 * envs)
    zeros = np.zeros((1, envs, 16), dtype=np.float32)
    state = [zeros] * 4
    torch_state = RNNStates((torch.zeros(1, envs, 16),) * 2, (torch.zeros(1, envs, 16),) * 2)
    for step in range(12):
        obs = observations[step * envs : (step + 1) * envs]
        start = np.full(envs, float(step in (0, 7)), dtype=np.float32)  # an episode begins again at step 7
        logits, value, *state = session.run(None, {"obs": obs, "episode_start": start, "h_pi": state[0],
                                                   "c_pi": state[1], "h_vf": state[2], "c_vf": state[3]})  # fmt: skip
        with torch.no_grad():
            tensor, _ = policy.obs_to_tensor(obs)
            starts = torch.as_tensor(start)
            _, ref_value, _, torch_state_next = policy.forward(tensor, torch_state, starts, deterministic=True)
            distribution, _ = policy.get_distribution(tensor, torch_state.pi, starts)
        torch_state = torch_state_next
        ref_logits = distribution.distribution.logits  # SB3's Categorical normalises them: compare as such
        assert np.abs(torch.log_softmax(torch.as_tensor(logits), 1).numpy() - ref_logits.numpy()).max() <= 1e-5
        assert np.abs(value - ref_value.numpy()[:, 0]).max() <= 1e-5
        ref_state = [*torch_state.pi, *torch_state.vf]
        assert max(np.abs(ours - theirs.numpy()).max() for ours, theirs in zip(state, ref_state, strict=True)) <= 1e-5


def test_the_viewer_and_the_python_api_carry_the_memory(reference: Path) -> None:
    import pixelarena
    from pixelarena.agents.viewer.introspect import Introspector

    agent = pixelarena.load(reference)
    env = agent.make_env()
    obs, _ = env.reset(seed=0)
    batch = obs[None]
    introspector = Introspector(agent.model.policy)
    first = introspector.inspect(batch)
    assert introspector.inspect(batch).value == first.value  # another overlay: the same memory before the step
    introspector.remember()
    assert introspector.inspect(batch).value != first.value  # the same frame seen twice: memory moved on
    introspector.forget()
    assert introspector.inspect(batch).value == first.value
    # The API's act carries the state; episode_start clears it: the first frame of an episode always leaves the
    # same memory, whatever was seen before.
    agent.act(obs, episode_start=True)
    fresh = [part.copy() for part in agent._actor.state]
    actions = [agent.act(obs) for _ in range(3)]
    assert all(np.asarray(action).shape in ((), (1,)) for action in actions)
    assert not np.allclose(agent._actor.state[0], fresh[0])  # the memory moved on
    agent.act(obs, episode_start=True)
    assert all(np.array_equal(a, b) for a, b in zip(agent._actor.state, fresh, strict=True))
    # Another batch size is another set of envs: their memory starts afresh (not the last batch's, nor an error).
    assert agent.act(np.stack([obs] * 3)).shape == (3,)
    agent.act(obs)
    assert all(np.array_equal(a, b) for a, b in zip(agent._actor.state, fresh, strict=True))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (dict(env="Chase", encoder="unet"), "feature map"),
        (dict(env="Swarm", encoder="cnn", obs="grid"), "action masks"),
        (dict(env="Chase", lstm_size=32), "give --recurrent too"),
    ],
)
def test_what_an_lstm_cannot_follow_is_refused_in_one_line(args: dict, message: str) -> None:
    recurrent = "lstm_size" not in args
    with pytest.raises(ValueError, match=message) as error:
        resolve(TrainArgs(recurrent=recurrent, device="cpu", **args))
    assert "\n" not in str(error.value)


def test_a_config_written_before_recurrent_runs_loads_without_memory() -> None:
    data = RunConfig(env="Chase", encoder="cnn", obs="pixels", steps=64, seed=0, n_envs=1, device="cpu").to_json()
    del data["recurrent"], data["lstm_size"]
    config = RunConfig.from_json(data)
    assert not config.recurrent and config.lstm_size == 128
    with pytest.raises(ValueError, match="lstm_size"):
        RunConfig.from_json({**data, "recurrent": True, "lstm_size": 0})
