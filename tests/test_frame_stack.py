"""`--frame-stack K`: the last K observations stacked along the channel axis, recorded in config.json and applied
again by eval, play and export."""

from __future__ import annotations

from pathlib import Path

import pytest

from pixelarena.agents.environments.env_spec import EnvSpec
from pixelarena.agents.run.model import load_trained
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.training.options import TrainArgs
from pixelarena.agents.training.resolve import resolve
from pixelarena.agents.training.train import train

TINY = {"n_envs": 4, "n_steps": 32, "batch_size": 64, "n_epochs": 1, "eval_episodes": 4, "threads": 1,
        "steps": "256"}  # fmt: skip


@pytest.mark.parametrize(
    ("env", "obs", "kwargs", "shape"),
    [
        ("Chase", "grid", ("size=8", "view=map"), (6, 8, 8)),  # C x H x W: stacked on the first axis
        ("Chase", "pixels", ("size=8", "view=map"), (8, 8, 6)),  # H x W x C: stacked on the last axis
        ("Chase", "pixels", ("size=8", "view=ego", "view_radius=3"), (7, 7, 6)),  # a view centred on the player
        ("Chase", "vector", ("size=8",), None),  # vectors: concatenated
        ("tests.user_envs:ChannelsLastEnv", None, (), (10, 10, 6)),
    ],
)
def test_a_frame_stack_is_recorded_and_applied_again(env: str, obs: str | None, kwargs: tuple, shape: tuple | None,
                                                     tmp_path: Path) -> None:  # fmt: skip
    encoder = "mlp" if obs == "vector" else None
    config = resolve(TrainArgs(env=env, obs=obs, encoder=encoder, env_kwargs=kwargs, frame_stack=2, **TINY))
    run = RunDir(train(config, tmp_path / "run"))
    stored = run.read_config()
    assert stored.frame_stack == 2 and run.finished
    single = EnvSpec(stored.env, stored.obs, stored.env_kwargs).probe().observation_space.shape
    stacked = stored.env_spec().probe().observation_space.shape
    assert stacked == (shape or (2 * single[0],)), (single, stacked)
    _, model = load_trained(run.path)  # rebuilt with the stack: its spaces fit the checkpoint
    assert model.observation_space.shape[0] in (stacked[0], stacked[-1])


def test_eval_and_play_use_the_stack(tmp_path: Path) -> None:
    from pixelarena.agents.cli.main import main

    config = resolve(TrainArgs(env="Chase", obs="grid", env_kwargs=("size=8",), frame_stack=3, **TINY))
    run = train(config, tmp_path / "run")
    assert main(["eval", str(run), "--episodes", "2"]) == 0
    assert main(["play", str(run), "--record", str(tmp_path / "a.gif"), "--episodes", "1"]) == 0
    assert (tmp_path / "a.gif").exists()


def test_frame_stack_must_be_positive_and_need_a_channel_axis() -> None:
    with pytest.raises(ValueError, match="--frame-stack must be positive"):
        resolve(TrainArgs(frame_stack=0))


def test_stacked_rgb_frames_get_the_colour_stem_frame_by_frame(tmp_path: Path) -> None:
    import torch

    from pixelarena.nets.stems import PerFrameStem

    config = resolve(TrainArgs(env="Chase", obs="pixels", env_kwargs=("size=8",), frame_stack=2, **TINY))
    _, model = load_trained(train(config, tmp_path / "run"))
    stem = model.policy.features_extractor.stem
    assert isinstance(stem[0], PerFrameStem) and stem[0].frames == 2 and stem.out_channels == 32
    frames = torch.randint(0, 256, (3, 6, 8, 8)).float() / 255  # (B, 2 frames x RGB, H, W)
    both = stem[0](frames)
    one = stem[0].stem  # the single-frame stem both frames share
    assert torch.allclose(both[:, :16], one(frames[:, :3]), atol=1e-6)
    assert torch.allclose(both[:, 16:], one(frames[:, 3:]), atol=1e-6)
