"""Typed configuration of a training run: the complete, validated form a run stores in ``config.json`` (enough
to rebuild the run), and the parsers of the values people type (steps, key=value pairs, names from a list).

What a person types is ``agents.cli.options.TrainArgs`` (anything left unset comes from the preset);
``agents.training.resolve`` turns it into a ``RunConfig``.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import inspect
import json
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def choose(kind: str, value: str, choices: list[str], aliases: Mapping[str, str] | None = None) -> str:
    """``value`` if it is one of ``choices``, else a one-line ValueError naming them (and the nearest one: the
    choice ``aliases`` maps the lower-cased value to, e.g. resnet -> impala, else the closest spelling)."""
    if value in choices:
        return value
    alias = (aliases or {}).get(value.lower())
    near = [alias] if alias in choices else difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise ValueError(f"unknown {kind} {value!r}: choose one of {', '.join(choices)}{hint}")


def keyword_names(cls: type, skip: Collection[str] = ()) -> list[str]:
    """The keyword arguments ``cls(...)`` takes, its own first, following ``**kwargs`` into the base classes."""
    names: list[str] = []
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        params = list(inspect.signature(klass.__init__).parameters.values())[1:]  # without self
        names += [p.name for p in params if p.kind in kinds and p.name not in skip and p.name not in names]
        if not any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
            break
    return names


def check_keys(option: str, owner: str, given: Iterable[str], valid: list[str]) -> None:
    """A one-line ValueError for the first key of ``given`` that is not in ``valid``: the key, what ``owner``
    takes, and the nearest one (Python's own TypeError names only the unknown key, in a signature's words)."""
    for key in given:
        if key not in valid:
            near = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ValueError(f"{option}: unknown key {key!r}: {owner} takes {', '.join(valid)}{hint}")


_STEP_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")


def parse_steps(text: str | int, name: str = "steps") -> int:
    """``"500k"`` -> 500000, ``"2M"`` -> 2000000, ``"1500"`` -> 1500; a clear ValueError otherwise."""
    if isinstance(text, int):
        value = text
    else:
        match = _STEP_PATTERN.match(text)
        if not match:
            raise ValueError(f"{name} must be a count like 500k, 2M or 1500, got {text!r}")
        value = float(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
        if value != int(value):
            raise ValueError(f"{name} must be a whole number of steps, got {text!r}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {text!r}")
    return int(value)


def parse_kwargs(
    items: tuple[str, ...] | list[str], option: str = "env kwargs", example: str = "size=24"
) -> dict[str, Any]:
    """``("size=24", "n_enemies=6")`` -> ``{"size": 24, "n_enemies": 6}``; values are Python literals or text."""
    kwargs: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"{option} are key=value pairs like {example}, got {item!r}")
        try:
            kwargs[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            kwargs[key] = raw
    return kwargs


VEC_ENVS = ("dummy", "subproc")
"""stable-baselines3's DummyVecEnv (all copies in this process) or SubprocVecEnv (a process per copy)."""
SCHEDULES = ("constant", "linear")
"""How the learning rate and the clip range change over a run (``PPOSettings.lr_schedule``, ``clip_schedule``)."""


def scheduled(value: float, schedule: str) -> float | Callable[[float], float]:
    """A PPO setting as stable-baselines3 takes it: the number, or for ``linear`` a function of the progress
    remaining (1 at the start, 0 at the run's step target)."""
    if schedule == "constant":
        return value
    if schedule == "linear":
        return lambda progress_remaining: value * progress_remaining
    raise ValueError(f"unknown schedule {schedule!r}: choose one of {', '.join(SCHEDULES)}")


@dataclass
class PPOSettings:
    """PPO hyperparameters (stable-baselines3 names)."""

    learning_rate: float = 3e-4
    n_steps: int = 128
    batch_size: int = 256
    n_epochs: int = 4
    gamma: float = 0.99
    gae_lambda: float = 0.95
    ent_coef: float = 0.01
    clip_range: float = 0.2
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    lr_schedule: str = "constant"
    """``constant``, or ``linear``: annealed to 0 at the step target (CleanRL's and rl-zoo3's Atari setting)."""
    clip_schedule: str = "constant"
    """``constant``, or ``linear``: the clip range annealed to 0 at the step target, like the learning rate."""


@dataclass
class RunConfig:
    """Everything that defines a run; stored as config.json in the run directory."""

    env: str
    encoder: str
    obs: str | None
    steps: int
    seed: int
    n_envs: int
    device: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    encoder_kwargs: dict[str, Any] = field(default_factory=dict)
    ppo: PPOSettings = field(default_factory=PPOSettings)
    checkpoint_every: int = 50_000
    eval_episodes: int = 32
    eval_every: int = 0
    """Greedy evaluation every this many env steps, keeping the best policy (0: off; best_policy.py)."""
    seconds: float = 0.0
    """Training time limit: stop at the first rollout boundary after this many seconds of training, counted across
    resumes, with ``steps`` as the cap (0: no limit; agents/training/time_budget.py). For comparisons at equal
    wall-clock; such a run depends on the machine's speed, so it is not reproducible to the digit."""
    frame_stack: int = 1
    vec_env: str = "dummy"
    """How an external env's copies are stepped: ``dummy`` (one process) or ``subproc`` (one process each)."""
    preset: str = ""
    threads: int | None = None
    wandb: bool = False
    wandb_project: str = "pixelarena"
    wandb_group: str | None = None
    wandb_tags: tuple[str, ...] = ()
    demos: str = ""
    """Demonstrations the policy was cloned from before PPO: a directory of recordings or one file ("": none;
    agents/demos/). With ``steps`` 0 the run is behaviour cloning alone."""
    bc_epochs: int = 0
    """Passes of behaviour cloning over the demonstrations (0 without ``demos``)."""
    recurrent: bool = False
    """An LSTM between the encoder and the heads, trained by sb3-contrib's RecurrentPPO (nets/recurrent.py)."""
    lstm_size: int = 128
    """Hidden units of the LSTM of a recurrent run (CleanRL's ppo_atari_lstm width; sb3-contrib's default is 256)."""

    @property
    def rollout_steps(self) -> int:
        """Env steps per PPO rollout: training always stops on a rollout boundary."""
        return self.n_envs * self.ppo.n_steps

    def rounded(self) -> RunConfig:
        """This config as a run stores it: the step target rounded up to whole rollouts."""
        return dataclasses.replace(self, steps=round_up(self.steps, self.rollout_steps))

    def encoder_kwargs_on(self, env_metadata: dict[str, Any]) -> dict[str, Any]:
        """The encoder's arguments: the config's, over what the env's metadata declares (:func:`declared_kwargs`)."""
        return {**declared_kwargs(self.encoder, env_metadata), **self.encoder_kwargs}

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> RunConfig:
        """A config read from JSON, every field checked against its type (a file from elsewhere is data only)."""
        fields = checked_fields(cls, data, "config.json")
        if "ppo" in fields:
            fields["ppo"] = PPOSettings(**checked_fields(PPOSettings, fields["ppo"], "config.json ppo"))
        fields["wandb_tags"] = tuple(fields.get("wandb_tags", ()))
        config = cls(**fields)
        counts = (config.n_envs, config.checkpoint_every, config.eval_episodes, config.frame_stack)
        if min(counts) <= 0 or config.steps < 0 or (config.steps == 0 and not config.demos):
            raise ValueError("config.json: steps (0 only with demos, for cloning alone), n_envs, checkpoint_every, "
                             "eval_episodes, frame_stack must be positive")  # fmt: skip
        if (config.bc_epochs > 0) != bool(config.demos) or config.bc_epochs < 0:
            raise ValueError("config.json: bc_epochs must be positive with demos, and 0 without")
        if config.eval_every < 0:
            raise ValueError("config.json: eval_every must be 0 (off) or a count of env steps")
        if config.lstm_size <= 0:
            raise ValueError("config.json: lstm_size must be a positive number of hidden units")
        if not config.seconds >= 0:
            raise ValueError("config.json: seconds must be 0 (no limit) or a positive number of seconds")
        if config.ppo.n_steps <= 0 or config.ppo.batch_size <= 0 or config.ppo.n_epochs <= 0:
            raise ValueError("config.json: ppo n_steps, batch_size and n_epochs must be positive")
        if config.vec_env not in VEC_ENVS:
            raise ValueError(f"config.json: vec_env must be one of {', '.join(VEC_ENVS)}")
        for name in ("lr_schedule", "clip_schedule"):
            if getattr(config.ppo, name) not in SCHEDULES:
                raise ValueError(f"config.json: ppo {name} must be one of {', '.join(SCHEDULES)}")
        return config


def declared_kwargs(encoder: str, env_metadata: dict[str, Any]) -> dict[str, Any]:
    """Encoder arguments from what an env declares in its metadata (pixelarena's games do; any Gymnasium env can):
    ``cell_px``, so the stem reads one position per game cell (``nets.stems``); the codes stem where the image
    holds integer codes (``image_codes``, as MiniGrid's does); for the entity encoder, the rows of an entities
    observation (``entity_rows``, ``entity_features``)."""
    from pixelarena.nets import ENCODERS

    if encoder in ENCODERS and ENCODERS[encoder].reads_entity_rows:
        if "entity_rows" not in env_metadata:
            return {}
        return {"rows": int(env_metadata["entity_rows"]), "row_features": int(env_metadata["entity_features"])}
    cell_px = int(env_metadata.get("cell_px", 1))
    codes = {"stem": "codes"} if env_metadata.get("image_codes") else {}
    return {**({"cell_px": cell_px} if cell_px > 1 else {}), **codes}


# The JSON types each annotation of RunConfig / PPOSettings accepts (bool is not an int here).
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "str | None": (str, type(None)),
    "int | None": (int, type(None)), "dict[str, Any]": (dict,), "tuple[str, ...]": (list, tuple),
}  # fmt: skip
_LARGEST = 2**53  # JSON numbers beyond this are not exact in a float: no setting needs them


def checked_fields(cls: type, data: Any, what: str) -> dict[str, Any]:
    """``data`` as keyword arguments of dataclass ``cls``: known names, values of the annotated type, finite and
    not huge numbers; a one-line ValueError otherwise."""
    if not isinstance(data, dict):
        raise ValueError(f"{what} must be a JSON object, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        raise ValueError(f"{what} has unknown fields {sorted(unknown)}")
    required = [name for name, f in fields.items() if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING and name not in data]  # fmt: skip
    if required:
        raise ValueError(f"{what} lacks {required}")
    for name, value in data.items():
        allowed = _JSON_TYPES.get(str(fields[name].type))
        is_bool = isinstance(value, bool)
        wrong = allowed is not None and (not isinstance(value, allowed) or (is_bool and bool not in allowed))
        if isinstance(value, int | float) and not is_bool:
            wrong = wrong or not math.isfinite(value) or abs(value) > _LARGEST
        if wrong:
            raise ValueError(f"{what}: {name} = {json.dumps(value)[:40]} is not a valid {fields[name].type}")
    return dict(data)


def round_up(steps: int, multiple: int) -> int:
    """The smallest multiple of ``multiple`` that is >= ``steps``."""
    return -(-steps // multiple) * multiple


def encoder_label(config: RunConfig) -> str:
    """The encoder with its arguments, as comparisons name it: ``cnn``, ``cnn+stem=rgb``."""
    return "".join([config.encoder, *(f"+{key}={value}" for key, value in sorted(config.encoder_kwargs.items()))])


def view_label(env_kwargs: dict[str, Any]) -> str:
    """A run's frame of reference as encoder specs write it: ``@ego`` (centred on the player), ``@ego5`` (its crop
    of radius 5), ``@map``; empty when the run does not say (the map's frame, the default)."""
    view = env_kwargs.get("view")
    if view is None:
        return ""
    radius = env_kwargs.get("view_radius")
    return f"@{view}{radius if view == 'ego' and radius is not None else ''}"


def parse_view(text: str) -> tuple[str, ...]:
    """The env kwargs of a spec's view: ``ego`` -> ``view=ego``, ``ego5`` -> ``view=ego view_radius=5``, ``map``
    -> ``view=map view_radius=None``; a one-line ValueError for anything else."""
    match = re.fullmatch(r"(map|ego)(\d*)", text)
    if match is None or (match[1] == "map" and match[2]):
        raise ValueError(f"view {text!r} after '@': choose map, ego (centred on the player) or egoN (the N-cell crop "
                         "around it, e.g. ego5)")  # fmt: skip
    view, radius = match[1], match[2]
    return (f"view={view}", f"view_radius={radius or None}")


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
