"""`python -m pixelarena.agents.bench.recurrent_cost [PRESET] [N_ENVS] [ROUNDS]`: what memory costs per env step: CPU
time of
PPO's learn() (rollout and update) for a preset (default chase-cnn) with and without ``--recurrent``, one torch
thread, interleaved (both once per round) so that a shared machine's load hits them alike.

CPU time of the process (``time.process_time``), not wall-clock: on a machine shared with other work it is the cost
itself, while wall-clock also measures the neighbours. Prints one JSON line per measurement and a Markdown table.
"""

from __future__ import annotations

import json
import sys
import time

from pixelarena.agents.bench import baseline
from pixelarena.agents.reporting.markdown import table

ROLLOUTS = 2  # measured per variant and round, after one warm-up rollout


def cpu_ms_per_step(preset: str, n_envs: int, recurrent: bool) -> float:
    """CPU milliseconds per env step of learn() over :data:`ROLLOUTS` rollouts, after one warm-up rollout."""
    config, model = baseline.pixelarena_model(1, 0, preset, n_envs=n_envs, recurrent=recurrent)
    rollout = config.rollout_steps
    model.learn(rollout, reset_num_timesteps=False)
    start = time.process_time()
    model.learn(rollout * ROLLOUTS, reset_num_timesteps=False)
    return 1000 * (time.process_time() - start) / (rollout * ROLLOUTS)


def main(preset: str = "chase-cnn", n_envs: int = 32, rounds: int = 2) -> str:
    results: dict[bool, list[float]] = {False: [], True: []}
    for round_ in range(rounds):
        for recurrent, values in results.items():
            values.append(cpu_ms_per_step(preset, n_envs, recurrent))
            print(json.dumps({"preset": preset, "n_envs": n_envs, "round": round_, "recurrent": recurrent,
                              "cpu_ms_per_step": round(values[-1], 4)}), flush=True)  # fmt: skip
    base = sum(results[False]) / rounds
    rows = [[("recurrent (LSTM)" if recurrent else "feed-forward"), " / ".join(f"{v:.3f}" for v in values),
             f"{sum(values) / rounds:.3f}", f"{sum(values) / rounds / base:.2f}x"]
            for recurrent, values in results.items()]  # fmt: skip
    return table(["policy", "CPU ms per env step, per round", "mean", "vs feed-forward"], rows)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    print(main(arguments[0] if arguments else "chase-cnn", *(int(a) for a in arguments[1:3])))
