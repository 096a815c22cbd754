"""`compare --backend ray`: the same grid as the local scheduler, each run a Ray Tune trial.

Each trial calls pixelarena's own ``train`` (resuming the run directory from its checkpoint, as the local backend's
``train --resume`` does) and then its transfer evaluation, with the CPUs and GPU fraction Tune gave it (torch
threads follow its CPUs). Results go to the same run directories (a shared storage path on a cluster), so
``report`` reads them as it reads the local backend's. Without ``--address`` a local Ray is started on this machine.

Resuming: a comparison whose driver or workers were killed is re-run with the same command. Finished runs (with
an eval.json) are not trials at all; Tune restores its experiment from ``--storage`` when it can, and every
unfinished trial continues from its run's last checkpoint to its exact step target.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pixelarena.agents.experiments.grid import Grid, prepare_run_dirs
from pixelarena.agents.run.run_dir import RunDir

RAY_MISSING = "the Ray backend needs Ray Tune: pip install -c constraints.txt -e '.[ray]'"


@dataclass(frozen=True)
class RayResources:
    """Where and with what each trial runs."""

    address: str | None = None
    """``auto``, ``HOST:PORT`` of a running cluster, or None: start a local Ray on this machine."""
    cpus_per_run: float = 1.0
    gpus_per_run: float = 0.0
    """A fraction (0.25) lets several runs share one GPU."""
    storage: Path | None = None
    """Where Tune keeps its experiment state (shared by every node on a cluster); default: <root>/.ray."""

    def check(self) -> None:
        if self.cpus_per_run <= 0 or self.gpus_per_run < 0:
            raise ValueError("--cpus-per-run must be positive and --gpus-per-run 0 or more")


def import_ray() -> Any:
    """Ray, or a one-line error saying how to install it. Ray's own console output is kept to warnings:
    pixelarena prints a line per finished run."""
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0, no progress tables
    # Ray starts its workers at niceness 15: beside any other work on the machine (a local training, a comparison)
    # the trials got a fifth of a core each. The trials are the job here; a cluster started with `ray start` keeps
    # its own setting.
    os.environ.setdefault("RAY_worker_niceness", "0")
    try:
        import ray
        from ray import tune  # noqa: F401 - Tune is the part used
    except ImportError:
        raise ValueError(RAY_MISSING) from None
    for name in ("ray", "ray.tune", "ray.train"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return ray


def train_trial(params: dict[str, Any]) -> dict[str, Any]:
    """The Tune trainable: train one run directory to its target (resuming it), then its transfer variants."""
    import torch

    from pixelarena.agents.evaluation.transfer import evaluate_transfer
    from pixelarena.agents.training.train import train

    threads = max(1, int(params["threads"]))
    torch.set_num_threads(threads)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    os.environ.setdefault("TQDM_DISABLE", "1")
    run = RunDir(params["run"])
    node = _node_id()
    with open(run.log_file, "a") as log:
        log.write(f"\n$ ray trial on node {node}\n")
    if not run.finished:
        train(run.read_config(), run.path, resume=True)
    if params["variants"]:
        evaluate_transfer(run.path, params["variants"])
    result = run.read_eval()
    return {"score": result.mean if result else float("nan"), "node": node}


def _node_id() -> str:
    import ray

    return ray.get_runtime_context().get_node_id() if ray.is_initialized() else "local"


def run_grids_on_ray(grids: Sequence[Grid], jobs: int, resources: RayResources) -> list[str]:
    """Create the run directories and train what is left of every grid as Ray Tune trials; returns one line per
    failed run (as the local scheduler does)."""
    resources.check()
    ray = import_ray()
    from ray import tune

    for grid in grids:
        prepare_run_dirs(grid)
    work = [(grid, [run for config in grid.runs if _needs_work(run := grid.run(config), grid)]) for grid in grids]
    for grid, runs in work:
        finished = len(grid.runs) - len(runs)
        print(f"compare (ray): {grid.root}: {len(grid.runs)} runs, {finished} finished (skipped), {len(runs)} to run")
    if not any(runs for _, runs in work):
        return []
    if not ray.is_initialized():
        ray.init(address=resources.address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                 runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(sys.path)}})  # fmt: skip
    failures = []
    for grid, runs in work:
        if runs:
            failures += _tune_grid(tune, grid, runs, jobs, resources)
    return failures


def _needs_work(run: RunDir, grid: Grid) -> bool:
    done = run.read_transfer()
    return not run.finished or any(variant not in done for variant in grid.variants)


def _tune_grid(tune: Any, grid: Grid, runs: list[RunDir], jobs: int, resources: RayResources) -> list[str]:
    storage = (resources.storage or grid.root / ".ray").resolve()
    name = "compare"
    trainable = tune.with_resources(train_trial, {"cpu": resources.cpus_per_run, "gpu": resources.gpus_per_run})
    threads = max(1, int(resources.cpus_per_run))
    space = {"run": tune.grid_search([str(run.path.resolve()) for run in runs]), "variants": list(grid.variants),
             "threads": threads}  # fmt: skip
    path = storage / name
    if tune.Tuner.can_restore(str(path)):
        # A driver killed mid-grid: Tune's own state knows which trials ended; unfinished ones start again and
        # resume from their run's checkpoint.
        tuner = tune.Tuner.restore(str(path), trainable, resume_unfinished=True, resume_errored=True)
    else:
        tuner = tune.Tuner(
            trainable,
            param_space=space,
            tune_config=tune.TuneConfig(max_concurrent_trials=jobs),
            run_config=tune.RunConfig(
                name=name, storage_path=str(storage), verbose=0, failure_config=tune.FailureConfig(max_failures=2)
            ),
        )
    results = tuner.fit()
    failures = []
    for result in results:
        run = RunDir(result.config["run"])
        if result.error is not None or not run.finished:
            reason = str(result.error).strip().splitlines()[-1] if result.error else "did not finish"
            failures.append(f"{run.name}: {reason} [{run.log_file}]")
        else:
            print(f"compare (ray): {run.name}: done, greedy return {run.read_eval().summary()}")  # type: ignore[union-attr]
    return failures
