"""The house rules, held by parsing the code: one installed import name, and imports that only go down the floors
docs/layout.md draws (so the document and the code cannot drift apart)."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYOUT = ROOT / "docs" / "layout.md"
FOLDERS = ("envs", "nets", "agents")


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports (module level or inside functions), with its line; relative imports resolved."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def floors_from_layout() -> dict[str, int]:
    """``agents/`` package (or ground module) -> its floor, from docs/layout.md's line
    ``Floors of agents/, from the ground up: a, b | c | ...``."""
    match = re.search(r"^Floors of agents/, from the ground up: (.+)$", LAYOUT.read_text(), flags=re.M)
    assert match, "docs/layout.md states the floors of agents/ on one line"
    return {name.strip(): floor for floor, group in enumerate(match[1].split("|")) for name in group.split(",")}


def python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_no_module_imports_the_folders_by_their_old_top_level_names() -> None:
    bad = [f"{path.relative_to(ROOT)}:{line} imports {name}"
           for folder in (*FOLDERS, "pixelarena", "tests") for path in python_files(folder)
           for line, name in imports_of(path) if name.split(".")[0] in FOLDERS]  # fmt: skip
    script = imports_of(ROOT / "play.py")
    bad += [f"play.py:{line} imports {name}" for line, name in script if name.split(".")[0] in FOLDERS]
    assert not bad, bad


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("envs", ("torch", "stable_baselines3", "sb3_contrib", "pixelarena.nets", "pixelarena.agents")),
        ("nets", ("pixelarena.envs", "pixelarena.agents")),
    ],
)
def test_games_know_no_torch_and_networks_know_no_game(folder: str, forbidden: tuple[str, ...]) -> None:
    bad = [f"{path.relative_to(ROOT)}:{line} imports {name}" for path in python_files(folder)
           for line, name in imports_of(path) if name == "pixelarena" or name.startswith(forbidden)]  # fmt: skip
    # `from pixelarena import envs` inside nets/ would be a game: the facade itself is imported by neither.
    assert not bad, bad


def test_every_package_of_agents_imports_only_its_floor_and_below() -> None:
    floors = floors_from_layout()
    on_disk = {p.name for p in (ROOT / "agents").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    on_disk |= {p.stem for p in (ROOT / "agents").glob("*.py") if p.stem != "__init__"}
    assert on_disk == set(floors), f"docs/layout.md's floors name {sorted(floors)}, agents/ holds {sorted(on_disk)}"
    upward = []
    for path in python_files("agents"):
        parts = path.relative_to(ROOT / "agents").with_suffix("").parts
        if parts == ("__init__",):
            continue
        mine = floors[parts[0]]
        for line, name in imports_of(path):
            pieces = name.split(".")
            if pieces[:2] != ["pixelarena", "agents"] or len(pieces) < 3 or pieces[2] not in floors:
                continue
            if pieces[2] != parts[0] and floors[pieces[2]] >= mine:
                upward.append(f"agents/{'/'.join(parts)}.py:{line} ({parts[0]}) imports {name}")
    assert not upward, "imports that do not go down the floors of docs/layout.md:\n" + "\n".join(upward)


def test_the_floor_line_is_what_the_import_check_reads() -> None:
    floors = floors_from_layout()
    assert floors["checks"] == 0 and floors["cli"] == max(floors.values())


def _fake_agents_wheel(folder: Path) -> Path:
    """A wheel of another distribution owning a top-level ``agents`` package (as OpenAI's Agents SDK does)."""
    path = folder / "other_agents-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("agents/__init__.py", "WHO = 'another distribution'\n")
        info = "other_agents-1.0.dist-info"
        wheel.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: other-agents\nVersion: 1.0\n")
        wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr(f"{info}/RECORD", "")
    return path


def test_the_wheel_installs_one_top_level_name_beside_another_agents(tmp_path: Path) -> None:
    pip = [sys.executable, "-m", "pip"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path / "dist"),
                            str(ROOT)], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert built.returncode == 0, built.stderr
    ours = next((tmp_path / "dist").glob("pixelarena-*.whl"))
    with zipfile.ZipFile(ours) as wheel:
        top = {name.split("/")[0] for name in wheel.namelist() if ".dist-info/" not in name}
    assert top == {"pixelarena"}, top
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())  # fmt: skip
    before = set(p.name for p in site.iterdir())
    for wheel_file in (_fake_agents_wheel(tmp_path), ours):  # pip from this environment installs into the venv
        install = [*pip, "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel_file)]
        done = subprocess.run(install, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    added = {p for p in site.iterdir() if p.name not in before}
    importable = {p.name for p in added if (p / "__init__.py").exists() or p.suffix == ".py"}
    assert importable == {"agents", "pixelarena"}, added  # (pip's --target also adds bin/ for the console script)
    # Both import side by side; this environment's own packages (numpy, gymnasium, ...) come after the venv's.
    deps = sysconfig.get_paths()["purelib"]
    check = ("import agents, pixelarena, pixelarena.envs, pixelarena.agents.cli.main; print(agents.WHO, "
             "pixelarena.make('Chase').observation_space.shape, pixelarena.envs.__file__)")  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # nothing of a checkout
    result = subprocess.run([python, "-c", f"import sys; sys.path.append({deps!r}); {check}"], capture_output=True,
                            text=True, timeout=300, cwd=tmp_path, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "another distribution (12, 12, 3)" in result.stdout and str(site) in result.stdout, result.stdout
