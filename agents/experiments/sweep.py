"""`pixelarena sweep`: hyperparameter search for one game x encoder on Ray Tune, Optuna choosing the settings and
ASHA (or the median rule) stopping weak trials early.

A trial trains the game with the sampled settings on seeds 0 .. N-1 one after the other (each an ordinary run
directory under ``<sweep>/trials/``); after each seed it reports the mean greedy evaluation return so far, which
is what the early stopping compares. The objective is that mean over all N seeds (N >= 2). The best settings are
printed and written as a preset file that ``pixelarena train --preset FILE`` uses.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import logging
import sys
from pathlib import Path
from typing import Any

from pixelarena.agents.experiments.options import SweepArgs
from pixelarena.agents.experiments.ray_backend import import_ray
from pixelarena.agents.run.presets import Preset, preset_to_json
from pixelarena.agents.run.run_dir import RunDir, write_json_atomically
from pixelarena.agents.training.options import TrainArgs
from pixelarena.agents.training.resolve import PPO_OPTIONS

SPACES = Path(__file__).parent / "spaces"
PPO_NAMES = PPO_OPTIONS  # the PPO settings train takes on its command line
RUN_NAMES = ("n_envs", "minibatches")  # train's options that shape the rollout and its minibatches


def read_space(path: Path) -> dict[str, dict[str, list[Any]]]:
    """A search-space file (agents/experiments/spaces/README.md), checked: one line-error per bad entry."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        space = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"search space {path} is unreadable: {error}") from None
    for name, entry in space.items():
        if not (name in PPO_NAMES or name in RUN_NAMES or name.startswith("encoder.")):
            names = ", ".join((*PPO_NAMES, *RUN_NAMES))
            raise ValueError(f"search space {path}: {name!r} is none of {names} nor encoder.<argument>")
        kind = next(iter(entry), None) if isinstance(entry, dict) else None
        values = entry.get(kind) if kind else None
        if len(entry) != 1 or kind not in ("loguniform", "uniform", "choice") or not isinstance(values, list):
            raise ValueError(f"search space {path}: {name} must be {{loguniform|uniform|choice = [...]}}")
        if kind != "choice" and (len(values) != 2 or not values[0] < values[1]):
            raise ValueError(f"search space {path}: {name} {kind} needs [low, high] with low < high")
    return space


def tune_space(space: dict[str, dict[str, list[Any]]]) -> dict[str, Any]:
    from ray import tune

    make = {"loguniform": lambda v: tune.loguniform(*v), "uniform": lambda v: tune.uniform(*v),
            "choice": tune.choice}  # fmt: skip
    return {name: make[kind](values) for name, entry in space.items() for kind, values in entry.items()}


def apply(params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sampled settings -> (train's options: PPO settings, --n-envs, --minibatches; encoder arguments)."""
    ppo = {name: value for name, value in params.items() if name in PPO_NAMES or name in RUN_NAMES}
    encoder = {name.removeprefix("encoder."): ast.literal_eval(str(value))
               for name, value in params.items() if name.startswith("encoder.")}  # fmt: skip
    return ppo, encoder


def trials_markdown(root: Path) -> str:
    """The sweep's trials as a Markdown table, from their run directories (also while the sweep runs, or after it
    was stopped): each trial's settings that differ from the preset, every seed's held-out score, their mean, the
    best selection score and the steps it came at, and the training time of its seeds."""
    from pixelarena.agents.reporting.markdown import table
    from pixelarena.agents.run.run_dir import RunDir

    rows, names = [], None
    for trial in sorted((root / "trials").iterdir(), key=lambda path: path.stat().st_mtime):
        runs = [run for run in RunDir.in_folder(trial) if run.is_run]
        if not runs:
            continue
        config = runs[0].read_config()
        settings = {**dataclasses.asdict(config.ppo), "n_envs": config.n_envs,
                    **{f"encoder.{k}": v for k, v in config.encoder_kwargs.items()}}  # fmt: skip
        names = names or list(settings)
        scores, best, seconds = [], [], 0.0
        for run in runs:
            result = run.read_eval()
            scores.append(f"{result.mean:+.2f}" if result else "-")
            metrics = run.read_metrics()
            greedy = [(row["charts/greedy_return"], row["step"]) for row in metrics if "charts/greedy_return" in row]
            if greedy:
                best.append(max(greedy))
            seconds += metrics[-1]["wall_time"] if metrics else 0.0
        finished = [float(score) for score in scores if score != "-"]
        mean = f"{sum(finished) / len(finished):+.2f}" if finished else "-"
        top = max(best) if best else None
        rows.append([trial.name, *(_short(settings[name]) for name in names), " / ".join(scores), mean,
                     f"{top[0]:+.2f} at {top[1]:,}" if top else "-", f"{seconds:,.0f}"])  # fmt: skip
    if not rows:
        return "No trial has started yet.\n"
    header = ["trial", *(names or []), "held-out score per seed", "mean", "best selection score (step)",
              "training s (all seeds)"]  # fmt: skip
    return table(header, rows) + "\n"


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def write_trials_table(root: Path) -> Path:
    """trials.md in the sweep folder (pixelarena report SWEEP_FOLDER writes it too)."""
    path = Path(root) / "trials.md"
    path.write_text(f"# Sweep trials: {Path(root).name}\n\n" + trials_markdown(Path(root)))
    return path


def sweep_trial(params: dict[str, Any]) -> None:
    """The Tune trainable: train the sampled settings on each seed, reporting the running mean score."""
    import torch
    from ray import tune

    from pixelarena.agents.training.resolve import resolve
    from pixelarena.agents.training.train import train

    torch.set_num_threads(max(1, int(params["threads"])))
    ppo, encoder_kwargs = apply(params["sampled"])
    root = Path(params["root"]) / "trials" / tune.get_context().get_trial_id()
    scores = []
    for seed in range(params["seeds"]):
        run = RunDir(root / f"s{seed}")
        if not run.finished:
            args = TrainArgs(env=params["env"], encoder=params["encoder"], obs=params["obs"], steps=params["steps"],
                             preset=params["preset"], seed=seed, threads=params["threads"], device=params["device"],
                             encoder_kwargs=tuple(f"{k}={v!r}" for k, v in encoder_kwargs.items()),
                             **ppo)  # fmt: skip
            if run.is_run:
                train(run.read_config(), run.path, resume=True)
            else:
                train(resolve(args), run.path)
        result = run.read_eval()
        assert result is not None
        scores.append(result.mean)
        tune.report({"score": sum(scores) / len(scores), "seeds_done": len(scores)})


def run_sweep(args: SweepArgs) -> Path:
    """Run the sweep; returns the preset file of the best settings."""
    from pixelarena.agents.training.resolve import resolve

    if args.trials <= 0 or args.seeds < 2 or args.jobs <= 0:
        raise ValueError("--trials and --jobs must be positive and --seeds at least 2 (the objective is a mean)")
    base = resolve(TrainArgs(env=args.env, encoder=args.encoder, obs=args.obs, steps=args.steps, preset=args.preset))
    space_file = args.space or SPACES / f"{base.encoder}.toml"
    space = read_space(space_file)
    name = args.name or f"{base.env.lower()}-{base.encoder}-sweep"
    root = (args.run_dir or Path("runs") / "sweeps" / name).resolve()
    preset_file = args.output or root / "best_preset.json"
    ray = import_ray()
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler, MedianStoppingRule
    from ray.tune.search.optuna import OptunaSearch

    root.mkdir(parents=True, exist_ok=True)
    if not ray.is_initialized():
        ray.init(address=args.address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                 runtime_env={"env_vars": {"PYTHONPATH": ":".join(sys.path)}})  # fmt: skip
    scheduler = {
        "asha": ASHAScheduler(time_attr="seeds_done", max_t=args.seeds, grace_period=1, reduction_factor=2),
        "median": MedianStoppingRule(time_attr="seeds_done", grace_period=1),
        "none": None,
    }[args.early_stopping]
    params = {
        "sampled": tune_space(space), "root": str(root), "env": base.env, "encoder": base.encoder, "obs": base.obs,
        "steps": str(base.steps), "preset": args.preset, "seeds": args.seeds, "device": args.device,
        "threads": max(1, int(args.cpus_per_run)),
    }  # fmt: skip
    trainable = tune.with_resources(sweep_trial, {"cpu": args.cpus_per_run, "gpu": args.gpus_per_run})
    tuner = tune.Tuner(
        trainable,
        param_space=params,
        tune_config=tune.TuneConfig(metric="score", mode="max", num_samples=args.trials, scheduler=scheduler,
                                    search_alg=OptunaSearch(seed=args.seed), max_concurrent_trials=args.jobs),
        run_config=tune.RunConfig(name="sweep", storage_path=str(root / ".ray"), verbose=0),
    )  # fmt: skip
    results = tuner.fit()
    best = results.get_best_result()
    if best.metrics is None or "score" not in best.metrics:
        raise ValueError(f"no trial of the sweep finished a seed; see {root / '.ray'}")
    ppo, encoder_kwargs = apply(best.config["sampled"])
    # The best trial's settings as train resolved them (its minibatch follows --n-envs and --minibatches).
    chosen = resolve(
        TrainArgs(
            env=args.env,
            encoder=args.encoder,
            obs=args.obs,
            steps=args.steps,
            preset=args.preset,
            encoder_kwargs=tuple(f"{k}={v!r}" for k, v in encoder_kwargs.items()),
            **ppo,
        )
    )
    preset = Preset(env=chosen.env, encoder=chosen.encoder, obs=chosen.obs or "", steps=chosen.steps,
                    n_envs=chosen.n_envs, eval_every=chosen.eval_every, env_kwargs=chosen.env_kwargs,
                    encoder_kwargs=chosen.encoder_kwargs, ppo=chosen.ppo)  # fmt: skip
    finished = [r for r in results if r.metrics and r.metrics.get("seeds_done") == args.seeds]
    record = {"sweep": {"trials": args.trials, "finished_all_seeds": len(finished), "seeds": args.seeds,
                        "score": best.metrics["score"], "space": str(space_file)}}  # fmt: skip
    write_json_atomically(preset_file, {**preset_to_json(preset), **record})
    print(f"sweep: every trial in {write_trials_table(root)}")
    print(f"sweep: best of {args.trials} trials ({len(finished)} ran all {args.seeds} seeds): mean greedy return "
          f"{best.metrics['score']:+.2f} with {json.dumps(best.config['sampled'])}")  # fmt: skip
    print(f"sweep: preset written to {preset_file}; train with: pixelarena train --preset {preset_file}")
    return preset_file
