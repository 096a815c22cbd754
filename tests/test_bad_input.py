"""Bad input, table-driven: every command with wrong types, out-of-range and non-finite values, unknown names,
missing paths, files where directories are expected, directories that are not runs, runs of another game, env
kwargs out of range. Each row must give one or two lines on stderr (no traceback), the exit code of its kind (2:
the input was wrong; 1: the input was fine but the work could not be done), print nothing on stdout (it is
refused before any work) and leave no file behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pixelarena.agents.cli.main import main

TINY = ["--n-envs", "8", "--n-steps", "32", "--batch-size", "128", "--n-epochs", "1", "--eval-episodes", "2"]
ENV = "tests.user_envs:ChannelsLastEnv"

# (command line, expected exit code, text the message must contain). RUN is a finished Chase run (cnn, pixels),
# EMPTY an empty directory, FILE a file, NOWEIGHTS a run directory with a config but no weights.
ROWS: list[tuple[str, int, str]] = [
    # train: names
    ("train --env Chse", 2, "did you mean 'Chase'"),
    ("train --encoder impal", 2, "did you mean 'impala'"),
    ("train --preset quickstrat", 2, "did you mean 'quickstart'"),
    ("train --obs rgb", 2, "unknown obs mode"),
    ("train --obs pixel", 2, "did you mean 'pixels'?"),
    ("train --encoder resnet", 2, "choose one of mlp, cnn, impala, unet, sets; did you mean 'impala'?"),
    ("train --preset target-unet --env Chase", 2, "is for Target"),
    ("train --env CartPole-v1 --obs pixels", 2, "--obs 'pixels' chooses Dict keys, but env"),
    ("train --env no_such_module:Env", 2, "cannot import module"),
    ("train --env tests.user_envs:NoSuchEnv", 2, "has no gymnasium.Env subclass"),
    ("train --env tests.user_envs:MissionDictEnv", 2, "Dict key 'mission' is a Text space"),
    ("train --env tests.user_envs:NestedDictEnv", 2, "Dict key 'status' is itself a Dict"),
    ("train --env tests.user_envs:DictObsEnv --obs image,nope", 2, "has no key ['nope']"),
    ("train --env tests.user_envs:DictObsEnv --frame-stack 2", 2, "--frame-stack stacks Box observations"),
    (
        "train --env tests.user_envs:FlatImageEnv --frame-stack 2",
        2,
        "--frame-stack needs observations with a channel axis (C x H x W, H x W x C or a vector), not shape (10, 10)",
    ),
    ("train --env Pendulum-v1", 2, "not Discrete or MultiDiscrete"),
    (
        "train --env CartPole-v1 --encoder cnn",
        2,
        "cnn on CartPole-v1 (native obs): --encoder cnn is convolutional and "
        "needs an image observation, this one is a vector of shape (4,); use --encoder mlp",
    ),
    ("train --device tpu", 2, "unknown device"),
    ("train --device cuda:7", 2, "device"),
    # train: counts and numbers
    ("train --steps 10q", 2, "like 500k"),
    ("train --steps 0", 2, "--steps 0 trains no PPO: it is for behaviour cloning alone, with --demos DIR"),
    ("train --steps=-5", 2, "steps must be"),
    ("train --steps 0.5", 2, "whole number"),
    ("train --n-envs 0", 2, "--n-envs must be positive"),
    ("train --n-envs=-1", 2, "--n-envs must be positive"),
    ("train --n-envs abc", 2, "--n-envs"),
    ("train --n-envs 2.5", 2, "--n-envs"),
    ("train --learning-rate nan", 2, "--learning-rate must be a finite number"),
    ("train --learning-rate inf", 2, "--learning-rate must be a finite number"),
    ("train --learning-rate=-1", 2, "--learning-rate must be positive"),
    ("train --gae-lambda 1.5", 2, "--gae-lambda must be in [0, 1]"),
    ("train --clip-range 0", 2, "--clip-range must be positive"),
    ("train --vf-coef=-0.5", 2, "--vf-coef must be 0 or more"),
    ("train --max-grad-norm nan", 2, "--max-grad-norm must be a finite number"),
    ("train --lr-schedule cosine", 2, "choose one of constant, linear"),
    ("train --clip-schedule lin", 2, "did you mean 'linear'"),
    ("train --learning-rate abc", 2, "--learning-rate"),
    ("train --gamma 1.5", 2, "--gamma must be in (0, 1]"),
    ("train --gamma 0", 2, "--gamma must be in (0, 1]"),
    ("train --gamma nan", 2, "--gamma must be a finite number"),
    ("train --ent-coef=-0.1", 2, "--ent-coef must be 0 or more"),
    ("train --ent-coef nan", 2, "--ent-coef must be a finite number"),
    ("train --batch-size 0", 2, "--batch-size must be positive"),
    ("train --batch-size 1000000", 2, "exceeds one rollout"),
    ("train --minibatches 0", 2, "--minibatches must be positive"),
    ("train --minibatches 100000", 2, "exceeds the rollout"),
    ("train --minibatches 4 --batch-size 64", 2, "give one"),
    ("train --n-steps 0", 2, "--n-steps must be positive"),
    ("train --n-epochs 0", 2, "--n-epochs must be positive"),
    ("train --threads 0", 2, "--threads must be positive"),
    ("train --eval-episodes 0", 2, "--eval-episodes must be positive"),
    ("train --checkpoint-every 0", 2, "--checkpoint-every must be positive"),
    ("train --frame-stack 0", 2, "--frame-stack must be positive"),
    ("train --checkpoint-every 5q", 2, "--checkpoint-every must be a count"),
    ("train --bogus", 2, "pixelarena train has no option --bogus"),
    # train: game and encoder arguments
    ("train --env-kwargs size=3", 2, "size must be between"),
    ("train --env-kwargs size=0", 2, "size must be between"),
    ("train --env-kwargs size=abc", 2, "size"),
    ("train --env-kwargs n_enemies=-1", 2, "n_enemies"),
    ("train --env-kwargs n_enemies=40 size=6", 2, "do not fit"),
    ("train --seconds 1e308", 2, "seconds = 1e+308 cannot be recorded"),
    ("train --max-grad-norm 1e17", 2, "max_grad_norm = 1e+17 cannot be recorded"),
    ("train --env-kwargs view=centre", 2, "view must be one of 'map', 'ego'"),
    ("train --env Chase --encoder mlp --obs vector --env-kwargs view_radius=5", 2, "add view='ego'"),
    ("train --env-kwargs view=ego view_radius=0", 2, "view_radius must be an integer between 1 and 255"),
    ("train --env Target --env-kwargs view=ego", 2, "Target has none"),
    ("train --env Chase --encoder sets --obs entities --env-kwargs view=ego", 2, "already relative to the player"),
    ("compare --env Chase --encoders cnn:pixels@egg --steps 1k", 2, "choose map, ego"),
    ("train --env-kwargs foo=1", 2, "--env-kwargs: unknown key 'foo': Chase takes n_enemies,"),
    (
        "train --env-kwargs siz=16",
        2,
        "unknown key 'siz': Chase takes n_enemies, n_coins, enemy_speed, enemy_noise, "
        "spawn_distance, size, cell_px, max_steps, view, view_radius, minimap; did you mean 'size'?",
    ),
    ("train --env Swarm --env-kwargs n_unit=4", 2, "did you mean 'n_units'?"),
    ("train --env-kwargs size", 2, "key=value"),
    ("train --env Target --env-kwargs n_decoys=-2", 2, "n_decoys"),
    ("train --env Swarm --env-kwargs n_units=0", 2, "n_units"),
    ("train --env Snake --env-kwargs size=2", 2, "size"),
    (f"train --env {ENV} --env-kwargs colour=1", 2, "does not take env kwargs"),
    ("train --encoder-kwargs stem=bogus", 2, "stem"),
    ("train --encoder-kwargs foo=1", 2, "--encoder-kwargs: unknown key 'foo': the cnn encoder takes"),
    (
        "train --encoder-kwargs chanels=(8,8)",
        2,
        "the cnn encoder takes features_dim, channels, strides, kernel_size, "
        "pool, stem, cell_px, frames; did you mean 'channels'?",
    ),
    ("train --encoder impala --encoder-kwargs width=(8,8)", 2, "did you mean 'widths'?"),
    ("train --encoder-kwargs foo", 2, "key=value"),
    ("train --encoder cnn --obs vector", 2, "cnn on Chase (vector obs)"),
    # train: paths
    ("train --resume /nonexistent/run", 2, "does not exist"),
    ("train --resume FILE", 2, "is a file, not a run directory (a directory with config.json)"),
    ("train --resume RUN/config.json", 2, "config.json is a file of the run"),
    ("train --resume EMPTY", 2, "is not a pixelarena run"),
    ("train --run-dir FILE", 2, "is a file, not a directory"),
    ("train --run-dir FILE/sub", 2, "is a file, not a directory"),
    ("train --run-dir RUN", 2, "already holds a run"),
    (
        "train --resume RUN --learning-rate 0.001",
        2,
        "drop --learning-rate, or start a new run from its weights under new settings: --init-from",
    ),
    ("train --resume RUN --init-from RUN", 2, "drop --init-from"),
    ("train --init-from RUN --encoder impala", 2, "its encoder is 'cnn', this run's is 'impala': weights carry over"),
    ("train --init-from RUN --obs grid", 2, "its obs is 'pixels', this run's is 'grid'"),
    ("train --init-from RUN --env Snake", 2, "its weights do not fit this run's policy (checkpoint tensor action_net"),
    ("train --init-from NOWEIGHTS", 2, "has not finished, so it has no final policy yet: --init-from"),
    ("train --init-from RUN/eval.json", 2, "give a run directory, or one of its weights files"),
    ("train --init-from EMPTY", 2, "is not a pixelarena run"),
    ("train --resume RUN --env Snake", 2, "drop --env"),
    ("train --resume RUN --n-envs 4", 2, "drop --n-envs"),
    # eval
    ("eval /nonexistent/run", 2, "does not exist"),
    ("eval FILE", 2, "is a file, not a run directory"),
    ("eval RUN/model.safetensors", 2, "model.safetensors is a file of the run"),
    ("eval RUN/config.json", 2, "config.json is a file of the run"),
    ("eval EMPTY", 2, "is not a pixelarena run"),
    ("eval NOWEIGHTS", 2, "has not finished (trained to step 0 of 256), so it has no final policy yet"),
    (
        "eval NOWEIGHTS --weights latest",
        2,
        "checkpoints/latest.safetensors is missing (the first checkpoint writes it, at step 256 or when the training "
        "stops; the run has trained 0 steps)",
    ),
    (
        "eval NOWEIGHTS --weights best",
        2,
        "checkpoints/best.safetensors is missing (the first evaluation writes it, at step 256; the run has trained 0 "
        "steps and is not training now)",
    ),
    ("eval RUN --weights newest", 2, "--weights"),
    ("eval RUN --episodes 0", 2, "--episodes must be positive"),
    ("eval RUN --episodes abc", 2, "--episodes"),
    ("eval RUN --env-kwargs size=3", 2, "size must be between"),
    ("eval RUN --env-kwargs foo=1", 2, "foo"),
    ("eval RUN --env-kwargs size", 2, "key=value"),
    ("eval RUN --device tpu", 2, "device"),
    ("eval", 2, "Missing"),
    # play
    ("play --episodes 0", 2, "--episodes must be at least 1"),
    ("play --scale 0", 2, "--scale must be between 1 and 64"),
    ("play --scale 100", 2, "--scale must be between 1 and 64"),
    ("play --env Nope", 2, "unknown env 'Nope'"),
    ("play --overlay features", 2, "--overlay needs a trained agent"),
    ("play --policy smart", 2, "--policy"),
    ("play --policy expert", 2, "Expected one of ('random', 'scripted')"),
    ("play --env Chase --record out.avi", 2, "must end in .mp4 or .gif"),
    ("play EMPTY", 2, "is not a pixelarena run"),
    ("play RUN/model.safetensors", 2, "model.safetensors is a file of the run"),
    ("play NOWEIGHTS --record out.gif", 2, "so it has no final policy yet: --weights latest uses its last checkpoint"),
    ("play RUN --size 8", 2, "--size is for --env games"),
    ("play RUN --overlay bogus", 2, "overlay"),
    ("play RUN --record out.txt", 2, "must end in .mp4 or .gif"),
    ("play RUN --human --record out.gif", 2, "--human plays in a window"),
    ("play --env Chase --human --record out.gif", 2, "--human plays in a window: drop --record"),
    # compare
    ("compare", 2, "--env is required"),
    ("compare --env Chase", 2, "--steps is required"),
    ("compare --env Chase --steps 1k --encoders ,", 2, "--encoders is empty"),
    ("compare --env Chase --steps 1k --encoders cnn:rgb", 2, "unknown obs mode"),
    ("compare --env Chase --steps 1k --encoders cnn,cnn", 2, "are the same runs"),
    ("compare --env Chase --steps 1k --encoders cnvn", 2, "did you mean 'cnn'"),
    ("compare --env Chase --steps 1k --encoders ResNet:pixels", 2, "did you mean 'impala'"),
    ("compare --env Chase --steps 1k --encoders cnn --jobs 0", 2, "--jobs must be positive"),
    ("compare --env Chase --steps 1k --encoders cnn --seeds 0", 2, "--seeds must be positive"),
    ("compare --env Chase --steps 1q", 2, "like 500k"),
    ("compare --env Chase --steps 1k --encoders cnn --eval-env-kwargs size", 2, "key=value1,value2"),
    ("compare --env Chase --steps 1k --encoders cnn --eval-env-kwargs size=3", 2, "size=3 does not work on Chase"),
    ("compare --env Chase --steps 1k --encoders cnn --eval-env-kwargs size=8,8", 2, "more than once"),
    ("compare --env Chase --steps 1k --experiments e1", 2, "--experiments selects experiments of a --suite"),
    ("compare --env Chase --steps 1k --encoders cnn --run-dir FILE", 2, "is a file"),
    ("compare --suite nope", 2, "unknown suite 'nope'"),
    ("compare --suite claim --budget tpu", 2, "unknown budget 'tpu'"),
    ("compare --suite claim --experiments e9", 2, "unknown experiment 'e9'"),
    ("compare --suite claim --env Chase", 2, "comes from the suite"),
    (
        "compare --env Chase --steps 1k --encoders cnn --backend ray --cpus-per-run 0",
        2,
        "--cpus-per-run must be positive",
    ),
    ("compare --env Chase --steps 1k --encoders cnn --address auto", 2, "go with --backend ray"),
    ("compare --env Chase --steps 1k --encoders cnn --backend slurm", 2, "--backend"),
    # sweep
    ("sweep --seeds 1", 2, "--seeds at least 2"),
    ("sweep --trials 0", 2, "--trials and --jobs must be positive"),
    ("sweep --encoder cnvn", 2, "did you mean 'cnn'"),
    ("sweep --space FILE", 2, "search space"),
    ("sweep --early-stopping never", 2, "--early-stopping"),
    # report
    ("report /nonexistent", 2, "does not exist"),
    ("report EMPTY", 2, "no runs in"),
    ("report FILE", 2, "does not exist"),
    ("report RUNS --publish RUNS/inside", 2, "is inside the comparison folder"),
    ("report RUNS --publish FILE", 2, "is a file"),
    # bench and list
    ("bench", 2, "choose what to measure"),
    ("bench --threads abc", 2, "--threads"),
    ("bench --baseline --baseline-minutes=-1", 2, "must be 0 or more"),
    ("export RUN --onnx out.txt", 2, "must end in .onnx"),
    ("export EMPTY --onnx out.onnx", 2, "is not a pixelarena run"),
    ("export RUN/model.safetensors --onnx out.onnx", 2, "model.safetensors is a file of the run"),
    ("export NOWEIGHTS --onnx out.onnx", 2, "has not finished"),
    ("export RUN --onnx out.onnx --weights last", 2, "--weights"),
    ("bench --nets --device tpu", 2, "device"),
    ("list --env Nope", 2, "unknown env 'Nope'"),
    ("list --obs rgb", 2, "obs"),
    ("list --env Chace", 2, "unknown env 'Chace'"),
    ("list --obs pixel", 2, "did you mean 'pixels'?"),
]


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A finished tiny run (in a comparison folder RUNS), an empty directory, a file, a run without weights."""
    root = tmp_path_factory.mktemp("places")
    run = root / "runs" / "Chase__cnn__pixels__s0"
    command = [sys.executable, "-m", "pixelarena", "train", "--run-dir", str(run), "--steps", "256", "--threads", "1",
               "--env-kwargs", "size=8", *TINY]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    (root / "empty").mkdir()
    (root / "file").write_text("not a run\n")
    no_weights = root / "no-weights"
    no_weights.mkdir()
    (no_weights / "config.json").write_text((run / "config.json").read_text())
    return {"RUN": run, "RUNS": run.parent, "EMPTY": root / "empty", "FILE": root / "file", "NOWEIGHTS": no_weights}


def files_under(*folders: Path) -> set[tuple[str, float]]:
    return {(str(p), p.stat().st_mtime) for folder in folders for p in folder.rglob("*")}


@pytest.mark.parametrize(("line", "code", "message"), ROWS, ids=[row[0] for row in ROWS])
def test_bad_input_gives_a_short_message_and_leaves_nothing(
    line: str, code: int, message: str, places: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    argv = [str(places[word]) if word in places else word for word in line.split()]
    argv = [arg.replace("FILE/", f"{places['FILE']}/").replace("RUNS/", f"{places['RUNS']}/") for arg in argv]
    argv = [arg.replace("RUN/", f"{places['RUN']}/") for arg in argv]
    monkeypatch.chdir(tmp_path)  # anything a command wrongly writes to the working directory shows up here

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"bad input {line!r} got as far as training")

    monkeypatch.setattr("pixelarena.agents.training.train._train", must_not_run)
    monkeypatch.setattr("pixelarena.agents.experiments.compare.run_grids", must_not_run)
    monkeypatch.setattr("pixelarena.agents.experiments.ray_backend.run_grids_on_ray", must_not_run)
    before = files_under(places["RUNS"].parent)
    try:
        exit_code = main(argv)
    except SystemExit as exit_:
        exit_code = exit_.code
    out, err = capsys.readouterr()
    assert exit_code == code, err
    assert out == "", f"bad input is refused before any output: {out!r}"
    assert message in err, err
    assert "Traceback" not in err and 1 <= err.strip().count("\n") + 1 <= 2, err
    assert list(tmp_path.iterdir()) == [], "bad input must not write anything"
    assert files_under(places["RUNS"].parent) == before, "bad input must not change any run"


def test_the_table_covers_every_command_with_at_least_60_rows() -> None:
    commands = {line.split()[0] for line, _, _ in ROWS}
    assert commands == {"train", "eval", "play", "compare", "sweep", "report", "bench", "list", "export"}
    assert len(ROWS) >= 60


def test_a_run_of_another_game_is_refused_by_its_checkpoint(places: dict[str, Path], tmp_path: Path) -> None:
    """A run directory whose config names another game than its weights were trained on (a copied config)."""
    run = tmp_path / "mixed"
    run.mkdir()
    for name in ("model.safetensors", "config.json", "eval.json"):
        (run / name).write_bytes((places["RUN"] / name).read_bytes())
    config = json.loads((run / "config.json").read_text())
    config["env"] = "Snake"
    (run / "config.json").write_text(json.dumps(config))
    result = subprocess.run([sys.executable, "-m", "pixelarena", "eval", str(run), "--episodes", "1"],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2 and "does not fit this env" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("argv", "batch"),
    [
        ([], 1024),  # the preset: 128 envs x 64 steps, minibatch 1,024 (8 per rollout)
        (["--n-envs", "8"], 64),  # a rollout of 512: the preset's 8 minibatches of 64
        (["--n-envs", "6"], 48),  # 384 steps: 8 of 48
        (["--n-envs", "8", "--minibatches", "2"], 256),
        (["--n-envs", "8", "--batch-size", "128"], 128),
    ],
)
def test_the_minibatch_follows_the_rollout(argv: list[str], batch: int) -> None:
    """Any --n-envs works with a preset whose minibatch was sized for 64 envs (CleanRL's num_minibatches)."""
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.agents.training.resolve import resolve

    options = {"n_envs": None, "minibatches": None, "batch_size": None}
    for name, value in zip(argv[::2], argv[1::2]):
        options[name.removeprefix("--").replace("-", "_")] = int(value)
    assert resolve(TrainArgs(preset="quickstart", **options)).ppo.batch_size == batch


def test_every_ppo_setting_is_an_option_recorded_in_the_config(tmp_path: Path) -> None:
    """What a preset sets is settable on the command line and lands in config.json; the schedules reach SB3."""
    import dataclasses

    from pixelarena.agents.run.config import PPOSettings, RunConfig
    from pixelarena.agents.run.model import build_model, make_vec_env
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.agents.training.resolve import resolve

    given = {"learning_rate": 1e-3, "n_steps": 16, "n_epochs": 2, "ent_coef": 0.02, "gamma": 0.9,
             "gae_lambda": 0.7, "clip_range": 0.3, "vf_coef": 0.25, "max_grad_norm": 1.5, "lr_schedule": "linear",
             "clip_schedule": "linear"}  # fmt: skip
    assert set(given) | {"batch_size"} == {f.name for f in dataclasses.fields(PPOSettings)}
    config = resolve(TrainArgs(preset="quickstart", n_envs=4, batch_size=32, steps="640", device="cpu", **given))
    stored = RunConfig.from_json(json.loads(json.dumps(config.to_json())))
    assert dataclasses.asdict(stored.ppo) == {**given, "batch_size": 32}
    model = build_model(stored, make_vec_env(stored, 4, seed=0))
    assert model.lr_schedule(1.0) == pytest.approx(1e-3) and model.lr_schedule(0.25) == pytest.approx(2.5e-4)
    assert model.clip_range(0.5) == pytest.approx(0.15)
    from pixelarena.agents.training.train import train

    run = train(dataclasses.replace(stored, eval_episodes=2, eval_every=0), tmp_path / "run")
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rates = {row["step"]: row["charts/learning_rate"] for row in rows if "charts/learning_rate" in row}
    # SB3 measures the progress after each rollout of 64 steps against the run's step target of 640; its logger
    # writes an update's values with the next rollout's step.
    assert rates == pytest.approx({step: 1e-3 * (1 - (step - 64) / 640) for step in range(128, 641, 64)})


@pytest.mark.parametrize("game", ["Chase", "Target", "Swarm", "Snake"])
def test_actions_of_the_wrong_shape_dtype_or_range_are_one_line_errors(game: str) -> None:
    import numpy as np

    from pixelarena import envs

    single = envs.make(game)
    single.reset(seed=0)
    vec = envs.make_vec(game, num_envs=4)
    vec.reset(seed=0)
    shape = vec.single_action_space.shape
    high = int(np.max(getattr(vec.single_action_space, "nvec", getattr(vec.single_action_space, "n", 1))))
    for action in (high, -1, 2.5, "up", None, np.zeros((7, 7), dtype=int)):
        with pytest.raises(ValueError, match="invalid action") as error:
            single.step(action)
        assert "\n" not in str(error.value)
    for actions in (np.zeros((3, *shape), int), np.full((4, *shape), high), np.zeros((4, *shape)) + 0.5):
        with pytest.raises(ValueError, match="invalid actions") as error:
            vec.step(actions)
        assert "\n" not in str(error.value)
