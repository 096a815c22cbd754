"""A comparison in W&B: beside the training runs of its arms (one W&B group per encoder spec, job type ``train``),
a run of its own (job type ``compare``) that logs the report's tables as W&B tables (final scores with IQM, CI,
params, receptive field, FLOPs and steps/s; probability of improvement; equal wall-clock; transfer), its plots as
images, and report.md with the plots as an artifact. The numbers are those of report.md (agents/reporting/).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from pixelarena.agents.reporting.records import group_runs, iqm_with_ci, load_run, run_dirs
from pixelarena.agents.reporting.report import PLOTS, REPORT_FILE
from pixelarena.agents.reporting.tables import equal_time_rows, improvement_rows, score_rows, transfer_rows
from pixelarena.agents.training.options import RunOptions
from pixelarena.agents.training.tracking import run_title, start_wandb_run, wandb_mode

JOB_TYPE = "compare"
TABLES = {"scores": score_rows, "improvement": improvement_rows, "equal_seconds": equal_time_rows,
          "transfer": transfer_rows}  # fmt: skip
"""W&B table key (under ``tables/``) -> the report's rows it logs; a table without rows is left out."""


def comparison_folders(root: Path) -> list[Path]:
    """The comparisons under ``root``: itself, or for a suite's folder each experiment's folder."""
    if run_dirs(root):
        return [root]
    return sorted(path for path in root.iterdir() if path.is_dir() and run_dirs(path))


def log_comparison(folder: Path, options: RunOptions) -> None:
    """Log one comparison folder's report (written already) as a W&B run; a W&B failure is one line, not an error:
    the comparison itself is done."""
    groups = group_runs([load_run(path) for path in run_dirs(folder)])
    if not groups:
        return
    configs = [run.config for group in groups for run in group.runs]
    comparison = configs[0].comparison or folder.name
    try:
        import wandb

        config = {"comparison": comparison, "env": sorted({c.env for c in configs}), "arms": [g.label for g in groups],
                  "steps": max(c.steps for c in configs), "seeds": max(len(g.runs) for g in groups),
                  "eval_episodes": max(c.eval_episodes for c in configs), "folder": str(folder)}  # fmt: skip
        run = start_wandb_run(options.wandb_project, options.wandb_entity, folder, job_type=JOB_TYPE,
                              group=comparison, name=run_title(comparison), config=config)  # fmt: skip
        data: dict[str, Any] = {}
        for key, rows_of in TABLES.items():
            rows = rows_of(groups)
            if rows:  # the columns are the rows' keys; a column of numbers may hold None (not known yet)
                data[f"tables/{key}"] = wandb.Table(columns=list(rows[0]), data=[list(row.values()) for row in rows],
                                                    allow_mixed_types=True)  # fmt: skip
        plots = [folder / name for name in PLOTS.values() if (folder / name).exists()]
        data.update({f"plots/{path.stem}": wandb.Image(str(path)) for path in plots})
        run.log(data)
        run.summary.update({f"iqm/{group.label}": iqm_with_ci(group.scores)[0] for group in groups if group.scores})
        artifact = wandb.Artifact(f"report-{re.sub(r'[^A-Za-z0-9_.-]', '-', comparison)}", type="report",
                                  metadata={"comparison": comparison, "arms": config["arms"]})  # fmt: skip
        for path in [folder / REPORT_FILE, *plots]:
            if path.exists():
                artifact.add_file(str(path))
        run.log_artifact(artifact)
        run.finish()
        print(f"W&B: the comparison {comparison} logged as run {run.name} (job type {JOB_TYPE})")
    except Exception as error:  # the comparison is trained and reported: W&B only adds a view of it
        print(f"W&B: the comparison's run failed ({type(error).__name__}: {error})", file=sys.stderr)


def sync_hint(root: Path) -> str | None:
    """One line naming the offline W&B files of a comparison's (or suite's) runs and the ``wandb sync`` command
    that uploads all of them; None online."""
    if wandb_mode() != "offline":
        return None
    if os.environ.get("WANDB_DIR"):
        folder = Path(os.environ["WANDB_DIR"]) / "wandb"
        return f"W&B: offline runs in {folder}; upload them with: wandb sync {folder}"
    found = [path for path in root.rglob("wandb") if path.is_dir() and any(path.glob("offline-run-*"))]
    # runs/c/wandb (the comparison's own run) and runs/c/<run>/wandb (its arms' runs): wandb and */wandb
    patterns = sorted({"/".join(["*"] * (len(path.relative_to(root).parts) - 1) + ["wandb"]) for path in found})
    if not patterns:
        return None
    folders = " ".join(str(root / pattern) for pattern in patterns)
    return f"W&B: offline runs in {folders}; upload them (resumed runs as one run each) with: wandb sync {folders}"
