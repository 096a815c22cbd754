"""Weights & Biases tracking that never gets in the way of training.

With ``--wandb``, a run is logged online when W&B has an API key, offline (``wandb sync`` later) when it has
none, and not at all (with one warning) if W&B itself fails. Every call is guarded: a W&B error is printed
once and tracking stops; training goes on.

W&B's own environment variables hold wherever no option says otherwise: WANDB_PROJECT, WANDB_ENTITY,
WANDB_RUN_GROUP, WANDB_TAGS (merged with --wandb-tags), WANDB_DIR, WANDB_MODE. Without WANDB_DIR a run's W&B files
go into its run directory (``RUN/wandb/``). A resumed run continues its W&B run (the same id, kept in the
checkpoint); offline, each process writes a part of it, and the line printed at the end names the ``wandb sync``
command that uploads every part, in order, as one run.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
from pathlib import Path
from typing import Any

from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.naming import spec_label
from pixelarena.agents.run.run_dir import RunDir

NOT_CONFIG = ("wandb", "wandb_project", "wandb_entity", "wandb_group", "wandb_tags", "wandb_artifacts", "tensorboard",
              "comparison")  # fmt: skip
"""RunConfig fields that say how a run is logged, not what it learns: left out of the W&B config."""
BEST = "charts/greedy_return"
"""The metric whose best value (a --eval-every evaluation) is the run's summary."""
JOB_TYPE = "train"


def _has_wandb_key() -> bool:
    netrc = Path.home() / ".netrc"
    return bool(os.environ.get("WANDB_API_KEY")) or (netrc.exists() and "api.wandb.ai" in netrc.read_text())


def wandb_mode() -> str:
    """WANDB_MODE when set, else online with a W&B login and offline without one."""
    return os.environ.get("WANDB_MODE") or ("online" if _has_wandb_key() else "offline")


def start_wandb_run(project: str | None, entity: str | None, folder: Path, tags: tuple[str, ...] = (),
                    **kwargs: Any) -> Any:  # fmt: skip
    """``wandb.init`` as pixelarena calls it for a training run or a comparison: online with a login, else offline;
    W&B's environment variables where the arguments leave a value open; files in ``folder`` unless WANDB_DIR."""
    import wandb

    env_tags = [tag for tag in os.environ.get("WANDB_TAGS", "").split(",") if tag]
    return wandb.init(
        project=project or os.environ.get("WANDB_PROJECT") or "pixelarena",
        entity=entity,  # None: WANDB_ENTITY, else the login's default
        tags=list(dict.fromkeys([*env_tags, *tags])) or None,  # wandb.init's tags would replace WANDB_TAGS
        dir=None if os.environ.get("WANDB_DIR") else str(folder),
        mode=wandb_mode(),
        settings=wandb.Settings(init_timeout=60),
        **kwargs,
    )


def sync_line(run: Any) -> str | None:
    """For an offline run, one line naming its files and the command that uploads them (every part of a resumed
    run: one folder per process, same id); None online."""
    if not run.offline:
        return None
    folder = _shown(Path(run.dir).parent)  # run.dir is the run's files/ folder
    return f"W&B: offline run in {folder}; upload it with: wandb sync {folder.parent}/offline-run-*-{run.id}"


def _shown(path: Path) -> Path:
    """A path as a person would type it here: relative to the working directory when under it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def wandb_config(config: RunConfig, facts: dict[str, Any], device: str) -> dict[str, Any]:
    """The run's W&B config: what it learns (not how it is logged), the arm it is of (its encoder spec) and its
    comparison, the device it trains on (``auto`` resolved), and its encoder's facts."""
    data = {key: value for key, value in config.to_json().items() if key not in NOT_CONFIG and value is not None}
    data["arm"] = spec_label(config)
    if config.comparison:
        data["comparison"] = config.comparison
    if device != config.device:
        data.update(device=device, device_requested=config.device)
    return {**data, **facts}


def run_title(run_dir_name: str) -> str:
    """The W&B name of a new run: its directory's name, with the time it started when the name has none (a
    comparison's run directories do not), so that no two runs of a project share a name."""
    if re.search(r"__\d{8}-\d{6}$", run_dir_name):
        return run_dir_name
    return f"{run_dir_name}__{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}"


class Tracker:
    """A W&B run, or nothing when tracking is off."""

    def __init__(self, run: Any = None, logged_until: int = -1) -> None:
        self.run = run
        self.logged_until = logged_until

    @property
    def identity(self) -> dict[str, str | None]:
        """What the checkpoint keeps so that a resume continues this W&B run."""
        if self.run is None:
            return {"wandb_id": None, "wandb_name": None}
        return {"wandb_id": self.run.id, "wandb_name": self.run.name}

    @classmethod
    def start(cls, config: RunConfig, run_dir: Path, facts: dict[str, Any], device: str,
              resume: dict[str, Any] | None = None, logged_until: int = -1) -> Tracker:  # fmt: skip
        """Start (or, with the ``resume`` identity a checkpoint kept, continue) the run's W&B run. Rows up to
        ``logged_until`` (what the stopped process already logged to that run) are not logged again."""
        if not config.wandb:
            return cls()
        try:
            resume_id = (resume or {}).get("wandb_id")
            run = start_wandb_run(
                config.wandb_project,
                config.wandb_entity,
                run_dir,
                config.wandb_tags,
                group=config.wandb_group,  # None: WANDB_RUN_GROUP
                job_type=JOB_TYPE,
                name=(resume or {}).get("wandb_name") or run_title(run_dir.name),
                id=resume_id,  # None: a new run, W&B draws its id
                resume="allow" if resume_id else None,
                config=wandb_config(config, facts, device),
            )
            run.define_metric(BEST, summary="max")
            mode = "offline" if run.offline else "online"
            print(f"W&B: logging {mode} to project {run.project!r} as {run.name} (run {run.id})")
            return cls(run, logged_until if resume_id else -1)
        except Exception as error:  # W&B must never stop training
            print(f"W&B: not tracking this run ({type(error).__name__}: {error})", file=sys.stderr)
            return cls()

    def _guard(self, action: str, fn: Any, *args: Any, **kwargs: Any) -> None:
        if self.run is None:
            return
        try:
            fn(*args, **kwargs)
        except Exception as error:
            print(f"W&B: {action} failed, tracking stops ({error})", file=sys.stderr)
            self.run = None

    def log(self, row: dict[str, Any]) -> None:
        # A resumed run redoes the steps after its checkpoint; W&B keeps a run's history in step order, so the
        # rows the stopped process already logged stay as they were.
        if self.run is not None and row["step"] > self.logged_until:
            self._guard("log", self.run.log, {k: v for k, v in row.items() if k != "step"}, step=row["step"])

    def finish(self) -> None:
        if self.run is None:
            return
        line = sync_line(self.run)
        self._guard("finish", self.run.finish)
        self.run = None
        if line:
            print(line)

    def finish_with(self, result: Any, model: Any, config: RunConfig, run: RunDir,
                    best: tuple[int, float] | None) -> None:  # fmt: skip
        """Log the evaluation, the best greedy return (``best``: its step and score, with --eval-every), a short
        video of the trained agent and, with --wandb-artifacts, the model; then close the run."""
        if self.run is None:
            return
        summary = {"eval/mean_return": result.mean, "eval/ci_low": result.ci_low, "eval/ci_high": result.ci_high}
        if best is not None:
            # Also after a resume, where W&B's running max (define_metric) saw only the last process's evaluations.
            summary.update({"best/greedy_return": best[1], "best/step": best[0]})
        self._guard("summary", self.run.summary.update, summary)
        self._guard("video", self._log_video, model, config)  # the viewer's frames: built-in and external envs
        if config.wandb_artifacts:
            self._guard("model artifact", self._log_model, run, config, result, best)
        self.finish()

    def _log_model(self, run: RunDir, config: RunConfig, result: Any, best: tuple[int, float] | None) -> None:
        import wandb

        # SB3's WandbCallback names its model artifact model-<run id>; the aliases say which weights these are.
        metadata = {"arm": spec_label(config), "env": config.env, "eval/mean_return": result.mean,
                    **({"step": best[0], "best/greedy_return": best[1]} if best else {})}  # fmt: skip
        artifact = wandb.Artifact(f"model-{self.run.id}", type="model", metadata=metadata)
        artifact.add_file(str(run.model_file))
        artifact.add_file(str(run.config_file))
        self.run.log_artifact(artifact, aliases=["latest", "best" if best else "final"])

    def _log_video(self, model: Any, config: RunConfig) -> None:
        import wandb

        from pixelarena.agents.viewer.agent_video import agent_frames
        from pixelarena.agents.viewer.video import write_video

        # A file, not raw frames: wandb encodes raw frames with moviepy, which is not a dependency. The frames
        # are the viewer's (game and side panel), as `pixelarena play --record` writes them.
        path = write_video(Path(self.run.dir) / RunDir.VIDEO, agent_frames(model, config, episodes=1, max_frames=300))
        self.run.log({"media/agent": wandb.Video(str(path), format="gif")}, step=model.num_timesteps)
