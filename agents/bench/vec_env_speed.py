"""`python -m pixelarena.agents.bench.vec_env_speed`: PPO env steps/s on a slow external env, its copies stepped in one
process
(``--vec-env dummy``) against one process each (``--vec-env subproc``), and what more cores would give.

    .venv/bin/python -m pixelarena.agents.bench.vec_env_speed [--env tests.user_envs:SlowEnv] [--step-ms 10] [--n-envs
    2]

Run from the repository root (the default env is the test suite's ``SlowEnv``: a small image task whose step also
computes for ``--step-ms`` milliseconds, as a game in pure Python does). The prediction for P cores takes the
measured learner's share (the same env at 0 ms, in subprocesses) and divides the env's time by P (Amdahl's law).
"""

from __future__ import annotations

import argparse

from pixelarena.agents.bench.baseline import steps_per_second
from pixelarena.agents.reporting.markdown import table


def measure(env: str, step_ms: float, vec_env: str, n_envs: int, seconds: float) -> float:
    """End-to-end PPO env steps/s (rollouts and updates, 1 torch thread) of ``env`` with ``n_envs`` copies."""
    import torch

    from pixelarena.agents.run.model import build_model, make_vec_env
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.agents.training.resolve import resolve

    torch.set_num_threads(1)
    config = resolve(TrainArgs(env=env, env_kwargs=(f"step_ms={step_ms}",), vec_env=vec_env, n_envs=n_envs,
                               n_steps=64, minibatches=1, threads=1, device="cpu"))  # fmt: skip
    vec = make_vec_env(config, n_envs, seed=0)
    try:
        return steps_per_second(build_model(config, vec), seconds)
    finally:
        vec.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="tests.user_envs:SlowEnv")
    parser.add_argument("--step-ms", type=float, default=10.0)
    parser.add_argument("--n-envs", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--predict", default="2,4,8,16", help="core counts to predict for")
    args = parser.parse_args()
    one = measure(args.env, args.step_ms, "dummy", args.n_envs, args.seconds)
    many = measure(args.env, args.step_ms, "subproc", args.n_envs, args.seconds)
    learner = measure(args.env, 0.0, "subproc", args.n_envs, args.seconds)
    rows = [["dummy (1 process)", f"{one:,.1f}", "1.00"],
            [f"subproc ({args.n_envs} processes)", f"{many:,.1f}", f"{many / one:.2f}"]]  # fmt: skip
    # Seconds per env step: the env's own (measured in one process, less the learner's) spread over P cores.
    learner_seconds = 1 / learner
    env_seconds = max(1 / one - learner_seconds, 0.0)
    for cores in (int(c) for c in args.predict.split(",")):
        predicted = 1 / (env_seconds / cores + learner_seconds)
        rows.append(
            [f"predicted: subproc on {cores} cores ({cores}+ envs)", f"{predicted:,.1f}", f"{predicted / one:.2f}"]
        )
    print(
        f"PPO env steps/s, {args.env} at {args.step_ms:g} ms per step, {args.n_envs} envs, 1 torch thread; "
        f"the same env at 0 ms in subprocesses: {learner:,.0f} env steps/s (the learner's and pipes' cost)\n"
    )
    print(table(["vec env", "env steps/s", "vs 1 process"], rows, right={1, 2}))


if __name__ == "__main__":
    main()
