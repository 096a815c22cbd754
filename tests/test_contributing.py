"""docs/contributing.md, executed: its game and encoder are written to a folder outside the repository, trained a
few thousand steps, watched headless and listed with its own commands; then the same two as an installed package's
entry points, beside a broken plugin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "contributing.md").read_text()
FILES = dict(re.findall(r"```python file=(\S+)\n(.*?)```", GUIDE, flags=re.S))
COMMANDS = [line for block in re.findall(r"```bash run\n(.*?)```", GUIDE, flags=re.S) for line in block.splitlines()]
ENV = {**os.environ, "SDL_VIDEODRIVER": "dummy", "WANDB_MODE": "disabled", "PYTHONPATH": ""}


def pixelarena(line: str, cwd: Path, env: dict[str, str] = ENV) -> subprocess.CompletedProcess[str]:
    words = line.split()
    assert words[0] == "pixelarena", line
    return subprocess.run([sys.executable, "-m", "pixelarena", *words[1:]], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600)  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("contributor")
    for name, body in FILES.items():
        (where / name).write_text(body)
    return where


def tracked_state() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout


def test_the_guide_holds_a_small_game_and_a_small_encoder() -> None:
    assert set(FILES) == {"falling.py", "tiny_encoder.py"} and len(COMMANDS) == 3
    assert len(FILES["falling.py"].splitlines()) <= 120 and len(FILES["tiny_encoder.py"].splitlines()) <= 60


def test_the_guides_game_keeps_the_contract(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gymnasium.utils.env_checker import check_env

    from pixelarena import envs
    from pixelarena.envs.adapters import game_env

    monkeypatch.syspath_prepend(str(folder))
    game = envs.find_game("falling:Falling")
    assert game is not None and game.__name__ == "Falling"
    check_env(game_env(game, size=8, view="ego").unwrapped, skip_render_check=True)
    batch, single = game(4, size=8), game(1, size=8)
    batch.reset(seeds=np.arange(4)), single.reset(seeds=np.array([2]))
    for _ in range(20):  # the random-stream rule: game 2 of a batch plays as the single game seeded 2
        actions = batch.expert_actions()
        batch.step(actions), single.step(actions[2:3])
        assert np.array_equal(batch.observe()[2], single.observe()[0])


def test_the_guides_commands_train_watch_and_list_without_touching_the_repository(folder: Path) -> None:
    before = tracked_state()
    results = [pixelarena(line, folder) for line in COMMANDS]
    for line, result in zip(COMMANDS, results):
        assert result.returncode == 0, f"{line}\n{result.stderr}"
    run = folder / "runs" / "falling-tiny"
    assert (run / "model.safetensors").is_file() and (run / "agent.gif").stat().st_size > 0
    assert "Preset: none for this game and encoder" in results[0].stdout
    assert "Encoders on falling:Falling (obs=pixels" in results[2].stdout
    assert tracked_state() == before


def test_entry_points_add_a_game_and_an_encoder_by_name_and_a_broken_one_is_one_line(folder: Path) -> None:
    site = folder / "site"
    info = site / "falling_plugin-0.1.dist-info"
    info.mkdir(parents=True)
    for name, body in FILES.items():
        (site / name).write_text(body)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: falling-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[pixelarena.games]\nFalling = falling:Falling\nBroken = nowhere:Game\n\n"
                                           "[pixelarena.encoders]\ntiny = tiny_encoder:TinyEncoder\n")  # fmt: skip
    env = {**ENV, "PYTHONPATH": str(site)}
    listing = pixelarena("pixelarena list --env Falling", folder, env)
    assert listing.returncode == 0, listing.stderr
    assert re.search(r"^\s+Falling\s+random -7\.60\s+scripted \+9\.00", listing.stdout, flags=re.M), listing.stdout
    assert re.search(r"^\s+tiny\s", listing.stdout, flags=re.M) and "Chase" in listing.stdout
    skipped = [line for line in listing.stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 1 and "'Broken'" in skipped[0] and "nowhere" in skipped[0], listing.stderr
    trained = pixelarena("pixelarena train --env Falling --encoder tiny --steps 512 --n-envs 8 --run-dir runs/ep",
                         folder, env)  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert '"env": "Falling"' in (folder / "runs" / "ep" / "config.json").read_text()
