"""`pixelarena export RUN --onnx FILE`: onnxruntime's logits and value match the PyTorch policy's own (computed here
through stable-baselines3's preprocessing and distribution, not taken from the exporter's report) on 100
observations of the run's env, and the greedy actions are identical, for every action head (flat, click map,
per-cell with masks), observation mode, an external env, a frame-stacked run and the sets encoder (whose
batch must stay dynamic in the graph)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime", reason="the export extra is not installed (pip install -e '.[export]')")

from pixelarena.agents.cli.main import main
from pixelarena.agents.environments.env_spec import EnvSpec
from pixelarena.agents.export.onnx import env_observations, export_onnx
from pixelarena.agents.run.checkpoint import save_checkpoint
from pixelarena.agents.run.config import PPOSettings, RunConfig
from pixelarena.agents.run.model import build_model, make_vec_env
from pixelarena.agents.run.results import EvalResult
from pixelarena.agents.run.run_dir import RunDir

USER_ENV = "tests.user_envs:ChannelsLastEnv"  # an external env: uint8 H x W x 3 images, no size argument
# (env, encoder, obs, frame stack)
CASES = [("Chase", "cnn", "pixels", 1), ("Chase", "cnn", "grid", 1), ("Chase", "mlp", "vector", 1),
         ("Target", "unet", "pixels", 1), ("Swarm", "unet", "grid", 1), ("Snake", "impala", "grid", 1),
         (USER_ENV, "cnn", None, 1), ("Chase", "cnn", "pixels", 2), ("Chase", "sets", "entities", 1)]  # fmt: skip


def make_run(tmp_path: Path, env: str, encoder: str, obs: str | None, frame_stack: int = 1) -> Path:
    """A finished run directory with final weights: initial weights made decisive (a greedy tie would test
    nothing), from the first seed whose greedy actions differ between the env's observations, on at least 10 of
    100 (an initial policy may pick one action everywhere, and a few actions may follow the machine's rounding)."""
    for seed in range(10):
        config = RunConfig(env=env, encoder=encoder, obs=obs, steps=64, seed=seed, n_envs=2, device="cpu",
                           env_kwargs={} if env == USER_ENV else {"size": 8}, frame_stack=frame_stack,
                           ppo=PPOSettings(n_steps=32, batch_size=64))  # fmt: skip
        model = build_model(config, make_vec_env(config, 2, seed=0))
        with torch.no_grad():
            for p in model.policy.action_net.parameters():
                p.mul_(100)
        observations, masks = greedy_inputs(config.env_spec(), frame_stack)
        kwargs = {"action_masks": masks} if masks is not None else {}
        actions, _ = model.policy.predict(observations, deterministic=True, **kwargs)
        if np.sort(np.unique(actions, return_counts=True)[1])[:-1].sum() >= 10:  # a margin against rounding
            break
    run = RunDir.create(tmp_path / "run", config)
    save_checkpoint(run.model_file, model.policy, None, 64, model.observation_space, model.action_space)
    run.write_eval(EvalResult(1, 0.0, 0.0, 0.0, [0.0]))  # finished: it has a final policy
    return run.path


def greedy_inputs(spec: EnvSpec, frame_stack: int) -> tuple[np.ndarray, np.ndarray | None]:
    """100 observations to compare greedy actions on, with the valid-action masks of a game that has them: the
    greedy action is taken among the valid ones (as MaskablePPO's), so a policy is decisive only if that one varies."""
    game = spec.make_game(100) if spec.builtin and frame_stack == 1 else None
    if game is None or not game.HAS_ACTION_MASKS:
        return env_observations(spec, 100), None
    game.reset(seeds=123 + np.arange(100, dtype=np.uint64))
    return game.observe(), game.action_masks()


def pytorch_outputs(policy: torch.nn.Module, observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The policy's log-probabilities of every action and its value, the way stable-baselines3 computes them when
    it acts (its own preprocessing and transposition of images, its distribution), apart from the exporter."""
    obs, _ = policy.obs_to_tensor(observations)
    with torch.no_grad():
        distribution = policy.get_distribution(obs)
        value = policy.predict_values(obs).squeeze(-1)
    # torch's Categorical keeps its logits normalised: they are log-probabilities.
    if getattr(distribution, "categorical", None) is not None:  # per-cell actions as one (N, cells, choices) tensor
        return distribution.categorical.logits.flatten(1).numpy(), value.numpy()
    parts = getattr(distribution, "distributions", None) or distribution.distribution
    parts = parts if isinstance(parts, list) else [parts]  # a list: one Categorical per entry of a MultiDiscrete
    return torch.cat([part.logits for part in parts], dim=1).numpy(), value.numpy()


def log_softmax(logits: np.ndarray, choices: int) -> np.ndarray:
    """Log-probabilities of raw logits, normalised over each group of ``choices`` (a cell's, or all actions)."""
    grouped = logits.astype(np.float64).reshape(len(logits), -1, choices)
    top = grouped.max(-1, keepdims=True)
    normalised = grouped - top - np.log(np.exp(grouped - top).sum(-1, keepdims=True))
    return normalised.reshape(logits.shape)


@pytest.mark.parametrize(("env", "encoder", "obs", "frame_stack"), CASES,
                         ids=[f"{c[0].split(':')[-1]}-{c[1]}-{c[2]}-stack{c[3]}" for c in CASES])  # fmt: skip
def test_onnxruntime_matches_pytorch_and_its_greedy_actions(
    env: str, encoder: str, obs: str | None, frame_stack: int, tmp_path: Path
) -> None:
    import onnxruntime

    from pixelarena.agents.run.model import load_trained

    run = make_run(tmp_path, env, encoder, obs, frame_stack)
    info = export_onnx(run, tmp_path / "policy.onnx")
    config, model = load_trained(run)
    spec = config.env_spec()
    observations = env_observations(spec, 100)
    session = onnxruntime.InferenceSession(str(info.path), providers=["CPUExecutionProvider"])
    logits, value = session.run(None, {"obs": observations})
    assert logits.shape[0] == value.shape[0] == 100
    assert observations.shape[1:] == spec.probe().observation_space.shape, "the env's own layout goes in"
    reference_logp, reference_value = pytorch_outputs(model.policy.eval(), observations)
    nvec = getattr(model.action_space, "nvec", None)
    choices = int(nvec[0]) if nvec is not None else logits.shape[1]
    np.testing.assert_allclose(log_softmax(logits, choices), reference_logp, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(value, reference_value, rtol=1e-5, atol=1e-5)
    space = model.action_space
    masked_observations, masks = greedy_inputs(spec, frame_stack)
    if masks is not None:  # the greedy action among the valid ones, as MaskablePPO's
        observations = masked_observations
        logits, _ = session.run(None, {"obs": observations})
        logits = np.where(masks.reshape(logits.shape), logits, -np.inf)
    per_cell = hasattr(space, "nvec")  # one choice per cell: logits are cells x choices
    onnx_actions = logits.reshape(100, len(space.nvec), -1).argmax(-1) if per_cell else logits.argmax(1)
    kwargs = {"action_masks": masks} if masks is not None else {}
    torch_actions, _ = model.policy.predict(observations, deterministic=True, **kwargs)
    np.testing.assert_array_equal(onnx_actions, torch_actions)
    assert len(np.unique(onnx_actions)) > 1, "decisive weights: the actions differ between observations"


def test_export_command_and_its_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = make_run(tmp_path, "Chase", "cnn", "pixels")
    assert main(["export", str(run), "--onnx", str(tmp_path / "p.onnx")]) == 0
    assert "input obs (N, 8, 8, 3) uint8" in capsys.readouterr().out
    assert main(["export", str(run), "--onnx", str(tmp_path / "p.txt")]) == 2
    assert "must end in .onnx" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nope"), "--onnx", str(tmp_path / "q.onnx")]) == 2
    assert not (tmp_path / "q.onnx").exists() and not (tmp_path / "p.txt").exists()
