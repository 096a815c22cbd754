"""Every encoder trains every built-in game through stable-baselines3 PPO (a tiny budget), and the U-Net
policies trained at 12x12 act at 24x24."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3 import PPO

from pixelarena import envs
from pixelarena.agents.environments.vec_env import BatchedVecEnv
from pixelarena.nets import ENCODERS, MaskablePixelPolicy, PixelPolicy, adapt_policy

OBS = {"mlp": "vector", "cnn": "pixels", "impala": "grid", "unet": "pixels"}
SMALL_WIDTHS = {
    "mlp": {"hidden_sizes": (32,)},
    "cnn": {"channels": (8, 8), "strides": (1, 2)},
    "impala": {"widths": (8,)},
    "unet": {"base_channels": 4, "depth": 1},
}


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def tiny_model(game: str, encoder: str, size: int = 12):
    game_class = envs.GAMES[game]
    vec = BatchedVecEnv(game_class(8, size=size, obs=OBS[encoder]), seed=0)
    algo, policy = (MaskablePPO, MaskablePixelPolicy) if game_class.HAS_ACTION_MASKS else (PPO, PixelPolicy)
    kwargs = {"encoder": encoder, "encoder_kwargs": SMALL_WIDTHS[encoder]}
    return algo(policy, vec, n_steps=16, batch_size=64, n_epochs=1, policy_kwargs=kwargs, seed=0)


@pytest.mark.parametrize("encoder", [name for name, cls in ENCODERS.items() if not cls.reads_entity_rows])
@pytest.mark.parametrize("game", sorted(envs.GAMES))
def test_each_encoder_trains_each_game(game: str, encoder: str) -> None:
    model = tiny_model(game, encoder)
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(256)
    after = list(model.policy.parameters())
    assert model.num_timesteps == 256
    assert all(torch.isfinite(p).all() for p in after)
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True)), "no parameter moved"


@pytest.mark.parametrize("game", sorted(envs.GAMES))
def test_unet_policy_trained_at_12_acts_at_24(game: str) -> None:
    model = tiny_model(game, "unet")
    model.learn(128)
    big = envs.GAMES[game](4, size=24, obs="pixels")
    big.reset(seeds=np.arange(4))
    from stable_baselines3.common.vec_env import VecTransposeImage

    obs_space = VecTransposeImage.transpose_space(big.single_observation_space)
    policy = adapt_policy(model.policy, obs_space, big.single_action_space)
    masks = {"action_masks": big.action_masks()} if big.HAS_ACTION_MASKS else {}
    actions, _ = policy.predict(big.observe(), deterministic=True, **masks)
    assert actions.shape == (4, *big.single_action_space.shape)
    big.step(actions)  # valid actions of the 24x24 game
