"""`pixelarena train`: the training path, top to bottom.

resolve config -> run directory -> env -> PPO model (or resume it) -> learn with progress bar, metrics,
checkpoints and signal handling -> final model -> evaluation.
"""

from __future__ import annotations

import datetime
import json
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

import torch
from stable_baselines3.common.callbacks import BaseCallback, CallbackList
from stable_baselines3.common.logger import Logger

from agents.checkpoint import check_spaces, load_checkpoint, load_policy_weights, save_checkpoint
from agents.config import RunConfig, default_run_dir
from agents.errors import TrainingStopped
from agents.evaluate import EVAL_SEED, evaluate_model
from agents.metrics import MetricsWriter, truncate_metrics
from agents.model import (
    CHECKPOINT_FILE,
    CONFIG_FILE,
    EVAL_FILE,
    FACTS_FILE,
    METRICS_FILE,
    MODEL_FILE,
    build_model,
    make_vec_env,
    read_config,
    write_config,
)
from agents.progress import ProgressBar
from agents.tracking import Tracker


class StopOnSignal:
    """SIGINT / SIGTERM set a flag that training checks between steps; a second Ctrl-C stops at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopOnSignal:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class Checkpointer(BaseCallback):
    """Saves a checkpoint at rollout boundaries every ``every`` steps, and stops when a signal asks to."""

    def __init__(self, path: Path, every: int, stop: StopOnSignal, extra: dict[str, Any]) -> None:
        super().__init__()
        self.path, self.every, self.stop, self.extra = path, every, stop, extra
        self.boundary_step = 0  # num_timesteps at the last rollout start: the weights match this step
        self.saved_step = -1

    def _on_training_start(self) -> None:
        self.boundary_step = self.saved_step = self.model.num_timesteps

    def _on_rollout_start(self) -> None:
        # Here the last update is done and no new rollout has begun: a clean point to resume from.
        self.boundary_step = self.model.num_timesteps
        if self.boundary_step - self.saved_step >= self.every:
            self.save()

    def _on_step(self) -> bool:
        return not self.stop.requested

    def save(self) -> None:
        save_checkpoint(self.path, self.model.policy, self.model.policy.optimizer, self.boundary_step,
                        self.model.observation_space, self.model.action_space,
                        {**self.extra, "n_updates": self.model._n_updates})  # fmt: skip
        self.saved_step = self.boundary_step


def architecture_summary(config: RunConfig, model: Any) -> dict[str, Any]:
    """The encoder's parameter count, receptive field and FLOPs on this run's spaces (logged with the run)."""
    from nets import architecture_facts

    kwargs = model.policy.pixel.encoder_kwargs  # the config's, with what the env declared (cell_px)
    facts = architecture_facts(config.encoder, model.observation_space, model.action_space, **kwargs)
    return {"params": facts.params, "encoder_params": facts.encoder_params, "receptive_field": facts.receptive_field,
            "flops": facts.flops, "action_head": facts.action_head, "transfers": facts.transfers}  # fmt: skip


def prepare_run_dir(config: RunConfig, run_dir: Path | None) -> tuple[RunConfig, Path]:
    """Create the run directory (refusing to overwrite one) and write config.json; returns the stored config.

    Training stops on rollout boundaries, so the stored step target is rounded up to whole rollouts.
    """
    config = config.rounded()
    if run_dir is None:
        run_dir = default_run_dir(config, datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    if (run_dir / CONFIG_FILE).exists():
        raise ValueError(
            f"{run_dir} already holds a run; continue it with --resume {run_dir} or pick another --run-dir"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    write_config(run_dir, config)
    return config, run_dir


def train(config: RunConfig, run_dir: Path | None = None, resume: bool = False) -> Path:
    """Train (or, with ``resume``, continue) a run; returns its directory.

    Raises:
        TrainingStopped: interrupted by Ctrl-C / SIGTERM; a checkpoint was saved first.
    """
    if config.threads:
        torch.set_num_threads(config.threads)
    if resume:
        assert run_dir is not None
        config = read_config(run_dir)
    else:
        config, run_dir = prepare_run_dir(config, run_dir)
    vec_env = make_vec_env(config, config.n_envs, seed=config.seed)
    model = build_model(config, vec_env)
    checkpoint_path = run_dir / CHECKPOINT_FILE
    start_step, wall_offset, tracker_id = 0, 0.0, None
    if resume and checkpoint_path.exists():
        checkpoint = load_checkpoint(checkpoint_path)
        check_spaces(checkpoint, model.observation_space, model.action_space, checkpoint_path)
        load_policy_weights(model.policy, checkpoint)
        model.policy.optimizer.load_state_dict(checkpoint.optimizer)
        start_step = checkpoint.step
        model.num_timesteps = start_step
        model._n_updates = int(checkpoint.header.get("n_updates", 0))
        tracker_id = checkpoint.header.get("wandb_id")
    metrics_path = run_dir / METRICS_FILE
    if resume:
        wall_offset = truncate_metrics(metrics_path, start_step)
    facts = architecture_summary(config, model)
    (run_dir / FACTS_FILE).write_text(json.dumps(facts, indent=2) + "\n")
    tracker = Tracker.start(config, run_dir, facts, resume_id=tracker_id)
    writer = MetricsWriter(metrics_path, wall_offset, on_row=tracker.log)
    model.set_logger(Logger(folder=None, output_formats=[writer]))
    remaining = config.steps - start_step
    print(f"Run directory: {run_dir}")
    resuming = f", resuming at step {start_step:,}" if start_step else ""
    print(f"Training {config.encoder} on {config.env} ({config.obs or 'native'} obs) for {config.steps:,} steps "
          f"with {config.n_envs} envs on {model.device}{resuming}")  # fmt: skip
    with StopOnSignal() as stop:
        checkpointer = Checkpointer(checkpoint_path, config.checkpoint_every, stop, {"wandb_id": tracker.run_id})
        callbacks = CallbackList([ProgressBar(config.steps, start_step), checkpointer])
        try:
            if remaining > 0:
                model.learn(remaining, callback=callbacks, reset_num_timesteps=False, log_interval=1)
        finally:
            # On a crash the last good checkpoint stays as it is; nothing half-done is written.
            writer.close()
        if stop.requested:
            checkpointer.save()  # the weights have not changed since the last rollout boundary
            tracker.finish()
            raise TrainingStopped(run_dir, checkpointer.saved_step)
    checkpointer.boundary_step = model.num_timesteps
    checkpointer.save()
    save_checkpoint(run_dir / MODEL_FILE, model.policy, None, model.num_timesteps, model.observation_space,
                    model.action_space)  # fmt: skip
    started = time.perf_counter()
    result = evaluate_model(model, config, config.eval_episodes, seed=EVAL_SEED + config.seed)
    (run_dir / EVAL_FILE).write_text(json.dumps(result.to_json(), indent=2) + "\n")
    seconds = time.perf_counter() - started
    print(f"Evaluation over {result.episodes} episodes: mean return {result.mean:+.2f} "
          f"(95% CI {result.ci_low:+.2f} .. {result.ci_high:+.2f}) in {seconds:.1f}s")  # fmt: skip
    tracker.finish_with(result, model, config)
    return run_dir
