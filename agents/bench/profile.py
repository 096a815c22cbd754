"""`python -m pixelarena.agents.bench.profile PRESET [ITERATIONS] [THREADS]`: where one PPO iteration of a preset
spends its
time, from cProfile: the update (backward passes, forward passes, optimizer), the rollout (policy forward, env
steps) and the rest, as a Markdown table (docs/performance.md, "Profile of one training iteration").
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time

from pixelarena.agents.bench import baseline
from pixelarena.agents.reporting.markdown import table

# (part, function, where it is defined): cumulative seconds of that function (for nested calls, the outermost).
PARTS = [
    ("PPO update (`train`)", "train", "ppo"),
    ("- forward passes of the update (`evaluate_actions`)", "evaluate_actions", "policies.py"),
    ("- backward passes", "backward", "_tensor.py"),
    ("- optimizer steps", "step", "adam.py"),
    ("rollouts (`collect_rollouts`)", "collect_rollouts", ""),
    ("- policy forward in the rollout", "forward", "policies.py"),
    ("- env steps (the batched games)", "step_wait", ""),
]


def _cumulative(stats: pstats.Stats, function: str, file_part: str) -> float:
    found = [cumulative for (filename, _, name), (_, _, _, cumulative, _) in stats.stats.items()  # type: ignore[attr-defined]
             if name == function and file_part in filename]  # fmt: skip
    return max(found, default=0.0)


def profile(preset: str, iterations: int = 6, threads: int = 1) -> str:
    config, model = baseline.pixelarena_model(threads, 0, preset)
    model.learn(config.rollout_steps, reset_num_timesteps=False)  # warm-up
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    model.learn(config.rollout_steps * iterations, reset_num_timesteps=False)
    profiler.disable()
    seconds = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    rows = []
    for part, function, file_part in PARTS:
        spent = _cumulative(stats, function, file_part)
        rows.append([part, f"{spent:.1f}", f"{spent / seconds:.0%}"])
    steps = config.rollout_steps * iterations
    header = f"{preset}: {iterations} iterations of {config.n_envs} envs x {config.ppo.n_steps} steps, minibatch " \
             f"{config.ppo.batch_size}, {config.ppo.n_epochs} epochs, {threads} thread(s): {steps:,} env steps in " \
             f"{seconds:.1f} s ({steps / seconds:,.0f} env steps/s under the profiler)\n\n"  # fmt: skip
    return header + table(["part", "seconds", "share"], rows, right=(1, 2))


if __name__ == "__main__":
    args = sys.argv[1:]
    print(profile(args[0], *(int(a) for a in args[1:3])))
