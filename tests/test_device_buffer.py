"""The rollout buffer PPO uses on a GPU (agents/run/device_buffer.py), checked on the CPU against stable-baselines3's
own RolloutBuffer: the same returns, advantages and samples from the same steps, and PPO trains with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces
from stable_baselines3 import PPO
from stable_baselines3.common.buffers import RolloutBuffer

from pixelarena.agents.run.device_buffer import DeviceRolloutBuffer
from pixelarena.agents.run.model import make_vec_env, ppo_kwargs
from pixelarena.agents.training.options import TrainArgs
from pixelarena.agents.training.resolve import resolve
from pixelarena.nets import PixelPolicy

OBS = spaces.Box(0, 255, (3, 6, 6), np.uint8)


def fill(buffer: RolloutBuffer, steps: int, n_envs: int, seed: int = 0) -> None:
    """The same random rollout into any buffer; episode starts and a final done included."""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        buffer.add(
            rng.integers(0, 256, (n_envs, *OBS.shape), dtype=np.uint8),
            rng.integers(0, 5, (n_envs,)),
            rng.normal(size=n_envs).astype(np.float32),
            (rng.random(n_envs) < 0.2).astype(np.float32),
            torch.as_tensor(rng.normal(size=(n_envs, 1)), dtype=torch.float32),
            torch.as_tensor(rng.normal(size=n_envs), dtype=torch.float32),
        )
    buffer.compute_returns_and_advantage(torch.as_tensor(rng.normal(size=(n_envs, 1)), dtype=torch.float32),
                                         rng.random(n_envs) < 0.5)  # fmt: skip


@pytest.mark.parametrize(("gamma", "gae_lambda"), [(0.99, 0.95), (0.9, 1.0), (0.97, 0.0)])
def test_returns_and_advantages_match_stable_baselines3(gamma: float, gae_lambda: float) -> None:
    ours = DeviceRolloutBuffer(16, OBS, spaces.Discrete(5), "cpu", gae_lambda, gamma, n_envs=4)
    theirs = RolloutBuffer(16, OBS, spaces.Discrete(5), "cpu", gae_lambda, gamma, n_envs=4)
    fill(ours, 16, 4)
    fill(theirs, 16, 4)
    np.testing.assert_allclose(ours.advs.numpy(), theirs.advantages, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.returns, theirs.returns, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.values, theirs.values, rtol=1e-6)


def rows(samples: list) -> np.ndarray:
    """Every sample as one row (observation sum, action, value, log-prob, advantage, return), sorted: equal sets of
    rows mean the same samples with every field kept on its own row."""
    fields = [torch.cat([getattr(b, name) for b in samples]).double() for name in
              ("observations", "actions", "old_values", "old_log_prob", "advantages", "returns")]  # fmt: skip
    table = np.column_stack([fields[0].flatten(1).sum(1).numpy(), *(f.reshape(len(f), -1).numpy() for f in fields[1:])])
    return table[np.lexsort(table.T[::-1])]


def test_minibatches_hold_each_step_once_as_sb3s_do() -> None:
    buffer = DeviceRolloutBuffer(8, OBS, spaces.Discrete(5), "cpu", 0.95, 0.99, n_envs=4)
    reference = RolloutBuffer(8, OBS, spaces.Discrete(5), "cpu", 0.95, 0.99, n_envs=4)
    fill(buffer, 8, 4)
    fill(reference, 8, 4)
    batches = list(buffer.get(batch_size=10))
    assert [len(b.observations) for b in batches] == [10, 10, 10, 2]
    assert batches[0].observations.dtype == torch.uint8  # the encoders scale frames themselves
    np.testing.assert_allclose(rows(batches), rows(list(reference.get(batch_size=32))), rtol=1e-5, atol=1e-5)


def test_a_second_rollout_reuses_the_tensors_and_forgets_the_first() -> None:
    buffer = DeviceRolloutBuffer(8, OBS, spaces.Discrete(5), "cpu", 0.95, 0.99, n_envs=4)
    reference = RolloutBuffer(8, OBS, spaces.Discrete(5), "cpu", 0.95, 0.99, n_envs=4)
    fill(buffer, 8, 4, seed=1)
    storage = buffer.obs.data_ptr()
    buffer.reset()
    fill(buffer, 8, 4, seed=2)
    fill(reference, 8, 4, seed=2)
    assert buffer.obs.data_ptr() == storage
    np.testing.assert_allclose(rows(list(buffer.get())), rows(list(reference.get())), rtol=1e-5, atol=1e-5)


def test_the_device_buffer_is_chosen_for_ppo_on_a_gpu_with_box_observations_only() -> None:
    from pixelarena.agents.run.model import rollout_buffer_class

    assert rollout_buffer_class("cuda", maskable=False, observation_space=OBS) is DeviceRolloutBuffer
    assert rollout_buffer_class("cuda:1", maskable=False, observation_space=OBS) is DeviceRolloutBuffer
    assert rollout_buffer_class("cpu", maskable=False, observation_space=OBS) is None
    assert rollout_buffer_class("cuda", maskable=True, observation_space=OBS) is None
    assert rollout_buffer_class("cuda", maskable=False, observation_space=spaces.Dict({"a": OBS})) is None


def test_ppo_trains_with_it() -> None:
    config = resolve(TrainArgs(env="Chase", obs="pixels", env_kwargs=("size=8",), n_envs=8, n_steps=16,
                               batch_size=64, n_epochs=2, threads=1, device="cpu"))  # fmt: skip
    vec = make_vec_env(config, config.n_envs, seed=0)
    model = PPO(PixelPolicy, vec, **ppo_kwargs(config), seed=0, device="cpu",
                rollout_buffer_class=DeviceRolloutBuffer, policy_kwargs={"encoder": "cnn"})  # fmt: skip
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(8 * 16 * 3)
    assert model.num_timesteps == 384
    assert any(not torch.equal(a, b) for a, b in zip(before, model.policy.parameters()))
    assert all(torch.isfinite(p).all() for p in model.policy.parameters())
    assert isinstance(model.rollout_buffer, DeviceRolloutBuffer)


def test_dict_observations_are_refused() -> None:
    with pytest.raises(ValueError, match="stores Box observations, not Dict"):
        DeviceRolloutBuffer(4, spaces.Dict({"a": OBS}), spaces.Discrete(2), "cpu")


def test_the_device_benchmark_runs_on_a_cpu() -> None:
    from pixelarena.agents.bench.measure import device_ppo_steps_per_second

    run = device_ppo_steps_per_second(8, "cpu", seconds=0.1, map_size=8)
    assert run.steps_per_second > 0 and 0 < run.rollout_share < 1
    assert run.gpu_utilisation is None and run.buffer == "RolloutBuffer"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_training_on_a_gpu_keeps_the_rollout_there() -> None:
    from pixelarena.agents.bench.measure import device_ppo_steps_per_second

    run = device_ppo_steps_per_second(64, "cuda", seconds=0.5, map_size=8)
    assert run.buffer == "DeviceRolloutBuffer" and run.steps_per_second > 0
