"""`pixelarena compare`: train every encoder x seed on one game in parallel processes, then write the report.

A comparison is a folder (``runs/<name>/``) of normal run directories, one per encoder spec and seed
(``<env>__<encoder>__<obs>__s<seed>/``, no time stamp, so that the same command finds them again). The whole
grid is resolved and validated first and every run directory gets its config.json; then each run trains in its
own process as ``python -m agents train --resume RUN`` (a fresh run directory simply resumes from step 0), so a
crash or a signal stays in that process, and its output goes to ``RUN/output.log``. Running the same command
again skips finished runs (those with an eval.json), resumes unfinished ones from their last checkpoint, and
refuses a run directory that holds other settings. With ``--eval-env-kwargs`` each finished run is also
evaluated on other game settings (``agents.transfer``), also in its own process and also skipped when done.

Ctrl-C (or SIGTERM) sends SIGTERM to the running trainings, which save a checkpoint and stop; the command then
exits with code 130 and a re-run continues. A run that fails is reported with the last line of its log and the
others go on; the command exits with code 1 when any failed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

from tqdm import tqdm

from agents.config import RunConfig, parse_steps, run_name, spec_label
from agents.errors import RunsFailed
from agents.metrics import read_metrics
from agents.model import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    EVAL_FILE,
    METRICS_FILE,
    read_config,
    write_config,
)
from agents.publish import check_destination, publish
from agents.report import format_duration, write_report
from agents.resolve import RunOptions, TrainArgs, resolve
from agents.transfer import check_variants, expand_variants, read_transfer

RUN_LOG = "output.log"
# Settings that change how a run is executed, not what it learns: a re-run may change them.
RUNTIME_FIELDS = ("threads", "device", "wandb", "wandb_project", "wandb_group", "wandb_tags", "checkpoint_every")
POLL_SECONDS = 0.5
DEFAULT_SEEDS = 5
STOP_TIMEOUT_SECONDS = 120  # a stopping training finishes its PPO update before it saves


@dataclass
class CompareArgs(RunOptions):
    """Compare encoders on one game: every encoder x seed with matched seeds, in parallel jobs, then a report
    (report.md and plots in the comparison folder). Run the same command again to continue an interrupted one."""

    env: str | None = None
    """Game to compare on (Chase, Target, Swarm, Snake, or any env train takes)."""
    encoders: tuple[str, ...] = ()
    """Encoder specs encoder[+key=value...][:obs], comma- or space-separated, e.g. mlp:vector,mlp:pixels,cnn,unet
    or cnn+stem=rgb:pixels; obs defaults to the encoder's preset, else the game's default."""
    seeds: int | None = None
    """Seeds per encoder: 0 .. N-1, the same for every encoder (default 5; a suite's own count with --suite)."""
    steps: str | None = None
    """Env steps per run, the same for every encoder, e.g. 300k (with --suite: overrides the budget's steps)."""
    jobs: int = 1
    """Runs trained at the same time, each in its own process (each with 1 torch thread unless --threads)."""
    name: str | None = None
    """Comparison name: its folder runs/<name>/ and its W&B group (default: <env>-<steps>, e.g. chase-300k)."""
    run_dir: Path | None = None
    """Put the comparison (or the suite) exactly in this folder instead of runs/<name>/."""
    eval_env_kwargs: tuple[str, ...] = ()
    """Also evaluate every final policy on other game settings, one key at a time: size=8,16,24 n_enemies=1,5
    is five variants; a policy that cannot run a variant is marked n/a with the reason."""
    suite: str | None = None
    """Run a suite of comparisons instead (agents/suites.py): claim."""
    budget: str = "cpu"
    """Step budget of the suite: cpu or gpu."""
    experiments: tuple[str, ...] = ()
    """Run only these experiments of the suite, e.g. e1-chase (default: all)."""
    publish: Path | None = None
    """Also copy the reports and plots (no weights, no logs) to this folder, e.g. docs/results/claim-cpu, headed
    by this command, the machine and the runs' dates."""


@dataclass(frozen=True)
class Grid:
    """One comparison: its folder, its runs (seed-major, so a stopped grid has every encoder at the same seeds)
    and the transfer variants every run is evaluated on."""

    root: Path
    runs: tuple[RunConfig, ...]
    variants: tuple[str, ...] = ()

    def run_dir(self, config: RunConfig) -> Path:
        return self.root / run_name(config)


@dataclass(frozen=True)
class EncoderSpec:
    """One ``--encoders`` entry: ``encoder[+key=value...][:obs]``, e.g. ``cnn+stem=rgb:pixels``."""

    text: str
    encoder: str
    obs: str | None
    encoder_kwargs: tuple[str, ...]
    """``key=value`` arguments of the encoder, on top of ``--encoder-kwargs``."""


def parse_specs(items: Sequence[str]) -> list[EncoderSpec]:
    """``["mlp:vector,cnn", "cnn+stem=rgb:pixels"]`` -> specs of mlp on vectors, cnn on the game's default, and cnn
    with ``stem="rgb"`` on pixels."""
    # Commas separate specs, except inside brackets: mlp+hidden_sizes=(64,64):vector is one spec.
    specs = [spec.strip() for item in items for spec in re.split(r",(?![^()\[\]]*[)\]])", item) if spec.strip()]
    if not specs:
        raise ValueError("--encoders is empty: give encoder specs like mlp:vector,cnn,impala,unet")
    parsed = []
    for text in specs:
        head, _, obs = text.partition(":")
        encoder, *kwargs = head.split("+")
        parsed.append(EncoderSpec(text, encoder, obs or None, tuple(kwargs)))
    return parsed


def default_name(env: str, steps: int) -> str:
    """``chase-300k``: the same command gives the same name, hence the same folder to continue in."""
    count = f"{steps // 1_000_000}m" if steps % 1_000_000 == 0 else f"{steps // 1000}k" if steps % 1000 == 0 else steps
    return f"{env.replace('/', '-').replace(':', '-').lower()}-{count}"


def plan_grid(
    options: RunOptions,
    env: str,
    encoders: Sequence[str],
    steps: str,
    seeds: int,
    root: Path,
    group: str,
    eval_env_kwargs: Sequence[str] = (),
    jobs: int = 1,
    seeds_by_spec: Mapping[str, int] | None = None,
) -> Grid:
    """Resolve and validate every run of a comparison (as train would), before anything trains.

    ``seeds_by_spec`` gives some specs (by their text) another number of seeds than ``seeds`` (a suite's slow
    encoders).

    Raises:
        ValueError: For a bad spec, option or variant (one line), or a run directory with other settings.
    """
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
        args = TrainArgs(**{**shared, "encoder_kwargs": (*options.encoder_kwargs, *spec.encoder_kwargs)}, env=env,
                         encoder=spec.encoder, obs=spec.obs, steps=steps, wandb_group=group)  # fmt: skip
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
        configs.append((dataclasses.replace(config, wandb_tags=(label,)).rounded(), count))
    if seeds_by_spec:
        raise ValueError(f"seeds given for specs that are not compared: {', '.join(seeds_by_spec)}")
    most = max(count for _, count in configs)
    runs = tuple(
        dataclasses.replace(config, seed=seed) for seed in range(most) for config, count in configs if seed < count
    )
    grid = Grid(root, runs, variants)
    for config in runs:
        _check_same_settings(grid.run_dir(config), config)
    return grid


def _check_same_settings(run_dir: Path, planned: RunConfig) -> None:
    if not (run_dir / CONFIG_FILE).exists():
        return
    stored = read_config(run_dir).to_json()
    wanted = json.loads(json.dumps(planned.to_json()))  # tuples -> lists, as stored
    for key, value in wanted.items():
        if key not in RUNTIME_FIELDS and stored[key] != value:
            raise ValueError(
                f"{run_dir} holds a run with other settings ({key}: {stored[key]!r} there, {value!r} now); "
                "choose another --name or --run-dir, or delete that run"
            )


def prepare_run_dirs(grid: Grid) -> None:
    """Write the config.json of every run not started yet, so that the folder shows the whole plan from the
    start; an unfinished run takes this command's runtime settings (threads, device, W&B, checkpoint interval)."""
    from agents.train import prepare_run_dir

    for config in grid.runs:
        run_dir = grid.run_dir(config)
        if not (run_dir / CONFIG_FILE).exists():
            prepare_run_dir(config, run_dir)
        elif not (run_dir / EVAL_FILE).exists():
            stored = read_config(run_dir)
            updated = dataclasses.replace(stored, **{name: getattr(config, name) for name in RUNTIME_FIELDS})
            if updated != stored:
                write_config(run_dir, updated)


@dataclass
class Job:
    """One run's remaining commands (train, then transfer evaluation), run one after the other."""

    run_dir: Path
    steps: int
    commands: deque[list[str]]
    trains: bool
    process: subprocess.Popen | None = None
    log: IO[str] | None = None
    started: float = field(default_factory=time.perf_counter)

    def start_next(self, env: dict[str, str]) -> None:
        command = self.commands.popleft()
        if self.log is None:
            self.log = open(self.run_dir / RUN_LOG, "a")  # noqa: SIM115 - closed by close()
        self.log.write(f"\n$ {' '.join(command)}\n")
        self.log.flush()
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def close(self) -> None:
        if self.log is not None:
            self.log.close()

    def step(self) -> int:
        """Env steps trained so far (what the progress bar counts)."""
        if (self.run_dir / EVAL_FILE).exists():
            return self.steps
        rows = read_metrics(self.run_dir / METRICS_FILE)
        return rows[-1]["step"] if rows else 0

    def error_line(self) -> str:
        """The last line of the run's log: a one-line error, or a traceback's last line."""
        lines = [line for line in (self.run_dir / RUN_LOG).read_text().splitlines() if line.strip()]
        return lines[-1].strip() if lines else "no output"


def make_jobs(grid: Grid) -> list[Job]:
    """The work left: runs without eval.json train (resuming where they are), runs missing variants evaluate."""
    jobs = []
    for config in grid.runs:
        run_dir = grid.run_dir(config)
        commands: deque[list[str]] = deque()
        if not (run_dir / EVAL_FILE).exists():
            commands.append([sys.executable, "-m", "agents", "train", "--resume", str(run_dir)])
        done = read_transfer(run_dir)
        missing = [variant for variant in grid.variants if variant not in done]
        if missing:
            commands.append([sys.executable, "-m", "agents.transfer", str(run_dir), *missing])
        if commands:
            jobs.append(Job(run_dir, config.steps, commands, trains=not (run_dir / EVAL_FILE).exists()))
    return jobs


def describe_plan(grid: Grid, jobs: list[Job]) -> str:
    to_train = {job.run_dir for job in jobs if job.trains}
    resume = sum((d / CHECKPOINT_FILE).exists() for d in to_train)
    finished = len(grid.runs) - len(to_train)
    evaluate = len(jobs) - len(to_train)
    extra = f", {evaluate} to evaluate on other settings" if evaluate else ""
    return (f"{grid.root}: {len(grid.runs)} runs, {finished} finished (skipped), {resume} to resume, "
            f"{len(to_train) - resume} to start{extra}")  # fmt: skip


def _child_env(threads: int | None) -> dict[str, str]:
    env = {**os.environ, "TQDM_DISABLE": "1"}  # no progress bars in the logs: the grid has one
    if threads:
        # BLAS and OpenMP pools beside torch's own: the same limit, so parallel jobs do not oversubscribe.
        env.update({name: str(threads) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    return env


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_jobs(jobs: list[Job], parallel: int, threads: int | None, runs_total: int) -> list[str]:
    """Run the jobs, ``parallel`` at a time, under one progress bar (runs done of ``runs_total``, env steps of
    the remaining work, ETA); returns one line per failed job.

    Raises:
        KeyboardInterrupt: On Ctrl-C or SIGTERM, after the running trainings saved checkpoints and stopped.
    """
    env = _child_env(threads)
    pending, running, failures = deque(jobs), [], []
    progress = {id(job): job.step() for job in jobs}  # env steps trained: only running jobs change
    runs_done = runs_total - len(jobs)
    bar = tqdm(total=sum(job.steps for job in jobs), initial=sum(progress.values()), unit="step", unit_scale=True,
               dynamic_ncols=True, desc=f"runs {runs_done}/{runs_total}", mininterval=1.0)  # fmt: skip
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)  # a SIGTERM stops the grid as Ctrl-C does
    try:
        while pending or running:
            while pending and len(running) < parallel:
                job = pending.popleft()
                job.started = time.perf_counter()
                job.start_next(env)
                running.append(job)
            time.sleep(POLL_SECONDS)
            for job in list(running):
                progress[id(job)] = job.step()
                assert job.process is not None
                code = job.process.poll()
                if code is None:
                    continue
                if code == 0 and job.commands:
                    job.start_next(env)
                    continue
                running.remove(job)
                job.close()
                runs_done += 1
                head = f"[{runs_done}/{runs_total}] {job.run_dir.name}"
                if code == 0:
                    seconds = time.perf_counter() - job.started
                    bar.write(f"{head}: done in {format_duration(seconds)}{_score(job.run_dir)}")
                else:
                    failures.append(f"{job.run_dir.name} (exit {code}): {job.error_line()} [{job.run_dir / RUN_LOG}]")
                    bar.write(f"{head}: FAILED (exit {code}): {job.error_line()}")
            bar.set_description(f"runs {runs_done}/{runs_total}", refresh=False)
            bar.update(sum(progress.values()) - bar.n)  # redraws at most every mininterval
    except KeyboardInterrupt:
        bar.write(f"compare: stopping {len(running)} running job(s); trainings save a checkpoint first ...")
        _stop(running)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        bar.close()
        for job in running:
            job.close()
    return failures


def _score(run_dir: Path) -> str:
    path = run_dir / EVAL_FILE
    if not path.exists():
        return ""
    result = json.loads(path.read_text())
    return f", greedy return {result['mean']:+.2f} (95% CI {result['ci_low']:+.2f} .. {result['ci_high']:+.2f})"


def _stop(running: list[Job]) -> None:
    """SIGTERM every running child once (a second SIGINT would make train stop without its checkpoint), wait
    for them; a second Ctrl-C kills what is left (a re-run resumes from the last periodic checkpoint)."""
    alive = [job.process for job in running if job.process is not None and job.process.poll() is None]
    for process in alive:
        process.send_signal(signal.SIGTERM)
    try:
        for process in alive:
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
    except KeyboardInterrupt:
        for process in alive:
            if process.poll() is None:
                process.kill()


def run_grids(grids: Sequence[Grid], jobs: int, threads: int | None) -> list[str]:
    """Create the run directories and train what is left of every grid, in one pool of jobs."""
    for grid in grids:
        prepare_run_dirs(grid)
    work = [make_jobs(grid) for grid in grids]
    for grid, grid_jobs in zip(grids, work):
        print(f"compare: {describe_plan(grid, grid_jobs)}")
    everything = [job for grid_jobs in work for job in grid_jobs]
    if not everything:
        return []
    try:
        return run_jobs(everything, jobs, threads, sum(len(grid.runs) for grid in grids))
    except KeyboardInterrupt:
        print("compare: interrupted; finished runs are kept and stopped ones saved a checkpoint: run the same "
              "command again to continue", file=sys.stderr)  # fmt: skip
        raise


def job_threads(options: RunOptions, jobs: int) -> int | None:
    """Torch threads per run: as asked, else 1 when several jobs share the cores (else torch's choice)."""
    return options.threads if options.threads is not None else 1 if jobs > 1 else None


def run_compare(args: CompareArgs) -> None:
    """`pixelarena compare`: one grid, or with ``--suite`` every experiment of a suite; then the report(s)."""
    if args.jobs <= 0:
        raise ValueError(f"--jobs must be positive, got {args.jobs}")
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
    failures = run_grids([grid], args.jobs, job_threads(args, args.jobs))
    report_and_publish(root, args.publish)
    if failures:
        raise RunsFailed(failures, len(grid.runs))


def report_and_publish(root: Path, dest: Path | None) -> None:
    """Write the comparison's report; with ``dest``, copy reports and plots there too."""
    print(f"compare: report in {write_report(root)}")
    if dest is not None:
        print(f"compare: published to {publish(root, dest)}")


def run_suite(args: CompareArgs) -> None:
    """`compare --suite NAME --budget B`: every experiment of the suite into runs/<suite>-<budget>/<key>/, in
    one pool of jobs; then each experiment's report and the suite's report."""
    from agents.resolve import choose
    from agents.suites import SUITES

    suite = SUITES[choose("suite", args.suite or "", list(SUITES))]
    budget = choose("budget", args.budget, list(suite.budgets))
    for option in ("env", "encoders", "eval_env_kwargs", "name"):
        if getattr(args, option):
            raise ValueError(
                f"--{option.replace('_', '-')} comes from the suite (agents/suites.py), not the command line"
            )
    keys = [key for item in args.experiments for key in item.split(",") if key]
    for key in keys:
        choose("experiment", key, [e.key for e in suite.experiments])
    root = args.run_dir or Path("runs") / f"{suite.name}-{budget}"
    if args.publish is not None:
        check_destination(root, args.publish)
    grids = []
    for experiment in suite.experiments:
        if keys and experiment.key not in keys:
            continue
        variants = [kv for t in suite.transfers if t.of == experiment.key for kv in t.eval_env_kwargs]
        options = dataclasses.replace(args, env_kwargs=(*experiment.env_kwargs, *args.env_kwargs))
        group = f"{suite.name}-{budget}-{experiment.key}"
        steps = args.steps or experiment.steps[budget]
        # --seeds sets every spec's count; without it the suite's own counts hold (fewer for slow encoders).
        seeds, by_spec = (experiment.seeds, experiment.seeds_by_spec) if args.seeds is None else (args.seeds, {})
        grid = plan_grid(options, experiment.env, experiment.encoders, steps, seeds, root / experiment.key, group,
                         variants, args.jobs, by_spec)  # fmt: skip
        grids.append(grid)
    failures = run_grids(grids, args.jobs, job_threads(args, args.jobs))
    report_and_publish(root, args.publish)
    if failures:
        raise RunsFailed(failures, sum(len(grid.runs) for grid in grids))
