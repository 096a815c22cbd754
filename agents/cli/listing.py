"""`pixelarena list`: the encoders with their architecture facts, computed for a chosen game's spaces."""

from __future__ import annotations

import envs
from nets import ENCODERS, architecture_facts


def print_encoder_facts(env_name: str, obs: str) -> None:
    """Print one line per encoder: parameters, receptive field, FLOPs per forward, size transfer."""
    env = envs.make(env_name, obs=obs)
    print(
        f"\nEncoders on {env_name} (obs={obs}, observation {env.observation_space.shape}, actions {env.action_space}):"
    )
    print(f"  {'encoder':<8} {'params':>10} {'receptive field':>16} {'MFLOPs/forward':>15}  head / size transfer")
    for name in ENCODERS:
        try:
            facts = architecture_facts(name, env.observation_space, env.action_space)
        except ValueError as error:  # e.g. a convolutional encoder on a vector observation
            print(f"  {name:<8} n/a: {error}")
            continue
        field = "global" if facts.receptive_field is None else f"{facts.receptive_field} px"
        transfer = {True: "runs on other sizes", False: "fixed size", None: "n/a (vector)"}[facts.transfers]
        print(
            f"  {name:<8} {facts.params:>10,} {field:>16} {facts.flops / 1e6:>15.2f}  {facts.action_head}, {transfer}"
        )
