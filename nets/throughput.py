"""Forward + backward speed of each encoder with its policy heads (shown by `pixelarena bench --nets`)."""

from __future__ import annotations

import time

import numpy as np
import torch
from gymnasium import spaces

from pixelarena.nets.facts import architecture_facts
from pixelarena.nets.policy import PixelPolicy
from pixelarena.nets.registry import ENCODERS


def bench_encoders(
    batch: int = 256,
    size: int = 16,
    device: str = "cpu",
    seconds: float = 2.0,
    encoders: tuple[str, ...] | None = None,
) -> list[dict[str, object]]:
    """Measures samples per second of one PPO-style step (``evaluate_actions``, loss, backward) per encoder.

    The observation is a ``size`` x ``size`` x 3 uint8 image (one pixel per cell), the actions Discrete(5);
    every encoder has its default widths.

    Args:
        batch: Minibatch size.
        size: Image side in pixels.
        device: Torch device ("cpu", "cuda", ...).
        seconds: Time spent measuring each encoder (after three warm-up steps).
        encoders: Names to measure; None for all of :data:`nets.registry.ENCODERS`.

    Returns:
        One row per encoder: encoder, device, threads, batch, input, params, MFLOPs per sample (forward),
        samples/s and ms per batch (forward + backward).
    """
    obs_space = spaces.Box(0, 255, (size, size, 3), np.uint8)
    action_space = spaces.Discrete(5)
    rng = np.random.default_rng(0)
    rows: list[dict[str, object]] = []
    for name in encoders or tuple(ENCODERS):
        facts = architecture_facts(name, obs_space, action_space)
        policy = PixelPolicy(obs_space, action_space, lambda _: 3e-4, encoder=name).to(device)
        obs = torch.as_tensor(rng.integers(0, 256, (batch, size, size, 3), dtype=np.uint8), device=device)
        actions = torch.as_tensor(rng.integers(0, 5, batch), device=device)

        def step(policy: PixelPolicy = policy, obs: torch.Tensor = obs, actions: torch.Tensor = actions) -> None:
            values, log_prob, entropy = policy.evaluate_actions(obs, actions)
            loss = values.pow(2).mean() - log_prob.mean() - 0.01 * entropy.mean()
            policy.optimizer.zero_grad(set_to_none=True)
            loss.backward()

        for _ in range(3):
            step()
        _synchronize(device)
        start, steps = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            step()
            steps += 1
            if steps % 10 == 0:
                _synchronize(device)
        _synchronize(device)
        elapsed = time.perf_counter() - start
        rows.append(
            {
                "encoder": name,
                "device": device,
                "threads": torch.get_num_threads(),
                "batch": batch,
                "input": f"{size}x{size}x3 uint8",
                "params": facts.params,
                "MFLOPs/sample": round(facts.flops / 1e6, 2),
                "samples/s": round(steps * batch / elapsed),
                "ms/batch": round(1000 * elapsed / steps, 2),
            }
        )
    return rows


def _synchronize(device: str) -> None:
    # CUDA runs asynchronously: wait for the queued kernels so the clock measures them.
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)
