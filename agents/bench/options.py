"""The request of `pixelarena bench`, a typed dataclass whose field docstrings tyro turns into ``--help``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pixelarena.agents.help_text import default


@dataclass
class BenchArgs:
    """Measure speed: env steps/s (batched vs SyncVectorEnv), reference scores, encoder throughput."""

    envs: bool = False
    """Env steps/second of every game, batched vs Gymnasium's SyncVectorEnv (16x16, cell_px=1, pixels)."""
    views: bool = False
    """Env steps/second at 1,024 games of every game with a player on the map's frame, centred on the player
    (view=ego) and in its 11x11 crop (view_radius=5), pixels and grid, with the ratio to the map's frame."""
    scores: bool = False
    """Mean return of a random and of the scripted policy of every game (1,000 episodes each)."""
    nets: bool = False
    """Forward+backward samples/second per encoder at batch 256."""
    ppo: bool = False
    """End-to-end PPO env steps/second (Chase 16x16) with the cnn and mlp encoders, 1 and 2 torch threads."""
    stems: bool = False
    """End-to-end PPO env steps/second of the cnn on Chase pixels with each colour stem, at cell_px 1 and 3."""
    presets: bool = False
    """End-to-end PPO env steps/s of every game's default preset and the quickstart (with --threads torch threads),
    and the training time of its step target that follows."""
    device_ppo: bool = False
    """End-to-end PPO env steps/s of the default pipeline on --device (e.g. cuda) at 256, 1024 and 4096 envs, with
    the time share of rollouts and the GPU's utilisation (the GPU benchmark: --device-ppo --device cuda)."""
    baseline: bool = False
    """A pixelarena preset (--baseline-preset) vs the rl-zoo3 way (CnnPolicy, SB3 defaults, 8 envs at 72x72) on
    Chase: PPO env steps/s, and training time until the greedy policy is solved (reaches the scripted policy's
    score)."""
    baseline_preset: str = "chase-cnn"
    """With --baseline: pixelarena's side, a Chase preset."""
    baseline_minutes: float = 30.0
    """With --baseline: training-time cap of the reference's run to solved (0: not run)."""
    zoo_minutes: float = 30.0
    """With --baseline: training-time cap of the real rl-zoo3's run to solved (python -m rl_zoo3.train with its Atari
    PPO hyperparameters; needs the zoo extra; 0: not run)."""
    ours_minutes: float = 15.0
    """With --baseline: training-time cap of pixelarena's run to solved (0: not run)."""
    threads: int = 1
    """Torch CPU threads for --nets, --stems and --baseline."""
    seconds: float = 2.0
    """Seconds per env-speed measurement."""
    device: str = "cpu"
    """Torch device for --nets and --device-ppo: cpu, cuda, cuda:N or auto. cpu by default, unlike train's auto,
    so that the tables measure the same machine part on every computer; give cuda to measure the GPU."""
    markdown: Annotated[Path | None, default("not written")] = None
    """Also write the tables as Markdown to this file."""
