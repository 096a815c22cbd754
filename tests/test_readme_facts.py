"""The README's facts are the program's: the games table against each game's RANDOM_SCORE and SOLVED_SCORE, the
presets table against PRESETS, the sprite legend against each game's KINDS, and docs/runs.md's run-directory listing
against RunDir's files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pixelarena.agents.run.config import round_up
from pixelarena.agents.run.presets import DEFAULT_ENCODER, PRESETS, preset_name
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.envs import GAMES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
RUNS_PAGE = (Path(__file__).resolve().parent.parent / "docs" / "runs.md").read_text()
SHAPES = {"full": "square", "block": "block", "disc": "disc", "diamond": "diamond", "cross": "cross", "ring": "ring"}
"""How the legend names each sprite shape of envs/render.py."""
COLOURS = {(250, 204, 60): "yellow", (232, 72, 72): "red", (232, 56, 56): "red", (86, 156, 255): "blue",
           (80, 200, 110): "green", (186, 255, 120): "light-green", (46, 160, 67): "dark-green"}  # fmt: skip
"""How the legend names each sprite colour (a colour missing here fails the test: name it)."""


def table_after(heading: str, header: str) -> list[list[str]]:
    """The cells of the first Markdown table under ``heading`` whose header row starts with ``header``."""
    section = README[README.index(heading) :]
    start = section.index(header)
    rows = []
    for line in section[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_games_table_has_each_games_random_and_scripted_score() -> None:
    rows = {row[0]: row for row in table_after("## The games", "| game | what it tests")}
    assert set(rows) == set(GAMES)
    for name, game in GAMES.items():
        random, scripted = float(rows[name][-2]), float(rows[name][-1])
        assert round(random, 1) == game.RANDOM_SCORE, (name, random, game.RANDOM_SCORE)
        assert scripted == pytest.approx(game.SOLVED_SCORE, abs=0.05), (name, scripted, game.SOLVED_SCORE)


def _steps(text: str) -> int:
    number, unit = re.fullmatch(r"([\d.]+)([kM])", text).groups()  # type: ignore[union-attr]
    return round(float(number) * {"k": 1_000, "M": 1_000_000}[unit])


def test_the_presets_table_is_presets() -> None:
    rows = table_after("## Presets", "| preset | game")
    assert rows
    for row in rows:
        name = re.search(r"`([\w-]+)`", row[0]).group(1)  # type: ignore[union-attr]
        preset = PRESETS[name]
        assert row[1] == preset.env and row[2].startswith(f"{preset.encoder}, {preset.obs}"), row
        assert ("(default)" in row[0]) == (name == preset_name(preset.env, DEFAULT_ENCODER[preset.env])), row
        stored = round_up(preset.steps, preset.n_envs * preset.ppo.n_steps)  # what the run trains
        unit = 1_000 if stored < 1_000_000 else 100_000
        assert abs(_steps(row[3]) - stored) < unit, (name, row[3], stored)
        game = GAMES[preset.env]
        random, scripted = (float(x) for x in row[-1].split(" / "))
        assert round(random, 1) == game.RANDOM_SCORE and scripted == pytest.approx(game.SOLVED_SCORE, abs=0.05), row


def test_the_sprite_legend_covers_every_game_and_kind() -> None:
    rows = {row[0]: row[1] for row in table_after("Every game's sprites", "| game | sprites")}
    assert set(rows) == set(GAMES)
    for name, game in GAMES.items():
        for kind in game.KINDS:
            colour, shape, stem = COLOURS[kind.color], SHAPES[kind.sprite], kind.name.removesuffix("y")
            said = rf"(^|; ){colour} {shape}\w*( \(a full cell\))?: (the )?{stem}\w*(;|$)"
            assert re.search(said, rows[name]), (name, kind, rows[name])


def test_the_run_directory_listing_has_every_file() -> None:
    listing = RUNS_PAGE[RUNS_PAGE.index("Each run is a directory") :]
    listing = listing[listing.index("```") + 4 : listing.index("```", listing.index("```") + 3)]
    named = {line.split()[0] for line in listing.splitlines() if line.strip()}
    files = {value for key, value in vars(RunDir).items() if key.isupper() and isinstance(value, str)}
    files = {f"{name}/" if name == RunDir.SCREENSHOTS else name for name in files} - {RunDir.LOCK}
    assert files <= named, files - named
