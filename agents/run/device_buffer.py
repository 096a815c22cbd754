"""A rollout buffer that lives on the policy's device: stable-baselines3's ``RolloutBuffer`` contract, torch storage.

SB3's ``RolloutBuffer`` keeps numpy arrays on the CPU: every step it copies the value and log-probability tensors
back from the GPU (two synchronisations), computes GAE in numpy, and every minibatch of the update is copied to
the GPU again (observations, actions, values, log-probabilities, advantages, returns). On a GPU with 1024+ envs
that traffic, not the network, sets the pace. This buffer, passed to PPO as ``rollout_buffer_class`` (SB3's
extension point, no subclass of PPO), keeps the rollout on the device:

- observations are stored in their own dtype (uint8 frames stay uint8; the encoders scale them), copied to the
  device once per step through a pinned staging tensor (an asynchronous copy);
- values and log-probabilities stay where the policy computed them;
- returns and advantages (GAE) are computed on the device;
- minibatches are index views of device tensors, shuffled by ``torch.randperm`` on the device.

``values`` and ``returns`` read back as numpy (once per update), because SB3's PPO computes its explained variance
from them with numpy. Action masks (MaskablePPO) are not stored: MaskablePPO keeps its own buffer.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.type_aliases import RolloutBufferSamples


class DeviceRolloutBuffer(RolloutBuffer):
    """SB3's ``RolloutBuffer`` with torch tensors on ``device`` (see the module docstring); Box observations only."""

    def __init__(
        self,
        buffer_size: int,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        device: torch.device | str = "auto",
        gae_lambda: float = 1,
        gamma: float = 0.99,
        n_envs: int = 1,
    ) -> None:
        if not isinstance(observation_space, spaces.Box):
            raise ValueError(f"DeviceRolloutBuffer stores Box observations, not {type(observation_space).__name__}")
        self._obs_dtype = torch.from_numpy(np.zeros(0, dtype=observation_space.dtype)).dtype
        super().__init__(buffer_size, observation_space, action_space, device, gae_lambda, gamma, n_envs)

    def reset(self) -> None:
        """Starts a new rollout; the device tensors are allocated on the first call and then reused (every entry
        is written again before it is read)."""
        if not hasattr(self, "obs"):
            size, n, device = self.buffer_size, self.n_envs, self.device
            self.obs = torch.zeros((size, n, *self.obs_shape), dtype=self._obs_dtype, device=device)
            self.acts = torch.zeros((size, n, self.action_dim), dtype=torch.float32, device=device)
            self.rews, self.starts, self.vals, self.logps, self.advs, self.rets = (
                torch.zeros((size, n), dtype=torch.float32, device=device) for _ in range(6)
            )
            on_gpu = device.type == "cuda"
            self._staging = torch.empty((n, *self.obs_shape), dtype=self._obs_dtype, pin_memory=on_gpu)
            # Marks when the asynchronous copy out of the staging tensor has finished (before it is written again).
            self._copied = torch.cuda.Event() if on_gpu else None
        self.generator_ready = False
        self.pos, self.full = 0, False

    # SB3's PPO reads these two as arrays (explained variance, with numpy): one copy per update.
    @property
    def values(self) -> np.ndarray:
        return self.vals.cpu().numpy()

    @property
    def returns(self) -> np.ndarray:
        return self.rets.cpu().numpy()

    def add(
        self,
        obs: np.ndarray,
        action: np.ndarray,
        reward: np.ndarray,
        episode_start: np.ndarray,
        value: torch.Tensor,
        log_prob: torch.Tensor,
    ) -> None:
        """Stores one step of every env (SB3's signature)."""
        if self._copied is not None:
            self._copied.synchronize()  # the previous step's copy has left the staging tensor
        self._staging.copy_(torch.from_numpy(np.asarray(obs).reshape(self._staging.shape)))
        self.obs[self.pos].copy_(self._staging, non_blocking=True)
        if self._copied is not None:
            self._copied.record()
        self.acts[self.pos] = torch.as_tensor(np.asarray(action).reshape(self.n_envs, self.action_dim),
                                              dtype=torch.float32).to(self.device, non_blocking=True)  # fmt: skip
        self.rews[self.pos] = torch.as_tensor(reward, dtype=torch.float32).to(self.device, non_blocking=True)
        self.starts[self.pos] = torch.as_tensor(episode_start, dtype=torch.float32).to(self.device, non_blocking=True)
        self.vals[self.pos] = value.detach().flatten()
        self.logps[self.pos] = log_prob.detach().flatten()
        self.pos += 1
        if self.pos == self.buffer_size:
            self.full = True

    def compute_returns_and_advantage(self, last_values: torch.Tensor, dones: np.ndarray) -> None:
        """GAE(lambda) on the device, the same recursion as SB3's."""
        last_values = last_values.detach().flatten().to(self.device)
        not_done = 1.0 - torch.as_tensor(dones, dtype=torch.float32, device=self.device)
        gae = torch.zeros(self.n_envs, device=self.device)
        for step in reversed(range(self.buffer_size)):
            if step == self.buffer_size - 1:
                next_non_terminal, next_values = not_done, last_values
            else:
                next_non_terminal, next_values = 1.0 - self.starts[step + 1], self.vals[step + 1]
            delta = self.rews[step] + self.gamma * next_values * next_non_terminal - self.vals[step]
            gae = delta + self.gamma * self.gae_lambda * next_non_terminal * gae
            self.advs[step] = gae
        torch.add(self.advs, self.vals, out=self.rets)

    def get(self, batch_size: int | None = None) -> Generator[RolloutBufferSamples, None, None]:
        """Minibatches of ``batch_size`` (default: the whole rollout) in a random order, as device tensors."""
        assert self.full, "the rollout is not complete"
        total = self.buffer_size * self.n_envs
        flat = (
            self.obs.reshape(total, *self.obs_shape),
            self.acts.reshape(total, self.action_dim),
            self.vals.reshape(total),
            self.logps.reshape(total),
            self.advs.reshape(total),
            self.rets.reshape(total),
        )
        order = torch.randperm(total, device=self.device)
        batch_size = total if batch_size is None else batch_size
        for start in range(0, total, batch_size):
            index = order[start : start + batch_size]
            yield RolloutBufferSamples(*(tensor[index] for tensor in flat))
