"""Dict observations: one pixelarena encoder per image key, an MLP for the other keys (nets/dict_encoder.py); keys
chosen with --obs; the codes stem for integer-code images; MiniGrid end to end when it is installed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3.common.preprocessing import preprocess_obs

from pixelarena.agents.cli.main import main
from pixelarena.agents.run.model import load_trained
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.training.options import TrainArgs
from pixelarena.agents.training.resolve import resolve
from pixelarena.agents.training.train import train
from pixelarena.nets import PixelPolicy
from pixelarena.nets.dict_encoder import DictEncoder, dict_problem
from pixelarena.nets.registry import encoder_class
from pixelarena.nets.stems import CodeStem

TINY = {"n_envs": 4, "n_steps": 32, "batch_size": 64, "n_epochs": 1, "eval_episodes": 4, "threads": 1,
        "steps": "256"}  # fmt: skip
SMALL = {"cnn": {"channels": (8,), "strides": (1,)}, "impala": {"widths": (8,)}, "mlp": {"hidden_sizes": (16,)},
         "unet": {"base_channels": 4, "depth": 1}}  # fmt: skip
IMAGE = spaces.Box(0, 255, (8, 8, 3), np.uint8)
MIXED = spaces.Dict({"image": IMAGE, "direction": spaces.Discrete(4), "speed": spaces.Box(-1.0, 1.0, (2,))})


def batch(space: spaces.Dict, n: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """``n`` observations as SB3's policies hand them to the extractor (preprocessed)."""
    space.seed(seed)
    raw = {key: torch.as_tensor(np.stack([space[key].sample() for _ in range(n)])) for key in space.spaces}
    return preprocess_obs(raw, space, normalize_images=False)


def policy_for(space: spaces.Space, actions: spaces.Space, encoder: str) -> PixelPolicy:
    return PixelPolicy(space, actions, lambda _: 1e-3, encoder=encoder, encoder_kwargs=SMALL[encoder])


# ------------------------------------------------------------------------------------------------- the encoder
@pytest.mark.parametrize("encoder", ["mlp", "cnn", "impala", "unet"])
def test_every_encoder_reads_an_image_and_numbers(encoder: str) -> None:
    policy = policy_for(MIXED, spaces.Discrete(5), encoder)
    extractor = policy.features_extractor
    assert isinstance(extractor, DictEncoder) and extractor.image_keys == ["image"]
    assert extractor.vector_keys == ["direction", "speed"]
    obs = batch(MIXED, 6)
    features = extractor(obs)
    assert features.shape[0] == 6 and torch.isfinite(features).all()
    # The numbers reach the output: the same images with another direction give other features.
    other = dict(obs, direction=torch.roll(obs["direction"], 1, dims=1))
    assert not torch.allclose(extractor(other), features)
    actions, _ = policy.predict({key: np.stack([MIXED[key].sample() for _ in range(3)]) for key in MIXED.spaces})
    assert actions.shape == (3,)


def test_a_vector_encoder_concatenates_every_image_key_and_the_numbers() -> None:
    space = spaces.Dict({"left": IMAGE, "right": IMAGE, "hp": spaces.Box(0.0, 1.0, (1,))})
    extractor = DictEncoder(space, encoder_class("cnn"), vector_dim=8, sb3_scaled_images=False, **SMALL["cnn"])
    single = encoder_class("cnn")(IMAGE, sb3_scaled_images=False, **SMALL["cnn"]).features_dim
    assert extractor.features_dim == 2 * single + 8
    assert extractor(batch(space, 2)).shape == (2, 2 * single + 8)


@pytest.mark.parametrize(
    ("actions", "kind", "logits"),
    [(spaces.Discrete(64), "click", 64), (spaces.MultiDiscrete([5] * 64), "cells", 320)],
)
def test_spatial_heads_read_the_image_map_with_the_numbers_added(actions: spaces.Space, kind: str, logits: int) -> None:
    space = spaces.Dict({"grid": spaces.Box(0, 1, (2, 8, 8), np.uint8), "turn": spaces.Discrete(3)})
    policy = policy_for(space, actions, "unet")
    assert policy.pixel.action.kind == kind and policy.features_extractor.output == "map"
    obs = batch(space, 2)
    features = policy.features_extractor(obs)
    assert features.shape[2:] == (8, 8)  # the image's map, at its resolution
    assert policy.action_net(features).reshape(2, -1).shape[1] == logits
    other = dict(obs, turn=torch.roll(obs["turn"], 1, dims=1))
    assert not torch.allclose(policy.features_extractor(other), features)


def test_a_map_encoder_with_two_image_keys_is_refused() -> None:
    space = spaces.Dict({"a": IMAGE, "b": IMAGE})
    with pytest.raises(ValueError, match=r"spatial heads read one image's map; this Dict has image keys \['a', 'b'\]"):
        policy_for(space, spaces.Discrete(64), "unet")


@pytest.mark.parametrize(
    ("space", "message"),
    [
        (spaces.Dict({"image": IMAGE, "mission": spaces.Text(8)}),
         r"^Dict key 'mission' is a Text space, which the policies cannot read: leave it out with --obs image "),
        (spaces.Dict({"image": IMAGE, "status": spaces.Dict({"hp": spaces.Discrete(2)})}),
         r"^Dict key 'status' is itself a Dict .*flatten it with a wrapper"),
        (spaces.Dict({"hp": spaces.Box(0.0, 1.0, (3,))}), r"^the Dict observation has no image key"),
        (spaces.Dict({"image": spaces.Box(0, 1, (2, 3, 4, 5))}), r"^Dict key 'image' has shape \(2, 3, 4, 5\)"),
    ],
)  # fmt: skip
def test_unreadable_dicts_are_named_in_one_line(space: spaces.Dict, message: str) -> None:
    problem = dict_problem(space)
    assert problem is not None and "\n" not in problem
    with pytest.raises(ValueError, match=message):
        policy_for(space, spaces.Discrete(3), "cnn")


# ------------------------------------------------------------------------------------------------- codes stem
def test_the_codes_stem_gives_each_channel_value_its_own_row() -> None:
    stem = CodeStem(channels=3, high=255, dim=4)
    codes = torch.tensor([[0, 0, 0], [1, 0, 0], [0, 1, 0], [2, 5, 1]], dtype=torch.float32)  # (4 pixels, 3 ch)
    x = (codes / 255).T.reshape(1, 3, 2, 2)  # scaled as nets.layout scales uint8
    out = stem(x)[0].reshape(4, 4).T  # (pixel, dim)
    table = stem.table.weight.detach()
    expected = torch.stack([table[int(c0)] + table[256 + int(c1)] + table[512 + int(c2)] for c0, c1, c2 in codes])
    assert torch.allclose(out, expected, atol=1e-6)
    assert len({tuple(row.tolist()) for row in out}) == 4  # object 0 and object 1 differ, so do colours


def test_the_codes_stem_needs_integer_images() -> None:
    with pytest.raises(ValueError, match="stem='codes' reads integer images"):
        encoder_class("cnn")(spaces.Box(0.0, 1.0, (7, 7, 3)), stem="codes")


# ------------------------------------------------------------------------------------------------- end to end
def test_a_dict_env_trains_evaluates_plays_and_refuses_export(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = resolve(TrainArgs(env="tests.user_envs:DictObsEnv", encoder_kwargs=("channels=(8,)", "strides=(1,)"),
                               **TINY))  # fmt: skip
    assert config.encoder == "cnn" and config.obs is None
    run = train(config, tmp_path / "run")
    assert RunDir(run).finished and RunDir(run).read_eval().episodes == 4
    assert main(["eval", str(run), "--episodes", "2"]) == 0
    assert main(["play", str(run), "--record", str(tmp_path / "a.gif"), "--episodes", "1"]) == 0
    assert (tmp_path / "a.gif").stat().st_size > 0
    capsys.readouterr()
    assert main(["export", str(run), "--onnx", str(tmp_path / "a.onnx")]) == 2
    assert "observes a Dict (image, speed)" in capsys.readouterr().err
    assert not (tmp_path / "a.onnx").exists()


def test_obs_keys_are_recorded_and_applied_again(tmp_path: Path) -> None:
    config = resolve(TrainArgs(env="tests.user_envs:MissionDictEnv", obs="image,direction", **TINY))
    run = train(config, tmp_path / "run")
    stored = RunDir(run).read_config()
    assert stored.obs == "image,direction"
    assert set(stored.env_spec().probe().observation_space.spaces) == {"image", "direction"}
    _, model = load_trained(run)
    assert set(model.observation_space.spaces) == {"image", "direction"}


@pytest.mark.parametrize(
    ("env", "obs", "message"),
    [
        ("tests.user_envs:MissionDictEnv", None, "Dict key 'mission' is a Text space"),
        ("tests.user_envs:DictObsEnv", "image,nope", r"has no key \['nope'\]; its keys are \['image', 'speed'\]"),
        ("tests.user_envs:ChannelsLastEnv", "image", "chooses Dict keys, but env"),
    ],
)
def test_bad_keys_fail_before_any_run_directory(env: str, obs: str | None, message: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=message):
        resolve(TrainArgs(env=env, obs=obs, **TINY))


def test_a_frame_stack_of_a_dict_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match="--frame-stack stacks Box observations; this env observes a Dict"):
        resolve(TrainArgs(env="tests.user_envs:DictObsEnv", frame_stack=2, **TINY))


def test_the_vector_key_is_learned(tmp_path: Path) -> None:
    """CueDictEnv pays only for the action its Discrete cue names (the image is noise): random scores 1/3."""
    config = resolve(TrainArgs(env="tests.user_envs:CueDictEnv", encoder_kwargs=("channels=(8,)", "strides=(1,)"),
                               n_envs=8, n_steps=64, batch_size=128, n_epochs=4, learning_rate=3e-3, steps="6k",
                               eval_episodes=64, threads=1))  # fmt: skip
    run = train(config, tmp_path / "run")
    assert RunDir(run).read_eval().mean > 0.9


# ------------------------------------------------------------------------------------------------- MiniGrid
minigrid = pytest.mark.skipif(importlib.util.find_spec("minigrid") is None,
                              reason="minigrid is not installed (the README's test command installs it)")  # fmt: skip


@minigrid
def test_minigrid_trains_with_its_default_keys_and_the_codes_stem(tmp_path: Path) -> None:
    config = resolve(TrainArgs(env="minigrid:MiniGrid-Empty-5x5-v0", **TINY))
    assert config.obs == "image,direction" and config.encoder == "cnn"
    run = train(config, tmp_path / "run")
    facts = json.loads((Path(run) / "config.json").read_text())
    assert facts["obs"] == "image,direction"
    _, model = load_trained(run)
    assert type(model.policy.features_extractor.stem[0]).__name__ == "CodeStem"
    assert main(["play", str(run), "--record", str(tmp_path / "m.gif"), "--episodes", "1"]) == 0


@minigrid
def test_minigrid_plays_in_the_viewer_with_the_overlays_that_apply(tmp_path: Path) -> None:
    from pixelarena.agents.viewer.loop import agent_viewer, play_frames

    config = resolve(TrainArgs(env="minigrid:MiniGrid-Empty-5x5-v0", **TINY))
    _, model = load_trained(train(config, tmp_path / "run"))
    viewer = agent_viewer(model, config, scale=12)
    # Saliency is a map over the 7 x 7 view, which the frame (the whole grid) does not show: not offered.
    assert viewer.state.overlays == ("none", "features")
    for overlay in range(len(viewer.state.overlays)):
        viewer.set_state(overlay=overlay)
        frames = list(play_frames(viewer, episodes=1, max_frames=5))
        assert frames and frames[0].ndim == 3 and frames[0].std() > 0
    viewer.session.close()
