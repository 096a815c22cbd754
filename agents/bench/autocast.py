"""`python -m pixelarena.agents.bench.autocast PRESET`: the PPO update of a preset in float32 against bfloat16 autocast
on the
CPU (``torch.autocast("cpu", torch.bfloat16)``), interleaved rounds on the same minibatches.

    .venv/bin/python -m pixelarena.agents.bench.autocast chase-cnn [--rounds 5] [--threads 1]

One round times ``--iterations`` minibatch updates (the policy's ``evaluate_actions``, PPO's losses, backward and
an Adam step) each way; minibatches are observations of the preset's game under random actions. Prints the
median milliseconds per update, their ratio, and whether the CPU declares bfloat16 instructions (avx512_bf16 or
amx_bf16): without them torch emulates bfloat16 and autocast is expected to be slower.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from pathlib import Path

import numpy as np
import torch


def cpu_has_bf16() -> bool:
    """Whether the CPU declares bfloat16 instructions (Linux's /proc/cpuinfo)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def update_milliseconds(model, observations: np.ndarray, actions: np.ndarray, iterations: int, bf16: bool) -> float:
    """Milliseconds per minibatch update: forward, PPO-like loss, backward and optimizer step."""
    policy = model.policy
    obs = torch.as_tensor(observations)
    act = torch.as_tensor(actions)
    started = time.perf_counter()
    for _ in range(iterations):
        context = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()
        with context:
            values, log_prob, entropy = policy.evaluate_actions(obs, act)
            loss = -log_prob.mean() + 0.5 * values.float().pow(2).mean() - 0.01 * entropy.mean()
        policy.optimizer.zero_grad()
        loss.float().backward()
        policy.optimizer.step()
    return (time.perf_counter() - started) * 1000 / iterations


def main() -> None:
    from pixelarena.agents.bench import baseline

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("preset", nargs="?", default="chase-cnn")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    config, model = baseline.pixelarena_model(args.threads, preset=args.preset)
    vec = model.get_env()
    batch = config.ppo.batch_size
    rng = np.random.default_rng(0)
    observations = [vec.reset()]
    while sum(len(o) for o in observations) < batch:
        observations.append(vec.step(np.array([vec.action_space.sample() for _ in range(vec.num_envs)]))[0])
    obs = np.concatenate(observations)[:batch]
    actions = np.stack([vec.action_space.sample() for _ in range(batch)])
    rng.shuffle(obs)
    times: dict[bool, list[float]] = {False: [], True: []}
    update_milliseconds(model, obs, actions, 2, False)  # warm-up both paths
    update_milliseconds(model, obs, actions, 2, True)
    for _ in range(args.rounds):
        for bf16 in (False, True):
            times[bf16].append(update_milliseconds(model, obs, actions, args.iterations, bf16))
    fp32, bf16 = statistics.median(times[False]), statistics.median(times[True])
    print(f"{args.preset}: minibatch {batch}, {args.threads} torch thread(s), CPU bfloat16 instructions: "
          f"{'yes' if cpu_has_bf16() else 'no (emulated)'}")  # fmt: skip
    print(f"float32 {fp32:.1f} ms per update, bfloat16 autocast {bf16:.1f} ms: bf16 takes {bf16 / fp32:.2f}x")


if __name__ == "__main__":
    main()
