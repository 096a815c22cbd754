"""What a new user sees from the command line on good input: listings, versions, help texts, progress lines."""

from __future__ import annotations

import pytest

from agents.cli.main import main


def test_list_shows_a_per_cell_action_space_compactly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--env", "Swarm"]) == 0
    out = capsys.readouterr().out
    assert "actions MultiDiscrete(5 x 144)" in out and "5 5 5" not in out


def test_list_takes_other_gymnasium_envs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--env", "CartPole-v1"]) == 0
    out = capsys.readouterr().out
    assert "Encoders on CartPole-v1 (observation (4,) float32, actions Discrete(2))" in out
    assert "encoder='mlp'" not in out
