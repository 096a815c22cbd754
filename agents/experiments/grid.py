"""Planning a comparison: encoder specs x seeds resolved and validated as `train` would, before anything trains.

A comparison is a folder (``runs/<name>/``) of normal run directories, one per encoder spec and seed
(``<env>__<encoder>__<obs>__s<seed>/``, no time stamp, so that the same command finds them again). Every run
directory gets its config.json up front, so the folder shows the whole plan from the start; running the same
command again finds them, and a run directory that holds other settings is refused.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pixelarena.agents.evaluation.transfer import check_variants, expand_variants
from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.naming import parse_view, run_name, spec_label
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.training.options import RunOptions, TrainArgs
from pixelarena.agents.training.resolve import resolve

# Settings that change how a run is executed, not what it learns: a re-run may change them.
RUNTIME_FIELDS = ("threads", "device", "wandb", "wandb_project", "wandb_entity", "wandb_group", "wandb_tags",
                  "wandb_artifacts", "tensorboard", "comparison", "checkpoint_every")  # fmt: skip
DEFAULT_SEEDS = 5


@dataclass(frozen=True)
class Grid:
    """One comparison: its folder, its runs (seed-major, so a stopped grid has every encoder at the same seeds)
    and the transfer variants every run is evaluated on."""

    root: Path
    runs: tuple[RunConfig, ...]
    variants: tuple[str, ...] = ()

    def run_dir(self, config: RunConfig) -> Path:
        return self.root / run_name(config)

    def run(self, config: RunConfig) -> RunDir:
        return RunDir(self.run_dir(config))


@dataclass(frozen=True)
class EncoderSpec:
    """One ``--encoders`` entry: ``encoder[+key=value...][:obs[@view]]``, e.g. ``cnn+stem=rgb:pixels`` or
    ``mlp:grid@ego5`` (the 11x11 crop centred on the player; ``agents.run.config.parse_view``)."""

    text: str
    encoder: str
    obs: str | None
    encoder_kwargs: tuple[str, ...]
    """``key=value`` arguments of the encoder, on top of ``--encoder-kwargs``."""
    env_kwargs: tuple[str, ...] = ()
    """``key=value`` game arguments of the view, on top of ``--env-kwargs``."""


def parse_specs(items: Sequence[str]) -> list[EncoderSpec]:
    """``["mlp:vector,cnn", "cnn+stem=rgb:pixels"]`` -> specs of mlp on vectors, cnn on the game's default, and cnn
    with ``stem="rgb"`` on pixels."""
    # Commas separate specs, except inside brackets: mlp+hidden_sizes=(64,64):vector is one spec.
    specs = [spec.strip() for item in items for spec in re.split(r",(?![^()\[\]]*[)\]])", item) if spec.strip()]
    if not specs:
        raise ValueError("--encoders is empty: give encoder specs like mlp:vector,cnn,impala,unet")
    parsed = []
    for text in specs:
        head, _, tail = text.partition(":")
        encoder, *kwargs = head.split("+")
        obs, at, view = tail.partition("@")
        try:
            view_kwargs = parse_view(view) if at else ()
        except ValueError as error:
            raise ValueError(f"encoder spec {text!r}: {error}") from None
        parsed.append(EncoderSpec(text, encoder, obs or None, tuple(kwargs), view_kwargs))
    return parsed


def default_name(env: str, steps: int) -> str:
    """``chase-300k``: the same command gives the same name, hence the same folder to continue in."""
    count = f"{steps // 1_000_000}m" if steps % 1_000_000 == 0 else f"{steps // 1000}k" if steps % 1000 == 0 else steps
    return f"{env.replace('/', '-').replace(':', '-').lower()}-{count}"


def job_threads(options: RunOptions, jobs: int) -> int | None:
    """Torch threads per run: as asked, else 1 when several jobs share the cores (else torch's choice)."""
    return options.threads if options.threads is not None else 1 if jobs > 1 else None


def plan_grid(
    options: RunOptions,
    env: str,
    encoders: Sequence[str],
    steps: str,
    seeds: int,
    root: Path,
    comparison: str,
    eval_env_kwargs: Sequence[str] = (),
    jobs: int = 1,
    seeds_by_spec: Mapping[str, int] | None = None,
) -> Grid:
    """Resolve and validate every run of a comparison (as train would), before anything trains.

    ``comparison`` names the comparison (its runs' config and W&B groups: ``<comparison>/<encoder spec>``);
    ``seeds_by_spec`` gives some specs (by their text) another number of seeds than ``seeds`` (a suite's slow
    encoders).

    Raises:
        ValueError: For a bad spec, option or variant (one line), or a run directory with other settings.
    """
    blocking = next((p for p in (Path(root), *Path(root).parents) if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise ValueError(f"--run-dir {root}: {blocking} is a file, not a directory; choose another folder")
    seeds_by_spec = dict(seeds_by_spec or {})
    for count in (seeds, *seeds_by_spec.values()):
        if count <= 0:
            raise ValueError(f"--seeds must be positive, got {count}")
    shared = {f.name: getattr(options, f.name) for f in dataclasses.fields(RunOptions)}
    shared["threads"] = job_threads(options, jobs)  # N jobs on N cores: one torch thread each
    variants = tuple(expand_variants(eval_env_kwargs))
    by_label: dict[str, str] = {}
    configs = []
    for spec in parse_specs(encoders):
        args = TrainArgs(**{**shared, "encoder_kwargs": (*options.encoder_kwargs, *spec.encoder_kwargs),
                            "env_kwargs": (*options.env_kwargs, *spec.env_kwargs)},
                         env=env, encoder=spec.encoder, obs=spec.obs, steps=steps)  # fmt: skip
        try:
            config = resolve(args)  # all of train's validation, once per spec
        except ValueError as error:
            raise ValueError(f"encoder spec {spec.text!r} on {env}: {error}") from None
        label = spec_label(config)
        if label in by_label:
            raise ValueError(f"encoder specs {by_label[label]!r} and {spec.text!r} are the same runs ({label})")
        by_label[label] = spec.text
        check_variants(config, variants)
        count = seeds_by_spec.pop(spec.text, seeds)
        # One W&B group per arm, so that W&B's grouping averages an arm's seeds into one line.
        group = f"{comparison}/{label}"
        config = dataclasses.replace(config, comparison=comparison, wandb_group=group, wandb_tags=(label,))
        configs.append((config.rounded(), count))
    if seeds_by_spec:
        raise ValueError(f"seeds given for specs that are not compared: {', '.join(seeds_by_spec)}")
    most = max(count for _, count in configs)
    runs = tuple(
        dataclasses.replace(config, seed=seed) for seed in range(most) for config, count in configs if seed < count
    )
    grid = Grid(root, runs, variants)
    for config in runs:
        _check_same_settings(grid.run(config), config)
    return grid


def _check_same_settings(run: RunDir, planned: RunConfig) -> None:
    if not run.is_run:
        return
    stored = run.read_config().to_json()
    wanted = json.loads(json.dumps(planned.to_json()))  # tuples -> lists, as stored
    for key, value in wanted.items():
        if key not in RUNTIME_FIELDS and stored[key] != value:
            raise ValueError(
                f"{run} holds a run with other settings ({key}: {stored[key]!r} there, {value!r} now); "
                "choose another --name or --run-dir, or delete that run"
            )


def prepare_run_dirs(grid: Grid) -> None:
    """Write the config.json of every run not started yet, so that the folder shows the whole plan from the
    start; an unfinished run takes this command's runtime settings (threads, device, W&B, checkpoint interval)."""
    from pixelarena.agents.training.train import prepare_run_dir

    for config in grid.runs:
        run = grid.run(config)
        if not run.is_run:
            prepare_run_dir(config, run.path)
        elif not run.finished:
            stored = run.read_config()
            updated = dataclasses.replace(stored, **{name: getattr(config, name) for name in RUNTIME_FIELDS})
            if updated != stored:
                run.write_config(updated)
