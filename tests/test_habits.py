"""People come from rl-zoo3, stable-baselines3 and CleanRL: their options get one line saying pixelarena's name,
unknown options a suggestion from the command's own options, the Python API one in its own words; a file given for
a run names its run; a new run can start from another run's weights (--init-from)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

import pixelarena
from pixelarena.agents.cli.habits import HABITS, options_of
from pixelarena.agents.cli.main import main
from pixelarena.agents.run.checkpoint import load_checkpoint
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.training.options import TrainArgs

CLI_PAGE = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
TINY = dict(env_kwargs=("size=8",), n_envs=8, n_steps=32, batch_size=128, n_epochs=1, eval_episodes=2, threads=1,
            eval_every="0")  # fmt: skip


def one_line_error(argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    """``pixelarena ARGV``'s error, checked to be one line with exit code 2 and nothing trained."""

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{argv} got as far as training")

    monkeypatch.setattr("pixelarena.agents.training.train._train", must_not_run)
    try:  # a usage error exits; bad input that parses is returned as the exit code
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    assert code == 2 and out == "", err
    assert len(err.splitlines()) == 1 and len(re.sub(r"/\S+", "PATH", err)) < 300, err  # one line, not ~900 chars
    return err.strip()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ("train -n 10000", "-n is rl-zoo3's: pixelarena train calls it --steps, e.g. --steps 1M"),
        ("train --n-timesteps 10000", "--n-timesteps is rl-zoo3's: pixelarena train calls it --steps"),
        ("train --total-timesteps 10000", "--total-timesteps is CleanRL's: pixelarena train calls it --steps"),
        ("compare --total-timesteps=10000", "--total-timesteps is CleanRL's: pixelarena compare calls it --steps"),
        ("train --eval-freq 10000", "--eval-freq is rl-zoo3's: pixelarena train calls it --eval-every"),
        ("train --save-freq 10000", "--save-freq is rl-zoo3's: pixelarena train calls it --checkpoint-every"),
        ("train --track", "--track is CleanRL's: pixelarena train calls it --wandb"),
        (
            "train --wandb-project-name x",
            "--wandb-project-name is CleanRL's: pixelarena train calls it --wandb-project",
        ),
        ("train --algo ppo", "--algo is rl-zoo3's; pixelarena trains PPO alone"),
        ("train -i runs/x", "-i is rl-zoo3's: pixelarena train calls it --init-from"),
        (
            "train --hyperparams learning_rate:1e-3 n_steps:128 --seed 1",
            "--hyperparams is rl-zoo3's; pixelarena train takes each as an option of its own: --learning-rate 1e-3 "
            "--n-steps 128",
        ),
        ("train --lr 1e-3", "--lr: pixelarena train calls it --learning-rate"),
        ("train --n-env 4", "pixelarena train has no option --n-env; did you mean --n-envs?"),
        ("eval RUN --load-best", "--load-best is rl-zoo3's: pixelarena eval calls it --weights, e.g. --weights best"),
        ("sweep --n-trials 5", "--n-trials is rl-zoo3's: pixelarena sweep calls it --trials"),
        ("train --bogus 1", "pixelarena train has no option --bogus (full help: pixelarena train --help)"),
    ],
)
def test_other_tools_options_get_pixelarenas_name_in_one_line(
    argv: str, said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    error = one_line_error(argv.split(), monkeypatch, capsys)
    assert error.startswith(f"pixelarena: error: {said}"), error
    assert error.endswith(f"(full help: pixelarena {argv.split()[0]} --help)"), error


def test_two_habits_in_one_line_and_suggestions_only_from_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    error = one_line_error(["train", "--track", "--total-timesteps", "1000"], monkeypatch, capsys)
    assert "--track is CleanRL's" in error and "; --total-timesteps is CleanRL's" in error
    # play has no --n-envs: its nearest option, not another command's
    error = one_line_error(["play", "--n-env", "4"], monkeypatch, capsys)
    assert error == "pixelarena: error: pixelarena play has no option --n-env; did you mean --env? (full help: " \
                    "pixelarena play --help)"  # fmt: skip


def test_every_habit_names_an_option_of_some_command() -> None:
    from pixelarena.agents.cli.commands import COMMANDS

    fields = {name for cls, _ in COMMANDS.values() for name in options_of(cls).values()}
    # tensorboard: the option of --tensorboard-log, named for when train has it
    named = {habit.field for habit in HABITS.values() if habit.field is not None} - {"tensorboard"}
    assert named <= fields, named - fields


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        (dict(n_env=8), "train() got an unexpected keyword argument 'n_env'; did you mean 'n_envs'?"),
        (dict(total_timesteps=1000), "'total_timesteps': stable-baselines3's name; pixelarena calls it steps"),
        (dict(track=True), "'track': CleanRL's name; pixelarena calls it wandb, e.g. wandb=True"),
        (dict(lr=1e-3), "'lr': pixelarena calls it learning_rate, e.g. learning_rate=3e-4"),
        (dict(colour=1), "'colour'; it takes the options of pixelarena train, with underscores"),
    ],
)
def test_the_python_api_suggests_its_own_keyword(keywords: dict[str, object], message: str) -> None:
    with pytest.raises(TypeError) as error:
        pixelarena.train(preset="quickstart", **keywords)
    assert message in str(error.value) and "TrainArgs" not in str(error.value), error.value


def test_a_file_given_for_a_run_names_the_file_and_its_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    for name in ("config.json", "model.safetensors", "checkpoints/best.safetensors", "notes.txt"):
        (run / name).write_text("")
    said = {
        f"eval {run}/model.safetensors": f"{run}/model.safetensors is a file of the run {run}: give the run "
        f"directory, {run} (--weights final, the default, reads this file)",
        f"play {run}/checkpoints/best.safetensors": f"{run}/checkpoints/best.safetensors is a file of the run {run}: "
        f"give the run directory, {run} (--weights best reads this file)",
        f"eval {run}/config.json": f"{run}/config.json is a file of the run {run}: give the run directory, {run}",
        f"export {run}/config.json --onnx {tmp_path}/x.onnx": f"{run}/config.json is a file of the run {run}",
        f"train --resume {run}/notes.txt": f"{run}/notes.txt is a file of the run {run}: give the run directory",
        f"eval {run}/notes.txt/x": f"run directory {run}/notes.txt/x does not exist",
    }
    for line, message in said.items():
        assert one_line_error(line.split(), monkeypatch, capsys).startswith(f"pixelarena: error: {message}"), line
    assert not (tmp_path / "x.onnx").exists()


def test_a_new_run_starts_from_another_runs_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The weights come over (a learning rate of 1e-12 keeps them where they were); the new settings hold; the
    config says where they came from."""
    # A constant learning rate: the preset's linear one is 0 at the end of a run of one rollout.
    source = pixelarena.train("Chase", steps=256, run_dir=tmp_path / "source", lr_schedule="constant", **TINY)
    started = pixelarena.train("Chase", steps=256, run_dir=tmp_path / "new", init_from=source, learning_rate=1e-12,
                               **TINY)  # fmt: skip
    fresh = pixelarena.train("Chase", steps=256, run_dir=tmp_path / "fresh", learning_rate=1e-12, **TINY)
    assert f"Policy initialised from {source / 'model.safetensors'} (its step 256)" in capsys.readouterr().out
    config = RunDir(started).read_config()
    assert config.init_from == str(source / "model.safetensors") and config.ppo.learning_rate == 1e-12
    weights = {name: load_checkpoint(run / "model.safetensors").policy for name, run in
               (("source", source), ("new", started), ("fresh", fresh))}  # fmt: skip
    close = [torch.allclose(weights["source"][key], weights["new"][key], atol=1e-6) for key in weights["source"]]
    assert all(close)
    assert not all(torch.allclose(weights["source"][key], weights["fresh"][key], atol=1e-6)
                   for key in weights["source"])  # fmt: skip


def test_the_readme_table_for_users_of_other_tools_agrees_with_the_hints() -> None:
    """Each row of docs/cli.md's "Coming from rl-zoo3 / SB3 / CleanRL" names an option of the table here, and
    pixelarena's name for it is the one the hint gives."""
    text = CLI_PAGE.read_text()
    section = text[text.index("## Coming from rl-zoo3") :]
    section = section[: section.index("\n#", 1)] if "\n#" in section[1:] else section
    rows = re.findall(r"^\| (`[^|]+`) \| ([^|]+) \| ([^|]+) \|", section, flags=re.M)
    assert len(rows) >= 10
    for theirs, tool, ours in rows:
        for option in re.findall(r"`([^` ]+)", theirs):
            if option not in HABITS or HABITS[option].field is None:
                continue
            habit = HABITS[option]
            assert f"--{habit.field.replace('_', '-')}" in ours, (option, ours)
            assert habit.tool in tool, (option, tool)
    mentioned = {option for theirs, _, _ in rows for option in re.findall(r"`([^` ]+)", theirs)}
    assert {"-n", "--n-timesteps", "--total-timesteps", "--eval-freq", "--save-freq", "--track",
            "--wandb-project-name", "--hyperparams", "--algo"} <= mentioned  # fmt: skip


def test_trainargs_fields_are_the_python_keywords() -> None:
    """pixelarena.train takes exactly TrainArgs's fields: the check that names unknown keywords uses them."""
    import dataclasses
    import inspect

    explicit = [p for p in inspect.signature(pixelarena.train).parameters if p != "options"]
    assert set(explicit) <= {field.name for field in dataclasses.fields(TrainArgs)}
