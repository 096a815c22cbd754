"""Options people bring from other RL tools, and what pixelarena calls them.

Someone who trained with rl-zoo3, stable-baselines3 or CleanRL types ``-n 1000000``, ``--total-timesteps`` or
``--track``. An unknown option gets one line: the tool it comes from and pixelarena's name for the same thing, or
else the nearest of the command's own options. The table is the README's "Coming from rl-zoo3 / SB3 / CleanRL".
pixelarena keeps one spelling per option (no aliases), so that --help, the README and config.json agree.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Sequence
from typing import NamedTuple


class Habit(NamedTuple):
    """Another tool's option and pixelarena's: ``field`` the option of pixelarena's command (None: none, the note
    says why), ``example`` a value to show with it (None for a flag), ``note`` what differs."""

    tool: str
    field: str | None
    example: str | None = None
    note: str = ""


_STEPS = "counts like 500k or 2M are fine"
_ONE_ALGORITHM = (
    "pixelarena trains PPO alone (MaskablePPO where actions are masked, RecurrentPPO with --recurrent), so there is "
    "nothing to choose"
)
HABITS: dict[str, Habit] = {
    "-n": Habit("rl-zoo3", "steps", "1M", _STEPS),
    "--n-timesteps": Habit("rl-zoo3", "steps", "1M", _STEPS),
    "--total-timesteps": Habit("CleanRL", "steps", "1M", _STEPS),
    "--algo": Habit("rl-zoo3", None, note=_ONE_ALGORITHM),
    "--eval-freq": Habit("rl-zoo3", "eval_every", "10k", "in env steps, all envs together, as rl-zoo3 counts"),
    "--save-freq": Habit("rl-zoo3", "checkpoint_every", "50k", "one checkpoint is kept, for --resume"),
    "--track": Habit("CleanRL", "wandb"),
    "--wandb-project-name": Habit("CleanRL", "wandb_project", "NAME"),
    "--hyperparams": Habit("rl-zoo3", None),  # each key:value becomes an option of its own (see _hyperparams)
    "-i": Habit("rl-zoo3", "init_from", "RUN", "a run directory, its weights only"),
    "--trained-agent": Habit("rl-zoo3", "init_from", "RUN", "a run directory, its weights only"),
    "-f": Habit("rl-zoo3", "run_dir", "runs/NAME"),
    "--log-folder": Habit("rl-zoo3", "run_dir", "runs/NAME"),
    "--exp-name": Habit("CleanRL", "run_dir", "runs/NAME"),
    "-tb": Habit("rl-zoo3", "tensorboard"),
    "--tensorboard-log": Habit("rl-zoo3", "tensorboard"),
    "--num-threads": Habit("rl-zoo3", "threads", "1"),
    "--env-id": Habit("CleanRL", "env", "Chase"),
    "--num-envs": Habit("CleanRL", "n_envs", "8"),
    "--num-steps": Habit("CleanRL", "n_steps", "128"),
    "--num-minibatches": Habit("CleanRL", "minibatches", "4"),
    "--update-epochs": Habit("CleanRL", "n_epochs", "4"),
    "--clip-coef": Habit("CleanRL", "clip_range", "0.1"),
    "--anneal-lr": Habit("CleanRL", "lr_schedule", "linear"),
    "--cuda": Habit("CleanRL", "device", "cuda", "auto, the default, takes a GPU when there is one"),
    "--capture-video": Habit("CleanRL", "show", note="or pixelarena play RUN --record agent.mp4"),
    "--lr": Habit("", "learning_rate", "3e-4"),
    "--optimize": Habit("rl-zoo3", None, note="pixelarena sweep searches hyperparameters"),
    "--optimize-hyperparameters": Habit("rl-zoo3", None, note="pixelarena sweep searches hyperparameters"),
    "--n-trials": Habit("rl-zoo3", "trials", "20"),
    "--load-best": Habit("rl-zoo3", "weights", "best"),
    "--load-last-checkpoint": Habit("rl-zoo3", "weights", "latest"),
    "--load-checkpoint": Habit("rl-zoo3", "weights", "latest", "a run keeps its last checkpoint only"),
    "--exp-id": Habit("rl-zoo3", None, note="give the run directory itself, e.g. runs/<run>"),
    "--deterministic": Habit("rl-zoo3", "stochastic", note="greedy actions are the default; --stochastic samples"),
}
"""Options of rl-zoo3 (train.py, enjoy.py), CleanRL (ppo*.py) and SB3's ``learn(total_timesteps=...)``, by their
spelling there; ``--lr``, nobody's, is everybody's shorthand."""
PYTHON_HABITS = {"total_timesteps": HABITS["--total-timesteps"]._replace(tool="stable-baselines3")}
"""Keyword arguments of other tools' Python APIs, for ``pixelarena.train``."""

_OPTION = re.compile(r"^--?[A-Za-z][\w-]*")


def options_of(cls: type) -> dict[str, str]:
    """The command-line options of a command's dataclass: ``--n-envs`` -> ``n_envs`` (and ``--no-wandb`` for a
    flag); positional fields are not options, so a name there is never suggested."""
    options = {}
    for field in dataclasses.fields(cls):
        if "Positional" in str(field.type):
            continue
        dashed = field.name.replace("_", "-")
        options[f"--{dashed}"] = field.name
        if str(field.type) == "bool":
            options[f"--no-{dashed}"] = field.name
    return options


def _name(field: str) -> str:
    return f"--{field.replace('_', '-')}"


def _cli_hint(option: str, habit: Habit, command: str) -> str:
    if habit.field is None:
        return f"{option} is {habit.tool}'s; {habit.note}"
    name = _name(habit.field)
    example = "" if habit.example is None else f", e.g. {name} {habit.example}"
    note = f" ({habit.note})" if habit.note else ""
    whose = f"{option} is {habit.tool}'s: " if habit.tool else f"{option}: "
    return f"{whose}{command} calls it {name}{example}{note}"


def _hyperparams(values: Sequence[str], fields: dict[str, str], command: str) -> str:
    """rl-zoo3's ``--hyperparams learning_rate:1e-3 n_steps:128`` as pixelarena's options of the same names."""
    ours, unknown = [], []
    for item in values:
        key, _, value = item.replace("=", ":").partition(":")
        field = key.strip()
        if field in fields.values():
            ours.append(f"{_name(field)} {value.strip()}".rstrip())
        else:
            unknown.append(field)
    said = f"--hyperparams is rl-zoo3's; {command} takes each as an option of its own"
    said += f": {' '.join(ours)}" if ours else " (pixelarena train --help lists the PPO options)"
    return said + (f"; it has no {', '.join(unknown)}" if unknown else "")


def unknown_options(argv: Sequence[str], cls: type, command: str) -> str | None:
    """One line about the options of ``argv`` that ``cls``'s command does not have: what pixelarena calls another
    tool's option, or the nearest of the command's own; None when every option is known."""
    options = options_of(cls)
    known = {*options, "-h", "--help"}
    lines = []
    for index, arg in enumerate(argv):
        match = _OPTION.match(arg)
        option = match.group(0) if match and (arg == match.group(0) or arg[len(match.group(0))] == "=") else None
        if option is None or option in known:
            continue
        habit = HABITS.get(option)
        if option == "--hyperparams":
            following = [arg.partition("=")[2]] if "=" in arg else []
            following += [v for v in _values_after(argv, index)]
            lines.append(_hyperparams(following, options, command))
        elif habit is not None and (habit.field is None or habit.field in options.values()):
            lines.append(_cli_hint(option, habit, command))
        else:
            near = _nearest(option, options)
            lines.append(f"{command} has no option {option}" + (f"; did you mean {near}?" if near else ""))
    return "; ".join(lines) if lines else None


def _nearest(option: str, options: dict[str, str]) -> str | None:
    """The command's option spelled most like ``option``, compared without the dashes (which every one shares)."""
    bare = {name.lstrip("-"): name for name in options}
    near = difflib.get_close_matches(option.lstrip("-"), list(bare), n=1, cutoff=0.6)
    return bare[near[0]] if near else None


def _values_after(argv: Sequence[str], index: int) -> list[str]:
    values = []
    for arg in argv[index + 1 :]:
        if _OPTION.match(arg):
            break
        values.append(arg)
    return values


def unknown_keyword(key: str, valid: Sequence[str], function: str) -> str:
    """The message of a TypeError for a keyword argument ``function`` does not take, in Python's words, with what
    it is called here or the nearest keyword it takes."""
    said = f"{function}() got an unexpected keyword argument {key!r}"
    habit = PYTHON_HABITS.get(key) or HABITS.get(f"--{key.replace('_', '-')}")
    if habit is not None and habit.field in valid:
        example = (
            "True" if habit.example is None else habit.example if _is_number(habit.example) else repr(habit.example)
        )
        note = f" ({habit.note})" if habit.note else ""
        whose = f"{habit.tool}'s name; " if habit.tool else ""
        return f"{said}: {whose}pixelarena calls it {habit.field}{note}, e.g. {habit.field}={example}"
    if habit is not None and habit.field is None:
        return f"{said}: {habit.note}"
    near = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    return said + (
        f"; did you mean {near[0]!r}?"
        if near
        else "; it takes the options of pixelarena train, with underscores (pixelarena train --help lists them)"
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
