"""`pixelarena train`: the training path, top to bottom.

resolve config (agents/training/resolve.py) -> run directory -> env -> PPO model (or resume it) -> learn with
progress bar, metrics, checkpoints and signal handling (and, with --eval-every, the best greedy policy kept) ->
final model -> evaluation.
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Any

import torch
from stable_baselines3.common.callbacks import CallbackList
from stable_baselines3.common.logger import Logger

from pixelarena.agents.evaluation.evaluate import EVAL_SEED, evaluate_model
from pixelarena.agents.run.checkpoint import check_spaces, load_checkpoint, load_policy_weights, save_checkpoint
from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.metrics import MetricsWriter
from pixelarena.agents.run.model import build_model, make_vec_env
from pixelarena.agents.run.naming import default_run_dir
from pixelarena.agents.run.results import RunFacts
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.run.tensorboard_events import TensorBoardWriter
from pixelarena.agents.training.best_policy import BestPolicy
from pixelarena.agents.training.callbacks import Checkpointer, ProgressBar
from pixelarena.agents.training.init_from import init_weights
from pixelarena.agents.training.pretrain import pretrain
from pixelarena.agents.training.resume_state import ResumeState, read_resume_state, restore_logger, restore_state
from pixelarena.agents.training.signals import EnvFailed, StopOnSignal, TrainingFailed, TrainingStopped
from pixelarena.agents.training.time_budget import TimeBudget
from pixelarena.agents.training.tracking import Tracker


def architecture_summary(config: RunConfig, model: Any) -> RunFacts:
    """The encoder's parameter count, receptive field and FLOPs on this run's spaces (logged with the run)."""
    from pixelarena.nets import architecture_facts

    kwargs = model.policy.pixel.encoder_kwargs  # the config's, with what the env declared (cell_px)
    facts = architecture_facts(config.encoder, model.observation_space, model.action_space, **kwargs)
    return RunFacts(facts.params, facts.encoder_params, facts.receptive_field, facts.flops, facts.action_head,
                    facts.transfers)  # fmt: skip


def rounding_note(asked: int, config: RunConfig) -> str:
    """One line saying that a step target was rounded up to whole rollouts, and to what."""
    return (f"Step target {asked:,} rounded up to {config.steps:,}: PPO trains whole rollouts of {config.n_envs} envs "
            f"x {config.ppo.n_steps} steps = {config.rollout_steps:,}")  # fmt: skip


def prepare_run_dir(config: RunConfig, run_dir: Path | None) -> tuple[RunConfig, RunDir]:
    """Create the run directory (refusing to overwrite one) and write config.json; returns the stored config.

    Training stops on rollout boundaries, so the stored step target is rounded up to whole rollouts.
    """
    config = config.rounded()
    if run_dir is None:
        run_dir = default_run_dir(config, datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    return config, RunDir.create(run_dir, config)


def train(config: RunConfig, run_dir: Path | None = None, resume: bool = False) -> Path:
    """Train (or, with ``resume``, continue) a run; returns its directory.

    Raises:
        TrainingStopped: interrupted by Ctrl-C / SIGTERM; a checkpoint was saved first.
        TrainingFailed: the weights became non-finite, or the env raised; the last good checkpoint is kept.
    """
    if config.threads:
        torch.set_num_threads(config.threads)
    if resume:  # ``config`` is the run's own, its step target perhaps raised (recorded by the first checkpoint)
        assert run_dir is not None
        run = RunDir(run_dir)
    else:
        asked = config.steps
        config, run = prepare_run_dir(config, run_dir)
        if config.steps != asked:
            print(rounding_note(asked, config))
    with run.lock():
        return _train(config, run, resume)


def _train(config: RunConfig, run: RunDir, resume: bool) -> Path:
    vec_env = make_vec_env(config, config.n_envs, seed=config.seed)
    model = build_model(config, vec_env)
    start_step, wall_offset, identity, resume_state, logged_until = 0, 0.0, None, None, -1
    if resume and run.checkpoint_file.exists():
        checkpoint = load_checkpoint(run.checkpoint_file)
        check_spaces(checkpoint, model.observation_space, model.action_space, run.checkpoint_file)
        load_policy_weights(model.policy, checkpoint)
        model.policy.optimizer.load_state_dict(checkpoint.optimizer)
        start_step = checkpoint.step
        model.num_timesteps = start_step
        identity = {key: checkpoint.header.get(key) for key in ("wandb_id", "wandb_name")}
        resume_state = read_resume_state(checkpoint, run.checkpoint_file)
    elif config.init_from:  # a new run (or one killed before its first checkpoint) from another run's weights
        step = init_weights(model, config)
        print(f"Policy initialised from {config.init_from} (its step {step:,}); optimizer and counters start afresh")
    raised_target = resume and config.steps != run.read_config().steps
    if resume:
        logged = run.read_metrics()  # what the stopped process logged (to W&B too) before the resume truncates it
        logged_until = logged[-1]["step"] if logged else -1
        wall_offset = run.truncate_metrics(start_step)
    facts = architecture_summary(config, model)
    run.write_facts(facts)
    tracker = Tracker.start(config, run.path, facts.to_json(), str(model.device), identity, logged_until)
    print(f"Run directory: {run}")
    resuming = f", resuming at step {start_step:,}" if start_step else ""
    rollout, batch = config.rollout_steps, config.ppo.batch_size
    print(f"Training {config.encoder} on {config.env} ({config.obs or 'native'} obs) for {config.steps:,} steps "
          f"with {config.n_envs} envs on {model.device}, minibatch {batch} ({rollout // batch} per rollout of "
          f"{rollout}){resuming}")  # fmt: skip
    if config.demos and not run.checkpoint_file.exists():  # a checkpoint already carries the clone
        pretrain(model, config, run)
    best = BestPolicy(model, config, run) if config.eval_every else None
    if resume_state is not None and not restore_state(model, resume_state, best):
        print("Resumed weights, optimizer, random streams and counters; the envs restart (their state is not saved)")
    checkpointer = _learn(config, run, model, tracker, start_step, wall_offset, best, resume_state, raised_target)
    if checkpointer.saved_step != model.num_timesteps or not run.checkpoint_file.exists():
        checkpointer.save(model.num_timesteps)
    policy_step = model.num_timesteps
    if best is not None:  # the checkpoint keeps the last weights (resume); the run's model is the best policy
        if best.last_step != model.num_timesteps or not run.best_file.exists():  # (killed before it was saved)
            best.consider()
        policy_step = best.restore_best()
        print(f"Best greedy policy: step {policy_step:,}, mean return {best.best_score:+.2f} over "
              f"{config.eval_episodes} selection games (its evaluation below plays other games)")  # fmt: skip
    save_checkpoint(run.model_file, model.policy, None, policy_step, model.observation_space, model.action_space)
    started = time.perf_counter()
    result = evaluate_model(model, config, config.eval_episodes, seed=EVAL_SEED + config.seed)
    run.write_eval(result)
    print(f"Evaluation over {result.episodes} episodes: mean return {result.summary()} "
          f"in {time.perf_counter() - started:.1f}s")  # fmt: skip
    tracker.finish_with(result, model, config, run, (policy_step, best.best_score) if best is not None else None)
    return run.path


def _learn(config: RunConfig, run: RunDir, model: Any, tracker: Tracker, start_step: int, wall_offset: float,
           best: BestPolicy | None, resume_state: ResumeState | None, raised_target: bool) -> Checkpointer:  # fmt: skip
    """PPO's learn() up to the step target, with progress, metrics and checkpoints; each way it can end early
    leaves the run resumable from its last good checkpoint."""
    events = TensorBoardWriter(run.events_dir, start_step) if config.tensorboard else None

    def on_row(row: dict[str, Any]) -> None:  # the same rows in metrics.jsonl, W&B and TensorBoard
        tracker.log(row)
        if events is not None:
            events.write(row)

    writer = MetricsWriter(run.metrics_file, wall_offset, on_row=on_row)
    model.set_logger(Logger(folder=None, output_formats=[writer]))
    if resume_state is not None:
        restore_logger(model.logger, resume_state)
    with StopOnSignal() as stop:
        checkpointer = Checkpointer(model, run, config.checkpoint_every, stop, tracker.identity, best,
                                    config if raised_target else None)  # fmt: skip
        budget = [TimeBudget(model, config.seconds, wall_offset)] if config.seconds else []
        callbacks = CallbackList([ProgressBar(config.steps, start_step), checkpointer, *([best] if best else []),
                                  *budget])  # fmt: skip
        try:
            if config.steps > start_step and not (budget and budget[0].elapsed() >= config.seconds):
                model.learn(config.steps - start_step, callback=callbacks, reset_num_timesteps=False, log_interval=1)
        except TrainingFailed:
            tracker.finish()
            raise
        except Exception as error:
            if not checkpointer.in_rollout:
                raise  # not the env's: a bug whose traceback matters
            # The env raised while the rollout was collected: the weights are still those of the last boundary.
            checkpointer.save()
            tracker.finish()
            raise EnvFailed(config.env, model.num_timesteps, checkpointer.saved_step, run.path, error) from error
        finally:
            writer.close()  # on a crash the last good checkpoint stays as it is; nothing half-done is written
            if events is not None:
                events.close()
        if stop.requested:
            checkpointer.save()  # the weights have not changed since the last rollout boundary
            tracker.finish()
            raise TrainingStopped(run.path, checkpointer.saved_step)
        if budget and budget[0].used_up:
            # Stopped one step into a new rollout: the weights are those of the boundary before it.
            model.num_timesteps = checkpointer.boundary_step
            print(f"Time limit of {config.seconds:g}s reached at step {model.num_timesteps:,}")
    return checkpointer
