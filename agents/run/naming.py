"""How runs are named: CleanRL-style run directory names (``env__encoder__obs__s<seed>__<time>``) and the labels
comparisons and reports give an encoder spec (``cnn+stem=rgb:pixels``, ``cnn:pixels@ego5``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pixelarena.agents.run.config import RunConfig


def encoder_label(config: RunConfig) -> str:
    """The encoder with its arguments, as comparisons name it: ``cnn``, ``cnn+stem=rgb``."""
    return "".join([config.encoder, *(f"+{key}={value}" for key, value in sorted(config.encoder_kwargs.items()))])


def view_label(env_kwargs: dict[str, Any]) -> str:
    """A run's frame of reference as encoder specs write it: ``@ego`` (centred on the player), ``@ego5`` (its crop
    of radius 5), ``@ego5m5`` (the crop and a minimap pooled by 5, ``envs.minimap``), ``@map``; empty when the run
    does not say (the map's frame, the default)."""
    view = env_kwargs.get("view")
    if view is None:
        return ""
    radius, minimap = env_kwargs.get("view_radius"), env_kwargs.get("minimap")
    if view != "ego" or radius is None:
        return f"@{view}"
    return f"@ego{radius}" + (f"m{minimap}" if minimap is not None else "")


def parse_view(text: str) -> tuple[str, ...]:
    """The env kwargs of a spec's view: ``ego`` -> ``view=ego``, ``ego5`` -> ``view=ego view_radius=5``,
    ``ego5m5`` -> the same with ``minimap=5``, ``map`` -> ``view=map view_radius=None``; a one-line ValueError
    for anything else."""
    match = re.fullmatch(r"(map|ego)(\d*)(?:m(\d+))?", text)
    if match is None or (match[1] == "map" and match[2]) or (match[3] and not match[2]):
        raise ValueError(f"view {text!r} after '@': choose map, ego (centred on the player), egoN (the N-cell crop "
                         "around it, e.g. ego5) or egoNmK (the crop and the map pooled K-fold, e.g. "
                         "ego5m5)")  # fmt: skip
    view, radius, minimap = match[1], match[2], match[3]
    return (f"view={view}", f"view_radius={radius or None}", *((f"minimap={minimap}",) if minimap else ()))


def spec_label(config: RunConfig) -> str:
    """A run's encoder spec as ``compare --encoders`` takes it and reports show it: ``cnn+stem=rgb:pixels``,
    ``cnn:pixels@ego5``."""
    return f"{encoder_label(config)}:{config.obs or 'native'}{view_label(config.env_kwargs)}"


def run_name(config: RunConfig, time_tag: str = "") -> str:
    """CleanRL-style run name: ``env__encoder__obs__s<seed>__<time>`` (no time part without a ``time_tag``, as in
    a comparison, where the name must be the same when the command is run again); the encoder part carries its
    arguments (``cnn+stem=rgb``)."""
    env = config.env.replace("/", "-").replace(":", "-")
    encoder = encoder_label(config).replace("/", "-").replace(" ", "")
    name = f"{env}__{encoder}__{config.obs or 'native'}{view_label(config.env_kwargs)}__s{config.seed}"
    return f"{name}__{time_tag}" if time_tag else name


def default_run_dir(config: RunConfig, time_tag: str) -> Path:
    return Path("runs") / run_name(config, time_tag)
