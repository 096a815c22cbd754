"""`pixelarena export RUN --onnx FILE`: onnxruntime's outputs match PyTorch's within 1e-5 on 100 observations of
the run's env and the greedy actions are identical, for every action head (flat, click map, per-cell with masks)
and observation mode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime", reason="the export extra is not installed (pip install -e '.[export]')")

from agents.cli.main import main
from agents.environments.env_spec import EnvSpec
from agents.export.onnx import env_observations, export_onnx
from agents.run.checkpoint import save_checkpoint
from agents.run.config import PPOSettings, RunConfig
from agents.run.model import build_model, make_vec_env
from agents.run.results import EvalResult
from agents.run.run_dir import RunDir

CASES = [("Chase", "cnn", "pixels"), ("Chase", "cnn", "grid"), ("Chase", "mlp", "vector"),
         ("Target", "unet", "pixels"), ("Swarm", "unet", "grid"), ("Snake", "impala", "grid")]  # fmt: skip


def make_run(tmp_path: Path, env: str, encoder: str, obs: str) -> Path:
    """A run directory with final weights (initial weights, made decisive: a greedy tie would test nothing)."""
    config = RunConfig(env=env, encoder=encoder, obs=obs, steps=64, seed=0, n_envs=2, device="cpu",
                       env_kwargs={"size": 8}, ppo=PPOSettings(n_steps=32, batch_size=64))  # fmt: skip
    run = RunDir.create(tmp_path / "run", config)
    model = build_model(config, make_vec_env(config, 2, seed=0))
    with torch.no_grad():
        for p in model.policy.action_net.parameters():
            p.mul_(100)
    save_checkpoint(run.model_file, model.policy, None, 64, model.observation_space, model.action_space)
    run.write_eval(EvalResult(1, 0.0, 0.0, 0.0, [0.0]))  # finished: it has a final policy
    return run.path


@pytest.mark.parametrize(("env", "encoder", "obs"), CASES, ids=["-".join(c) for c in CASES])
def test_onnxruntime_matches_pytorch_and_its_greedy_actions(env: str, encoder: str, obs: str, tmp_path: Path) -> None:
    import onnxruntime

    from agents.run.model import load_trained

    run = make_run(tmp_path, env, encoder, obs)
    info = export_onnx(run, tmp_path / "policy.onnx")
    assert info.max_difference <= 1e-5
    config, model = load_trained(run)
    spec = EnvSpec.of(config)
    observations = env_observations(spec, 100)
    session = onnxruntime.InferenceSession(str(info.path), providers=["CPUExecutionProvider"])
    logits, value = session.run(None, {"obs": observations})
    assert logits.shape[0] == value.shape[0] == 100
    game = spec.make_game(100)
    space = game.single_action_space
    masks = None
    if game.HAS_ACTION_MASKS:  # the greedy action among the valid ones, as MaskablePPO's predict takes it
        game.reset(seeds=123 + np.arange(100, dtype=np.uint64))
        observations, masks = game.observe(), game.action_masks()
        logits, _ = session.run(None, {"obs": observations})
        logits = np.where(masks.reshape(logits.shape), logits, -np.inf)
    per_cell = hasattr(space, "nvec")  # one choice per cell: logits are cells x choices
    onnx_actions = logits.reshape(100, len(space.nvec), -1).argmax(-1) if per_cell else logits.argmax(1)
    kwargs = {"action_masks": masks} if masks is not None else {}
    torch_actions, _ = model.policy.predict(observations, deterministic=True, **kwargs)
    np.testing.assert_array_equal(onnx_actions, torch_actions)


def test_export_command_and_its_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = make_run(tmp_path, "Chase", "cnn", "pixels")
    assert main(["export", str(run), "--onnx", str(tmp_path / "p.onnx")]) == 0
    assert "input obs (N, 8, 8, 3) uint8" in capsys.readouterr().out
    assert main(["export", str(run), "--onnx", str(tmp_path / "p.txt")]) == 2
    assert "must end in .onnx" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nope"), "--onnx", str(tmp_path / "q.onnx")]) == 2
    assert not (tmp_path / "q.onnx").exists() and not (tmp_path / "p.txt").exists()
