"""`import pixelarena`: make a game, train from code as the command line does, load the run and act with it; the
README's Python example uses only what the package offers."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import pixelarena

# A run of one rollout on a small map, with one torch thread: a few seconds on a CPU.
TINY = {"n_envs": 8, "n_steps": 32, "batch_size": 128, "n_epochs": 1, "eval_episodes": 2, "eval_every": "0",
        "threads": 1, "env_kwargs": ("size=8",)}  # fmt: skip
README = Path(__file__).resolve().parent.parent / "README.md"


def test_import_loads_no_torch_and_gives_a_version() -> None:
    code = "import sys, pixelarena; print(pixelarena.__version__); assert 'torch' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == pixelarena.__version__ != ""


def test_make_gives_a_game_and_make_vec_a_batch_of_them() -> None:
    env = pixelarena.make("Chase", obs="grid", size=8)
    obs, _ = env.reset(seed=0)
    assert obs.shape == env.observation_space.shape and obs.shape[1:] == (8, 8)
    assert len(env.step(env.action_space.sample())) == 5
    vec = pixelarena.make_vec("Snake", num_envs=4)
    batch, _ = vec.reset(seed=0)
    assert batch.shape[0] == 4 and batch.dtype == np.uint8  # pixels, the default
    assert set(pixelarena.GAMES) == {"Chase", "Target", "Swarm", "Snake"}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pixelarena.train(preset="quickstart", steps=256, run_dir=tmp_path_factory.mktemp("api") / "run", **TINY)


def test_train_from_code_makes_a_run_like_the_command_line(run: Path) -> None:
    import json

    config = json.loads((run / "config.json").read_text())
    assert (config["env"], config["encoder"], config["obs"], config["steps"]) == ("Chase", "cnn", "pixels", 256)
    assert config["env_kwargs"]["size"] == 8 and (run / "model.safetensors").is_file()


def test_a_loaded_run_acts_on_its_game(run: Path) -> None:
    agent = pixelarena.load(run)
    assert agent.config.env == "Chase" and agent.run_dir == run
    env = agent.make_env()
    obs, _ = env.reset(seed=0)
    action = agent.act(obs)
    assert env.action_space.contains(int(action))
    assert action == agent.model.predict(obs, deterministic=True)[0]
    env.step(action)
    vec = agent.make_vec_env(num_envs=3)
    assert agent.act(vec.reset()).shape == (3,)


def test_weights_loads_the_file_it_names_and_the_actions_follow_it(run: Path, tmp_path: Path) -> None:
    """The last checkpoint, changed to prefer one move everywhere: ``weights="latest"`` acts on it, the run's
    final policy does not (here the two files start out alike: a 256-step run keeps its only policy twice)."""
    import shutil

    from tests.planted_weights import prefer

    copy = Path(shutil.copytree(run, tmp_path / "copy"))
    observations = pixelarena.load(copy).make_vec_env(num_envs=16).reset()
    final_actions = pixelarena.load(copy).act(observations)
    preferred = (int(final_actions[0]) + 1) % 5
    planted = prefer(copy / "checkpoints" / "latest.safetensors", preferred)
    agent = pixelarena.load(copy, weights="latest")
    loaded = agent.model.policy.state_dict()["action_net.bias"]
    assert loaded.equal(planted)
    assert (agent.act(observations) == preferred).all()
    assert (pixelarena.load(copy).act(observations) == final_actions).all()
    assert final_actions[0] != preferred


def test_training_continues_a_run_from_code(run: Path, tmp_path: Path) -> None:
    import json
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    assert pixelarena.train(resume=copy, steps=512) == copy
    assert pixelarena.load(copy).config.steps == 512
    rows = [json.loads(line) for line in (copy / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 512


def test_bad_arguments_are_plain_python_errors(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        pixelarena.train(stepz=100)
    with pytest.raises(ValueError, match="did you mean 'Chase'"):
        pixelarena.train(env="Chse")
    with pytest.raises(ValueError, match="does not exist"):
        pixelarena.load(tmp_path / "no-run")
    with pytest.raises(ValueError, match="did you mean 'Chase'"):
        pixelarena.make("Chse")


def test_the_readme_python_example_uses_only_the_public_api() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    example = next(block for block in blocks if "import pixelarena" in block)
    tree = ast.parse(example)  # valid Python
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "pixelarena"
    }
    assert used and used <= set(pixelarena.__all__), used - set(pixelarena.__all__)
    imported = {name for node in ast.walk(tree)
                for name in ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                             [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])}  # fmt: skip
    internal = [name for name in imported if name.startswith(("pixelarena.", "agents", "envs", "nets"))]
    assert "pixelarena" in imported and not internal, internal


def test_values_a_run_cannot_read_back_and_unknown_weights_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^seconds = 1e\+16 cannot be recorded") as error:
        pixelarena.train(env="Chase", steps="1k", seconds=1e16, run_dir=tmp_path / "run")
    assert "\n" not in str(error.value) and not (tmp_path / "run").exists()
    with pytest.raises(ValueError, match="unknown weights 'bogus': choose one of final, best, latest"):
        pixelarena.load(tmp_path, weights="bogus")  # type: ignore[arg-type]
