"""What a new user sees from the command line on good input: listings, versions, help texts, progress lines."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pixelarena.agents.cli.commands import COMMANDS
from pixelarena.agents.cli.main import main


def test_list_shows_a_per_cell_action_space_compactly(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--env", "Swarm"]) == 0
    out = capsys.readouterr().out
    assert "actions MultiDiscrete(5 x 144)" in out and "5 5 5" not in out


def test_list_takes_other_gymnasium_envs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--env", "CartPole-v1"]) == 0
    out = capsys.readouterr().out
    assert "Encoders on CartPole-v1 (observation (4,) float32, actions Discrete(2))" in out
    assert "encoder='mlp'" not in out


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_weights_get_the_mode_of_every_other_file_of_the_run(umask: int, mode: int, tmp_path: Path) -> None:
    """safetensors writes 0600; a run's weights follow the umask like its config and metrics."""
    import gymnasium as gym
    import numpy as np
    import torch

    from pixelarena.agents.run import run_dir
    from pixelarena.agents.run.checkpoint import save_checkpoint

    old = os.umask(umask)
    run_dir._new_file_mode.cache_clear()
    try:
        spaces = gym.spaces.Box(0, 1, (3,), np.float32), gym.spaces.Discrete(2)
        weights = save_checkpoint(tmp_path / "model.safetensors", torch.nn.Linear(3, 2), None, 0, *spaces)
        config = run_dir.write_text_atomically(tmp_path / "config.json", "{}\n")
    finally:
        os.umask(old)
        run_dir._new_file_mode.cache_clear()
    assert stat.S_IMODE(weights.stat().st_mode) == stat.S_IMODE(config.stat().st_mode) == mode


def test_compare_help_lists_every_suite_and_its_experiments(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pixelarena.agents.experiments.suites import SUITES

    monkeypatch.setenv("COLUMNS", "120")  # one column of groups (tyro puts them side by side from 130)
    with pytest.raises(SystemExit) as exit_:
        main(["compare", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())  # the help's lines joined
    for name, suite in SUITES.items():
        keys = ", ".join(entry.key for entry in (*suite.experiments, *suite.transfers))
        assert f"{name} ({keys})" in text and f"{name}: {' or '.join(suite.budgets)}" in text


@pytest.mark.parametrize("command", ["eval", "play", "bench"])
def test_commands_that_default_to_the_cpu_say_why(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    device = text[text.index("--device STR") :]
    device = device[: device.index("(default: cpu)")]
    assert "cpu by default, unlike train's auto" in device


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"pixelarena {version('pixelarena')}\n"


def test_list_presets_prints_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    from pixelarena.agents.checks import parse_steps
    from pixelarena.agents.cli.listing import format_steps
    from pixelarena.agents.run.presets import PRESETS

    assert main(["list", "--presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name, preset in PRESETS.items():
        row = next(line.split() for line in lines if line.split()[:1] in ([name], [f"{name}*"]))
        assert row[1:5] == [preset.env, preset.encoder, preset.obs, format_steps(preset.steps)]
        assert parse_steps(row[4]) == preset.steps  # as --steps takes it
    assert "Encoders on" not in "\n".join(lines)


def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    """pixelarena list --presets | head -1: the pipe closes before the output is written."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "pixelarena", "list", "--presets"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1 and err == ""


def test_the_scripted_policy_is_called_scripted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from pixelarena.agents.cli.listing import print_games

    print_games()
    assert "scripted +9.80" in capsys.readouterr().out
    video = tmp_path / "snake.gif"
    assert main(["play", "--env", "Snake", "--policy", "scripted", "--episodes", "1", "--size", "6", "--scale", "2",
                 "--record", str(video)]) == 0  # fmt: skip
    assert capsys.readouterr().out.startswith("scripted policy on Snake: episode returns")


def test_wandb_does_not_advertise_llm_tracing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """wandb suggests Weave's LLM tracing when a module named `agents` (the OpenAI Agents SDK's name) is imported:
    pixelarena's own code is `pixelarena.agents`, so nothing of it triggers that, with WANDB_DISABLE_WEAVE unset."""
    import sys

    from wandb.integration.weave import weave

    from pixelarena.agents.run.config import RunConfig
    from pixelarena.agents.training.tracking import Tracker

    # Offline runs have no entity, and wandb suggests Weave only with one: give it one; the suggestion itself runs.
    monkeypatch.setattr(weave, "build_project_path", lambda entity, project: f"someone/{project}")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.delenv("WANDB_DISABLE_WEAVE", raising=False)
    monkeypatch.delenv("WANDB_SILENT", raising=False)
    config = RunConfig(env="Chase", encoder="cnn", obs="pixels", steps=512, seed=0, n_envs=8, device="cpu",
                       wandb=True)  # fmt: skip
    tracker = Tracker.start(config, tmp_path, {}, "cpu")
    assert tracker.run is not None
    tracker.finish()
    out, err = capfd.readouterr()
    assert "W&B: logging offline" in out and "Weave" not in out + err
    assert "agents" not in sys.modules


def test_train_says_how_it_rounded_the_steps_where_the_model_is_and_what_next(tmp_path: Path) -> None:
    import subprocess
    import sys

    run = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "pixelarena", "train", "--steps", "1k", "--run-dir", str(run),
                             "--env-kwargs", "size=8", "--n-envs", "8", "--n-steps", "32", "--batch-size", "128",
                             "--n-epochs", "1", "--eval-episodes", "2", "--threads", "1"],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Step target 1,000 rounded up to 1,024: PPO trains whole rollouts of 8 envs x 32 steps = 256" in out
    assert "1,024/1,024" in result.stderr and "1.02k" not in result.stderr  # the progress bar's whole numbers
    assert out.splitlines()[-4:] == [
        "Preset: chase-cnn (agents/run/presets.py), with the options given",
        f"Model: {run / 'model.safetensors'}",
        f"Next: pixelarena eval {run}   (greedy return over 100 games)",
        f"      pixelarena play {run}   (watch it play; --record agent.mp4 without a display)",
    ]
    assert (run / "model.safetensors").is_file()


def test_the_step_bar_counts_in_whole_steps() -> None:
    from pixelarena.agents.training.progress import StepBar

    with StepBar(1_000_000, 4_096, "training", mininterval=0) as bar:
        bar.update(8_192)
        text = str(bar)
    assert "12,288/1,000,000" in text and "steps/s" in text and "k/" not in text


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)], ids=lambda words: " ".join(words) or "-")
def test_help_reads_like_a_manual(
    command: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No parser internals in any --help: a None default reads as what it means, not `{None}|INT` or None."""
    monkeypatch.setenv("COLUMNS", "120")  # one column of groups (tyro puts them side by side from 130)
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())  # the help's lines joined
    for internal in ("{None}", "(default: None)", "(default: )", "(default: False)", "(default: True)"):
        assert internal not in text, f"{internal} in pixelarena {' '.join(command)} --help"


def test_play_py_help_reads_like_a_manual(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from pixelarena.agents.cli.play import main as play_main

    monkeypatch.setenv("COLUMNS", "120")
    with pytest.raises(SystemExit) as exit_:
        play_main(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    assert "{None}" not in text and "(default: None)" not in text and "(default: )" not in text


def test_train_help_shows_the_main_options_first_then_the_groups(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())
    order = ["--env", "--encoder", "--obs", "--preset", "--steps", "--seed", "run options", "--n-envs", "PPO options",
             "--learning-rate", "evaluation and checkpoint options", "--eval-every", "logging options",
             "--wandb-project"]  # fmt: skip
    positions = [text.index(f"{item} ") for item in order]
    assert positions == sorted(positions)
    assert "--learning-rate FLOAT" in text and "(default: from the preset)" in text


def test_every_option_of_a_grouped_command_is_in_a_group() -> None:
    """A new option lands beside the main ones until it is placed: HELP_GROUPS in agents/cli/options.py."""
    import dataclasses

    from pixelarena.agents.cli.options import HELP_GROUPS

    for cls, groups in HELP_GROUPS.items():
        placed = [name for names in groups.values() for name in names]
        assert sorted(placed) == sorted(field.name for field in dataclasses.fields(cls)), cls.__name__


def test_grouped_options_parse_into_the_flat_arguments() -> None:
    """Help groups change no option: train's view gives back TrainArgs with every value in place."""
    import tyro

    from pixelarena.agents.cli.grouping import flat, view
    from pixelarena.agents.cli.options import HELP_GROUPS
    from pixelarena.agents.training.options import TrainArgs

    argv = ["--env", "Snake", "--steps", "10k", "--learning-rate", "0.001", "--eval-every", "0", "--wandb-tags", "a",
            "b", "--no-show", "--n-envs", "4"]  # fmt: skip
    args = flat(tyro.cli(view(TrainArgs, HELP_GROUPS[TrainArgs]), args=argv))
    assert args == TrainArgs(env="Snake", steps="10k", learning_rate=0.001, eval_every="0", wandb_tags=("a", "b"),
                             n_envs=4)  # fmt: skip
