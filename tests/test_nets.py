"""nets/: encoder and head shapes, scaling and layouts, gradients, translation equivariance, size transfer,
architecture facts, use from stock stable-baselines3 policies, and tiny PPO / MaskablePPO runs with save / load.

The real games live in envs/; the tiny envs at the end only exercise the three action kinds: Discrete(5)
moves on a 12x12 RGB image, a Discrete(144) click on a one-hot grid, and per-cell MultiDiscrete moves with
masks.
"""

from __future__ import annotations

import math
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from safetensors.torch import load_model, save_model
from sb3_contrib import MaskablePPO
from sb3_contrib.common.maskable.distributions import MaskableMultiCategoricalDistribution
from stable_baselines3 import PPO
from stable_baselines3.common.distributions import MultiCategoricalDistribution
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.preprocessing import preprocess_obs
from stable_baselines3.common.vec_env import VecTransposeImage

from pixelarena.nets import (
    ENCODERS,
    MaskablePixelPolicy,
    PixelPolicy,
    SizeTransferError,
    adapt_policy,
    architecture_facts,
    can_transfer,
    encoder_class,
    resize_spaces,
)
from pixelarena.nets.distributions import (
    MaskableUniformMultiCategoricalDistribution,
    UniformMultiCategoricalDistribution,
)
from pixelarena.nets.heads import CellLogitMap, SpatialSoftmaxHead
from pixelarena.nets.layout import describe_observation

SIDE = 12
CHANNELS = 4

OBSERVATIONS = {
    "hwc_uint8_pixels": spaces.Box(0, 255, (SIDE, SIDE, 3), np.uint8),
    "chw_uint8_grid": spaces.Box(0, 1, (CHANNELS, SIDE, SIDE), np.uint8),
    "chw_bool_grid": spaces.Box(0, 1, (CHANNELS, SIDE, SIDE), bool),
    "chw_float_grid": spaces.Box(0.0, 1.0, (CHANNELS, SIDE, SIDE), np.float32),
}
VECTOR = spaces.Box(-1.0, 1.0, (20,), np.float32)

ACTIONS = {
    "discrete": spaces.Discrete(5),
    "click": spaces.Discrete(SIDE * SIDE),
    "cells": spaces.MultiDiscrete([3] * (SIDE * SIDE)),
}

# Small widths keep the suite fast; the structure is the same as with the defaults.
TINY = {
    "mlp": {"hidden_sizes": (32,)},
    "cnn": {"features_dim": 32, "channels": (8, 16), "strides": (1, 2)},
    "impala": {"features_dim": 32, "widths": (8, 8)},
    "unet": {"base_channels": 8, "depth": 2},
}
CONVOLUTIONAL = ("cnn", "impala", "unet")
# Encoders that read any image or vector; the entity encoder (sets) reads entity rows only (tests/test_sets.py).
ANY_INPUT = [name for name, cls in ENCODERS.items() if not cls.reads_entity_rows]


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> object:
    """Tiny networks run fastest on one thread: OpenMP's synchronisation costs more than it saves (and
    thrashes when the machine is busy)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_policy(
    encoder: str, observation_space: spaces.Space, action_space: spaces.Space, **kwargs: object
) -> PixelPolicy:
    return PixelPolicy(
        observation_space, action_space, lambda _: 1e-3, encoder=encoder, encoder_kwargs=TINY[encoder], **kwargs
    )


def obs_batch(space: spaces.Box, n: int, seed: int = 0) -> torch.Tensor:
    space.seed(seed)
    return torch.as_tensor(np.stack([space.sample() for _ in range(n)]))


def all_in(space: spaces.Space, actions: np.ndarray) -> bool:
    return all(space.contains(action.astype(space.dtype)) for action in actions)


def logits(policy: PixelPolicy, obs: torch.Tensor) -> torch.Tensor:
    return policy.action_net(policy.extract_features(obs))


@pytest.mark.parametrize("action_name", list(ACTIONS))
@pytest.mark.parametrize("obs_name", list(OBSERVATIONS))
@pytest.mark.parametrize("encoder", ANY_INPUT)
def test_shapes_for_every_encoder_head_and_layout(encoder: str, obs_name: str, action_name: str) -> None:
    obs_space, action_space = OBSERVATIONS[obs_name], ACTIONS[action_name]
    policy = make_policy(encoder, obs_space, action_space)
    obs = obs_batch(obs_space, 3)

    actions, values, log_prob = policy(obs)
    assert actions.shape == (3, *action_space.shape)
    assert values.shape == (3, 1)
    assert log_prob.shape == (3,)
    assert all_in(action_space, actions.numpy())

    spec = policy.pixel.action
    assert spec.kind == action_name
    assert logits(policy, obs).shape == (3, spec.n_logits)
    head_by_kind = {"discrete": SpatialSoftmaxHead, "click": CellLogitMap, "cells": CellLogitMap}
    if ENCODERS[encoder].output == "map":
        assert isinstance(policy.action_net, head_by_kind[action_name])
        assert policy.extract_features(obs).shape[2:] == (SIDE, SIDE)
    else:
        assert isinstance(policy.action_net, torch.nn.Linear)

    values2, log_prob2, entropy = policy.evaluate_actions(obs, actions)
    assert torch.allclose(values2, values) and torch.allclose(log_prob2, log_prob)
    assert entropy.shape == (3,) and torch.all(entropy > 0)


@pytest.mark.parametrize("action_name", list(ACTIONS))
def test_mlp_reads_a_flat_vector(action_name: str) -> None:
    # A vector has no grid: every action space gets plain flat logits.
    policy = make_policy("mlp", VECTOR, ACTIONS[action_name])
    actions, values, _ = policy(obs_batch(VECTOR, 4))
    assert actions.shape == (4, *ACTIONS[action_name].shape) and values.shape == (4, 1)
    assert policy.pixel.action.kind == {"discrete": "discrete", "click": "discrete", "cells": "multi"}[action_name]


@pytest.mark.parametrize("encoder", CONVOLUTIONAL)
def test_convolutional_encoders_refuse_vectors(encoder: str) -> None:
    with pytest.raises(ValueError, match="the mlp encoder reads vectors"):
        make_policy(encoder, VECTOR, ACTIONS["discrete"])


def test_scaling_and_layouts_agree() -> None:
    rng = np.random.default_rng(0)
    grid = rng.integers(0, 2, (2, CHANNELS, SIDE, SIDE)).astype(np.uint8)
    pixels_chw = rng.integers(0, 256, (2, 3, SIDE, SIDE)).astype(np.uint8)
    cases = [
        # (space, observation, expected encoder input (B, C, H, W))
        (OBSERVATIONS["chw_uint8_grid"], grid, grid.astype(np.float32)),  # a 0/1 grid is not divided by 255
        (OBSERVATIONS["chw_bool_grid"], grid.astype(bool), grid.astype(np.float32)),
        (OBSERVATIONS["chw_float_grid"], grid.astype(np.float32), grid.astype(np.float32)),
        (OBSERVATIONS["hwc_uint8_pixels"], pixels_chw.transpose(0, 2, 3, 1), pixels_chw / 255.0),
        (spaces.Box(0, 255, (3, SIDE, SIDE), np.uint8), pixels_chw, pixels_chw / 255.0),
        (spaces.Box(0, 1, (SIDE, SIDE), np.uint8), grid[:, 0], grid[:, :1].astype(np.float32)),
    ]
    for space, raw, expected in cases:
        policy = make_policy("cnn", space, ACTIONS["discrete"])
        got = policy.features_extractor.to_input(policy.obs_to_tensor(raw)[0])
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, err_msg=str(space))


def test_channels_first_is_detected_and_can_be_overridden() -> None:
    assert describe_observation(spaces.Box(0, 1, (4, 12, 12), np.uint8)).channels_first
    assert not describe_observation(spaces.Box(0, 255, (12, 12, 3), np.uint8)).channels_first
    # A 6x6 map with 8 channels stored channels-last is ambiguous to the smallest-dimension rule.
    ambiguous = spaces.Box(0, 1, (6, 6, 8), np.uint8)
    assert describe_observation(ambiguous).channels_first
    policy = make_policy("cnn", ambiguous, ACTIONS["discrete"], channels_first=False)
    assert policy.features_extractor.to_input(obs_batch(ambiguous, 1)).shape == (1, 8, 6, 6)


def test_click_with_cells_of_several_pixels_pools_the_map() -> None:
    # 24x24 pixels of 3x3-pixel cells: Discrete(64) clicks an 8x8 grid.
    space = spaces.Box(0, 255, (24, 24, 3), np.uint8)
    policy = make_policy("unet", space, spaces.Discrete(64))
    spec = policy.pixel.action
    assert (spec.kind, spec.grid, spec.cell_px) == ("click", (8, 8), 3)
    assert logits(policy, obs_batch(space, 2)).shape == (2, 64)
    cells = make_policy("unet", space, spaces.MultiDiscrete([4] * 64))
    assert (cells.pixel.action.kind, cells.pixel.action.cell_px) == ("cells", 3)
    assert logits(cells, obs_batch(space, 2)).shape == (2, 64 * 4)


def test_action_map_can_be_forced_or_refused() -> None:
    space = OBSERVATIONS["chw_uint8_grid"]
    assert make_policy("unet", space, ACTIONS["click"], action_map=False).pixel.action.kind == "discrete"
    assert make_policy("unet", space, ACTIONS["cells"], action_map=False).pixel.action.kind == "multi"
    # Discrete(4) on a 16x16 image tiles a 2x2 grid of 8x8 cells, too coarse to be read as clicks...
    pixels = spaces.Box(0, 255, (16, 16, 3), np.uint8)
    assert make_policy("cnn", pixels, spaces.Discrete(4)).pixel.action.kind == "discrete"
    # ...unless asked for.
    assert make_policy("cnn", pixels, spaces.Discrete(4), action_map=True).pixel.action.grid == (2, 2)
    with pytest.raises(ValueError, match="action_map=True"):
        make_policy("unet", space, spaces.Discrete(5), action_map=True)


def test_per_cell_logits_are_cell_major_then_action() -> None:
    # stable-baselines3 splits the flat logits into consecutive chunks, one per MultiDiscrete entry;
    # entry i is the cell at row i // W, column i % W.
    space = OBSERVATIONS["chw_float_grid"]
    policy = make_policy("unet", space, ACTIONS["cells"])
    features = policy.extract_features(obs_batch(space, 1))
    per_position = policy.action_net.logits(features)  # (1, k, H, W)
    flat = policy.action_net(features)
    row, col = 5, 7
    chunk = flat[0, (row * SIDE + col) * 3 : (row * SIDE + col + 1) * 3]
    torch.testing.assert_close(chunk, per_position[0, :, row, col])


def test_uniform_multi_categorical_matches_the_per_entry_loops() -> None:
    n, k, batch = 6, 3, 4
    torch.manual_seed(0)
    flat_logits = torch.randn(batch, n * k)
    masks = torch.rand(batch, n, k) > 0.4
    masks[..., 1] = True  # every entry keeps a choice
    actions = torch.full((batch, n), 1)
    pairs = [
        (UniformMultiCategoricalDistribution(n, k), MultiCategoricalDistribution([k] * n)),
        (MaskableUniformMultiCategoricalDistribution(n, k), MaskableMultiCategoricalDistribution([k] * n)),
    ]
    for ours, theirs in pairs:
        ours.proba_distribution(flat_logits)
        theirs.proba_distribution(flat_logits)
        if isinstance(ours, MaskableUniformMultiCategoricalDistribution):
            ours.apply_masking(masks.reshape(batch, -1).numpy())
            theirs.apply_masking(masks.reshape(batch, -1).numpy())
            sampled = ours.sample()
            assert torch.all(torch.gather(masks, 2, sampled.unsqueeze(2)))
        torch.testing.assert_close(ours.log_prob(actions), theirs.log_prob(actions))
        torch.testing.assert_close(ours.entropy(), theirs.entropy())
        torch.testing.assert_close(ours.mode(), theirs.mode())
    assert isinstance(make_policy("mlp", VECTOR, ACTIONS["cells"]).action_dist, UniformMultiCategoricalDistribution)
    uneven = make_policy("cnn", OBSERVATIONS["chw_uint8_grid"], spaces.MultiDiscrete([2, 3]))
    assert type(uneven.action_dist) is MultiCategoricalDistribution


@pytest.mark.parametrize("action_name", list(ACTIONS))
@pytest.mark.parametrize("encoder", ANY_INPUT)
def test_gradients_reach_every_parameter(encoder: str, action_name: str) -> None:
    space = OBSERVATIONS["chw_uint8_grid"]
    policy = make_policy(encoder, space, ACTIONS[action_name])
    obs = obs_batch(space, 8)
    with torch.no_grad():
        actions, _, _ = policy(obs)
    values, log_prob, entropy = policy.evaluate_actions(obs, actions)
    (values.pow(2).mean() - log_prob.mean() - 0.01 * entropy.mean()).backward()
    for name, parameter in policy.named_parameters():
        assert parameter.grad is not None, name
        assert torch.count_nonzero(parameter.grad) > 0, name


@pytest.mark.parametrize("action_name", ["click", "cells"])
def test_per_pixel_head_is_translation_equivariant_away_from_borders(action_name: str) -> None:
    side, shift, depth = 64, 4, 2  # pooling makes the U-Net equivariant to shifts by multiples of 2**depth
    space = spaces.Box(0.0, 1.0, (2, side, side), np.float32)
    action_space = {"click": spaces.Discrete(side * side), "cells": spaces.MultiDiscrete([3] * (side * side))}
    policy = PixelPolicy(
        space,
        action_space[action_name],
        lambda _: 1e-3,
        encoder="unet",
        encoder_kwargs={"base_channels": 4, "depth": depth},
    )
    policy.set_training_mode(False)
    torch.manual_seed(0)
    with torch.no_grad():
        # SB3 initialises biases to zero, which would hide border effects; make them matter.
        for name, parameter in policy.named_parameters():
            if name.endswith("bias"):
                parameter.normal_(0.0, 0.1)
    obs = torch.zeros(1, 2, side, side)
    obs[0, :, 28:36, 26:34] = torch.rand(2, 8, 8)
    shifted = torch.roll(obs, shifts=(shift, shift), dims=(2, 3))
    with torch.no_grad():
        maps = [logits(policy, x).reshape(side, side, -1) for x in (obs, shifted)]
    # The receptive field (44) reaches 22 pixels: compare where no border is in view.
    margin = math.ceil(
        architecture_facts("unet", space, action_space[action_name], base_channels=4).receptive_field / 2
    )
    inner = slice(margin, side - margin - shift)
    inner_shifted = slice(margin + shift, side - margin)
    assert inner.stop > inner.start
    torch.testing.assert_close(maps[1][inner_shifted, inner_shifted], maps[0][inner, inner], atol=1e-5, rtol=1e-4)
    # Not vacuous: the map varies over the compared region.
    assert maps[0][inner, inner].std() > 1e-4


TRANSFERABLE = [("cnn", "discrete"), ("impala", "discrete"), ("unet", "discrete"), ("unet", "click"), ("unet", "cells")]


@pytest.mark.parametrize("policy_class", [PixelPolicy, MaskablePixelPolicy])
@pytest.mark.parametrize(("encoder", "action_name"), TRANSFERABLE)
def test_size_transfer_of_convolutional_policies(encoder: str, action_name: str, policy_class: type) -> None:
    obs_space = OBSERVATIONS["chw_uint8_grid"]
    policy = policy_class(
        obs_space, ACTIONS[action_name], lambda _: 1e-3, encoder=encoder, encoder_kwargs=TINY[encoder]
    )
    reference = obs_batch(obs_space, 5)
    for side in (16, 24):
        new_obs, new_actions = resize_spaces(obs_space, ACTIONS[action_name], side, side)
        assert can_transfer(policy, new_obs, new_actions)[0]
        adapted = adapt_policy(policy, new_obs, new_actions)
        assert isinstance(adapted, policy_class)
        assert adapted.observation_space.shape == (CHANNELS, side, side)
        # Same weights, independent copies.
        for (name, old), new in zip(policy.state_dict().items(), adapted.state_dict().values(), strict=True):
            torch.testing.assert_close(old, new, msg=name)
            assert old.data_ptr() != new.data_ptr()
        # predict() checks shapes against the new spaces; the action map follows the new size.
        obs = np.stack([new_obs.sample() for _ in range(6)])
        actions, _ = adapted.predict(obs, deterministic=True)
        assert actions.shape == (6, *new_actions.shape)
        assert all_in(new_actions, actions)
        if action_name != "discrete":
            assert adapted.pixel.action.grid == (side, side)
    # Adapting to the original spaces reproduces the policy exactly.
    same = adapt_policy(policy, obs_space, ACTIONS[action_name])
    with torch.no_grad():
        torch.testing.assert_close(logits(same, reference), logits(policy, reference))


@pytest.mark.parametrize(
    ("encoder", "action_name", "blamed"),
    [
        ("mlp", "discrete", "encoder parameter"),
        ("cnn", "click", "action head"),
        ("impala", "cells", "action head"),
    ],
)
def test_size_bound_policies_refuse_to_transfer(encoder: str, action_name: str, blamed: str) -> None:
    obs_space = OBSERVATIONS["chw_uint8_grid"]
    policy = make_policy(encoder, obs_space, ACTIONS[action_name])
    new_obs, new_actions = resize_spaces(obs_space, ACTIONS[action_name], 16, 16)
    with pytest.raises(SizeTransferError, match=blamed):
        adapt_policy(policy, new_obs, new_actions)
    ok, reason = can_transfer(policy, new_obs, new_actions)
    assert not ok and "bound to the old size" in reason
    assert issubclass(SizeTransferError, ValueError)


def test_flatten_pool_binds_the_cnn_to_its_size() -> None:
    obs_space = OBSERVATIONS["chw_uint8_grid"]
    policy = PixelPolicy(
        obs_space, ACTIONS["discrete"], lambda _: 1e-3, encoder="cnn", encoder_kwargs={"pool": "flatten"}
    )
    ok, reason = can_transfer(policy, *resize_spaces(obs_space, ACTIONS["discrete"], 16, 16))
    assert not ok and "features_extractor.linear" in reason


def test_transfer_refuses_other_channels_and_action_kinds() -> None:
    policy = make_policy("unet", OBSERVATIONS["chw_uint8_grid"], ACTIONS["click"])
    more_channels = spaces.Box(0, 1, (CHANNELS + 1, 16, 16), np.uint8)
    with pytest.raises(SizeTransferError, match="encoder parameter"):
        adapt_policy(policy, more_channels, spaces.Discrete(256))
    with pytest.raises(SizeTransferError, match="action_map=True"):
        adapt_policy(policy, spaces.Box(0, 1, (CHANNELS, 16, 16), np.uint8), spaces.Discrete(5))


def test_mlp_on_a_fixed_length_vector_transfers() -> None:
    policy = make_policy("mlp", VECTOR, ACTIONS["discrete"])
    assert can_transfer(policy, VECTOR, ACTIONS["discrete"])[0]


def test_registry_lists_encoders_and_suggests_names() -> None:
    assert list(ENCODERS) == ["mlp", "cnn", "impala", "unet", "sets"]
    assert {cls.output for cls in ENCODERS.values()} == {"vector", "map"}
    assert encoder_class("impala") is ENCODERS["impala"]
    with pytest.raises(ValueError, match="did you mean 'impala'"):
        encoder_class("imapla")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"net_arch": [64]}, "net_arch"),
        ({"normalize_images": True}, "normalize_images"),
        ({"features_extractor_class": ENCODERS["cnn"]}, "features_extractor_class"),
        ({"encoder": "resnet"}, "unknown encoder"),
    ],
)
def test_policy_refuses_replaced_arguments(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PixelPolicy(OBSERVATIONS["chw_uint8_grid"], ACTIONS["discrete"], lambda _: 1e-3, **kwargs)


def test_unsupported_action_space_is_refused() -> None:
    with pytest.raises(ValueError, match="Discrete or MultiDiscrete"):
        make_policy("cnn", OBSERVATIONS["chw_uint8_grid"], spaces.Box(-1, 1, (2,)))


@pytest.mark.parametrize("side", [7, 8, 13])
def test_unet_keeps_odd_and_small_sizes(side: int) -> None:
    space = spaces.Box(0, 1, (CHANNELS, side, side), np.uint8)
    for depth in (1, 2, 3):
        encoder = ENCODERS["unet"](space, base_channels=4, depth=depth, return_map=True)
        assert encoder(obs_batch(space, 2)).shape == (2, 4, side, side)


def test_cnn_and_impala_work_from_8x8() -> None:
    space = spaces.Box(0, 255, (8, 8, 3), np.uint8)
    for name in ("cnn", "impala"):
        assert ENCODERS[name](space)(obs_batch(space, 2)).shape == (2, 256)


def test_impala_blocks_assert_their_shapes() -> None:
    stage = ENCODERS["impala"](OBSERVATIONS["chw_float_grid"]).stages[0]
    assert stage(torch.zeros(1, CHANNELS, 7, 9)).shape == (1, 16, 4, 5)
    block = stage.res0
    block.conv1 = torch.nn.Conv2d(16, 16, 3)  # no padding: the block would shrink the map
    with pytest.raises(AssertionError, match="residual block changed the shape"):
        block(torch.zeros(1, 16, 6, 6))


def test_architecture_facts_are_measured_from_the_modules() -> None:
    space = spaces.Box(0, 255, (16, 16, 3), np.uint8)
    action = spaces.Discrete(5)
    # One 3x3 stride-1 conv, then a 3x3 stride-2 conv: receptive field 3 + 2 = 5.
    facts = architecture_facts("cnn", space, action, features_dim=8, channels=(4, 6), strides=(1, 2), stem="rgb")
    assert facts.receptive_field == 5
    macs = 16 * 16 * 4 * 3 * 9 + 8 * 8 * 6 * 4 * 9 + 12 * 8 + 8 * 5 + 8 * 1
    assert facts.flops == 2 * macs
    policy = PixelPolicy(
        space,
        action,
        lambda _: 0.0,
        encoder="cnn",
        encoder_kwargs={"features_dim": 8, "channels": (4, 6), "strides": (1, 2), "stem": "rgb"},
    )
    assert facts.params == sum(p.numel() for p in policy.parameters())
    assert facts.encoder_params < facts.params
    assert facts.transfers is True and facts.feature_shape == (8,)

    # U-Net depth 1: 3x3, 3x3 (5), pool 2 (6, jump 2), 3x3, 3x3 (14), up 2x2 (jump 1), 3x3, 3x3 (18).
    unet = architecture_facts("unet", space, action, base_channels=4, depth=1, stem="rgb")
    assert unet.receptive_field == 18 and unet.feature_shape == (4, 16, 16)
    assert unet.action_head == "SpatialSoftmaxHead" and unet.transfers is True

    mlp = architecture_facts("mlp", space, action, hidden_sizes=(10,), stem="rgb")
    assert mlp.receptive_field is None and not mlp.transfers
    assert mlp.flops == 2 * (16 * 16 * 3 * 10 + 10 * 5 + 10)

    impala = architecture_facts("impala", space, spaces.Discrete(256))
    assert impala.action_kind == "click" and impala.transfers is False and "action head" in impala.transfer_note
    assert architecture_facts("mlp", VECTOR, action).transfers is None


class OneStepImageEnv(gym.Env):
    """A one-step 12x12 RGB env for the stock stable-baselines3 check."""

    observation_space = OBSERVATIONS["hwc_uint8_pixels"]
    action_space = ACTIONS["discrete"]

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple:
        super().reset(seed=seed)
        return self.observation_space.sample(), {}

    def step(self, action: int) -> tuple:
        return self.observation_space.sample(), float(action == 0), True, False, {}


@pytest.mark.parametrize("encoder", ANY_INPUT)
def test_encoders_work_with_stock_sb3_policies(encoder: str) -> None:
    env = make_vec_env(OneStepImageEnv, n_envs=1)
    model = PPO(
        "MlpPolicy" if encoder == "mlp" else "CnnPolicy",
        env,
        n_steps=16,
        batch_size=16,
        policy_kwargs={"features_extractor_class": ENCODERS[encoder], "features_extractor_kwargs": TINY[encoder]},
        device="cpu",
    )
    extractor = model.policy.features_extractor
    assert isinstance(extractor, ENCODERS[encoder])
    # Stock policies keep SB3's /255 of uint8 images (and the CnnPolicy sees SB3's transposed CHW space);
    # the encoder then skips its own scaling, so it reads what it reads inside a PixelPolicy.
    raw = np.stack([model.observation_space.sample() for _ in range(2)])
    stock_input = extractor.to_input(preprocess_obs(torch.as_tensor(raw), model.observation_space))
    own = make_policy(encoder, model.observation_space, ACTIONS["discrete"])
    torch.testing.assert_close(stock_input, own.features_extractor.to_input(torch.as_tensor(raw)))
    assert model.policy.extract_features(torch.as_tensor(raw)).shape == (2, extractor.features_dim)
    model.learn(16)
    action, _ = model.predict(env.reset())
    assert action.shape == (1,)


# Tiny PPO runs ------------------------------------------------------------------------------------

MOVES = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]])


class DotEnv(gym.Env):
    """Move a red dot (Discrete(5): stay, up, down, left, right) onto a green coin; RGB HxWx3 uint8."""

    observation_space = spaces.Box(0, 255, (SIDE, SIDE, 3), np.uint8)
    action_space = spaces.Discrete(5)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self.agent, self.coin = self.np_random.integers(0, SIDE, (2, 2))
        self.steps = 0
        return self._obs(), {}

    def _obs(self) -> np.ndarray:
        frame = np.zeros((SIDE, SIDE, 3), np.uint8)
        frame[self.coin[0], self.coin[1], 1] = 255
        frame[self.agent[0], self.agent[1], 0] = 255
        return frame

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        self.agent = np.clip(self.agent + MOVES[action], 0, SIDE - 1)
        self.steps += 1
        reached = bool(np.all(self.agent == self.coin))
        return self._obs(), float(reached), reached, self.steps >= 20, {}


class ClickEnv(gym.Env):
    """Click the lit cell of a one-hot 1x12x12 uint8 grid: Discrete(144), one step per episode."""

    observation_space = spaces.Box(0, 1, (1, SIDE, SIDE), np.uint8)
    action_space = spaces.Discrete(SIDE * SIDE)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self.target = int(self.np_random.integers(SIDE * SIDE))
        grid = np.zeros((1, SIDE * SIDE), np.uint8)
        grid[0, self.target] = 1
        return grid.reshape(1, SIDE, SIDE), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, _ = self.reset()
        return obs, float(action == self.target), True, False, {}


class CellsEnv(gym.Env):
    """Units on a 2x12x12 bool grid (channel 0 units, channel 1 food) each pick a move: MultiDiscrete([5] * 144).

    ``action_masks()`` allows only "stay" on cells without a unit; the env counts any other action there.
    """

    observation_space = spaces.Box(0, 1, (2, SIDE, SIDE), bool)
    action_space = spaces.MultiDiscrete([5] * (SIDE * SIDE))

    def __init__(self) -> None:
        self.violations = 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        self.grid = self.np_random.random((2, SIDE, SIDE)) < 0.1
        self.steps = 0
        return self.grid.copy(), {}

    def action_masks(self) -> np.ndarray:
        masks = np.ones((SIDE * SIDE, 5), bool)
        masks[~self.grid[0].reshape(-1), 1:] = False
        return masks.reshape(-1)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict]:
        units = self.grid[0].reshape(-1)
        self.violations += int(np.count_nonzero(action[~units]))
        # A unit scores by stepping up onto food.
        food_above = np.roll(self.grid[1], 1, axis=0).reshape(-1)
        reward = float(np.count_nonzero(units & food_above & (action == 1)))
        self.steps += 1
        return self.grid.copy(), reward, False, self.steps >= 8, {}


CASES = {
    "dot": (DotEnv, PPO, PixelPolicy),
    "click": (ClickEnv, PPO, PixelPolicy),
    "cells": (CellsEnv, MaskablePPO, MaskablePixelPolicy),
}


def predict(model: PPO, obs: np.ndarray, masks: np.ndarray | None) -> np.ndarray:
    kwargs = {} if masks is None else {"action_masks": masks}
    return model.policy.predict(obs, deterministic=True, **kwargs)[0]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("encoder", ANY_INPUT)
def test_learn_then_save_and_load(encoder: str, case: str, tmp_path: Path) -> None:
    env_class, algo, policy_class = CASES[case]
    env = make_vec_env(env_class, n_envs=2, seed=0)
    model = algo(
        policy_class,
        env,
        n_steps=64,
        batch_size=64,
        n_epochs=2,
        seed=0,
        device="cpu",
        policy_kwargs={"encoder": encoder, "encoder_kwargs": TINY[encoder]},
    )
    if case == "dot":
        # SB3 transposes channel-last uint8 images; the policy reads the channels-first space it is given.
        assert isinstance(model.get_env(), VecTransposeImage)
        assert model.policy.observation_space.shape == (3, SIDE, SIDE)
    before = {name: p.detach().clone() for name, p in model.policy.named_parameters()}

    model.learn(256)

    assert model.num_timesteps >= 256
    assert np.isfinite(model.logger.name_to_value["train/loss"])
    changed = [name for name, p in model.policy.named_parameters() if not torch.equal(p, before[name])]
    assert changed and any(name.startswith("features_extractor") for name in changed)
    assert any(name.startswith("action_net") for name in changed)
    if case == "cells":
        assert sum(env.get_attr("violations")) == 0  # masked per-cell actions were never taken

    obs = model.get_env().reset()
    masks = np.stack(env.env_method("action_masks")) if case == "cells" else None
    expected = predict(model, obs, masks)

    # Weights alone, through safetensors, into a freshly built policy (shared encoder tensors handled by
    # save_model / load_model).
    save_model(model.policy, str(tmp_path / "policy.safetensors"))
    fresh = algo(
        policy_class,
        env,
        n_steps=64,
        batch_size=64,
        seed=1,
        device="cpu",
        policy_kwargs={"encoder": encoder, "encoder_kwargs": TINY[encoder]},
    )
    load_model(fresh.policy, str(tmp_path / "policy.safetensors"))
    np.testing.assert_array_equal(predict(fresh, obs, masks), expected)

    # stable-baselines3's own round trips: the model zip, and the policy alone.
    model.save(tmp_path / "model.zip")
    np.testing.assert_array_equal(predict(algo.load(tmp_path / "model.zip", device="cpu"), obs, masks), expected)
    model.policy.save(tmp_path / "policy.pt")
    loaded_policy = policy_class.load(tmp_path / "policy.pt", device="cpu")
    assert loaded_policy.pixel == model.policy.pixel
    kwargs = {} if masks is None else {"action_masks": masks}
    np.testing.assert_array_equal(loaded_policy.predict(obs, deterministic=True, **kwargs)[0], expected)
