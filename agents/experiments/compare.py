"""`pixelarena compare`: train every encoder x seed on one game (or every experiment of a suite) in parallel
processes, then write the report.

The grid is planned and validated first (agents/experiments/grid.py), then trained by the local scheduler
(agents/experiments/scheduler.py); the report is rebuilt from the run directories (agents/reporting/).
Running the same command again skips finished runs and resumes unfinished ones.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from pixelarena.agents.checks import choose, parse_steps
from pixelarena.agents.experiments.grid import DEFAULT_SEEDS, Grid, default_name, job_threads, plan_grid
from pixelarena.agents.experiments.options import CompareArgs
from pixelarena.agents.experiments.ray_backend import RayResources, import_ray, run_grids_on_ray
from pixelarena.agents.experiments.scheduler import RunsFailed, run_grids
from pixelarena.agents.experiments.suite_report import write_report
from pixelarena.agents.experiments.suites import SUITES, Experiment, Suite
from pixelarena.agents.experiments.wandb_report import comparison_folders, log_comparison, sync_hint
from pixelarena.agents.reporting.publish import check_destination, publish
from pixelarena.agents.run.naming import spec_label
from pixelarena.agents.run.run_dir import RunDir


def compare(args: CompareArgs) -> None:
    """`pixelarena compare`: one grid, or with ``--suite`` every experiment of a suite; then the report(s)."""
    if args.jobs <= 0:
        raise ValueError(f"--jobs must be positive, got {args.jobs}")
    if args.backend == "ray":
        _ray_resources(args).check()
        import_ray()  # before planning: a missing package is a one-line error now
    elif args.address is not None or args.storage is not None:
        raise ValueError("--address and --storage go with --backend ray")
    if args.suite is not None:
        run_suite(args)
        return
    if args.env is None:
        raise ValueError("--env is required (the game to compare on), or --suite claim")
    if args.steps is None:
        raise ValueError("--steps is required: the same budget for every encoder, e.g. --steps 300k")
    if args.experiments:
        raise ValueError("--experiments selects experiments of a --suite")
    name = args.name or (args.run_dir.name if args.run_dir else default_name(args.env, parse_steps(args.steps)))
    root = args.run_dir or Path("runs") / name
    seeds = DEFAULT_SEEDS if args.seeds is None else args.seeds
    grid = plan_grid(args, args.env, args.encoders, args.steps, seeds, root, name, args.eval_env_kwargs, args.jobs)
    if args.publish is not None:
        check_destination(root, args.publish)  # before the training, not after it
    failures = train_grids([grid], args)
    report_and_publish(root, args)
    if failures:
        raise RunsFailed(failures, len(grid.runs))


def _ray_resources(args: CompareArgs) -> RayResources:
    return RayResources(args.address, args.cpus_per_run, args.gpus_per_run, args.storage)


def train_grids(grids: list[Grid], args: CompareArgs) -> list[str]:
    """Train what is left of the grids on the chosen backend; one line per failed run."""
    if args.backend == "ray":
        return run_grids_on_ray(grids, args.jobs, _ray_resources(args))
    return run_grids(grids, args.jobs, job_threads(args, args.jobs))


def report_and_publish(root: Path, args: CompareArgs) -> None:
    """Write the comparison's report; with --publish, copy reports and plots there too; with --wandb, log each
    comparison's report as a W&B run of its own and say how to upload offline runs."""
    print(f"compare: report in {write_report(root)}")
    if args.publish is not None:
        print(f"compare: published to {publish(root, args.publish)}")
    if args.wandb:
        for folder in comparison_folders(root):
            log_comparison(folder, args)
        hint = sync_hint(root)
        if hint:
            print(hint)


def equal_seconds(root: Path, suite: Suite, experiment: Experiment, budget: str) -> float:
    """The time limit of an equal-wall-clock experiment: the mean training seconds of its reference experiment's
    claim arm (finished runs, this machine, this load), or the suite's figure for the budget before any finished."""
    reference = next(e for e in suite.experiments if e.key == experiment.seconds_of)
    seconds = []
    for run in RunDir.in_folder(root / reference.key):
        config = run.read_config()
        if run.finished and spec_label(config) == reference.claim:
            rows = run.read_metrics()
            seconds += [rows[-1]["wall_time"]] if rows else []
    return float(round(np.mean(seconds))) if seconds else float(experiment.seconds[budget])


def equal_evaluations(root: Path, suite: Suite, experiment: Experiment, spec: str, seconds: float) -> str | None:
    """``--eval-every`` for one arm of an equal-wall-clock experiment: as many best-policy evaluations in its
    ``seconds`` as its reference's claim arm made in its run, at the env steps per second this arm trained at in
    the reference experiment; None (the preset's) before that arm has finished runs there."""
    reference = next(e for e in suite.experiments if e.key == experiment.seconds_of)
    speeds, evaluations = [], []
    for run in RunDir.in_folder(root / reference.key):
        config, rows = run.read_config(), run.read_metrics()
        if not run.finished or not rows or rows[-1]["wall_time"] <= 0:
            continue
        if spec_label(config) == spec:
            speeds.append(rows[-1]["step"] / rows[-1]["wall_time"])
        if spec_label(config) == reference.claim and config.eval_every:
            evaluations.append(max(1, config.steps // config.eval_every))
    if not speeds or not evaluations:
        return None
    return str(max(1, round(seconds * float(np.mean(speeds)) / float(np.mean(evaluations)))))


def run_suite(args: CompareArgs) -> None:
    """`compare --suite NAME --budget B`: every experiment of the suite into runs/<suite>-<budget>/<key>/, in
    one pool of jobs; then each experiment's report and the suite's report."""
    suite = SUITES[choose("suite", args.suite or "", list(SUITES))]
    budget = choose("budget", args.budget, list(suite.budgets))
    for option in ("env", "encoders", "eval_env_kwargs", "name"):
        if getattr(args, option):
            raise ValueError(
                f"--{option.replace('_', '-')} comes from the suite (experiments/suites.py), not the command line"
            )
    keys = [key for item in args.experiments for key in item.split(",") if key]
    for key in keys:
        choose("experiment", key, [e.key for e in suite.experiments])
    root = args.run_dir or Path("runs") / f"{suite.name}-{budget}"
    if args.publish is not None:
        check_destination(root, args.publish)
    chosen = [experiment for experiment in suite.experiments if not keys or experiment.key in keys]

    def plan(experiment: Experiment) -> list[Grid]:
        variants = [kv for t in suite.transfers if t.of == experiment.key for kv in t.eval_env_kwargs]
        seconds = args.seconds or (equal_seconds(root, suite, experiment, budget) if experiment.seconds_of else None)
        options = dataclasses.replace(args, env_kwargs=(*experiment.env_kwargs, *args.env_kwargs),
                                      eval_episodes=experiment.eval_episodes, seconds=seconds)  # fmt: skip
        group = f"{suite.name}-{budget}-{experiment.key}"
        steps = args.steps or experiment.steps[budget]
        # --seeds sets every spec's count; without it the suite's own counts hold (fewer for slow encoders).
        seeds, by_spec = (experiment.seeds, experiment.seeds_by_spec) if args.seeds is None else (args.seeds, {})
        folder = root / experiment.key
        if not experiment.seconds_of or args.eval_every is not None or seconds is None:
            return [plan_grid(options, experiment.env, experiment.encoders, steps, seeds, folder, group, variants,
                              args.jobs, by_spec)]  # fmt: skip
        # Each arm evaluates its policy as often per run as the reference did: a fast arm evaluating every 50k
        # steps would spend its seconds on many more evaluations than the arm whose seconds it was given.
        return [plan_grid(dataclasses.replace(options, eval_every=equal_evaluations(root, suite, experiment, spec,
                                                                                    seconds)),
                          experiment.env, [spec], steps, seeds, folder, group, variants, args.jobs,
                          {spec: by_spec[spec]} if spec in by_spec else {})
                for spec in experiment.encoders]  # fmt: skip

    # Every grid is planned (validated) before anything trains. The equal-wall-clock experiments train last and
    # are planned again then: their time limit is the seconds their reference arm took, once it has trained.
    planned = [plan(experiment) for experiment in chosen]
    first = [grid for grids, experiment in zip(planned, chosen) if not experiment.seconds_of for grid in grids]
    failures = train_grids(first, args)
    timed = [grid for experiment in chosen if experiment.seconds_of for grid in plan(experiment)]
    failures += train_grids(timed, args) if timed else []
    grids = first + timed
    report_and_publish(root, args)
    if failures:
        raise RunsFailed(failures, sum(len(grid.runs) for grid in grids))
