"""The files of `pixelarena sweep` without starting Ray: its search spaces and the preset file it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_every_encoder_has_a_readable_search_space() -> None:
    """The sweep's space files parse, name only settings train takes, and turn into PPO and encoder settings."""
    from agents.experiments.sweep import PPO_NAMES, SPACES, apply, read_space
    from nets import ENCODERS

    for encoder in ENCODERS:
        space = read_space(SPACES / f"{encoder}.toml")
        assert {name for name in space if not name.startswith("encoder.")} <= set(PPO_NAMES)
        sample = {name: next(iter(entry.values()))[0] for name, entry in space.items()}
        ppo, encoder_kwargs = apply(sample)
        assert ppo and encoder_kwargs, encoder


def test_a_sweep_preset_file_is_checked_like_a_config(tmp_path: Path) -> None:
    from agents.run.presets import PRESETS, load_preset_file, preset_to_json

    path = tmp_path / "best.json"
    path.write_text(json.dumps({**preset_to_json(PRESETS["quickstart"]), "sweep": {"trials": 4}}))
    assert load_preset_file(path) == PRESETS["quickstart"]
    path.write_text(json.dumps({**preset_to_json(PRESETS["quickstart"]), "steps": "many"}))
    with pytest.raises(ValueError, match="steps"):
        load_preset_file(path)
