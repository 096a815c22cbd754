"""Training presets, one per game x encoder: the settings a run starts from before command-line overrides.

Steps, seconds and scores measured with each preset are in the README ("Presets"); a preset without a
measured comment above it has not been tuned yet. A preset's name is
``<game>-<encoder>`` (lower case); ``quickstart`` is the README's first-command Chase agent (from pixels).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pixelarena.agents.checks import checked_fields
from pixelarena.agents.run.config import PPOSettings


@dataclass(frozen=True)
class Preset:
    env: str
    encoder: str
    obs: str
    steps: int
    n_envs: int = 64
    eval_every: int = 50_000
    """Greedy evaluation every this many steps, the best policy kept as the run's (agents/training/best_policy.py):
    the greedy score swings between updates, so the last weights are often not the best."""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    encoder_kwargs: dict[str, Any] = field(default_factory=dict)
    ppo: PPOSettings = field(default_factory=PPOSettings)


# Chase: gae_lambda 0.8, not SB3's 0.95 (docs/performance.md, "Time to a solved agent"); learning rate 1e-3 annealed
# linearly to 0 with 128 envs (minibatch 1,024), found by a sweep and confirmed at 560k steps on 3 seeds x 100
# held-out games: IQM +8.37 (95% CI 7.86 .. 9.20) against +7.57 (7.17 .. 7.87) with 5e-4 constant and 64 envs
# (docs/performance.md, "Every game from pixels").
_CHASE_PPO = PPOSettings(learning_rate=1e-3, n_steps=64, batch_size=1024, n_epochs=4, gamma=0.97, gae_lambda=0.8,
                         ent_coef=0.01, lr_schedule="linear")  # fmt: skip
_TARGET_PPO = PPOSettings(learning_rate=5e-4, n_steps=32, batch_size=512, n_epochs=4, gamma=0.9, ent_coef=0.003)
# Swarm: gamma 0.9, not 0.97. In an 8-way sweep on an H100 (480 s each) swarm-unet reached +135 training return at
# 856k steps with gamma 0.9 against +80 with 0.97; 128 envs or ent_coef changes mattered less.
# Swarm and Snake: gae_lambda 0.8 as Chase (docs/performance.md, "Swarm and Snake"): greedy swarm-unet +56.1 against
# +28.4 at 147k steps; snake-cnn +13.6 against +8.9 at 885k (one seed each, 32-game evaluations).
_SWARM_PPO = PPOSettings(learning_rate=3e-4, n_steps=64, batch_size=512, n_epochs=4, gamma=0.9, gae_lambda=0.8,
                         ent_coef=0.003)  # fmt: skip
_SNAKE_PPO = PPOSettings(learning_rate=5e-4, n_steps=64, batch_size=512, n_epochs=4, gamma=0.98, gae_lambda=0.8,
                         ent_coef=0.01)  # fmt: skip

# The view that follows the player (envs/views.py), the frame its entity rows already have: the 11x11 crop centred on
# it (view_radius=5), or the whole map centred on it (2 * size - 1 cells a side). On Chase the cnn on the map's fixed
# frame scores about +5 at 300k steps; on the crop +12.00 at 400k (IQM, 3 seeds x 100 held-out games), on the whole
# centred view about +12.5 at 300k at ~3x the cost per step (docs/performance.md, "Views centred on the player").
_CROP = {"view": "ego", "view_radius": 5}
_CENTRED = {"view": "ego"}

PRESETS: dict[str, Preset] = {
    # The README's first command: Chase from pixels, about a minute and a half of training on 2 CPU cores.
    "quickstart": Preset("Chase", "cnn", "pixels", 400_000, n_envs=128, env_kwargs=_CROP, ppo=_CHASE_PPO),
    # Chase's default: the cnn on the whole map centred on the player, where convolution leads an MLP on the same
    # cells (E1); slower per step than the crop. Local dodging; the vector MLP is the claim's baseline.
    "chase-cnn": Preset("Chase", "cnn", "pixels", 300_000, n_envs=128, env_kwargs=_CENTRED, ppo=_CHASE_PPO),
    "chase-impala": Preset("Chase", "impala", "pixels", 800_000, n_envs=128, env_kwargs=_CROP, ppo=_CHASE_PPO),
    "chase-unet": Preset("Chase", "unet", "pixels", 800_000, n_envs=128, env_kwargs=_CROP, ppo=_CHASE_PPO),
    "chase-mlp": Preset("Chase", "mlp", "vector", 800_000, n_envs=128, ppo=_CHASE_PPO),
    # The strongest state-based agent: Deep Sets over the objects relative to the player, nearest first.
    "chase-sets": Preset("Chase", "sets", "entities", 800_000, n_envs=128, ppo=_CHASE_PPO),
    # Target: act where the target is; the unet's per-cell click map is the natural head. target-unet, measured:
    # greedy +100.0 (the maximum; scripted 100) after 300k steps / 311 s (84.5 training return at 63k).
    "target-unet": Preset("Target", "unet", "pixels", 300_000, ppo=_TARGET_PPO),
    "target-cnn": Preset("Target", "cnn", "pixels", 300_000, ppo=_TARGET_PPO),
    "target-impala": Preset("Target", "impala", "pixels", 300_000, ppo=_TARGET_PPO),
    "target-mlp": Preset("Target", "mlp", "vector", 300_000, ppo=_TARGET_PPO),
    # Swarm: one move per cell, masked where there is no unit (MaskablePPO). On pixels (the colour and cell stems)
    # the unet learns more per step than on the grid: docs/performance.md, "Every game from pixels". Its best greedy
    # policy within these steps scored +147.0 on 100 held-out games (scripted 160): "Views centred on the player".
    "swarm-unet": Preset("Swarm", "unet", "pixels", 540_000, ppo=_SWARM_PPO),
    "swarm-cnn": Preset("Swarm", "cnn", "pixels", 400_000, ppo=_SWARM_PPO),
    "swarm-impala": Preset("Swarm", "impala", "pixels", 400_000, ppo=_SWARM_PPO),
    "swarm-mlp": Preset("Swarm", "mlp", "vector", 400_000, ppo=_SWARM_PPO),
    # Snake: local decisions with a growing body, seen from the head (the 11x11 crop, as PufferLib's Snake): +19.21 on
    # 100 held-out games after 3M steps (scripted 21.2), about 12.5 minutes on 2 idle CPU cores.
    "snake-cnn": Preset("Snake", "cnn", "pixels", 3_000_000, env_kwargs=_CROP, ppo=_SNAKE_PPO),
    "snake-impala": Preset("Snake", "impala", "pixels", 800_000, env_kwargs=_CROP, ppo=_SNAKE_PPO),
    "snake-mlp": Preset("Snake", "mlp", "vector", 800_000, ppo=_SNAKE_PPO),
    "snake-sets": Preset("Snake", "sets", "entities", 800_000, ppo=_SNAKE_PPO),
}

DEFAULT_ENCODER = {"Chase": "cnn", "Target": "unet", "Swarm": "unet", "Snake": "cnn"}


def preset_name(env: str, encoder: str) -> str:
    return f"{env.lower()}-{encoder}"


def preset_to_json(preset: Preset) -> dict[str, Any]:
    return dataclasses.asdict(preset)


def load_preset_file(path: Path) -> Preset:
    """A preset written by ``pixelarena sweep`` (JSON), checked field by field like a config.json."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"preset file {path} is unreadable: {error}") from None
    data = {key: value for key, value in data.items() if key != "sweep"}  # the sweep's own record of how it chose
    fields = checked_fields(Preset, data, f"preset file {path}")
    fields["ppo"] = PPOSettings(**checked_fields(PPOSettings, fields.get("ppo", {}), f"preset file {path} ppo"))
    return Preset(**fields)
