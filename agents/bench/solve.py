"""`python -m pixelarena.agents.bench.solve`: steps and seconds to a game's solved score (greedy mean over 32 episodes
>= its
scripted policy's mean: Chase 9.8, Target 100, Swarm 160, Snake 21.2) for one training setting (a preset with
overrides).

    .venv/bin/python -m pixelarena.agents.bench.solve NAME '{"n_epochs": 8}' [--preset chase-cnn] [--cap-minutes 12]
        [--cap-steps 1M]

Greedy evaluation every 12 rollouts (not counted in the seconds); one JSON line per trial appended to
runs/speed/solve.jsonl. Steps to solved do not depend on the machine's load; seconds do (see docs/performance.md).

    .venv/bin/python -m pixelarena.agents.bench.solve --table snake-cnn [--at 250k,500k,1M]

prints the trials of one preset in solve.jsonl as a Markdown table: the greedy score each had reached by those
steps (the best evaluation up to there), when it first reached the solved score, and its best.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from pixelarena.agents.bench import baseline
from pixelarena.agents.checks import parse_steps
from pixelarena.agents.reporting.markdown import table

RESULTS = Path("runs/speed/solve.jsonl")


def trials_table(rows: list[dict[str, Any]], at_steps: list[int]) -> str:
    """One line per trial: the best greedy score up to each of ``at_steps``, first solved, best, steps run."""
    lines = []
    for row in rows:
        curve = row["curve"]  # (steps, training seconds, greedy score) per evaluation
        cells = []
        for at in at_steps:
            scores = [score for steps, _, score in curve if steps <= at]
            cells.append(f"{max(scores):+.2f}" if scores and curve[-1][0] >= at else "-")
        solved = f"**{row['steps']:,} / {row['train_seconds']:.0f} s**" if row["solved"] else "not reached"
        change = ", ".join(f"{k}={v}" for k, v in row["overrides"].items()) or "none"
        lines.append([row["name"], change, str(row["seed"]), *cells, solved, f"{row['best']:+.2f}",
                      f"{curve[-1][0]:,}" if curve else "0", f"{row['sps']:,}"])  # fmt: skip
    header = ["trial", "change from the preset", "seed", *[f"best greedy by {at:,} steps" for at in at_steps],
              "first solved (steps / s)", "best greedy", "steps run", "env steps/s (shared)"]  # fmt: skip
    return table(header, lines, right=range(2, len(header)))


def main() -> None:
    if "--table" in sys.argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--table", required=True, metavar="PRESET")
        parser.add_argument("--at", default="250k,500k,1M")
        args = parser.parse_args()
        rows = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
        rows = [row for row in rows if row.get("preset", "chase-cnn") == args.table]
        print(trials_table(rows, [parse_steps(at, "--at") for at in args.at.split(",")]))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("overrides", type=json.loads)
    parser.add_argument("--preset", default="chase-cnn")
    parser.add_argument("--cap-minutes", type=float, default=12.0)
    parser.add_argument("--cap-steps", default="100000M", help="also stop after this many env steps, e.g. 1.2M")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every-rollouts", type=int, default=12)
    args = parser.parse_args()

    config, model = baseline.pixelarena_model(args.threads, args.seed, args.preset, **dict(args.overrides))
    print(f"{args.name}: {config.n_envs} envs x {config.ppo.n_steps} steps, ppo {config.ppo}", flush=True)
    started = time.time()
    cap_steps = parse_steps(args.cap_steps, "--cap-steps")
    run = baseline.time_to_solved_ours(config, model, args.cap_minutes * 60, args.every_rollouts, cap_steps)
    row = {
        "name": args.name,
        "preset": args.preset,
        "overrides": args.overrides,
        "threads": args.threads,
        "seed": args.seed,
        "solved": run.solved,
        "train_seconds": round(run.seconds, 1),
        "steps": run.steps,
        "best": round(run.best, 2),
        "sps": round(run.steps / max(run.seconds, 1e-9)),
        "wall_seconds": round(time.time() - started),
        "curve": run.curve,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(json.dumps(row), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "a") as out:
        out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
