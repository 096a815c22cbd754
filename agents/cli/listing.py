"""`pixelarena list`: the games, and the encoders with their architecture facts computed for a chosen game's spaces."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from pixelarena import envs
from pixelarena.agents.environments.env_spec import EnvProbe, EnvSpec


def probe_env(env_name: str, obs: str | None) -> tuple[EnvSpec, EnvProbe]:
    """The env and the spaces the encoder facts are computed for (a game's pixels unless ``obs`` says otherwise);
    a one-line ValueError for an unknown env or obs mode, before anything is printed."""
    spec = EnvSpec.parse(env_name, obs)
    if spec.builtin and spec.obs is None:
        spec = EnvSpec.parse(env_name, "pixels")
    return spec, spec.probe()


def describe_space(space: gym.Space) -> str:
    """A space in a few words: a per-cell MultiDiscrete is ``MultiDiscrete(5 x 144)``, not 144 fives."""
    if isinstance(space, gym.spaces.MultiDiscrete):
        nvec = np.asarray(space.nvec).ravel()
        if len(nvec) > 1 and (nvec == nvec[0]).all():
            return f"MultiDiscrete({int(nvec[0])} x {len(nvec)})"
        if len(nvec) > 8:
            return f"MultiDiscrete({len(nvec)} choices of {int(nvec.min())}..{int(nvec.max())})"
    if isinstance(space, gym.spaces.Box):
        return f"{tuple(space.shape)} {space.dtype}"
    if isinstance(space, gym.spaces.Dict):
        return "Dict(" + ", ".join(f"{key}: {describe_space(sub)}" for key, sub in space.spaces.items()) + ")"
    return str(space)


def print_games() -> None:
    """One line per built-in game with its reference scores."""
    print("Games (pixelarena/<Game>-v0), mean return of a random and of the scripted policy:")
    for name, game in envs.GAMES.items():
        print(f"  {name:<8} random {game.RANDOM_SCORE:+.2f}  scripted {game.SOLVED_SCORE:+.2f}")


def format_steps(steps: int) -> str:
    """Steps as --steps takes them: 560000 -> 560k, 2500000 -> 2.5M, others with thousands separators."""
    if steps >= 1_000_000 and steps % 100_000 == 0:
        return f"{steps / 1_000_000:g}M"
    return f"{steps // 1000}k" if steps % 1000 == 0 else f"{steps:,}"


def print_presets() -> None:
    """One line per preset of agents/run/presets.py: what `train --preset NAME` starts from."""
    from pixelarena.agents.run.presets import DEFAULT_ENCODER, PRESETS, preset_name

    defaults = {preset_name(game, encoder) for game, encoder in DEFAULT_ENCODER.items()}
    print("Presets (pixelarena train --preset NAME; * the game's default):")
    print(f"  {'preset':<14} {'game':<8} {'encoder':<8} {'obs':<8} {'steps':>6} {'envs':>5}  settings")
    for name, preset in PRESETS.items():
        settings = " ".join(f"{k}={v}" for k, v in {**preset.env_kwargs, **preset.encoder_kwargs}.items())
        mark = "*" if name in defaults else ""
        print(f"  {name + mark:<14} {preset.env:<8} {preset.encoder:<8} {preset.obs:<8} "
              f"{format_steps(preset.steps):>6} {preset.n_envs:>5}  {settings}".rstrip())  # fmt: skip


def print_encoder_facts(spec: EnvSpec, probe: EnvProbe) -> None:
    """Print one line per encoder: parameters, receptive field, FLOPs per forward, size transfer."""
    import torch

    from pixelarena.agents.run.config import declared_kwargs
    from pixelarena.nets import ENCODERS, architecture_facts

    # One sample through small nets: more threads only add their start-up and sync (seconds on a busy machine).
    torch.set_num_threads(1)
    observation, actions = probe.observation_space, probe.action_space
    mode = f"obs={spec.obs}, " if spec.obs else ""
    print(f"\nEncoders on {spec.name} ({mode}observation {describe_space(observation)}, actions "
          f"{describe_space(actions)}):")  # fmt: skip
    print(f"  {'encoder':<8} {'params':>10} {'receptive field':>16} {'MFLOPs/forward':>15}  head / size transfer")
    for name in ENCODERS:
        try:
            facts = architecture_facts(name, observation, actions, **declared_kwargs(name, probe.metadata))
        except ValueError as error:  # e.g. a convolutional encoder on a vector observation
            print(f"  {name:<8} n/a: {error}")
            continue
        field = "global" if facts.receptive_field is None else f"{facts.receptive_field} px"
        transfer = {True: "runs on other sizes", False: "fixed size", None: "n/a (vector)"}[facts.transfers]
        print(
            f"  {name:<8} {facts.params:>10,} {field:>16} {facts.flops / 1e6:>15.2f}  {facts.action_head}, {transfer}"
        )
