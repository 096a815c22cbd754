"""`python -m pixelarena.agents.bench.speed_ablation [THREADS] [PRESET]`: end-to-end PPO env steps/s of a preset
(default
chase-cnn) with one change at a time, interleaved (every variant once per round, two rounds) so that a shared
machine's load hits them alike.

The changes are the candidates of docs/performance.md ("Time to solved"): fewer/larger minibatches, fewer or
more epochs, a smaller encoder, channels-last memory (the cnn's presets only: build_model now does it on a CPU),
torch.compile of the cnn's convolutions. Prints one JSON line per measurement and a Markdown table of the means
with the ratio to the preset.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import torch

from pixelarena.agents.bench import baseline
from pixelarena.agents.reporting.markdown import table

ROLLOUTS = 5  # measured per variant and round, after one warm-up rollout (and compilation, where it applies)


def _channels_last(model: Any) -> None:
    model.policy.to(memory_format=torch.channels_last)


def _compiled(model: Any) -> None:
    extractor = model.policy.features_extractor
    extractor.convs.compile(dynamic=True)
    extractor.linear.compile(dynamic=True)


Variant = tuple[dict[str, Any], Callable[[Any], None] | None]
COMMON: dict[str, Variant] = {
    "preset": ({}, None),
    "minibatch 1024 (4 per epoch)": ({"minibatches": 4}, None),
    "minibatch 256 (16 per epoch)": ({"minibatches": 16}, None),
    "2 epochs": ({"n_epochs": 2}, None),
    "8 epochs": ({"n_epochs": 8}, None),
}
BY_ENCODER: dict[str, dict[str, Variant]] = {
    "cnn": {
        "small cnn (16, 32, 32), 128 features": ({"encoder_kwargs": ("channels=(16,32,32)", "features_dim=128")}, None),
        "channels-last memory": ({}, _channels_last),
        "torch.compile of convs + linear": ({}, _compiled),
    },
    "unet": {
        "unet base_channels 8": ({"encoder_kwargs": ("base_channels=8",)}, None),
        "unet depth 1": ({"encoder_kwargs": ("depth=1",)}, None),
    },
}


def variants(preset: str) -> dict[str, Variant]:
    from pixelarena.agents.run.presets import PRESETS

    return {**COMMON, **BY_ENCODER.get(PRESETS[preset].encoder, {})}


def measure(preset: str, name: str, threads: int) -> float:
    overrides, change = variants(preset)[name]
    config, model = baseline.pixelarena_model(threads, 0, preset, **dict(overrides))
    if change is not None:
        change(model)
    rollout = config.rollout_steps
    model.learn(rollout * (3 if change is _compiled else 1), reset_num_timesteps=False)  # warm-up
    start = time.perf_counter()
    model.learn(rollout * ROLLOUTS, reset_num_timesteps=False)
    return rollout * ROLLOUTS / (time.perf_counter() - start)


def main(threads: int = 1, preset: str = "chase-cnn", rounds: int = 2) -> str:
    results: dict[str, list[float]] = {name: [] for name in variants(preset)}
    for round_ in range(rounds):
        for name in results:
            sps = measure(preset, name, threads)
            results[name].append(sps)
            print(json.dumps({"preset": preset, "round": round_, "variant": name, "sps": round(sps)}), flush=True)
    base = sum(results["preset"]) / rounds
    rows = [[name, " / ".join(f"{v:,.0f}" for v in values), f"{sum(values) / rounds:,.0f}",
             f"{sum(values) / rounds / base:.2f}x"] for name, values in results.items()]  # fmt: skip
    return table(["change", "env steps/s per round", "mean", "vs preset"], rows)


if __name__ == "__main__":
    print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1, sys.argv[2] if len(sys.argv) > 2 else "chase-cnn"))
