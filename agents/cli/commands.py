"""What each `pixelarena` command runs: thin handlers that hand their arguments to the package doing the work.

Each imports that package when it runs, so `pixelarena list` and `--help` stay quick (no torch at start-up).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pixelarena.agents.bench.options import BenchArgs
from pixelarena.agents.cli.options import DemosArgs, EvalArgs, ExportArgs, ListArgs, PlayArgs, ReportArgs
from pixelarena.agents.experiments.options import CompareArgs, SweepArgs
from pixelarena.agents.training.options import TrainArgs


def run_train(args: TrainArgs) -> None:
    from pixelarena.agents.training.resolve import resolve, resume_config
    from pixelarena.agents.training.train import train
    from pixelarena.agents.viewer.watch import watch_run

    if args.resume is not None:
        config = resume_config(args)
        if config is None:
            return  # finished, and not extended: nothing to do
        run_dir = train(config, args.resume, resume=True)
    else:
        run_dir = train(resolve(args), args.run_dir)
    print_next_steps(run_dir)
    if args.show:
        watch_run(run_dir)  # the viewer window, or without a display a video in the run directory


def print_next_steps(run_dir: Path) -> None:
    """The end of `train`: the preset the run started from, where its model is and what to run next."""
    import shlex

    from pixelarena.agents.run.run_dir import RunDir

    run = RunDir(run_dir)
    preset = run.read_config().preset
    where = shlex.quote(str(run_dir))
    print(f"Preset: {preset} (agents/run/presets.py), with the options given" if preset else
          "Preset: none for this game and encoder: pixelarena's defaults, with the options given (presets, one table "
          "per game, live in agents/run/presets.py)")  # fmt: skip
    print(f"Model: {run.model_file}")
    print(f"Next: pixelarena eval {where}   (greedy return over 100 games)\n"
          f"      pixelarena play {where}   (watch it play; --record agent.mp4 without a display)")  # fmt: skip


def run_eval(args: EvalArgs) -> None:
    import json

    from pixelarena.agents.checks import parse_kwargs
    from pixelarena.agents.evaluation.evaluate import evaluate_model
    from pixelarena.agents.run.model import load_weights
    from pixelarena.agents.run.run_dir import RunDir

    if args.episodes <= 0:
        raise ValueError(f"--episodes must be positive, got {args.episodes}")
    config, model, step = load_weights(args.run, args.device, args.weights)
    weights = RunDir(args.run).weights_file(args.weights)
    result = evaluate_model(model, config, args.episodes, args.seed, parse_kwargs(args.env_kwargs),
                            deterministic=not args.stochastic)  # fmt: skip
    if args.json:  # the score with the weights it belongs to
        print(json.dumps({**result.to_json(), "weights": str(weights), "step": step, "stochastic": args.stochastic}))
        return
    settings = ", ".join(f"{k}={v}" for k, v in result.env_kwargs.items()) or "training settings"
    sampled = ", sampled actions" if args.stochastic else ""
    print(f"{config.env} ({settings}{sampled}): mean return {result.mean:+.2f} over {result.episodes} episodes, "
          f"95% CI {result.ci_low:+.2f} .. {result.ci_high:+.2f}; weights {weights} (step {step:,})")  # fmt: skip


def run_list(args: ListArgs) -> None:
    from pixelarena.agents.cli.listing import print_encoder_facts, print_games, print_presets, probe_env

    if args.presets:
        print_presets()
        return
    spec, probe = probe_env(args.env, args.obs)  # a wrong name fails before anything is printed
    print_games()
    print_encoder_facts(spec, probe)


def run_report(args: ReportArgs) -> None:
    from pixelarena.agents.experiments.suite_report import write_report
    from pixelarena.agents.reporting.publish import check_destination, publish

    if (args.dir / "trials").is_dir():  # a sweep's folder: its trial table
        from pixelarena.agents.experiments.sweep import write_trials_table

        print(f"report: {write_trials_table(args.dir)}")
        return
    if args.publish is not None:
        check_destination(args.dir, args.publish)  # before the report is written, not after
    print(f"report: {write_report(args.dir)}")
    if args.publish is not None:
        print(f"report: published to {publish(args.dir, args.publish)}")


def run_bench(args: BenchArgs) -> None:
    from pixelarena.agents.bench.tables import run_benchmarks
    from pixelarena.agents.run.model import pick_device
    from pixelarena.agents.run.presets import PRESETS

    measures = (args.envs, args.views, args.scores, args.nets, args.ppo, args.stems, args.presets, args.baseline,
                args.device_ppo)  # fmt: skip
    if not any(measures):
        raise ValueError(
            "choose what to measure: --envs, --views, --scores, --nets, --ppo, --stems, --presets, --device-ppo and/or "
            "--baseline"
        )
    if min(args.baseline_minutes, args.ours_minutes, args.zoo_minutes) < 0:
        raise ValueError("--baseline-minutes, --zoo-minutes and --ours-minutes must be 0 or more")
    if args.baseline and args.zoo_minutes > 0:
        from pixelarena.agents.bench.zoo import zoo_version

        if zoo_version() is None:
            raise ValueError('--baseline runs the real rl-zoo3, which is not installed: pip install -c constraints.txt '
                             '-e ".[zoo]", or leave it out with --zoo-minutes 0')  # fmt: skip
    chase_presets = [name for name, preset in PRESETS.items() if preset.env == "Chase"]
    if args.baseline_preset not in chase_presets:
        raise ValueError(
            f"--baseline-preset {args.baseline_preset!r} is not a Chase preset; choose from {chase_presets}"
        )
    pick_device(args.device)
    if args.threads <= 0 or args.seconds <= 0:
        raise ValueError("--threads and --seconds must be positive")
    run_benchmarks(args)


def run_compare(args: CompareArgs) -> None:
    from pixelarena.agents.experiments.compare import compare

    compare(args)


def run_export(args: ExportArgs) -> None:
    from pixelarena.agents.export.onnx import OPSET, export_onnx

    info = export_onnx(args.run, args.onnx, weights=args.weights)
    print(f"export: {info.path} (ONNX opset {OPSET}) from {info.weights} (step {info.step:,}): input obs "
          f"(N, {', '.join(map(str, info.input_shape))}) {info.input_dtype} as the env gives it; outputs logits "
          f"(N, {info.logits}) and value (N,){_state_note(info.state)}; onnxruntime matches PyTorch within "
          f"{info.max_difference:.1e} with the same greedy actions")  # fmt: skip


def _state_note(state: tuple[str, ...]) -> str:
    """What a recurrent policy's graph takes and gives beside the observation."""
    if not state:
        return ""
    return (f"; a recurrent policy's step: also inputs episode_start (N,) and its LSTM state {', '.join(state)}, "
            f"outputs the state after the step ({', '.join(f'{name}_out' for name in state)})")  # fmt: skip


def run_sweep(args: SweepArgs) -> None:
    from pixelarena.agents.experiments.sweep import run_sweep as sweep

    sweep(args)


def run_demos(args: DemosArgs) -> None:
    """Record the scripted policy's play as demonstrations (agents/demos/record.py)."""
    from pixelarena import envs
    from pixelarena.agents.checks import parse_kwargs, parse_steps
    from pixelarena.agents.demos.record import record_scripted
    from pixelarena.agents.environments.env_spec import EnvSpec

    spec = EnvSpec.parse(args.env)  # an unknown name fails here, naming the nearest game
    if spec.game is None:
        raise ValueError(f"demonstrations are recorded on pixelarena's games ({', '.join(envs.GAMES)}), not "
                         f"{args.env}")  # fmt: skip
    steps = parse_steps(args.steps)
    if args.n_envs <= 0:
        raise ValueError(f"--n-envs must be positive, got {args.n_envs}")
    if args.seed < 0:
        raise ValueError(f"--seed must be 0 or more, got {args.seed}")
    spec = spec.with_kwargs(parse_kwargs(args.env_kwargs))
    spec.make_game(1)  # the settings fail now, in one line, before anything is recorded
    path, demos = record_scripted(spec.name, steps, args.seed, args.n_envs, args.dir, spec.kwargs)
    header = demos.header
    print(f"Recorded {header.steps:,} steps of the scripted policy on {spec.name} ({header.episodes:,} episodes, the "
          f"last of each of {header.games} games cut off; observations {', '.join(header.modes)}) in {path} "
          f"({path.stat().st_size / 1e6:.1f} MB)")  # fmt: skip
    print(f"Next: pixelarena train --env {spec.name} --demos {args.dir}   (--steps 0: behaviour cloning alone)")


def _check_record_demos(args: PlayArgs) -> None:
    """--record-demos records a person's play in a window: of a game (--human), or takeovers of a run's agent."""
    from pixelarena.agents.environments.env_spec import builtin_game
    from pixelarena.agents.viewer.scripted import has_display

    if args.record is not None:
        raise ValueError("--record-demos records your play in a window: drop --record")
    if args.run is None and not args.human:
        raise ValueError("--record-demos records your play: add --human (pixelarena demos records the scripted "
                         "policy)")  # fmt: skip
    if args.run is None and builtin_game(args.env) is None:
        from pixelarena import envs

        raise ValueError(f"--record-demos records pixelarena's games ({', '.join(envs.GAMES)}), not {args.env}")
    if not has_display() and not args.web:
        raise ValueError("--record-demos records your play in a window: no display was found (or add --web)")


def run_play(args: PlayArgs) -> None:
    """Open the viewer, record, or play, as ``args`` ask; bad input raises a one-line ValueError."""
    if args.episodes < 1:
        raise ValueError(f"--episodes must be at least 1, got {args.episodes}")
    if not 1 <= args.scale <= 64:
        raise ValueError(f"--scale must be between 1 and 64 pixels per cell, got {args.scale}")
    if args.record is not None:
        from pixelarena.agents.viewer.video import check_video_path

        check_video_path(args.record)  # before an episode is played, not after
    if args.record_demos is not None:
        _check_record_demos(args)
    if args.web or args.follow:
        _serve(args)
        return
    if args.run is None:
        _play_game(args)
        return
    if args.size is not None:
        raise ValueError("--size is for --env games; a run plays on its training settings")
    from pixelarena.agents.viewer.watch import watch_run

    watch_run(
        args.run,
        record=args.record,
        overlay=args.overlay,
        layer=args.layer,
        episodes=args.episodes,
        seed=0 if args.seed is None else args.seed,
        scale=args.scale,
        speed=args.speed,
        human=args.human,
        device=args.device,
        record_demos=args.record_demos,
        weights=args.weights,
    )


def _serve(args: PlayArgs) -> None:
    """--web: the viewer in a browser tab (agents/viewer/web/)."""
    from pixelarena.agents.viewer.web.launch import game_server, run_server, serve

    if not args.web:
        raise ValueError("--follow reloads a run's newest weights in the browser viewer: add --web")
    if args.record is not None:
        raise ValueError("--web serves the viewer to a browser and --record writes a video: choose one")
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be between 0 (any free port) and 65535, got {args.port}")
    if args.run is None:
        if args.follow:
            raise ValueError("--follow follows a run's training: give its directory, python play.py runs/<run> "
                             "--web --follow")  # fmt: skip
        if not args.human:
            raise ValueError("--web shows a run's agent (python play.py runs/<run> --web) or your play (--env GAME "
                             "--human --web)")  # fmt: skip
        if args.overlay != "none":
            raise ValueError("--overlay needs a trained agent: python play.py runs/<run> --web --overlay ...")
        server = game_server(args.env, args.host, args.port, args.seed, args.scale, args.size, args.record_demos)
        serve(server, f"{args.env} for you to play")
        return
    if args.size is not None:
        raise ValueError("--size is for --env games; a run plays on its training settings")
    server = run_server(args.run, args.follow, args.weights, args.host, args.port, args.overlay, args.layer,
                        0 if args.seed is None else args.seed, args.scale, args.speed, args.human, args.device,
                        args.record_demos)  # fmt: skip
    serve(server, f"{server.hub.viewer.title}" + (" (following its training)" if args.follow else ""))


def _play_game(args: PlayArgs) -> None:
    from pixelarena.agents.viewer.scripted import check_human_window, watch_scripted
    from pixelarena.envs.human import play_human

    if args.overlay != "none":
        raise ValueError("--overlay needs a trained agent: pixelarena play runs/<run> --overlay ...")
    kwargs = {} if args.size is None else {"size": args.size}
    if args.human:
        check_human_window(args.record)
        recorder = None
        if args.record_demos is not None:
            import random

            from pixelarena.agents.demos.record import SessionRecorder
            from pixelarena.agents.environments.env_spec import builtin_game

            game = builtin_game(args.env)
            assert game is not None  # checked by _check_record_demos
            seed = args.seed if args.seed is not None else random.randrange(2**31)  # a recording names its seed
            recorder = SessionRecorder(args.record_demos, game.__name__, kwargs, "human", seed)
        play_human(args.env, seed=recorder.seed if recorder else args.seed, scale=args.scale, recorder=recorder,
                   **kwargs)  # fmt: skip
    else:
        watch_scripted(args.env, args.policy, args.episodes, args.seed, args.scale, args.record, **kwargs)


COMMANDS: dict[str, tuple[type, Callable[[Any], None]]] = {
    "train": (TrainArgs, run_train),
    "eval": (EvalArgs, run_eval),
    "play": (PlayArgs, run_play),
    "demos": (DemosArgs, run_demos),
    "list": (ListArgs, run_list),
    "bench": (BenchArgs, run_bench),
    "compare": (CompareArgs, run_compare),
    "sweep": (SweepArgs, run_sweep),
    "export": (ExportArgs, run_export),
    "report": (ReportArgs, run_report),
}
"""Each subcommand's argument dataclass and handler, in the order --help lists them."""
