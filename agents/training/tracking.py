"""Weights & Biases tracking that never gets in the way of training.

With ``--wandb``, a run is logged online when W&B has an API key, offline (``wandb sync`` later) when it has
none, and not at all (with one warning) if W&B itself fails. Every call is guarded: a W&B error is printed
once and tracking stops; training goes on.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from pixelarena.agents.run.config import RunConfig
from pixelarena.agents.run.run_dir import RunDir


def _has_wandb_key() -> bool:
    netrc = Path.home() / ".netrc"
    return bool(os.environ.get("WANDB_API_KEY")) or (netrc.exists() and "api.wandb.ai" in netrc.read_text())


class Tracker:
    """A W&B run, or nothing when tracking is off."""

    def __init__(self, run: Any = None) -> None:
        self.run = run

    @property
    def run_id(self) -> str | None:
        return None if self.run is None else self.run.id

    @classmethod
    def start(cls, config: RunConfig, run_dir: Path, facts: dict[str, Any], resume_id: str | None = None) -> Tracker:
        if not config.wandb:
            return cls()
        try:
            import wandb

            mode = os.environ.get("WANDB_MODE") or ("online" if _has_wandb_key() else "offline")
            run = wandb.init(
                project=config.wandb_project,
                group=config.wandb_group,
                tags=list(config.wandb_tags),
                name=run_dir.name,
                dir=str(run_dir),
                config={**config.to_json(), **facts},
                id=resume_id,
                resume="allow" if resume_id else None,
                mode=mode,
                settings=wandb.Settings(init_timeout=60, console="off", silent=True),
            )
            print(f"W&B: logging {mode} to project {config.wandb_project!r} (run {run.id})")
            return cls(run)
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
        if self.run is not None:
            self._guard("log", self.run.log, {k: v for k, v in row.items() if k != "step"}, step=row["step"])

    def finish(self) -> None:
        if self.run is not None:
            self._guard("finish", self.run.finish)
            self.run = None

    def finish_with(self, result: Any, model: Any, config: RunConfig) -> None:
        """Log the evaluation and a short video of the trained agent, then close the run."""
        if self.run is None:
            return
        summary = {"eval/mean_return": result.mean, "eval/ci_low": result.ci_low, "eval/ci_high": result.ci_high}
        self._guard("summary", self.run.summary.update, summary)
        self._guard("video", self._log_video, model, config)  # the viewer's frames: built-in and external envs
        self.finish()

    def _log_video(self, model: Any, config: RunConfig) -> None:
        import wandb

        from pixelarena.agents.viewer.agent_video import agent_frames
        from pixelarena.agents.viewer.video import write_video

        # A file, not raw frames: wandb encodes raw frames with moviepy, which is not a dependency. The frames
        # are the viewer's (game and side panel), as `pixelarena play --record` writes them.
        path = write_video(Path(self.run.dir) / RunDir.VIDEO, agent_frames(model, config, episodes=1, max_frames=300))
        self.run.log({"media/agent": wandb.Video(str(path), format="gif")}, step=model.num_timesteps)
