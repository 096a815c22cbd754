"""`python -m agents.bench.solve`: steps and seconds to a game's solved score (greedy mean over 32 episodes >= its
scripted policy's mean: Chase 9.8, Target 100, Swarm 160, Snake 21.2) for one training setting (a preset with
overrides).

    .venv/bin/python -m agents.bench.solve NAME '{"n_epochs": 8}' [--preset chase-cnn] [--cap-minutes 12]

Greedy evaluation every 12 rollouts (not counted in the seconds); one JSON line per trial appended to
runs/speed/solve.jsonl. Steps to solved do not depend on the machine's load; seconds do (see docs/performance.md).
"""

import argparse
import json
import time
from pathlib import Path

from agents.bench import baseline


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("overrides", type=json.loads)
    parser.add_argument("--preset", default="chase-cnn")
    parser.add_argument("--cap-minutes", type=float, default=12.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every-rollouts", type=int, default=12)
    args = parser.parse_args()

    config, model = baseline.pixelarena_model(args.threads, args.seed, args.preset, **dict(args.overrides))
    print(f"{args.name}: {config.n_envs} envs x {config.ppo.n_steps} steps, ppo {config.ppo}", flush=True)
    started = time.time()
    run = baseline.time_to_solved_ours(config, model, args.cap_minutes * 60, args.every_rollouts)
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
    out_path = Path("runs/speed/solve.jsonl")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "a") as out:
        out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
