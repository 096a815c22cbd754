"""Demonstrations and behaviour cloning: the file round-trips and refuses damaged, changed or foreign files in one
line; the recorders (the scripted policy, a person's session, the steps of a takeover in the viewer); cloning fits
the scripted policy's choices, on flat, click and per-cell heads; train --demos records it in config.json; bad input
to the new options is one line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pygame
import pytest

from pixelarena import envs
from pixelarena.agents.cli.main import main
from pixelarena.agents.demos.cloning import MAX_RETURN, agreement, clone
from pixelarena.agents.demos.dataset import discounted_returns, load_dataset
from pixelarena.agents.demos.demo_file import DemoFileError, read_demos, write_demos
from pixelarena.agents.demos.record import DemoRecorder, SessionRecorder, record_scripted
from pixelarena.agents.environments.env_spec import EnvSpec
from pixelarena.agents.evaluation.evaluate import evaluate_model
from pixelarena.agents.run.config import PPOSettings, RunConfig
from pixelarena.agents.run.model import build_model, make_vec_env
from pixelarena.agents.run.run_dir import RunDir, RunWriteError
from pixelarena.agents.viewer.controls import Key
from pixelarena.agents.viewer.introspect import Introspector
from pixelarena.agents.viewer.session import BuiltinSession, record_demos
from pixelarena.agents.viewer.viewer import Viewer
from pixelarena.envs.human import play_human

SMALL = {"size": 6, "n_enemies": 1, "n_coins": 1}
SMALL_ARGS = ["--env", "Chase", "--env-kwargs", "size=6", "n_enemies=1", "n_coins=1"]
TINY_PPO = PPOSettings(n_steps=16, batch_size=64, n_epochs=1)
UNET = {"base_channels": 4, "depth": 1}


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def small_demos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scripted policy on small Chase maps: 8,000 steps, 16 games."""
    out = tmp_path_factory.mktemp("demos")
    record_scripted("Chase", 8_000, 1000, 16, out, SMALL)
    return out


def _model(config: RunConfig):
    return build_model(config, make_vec_env(config, 8, seed=0))


# ------------------------------------------------------------------------------------------------ the file
def test_a_recording_round_trips_with_every_observation_mode_and_replays(tmp_path: Path) -> None:
    path, recorded = record_scripted("Chase", 600, 5, 8, tmp_path, SMALL)
    demos = read_demos(path)
    assert demos.header == recorded.header
    assert demos.header.modes == ("pixels", "grid", "vector", "entities") and demos.header.seeds == tuple(range(5, 13))
    assert demos.header.settings == {**SMALL, "enemy_speed": 0.5, "enemy_noise": 0.2, "spawn_distance": 4,
                                     "cell_px": 1, "max_steps": 200}  # fmt: skip
    for name, array in recorded.arrays().items():
        assert np.array_equal(demos.arrays()[name], array), name
    ends = demos.terminated | demos.truncated
    assert ends[-1] and ends.sum() == demos.header.episodes and demos.header.steps == 600
    # Game 0's rows come first: replayed from its seed with the recorded actions, every mode and reward agree.
    games = {mode: envs.Chase(1, obs=mode, **SMALL) for mode in demos.header.modes}
    for game in games.values():
        game.reset(seeds=np.array([5], dtype=np.uint64))
    for t in range(int(np.argmax(ends)) + 1):
        for mode, game in games.items():
            assert np.array_equal(demos.observations[mode][t], game.observe()[0]), (mode, t)
            reward, _, _ = game.step(demos.actions[t : t + 1])
        assert reward[0] == demos.rewards[t]


def _rewrite(path: Path, change) -> None:
    """Rewrite a .npz with ``change(entries)`` applied, keeping the header as it was."""
    with np.load(path, allow_pickle=False) as npz:
        entries = {name: npz[name] for name in npz.files}
    change(entries)
    with open(path, "wb") as handle:
        np.savez(handle, **entries)


def _header(entries: dict, **changes) -> None:
    header = {**json.loads(entries["header"].tobytes()), **changes}
    entries["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)


TAMPERINGS = {
    "an action changed": (lambda e: e["actions"].__setitem__(3, (e["actions"][3] + 1) % 5), "SHA-256"),
    "a pickled entry": (lambda e: e.__setitem__("rewards", np.array([object()] * 600, dtype=object)), "cannot be read"),
    "an entry added": (lambda e: e.__setitem__("extra", np.zeros(3)), "unexpected ['extra']"),
    "another format": (lambda e: _header(e, format="something-else"), "not a pixelarena demonstration file"),
    "a newer version": (lambda e: _header(e, version=2), "version 2"),
    "a wrong step count": (lambda e: _header(e, steps=601), "shape"),
    "an unknown game": (lambda e: _header(e, env="Pong"), "not a pixelarena game"),
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_a_tampered_file_is_refused_in_one_line(tmp_path: Path, tampering: str) -> None:
    path, _ = record_scripted("Chase", 600, 5, 8, tmp_path, SMALL)
    change, expected = TAMPERINGS[tampering]
    _rewrite(path, change)
    with pytest.raises(DemoFileError) as error:
        read_demos(path)
    message = str(error.value)
    assert expected in message and str(path) in message and "\n" not in message


@pytest.mark.parametrize("content", [b"", b"not a zip file", b"PK\x03\x04 truncated"])
def test_a_file_that_is_no_archive_is_refused_in_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(DemoFileError, match="not a demonstration file") as error:
        read_demos(path)
    assert "\n" not in str(error.value)


def test_a_truncated_archive_is_refused_in_one_line(tmp_path: Path) -> None:
    path, _ = record_scripted("Chase", 600, 5, 8, tmp_path, SMALL)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(DemoFileError) as error:
        read_demos(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_writing_is_atomic_and_never_pickles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, demos = record_scripted("Chase", 200, 5, 4, tmp_path, SMALL)
    before = path.read_bytes()

    def disk_full(handle, **_: object) -> None:
        handle.write(b"PK half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", disk_full)
    with pytest.raises(RunWriteError, match="No space left"):
        write_demos(path, demos)
    monkeypatch.undo()
    demos.rewards = np.array([object()] * 200)
    with pytest.raises(ValueError, match="rewards must be an array of numbers"):
        write_demos(path, demos)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_discounted_returns_restart_after_each_episode_end() -> None:
    rewards = np.array([1.0, 0.0, 1.0, 1.0, -1.0], dtype=np.float32)
    ends = np.array([False, False, True, False, True])
    assert np.allclose(discounted_returns(rewards, ends, 0.5), [1.25, 0.5, 1.0, 0.5, -1.0])


# ------------------------------------------------------------------------------------------------ recorders
def test_a_persons_session_is_recorded_with_restarts_as_cut_off_episodes(tmp_path: Path) -> None:
    pygame.display.init()
    pygame.event.clear()
    for key in [pygame.K_UP] * 3 + [pygame.K_r, pygame.K_LEFT, pygame.K_ESCAPE]:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key))
    recorder = SessionRecorder(tmp_path, "Chase", {"size": 8}, "human", 3)
    session = play_human("Chase", seed=3, scale=8, recorder=recorder, size=8)
    demos = read_demos(recorder.path)
    assert session.steps == 4 and demos.header.source == "human" and demos.header.seeds == (3,)
    assert demos.actions.tolist() == [1, 1, 1, 3]
    assert demos.truncated.tolist() == [False, False, True, True]  # r cut the first episode; quitting the second


def test_only_the_steps_a_person_plays_in_a_takeover_are_recorded(tmp_path: Path) -> None:
    cnn = {"channels": (8, 8), "strides": (1, 2)}
    config = RunConfig("Chase", "cnn", "grid", 256, 0, 8, "cpu", {"size": 8}, cnn, TINY_PPO)
    model = _model(config)
    session = BuiltinSession(config.env_spec(), seed=4, scale=8)
    record_demos(session, config, tmp_path, seed=4)
    viewer = Viewer(session, Introspector(model.policy), title="test")
    for _ in range(2):
        viewer.advance()  # the agent's steps are not recorded
    viewer.set_state(human=True)
    for key in ("up", "left"):
        viewer.handle(Key(key))
    viewer.set_state(human=False)
    viewer.advance()
    viewer.set_state(human=True)
    viewer.handle(Key("down"))
    session.close()
    demos = read_demos(next(tmp_path.iterdir()))
    assert demos.header.source == "takeover" and demos.actions.tolist() == [1, 3, 2]
    assert demos.truncated.tolist() == [False, True, True]  # the agent's step cut the person's first stretch


def test_the_viewer_starts_a_fresh_game_after_an_episode_ends() -> None:
    session = BuiltinSession(EnvSpec("Chase", "pixels", {"size": 6}), seed=0, scale=4)
    while not session.done:
        session.advance(0)
    session.new_episode()
    assert session.game.steps[0] == 0


def test_a_recorder_cuts_episodes_its_steps_do_not_reach(tmp_path: Path) -> None:
    game = envs.Chase(2, **SMALL)
    game.reset(seeds=np.array([0, 1], dtype=np.uint64))
    recorder = DemoRecorder(game, "Chase", SMALL, "scripted", [0, 1])
    for _ in range(3):
        recorder.step(game.expert_actions())
    demos = recorder.demonstrations(limit=5)
    assert demos is not None and demos.header.steps == 5
    assert demos.truncated[2] and demos.truncated[4]  # game 0 cut at the end, game 1 cut by the limit


# ------------------------------------------------------------------------------------------------ cloning
def test_cloning_picks_the_scripted_action_on_most_held_out_states(small_demos: Path) -> None:
    config = RunConfig("Chase", "mlp", "entities", 256, 0, 8, "cpu", SMALL, {}, TINY_PPO)
    model = _model(config)
    untrained = evaluate_model(model, config, 32, seed=5).mean
    dataset = load_dataset(small_demos, "Chase", SMALL, "entities", 0.97)
    result = clone(model.policy, dataset, epochs=30, learning_rate=3e-3, max_grad_norm=0.5, seed=0,
                   log=lambda _: None)  # fmt: skip
    assert result.held_out_steps > 500 and result.train_steps + result.held_out_steps == 8_000
    assert result.held_out_agreement is not None and result.held_out_agreement > 0.9
    # And it plays: on the same 32 games the clone collects coins (+28 when measured), the untrained policy does
    # not (-0.9).
    cloned = evaluate_model(model, config, 32, seed=5).mean
    assert untrained < 1 and cloned > untrained + 10, (untrained, cloned)


@pytest.mark.parametrize(
    "game, obs, reached",
    # A click map (random: 1 in 36), and one move per cell with action masks (random: 0.28 of the cells with a
    # choice; the scripted swarm weighs predators, food and which unit is nearest it).
    [("Target", "pixels", 0.8), ("Swarm", "grid", 0.45)],
)
def test_spatial_heads_clone(tmp_path: Path, game: str, obs: str, reached: float) -> None:
    kwargs = {"size": 6}
    record_scripted(game, 800, 0, 8, tmp_path, kwargs)
    config = RunConfig(game, "unet", obs, 256, 0, 8, "cpu", kwargs, UNET, TINY_PPO)
    model = _model(config)
    dataset = load_dataset(tmp_path, game, kwargs, obs, 0.9)
    assert (dataset.action_masks is not None) == (game == "Swarm")
    before = agreement(model.policy, _batches(model, dataset), np.arange(len(dataset)))
    result = clone(model.policy, dataset, epochs=15, learning_rate=3e-3, max_grad_norm=0.5, seed=0,
                   batch_size=64, log=lambda _: None)  # fmt: skip
    after = agreement(model.policy, _batches(model, dataset), np.arange(len(dataset)))
    assert before is not None and before < 0.3 and after is not None and after > reached
    assert np.isfinite(result.policy_loss) and np.isfinite(result.value_loss)


def _batches(model, dataset):
    from pixelarena.agents.demos.cloning import _Batches

    return _Batches(model.policy, dataset)


# ------------------------------------------------------------------------------------------------ the CLI
def _train(tmp_path: Path, demos: Path, *extra: str) -> Path:
    run = tmp_path / "run"
    code = main(["train", *SMALL_ARGS, "--encoder", "mlp", "--obs", "entities", "--demos", str(demos),
                 "--n-envs", "8", "--n-steps", "16", "--batch-size", "64", "--eval-every", "128", "--eval-episodes",
                 "4", "--run-dir", str(run), "--threads", "1", "--device", "cpu", *extra])  # fmt: skip
    assert code == 0
    return run


def test_train_with_demos_clones_first_and_ppo_starts_from_the_clone(tmp_path: Path, small_demos: Path) -> None:
    run = _train(tmp_path, small_demos, "--bc-epochs", "10", "--steps", "256")
    config = json.loads((run / "config.json").read_text())
    assert config["demos"] == str(small_demos) and config["bc_epochs"] == 10 and config["steps"] == 256
    cloning = json.loads((run / "cloning.json").read_text())
    assert cloning["epochs"] == 10 and cloning["steps"] == 8_000 and cloning["greedy_return"] is not None
    assert (run / "eval.json").exists() and (run / "checkpoints" / "best.safetensors").exists()
    # PPO's first update is made on the clone's weights: its policy is already sharp (entropy 0.89 when measured),
    # where a policy PPO built afresh spreads over Chase's five moves (entropy near log 5 = 1.61).
    first = next(row for row in (json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines())
                 if "losses/entropy" in row)  # fmt: skip
    assert first["losses/entropy"] < 1.2, first


def test_train_with_demos_and_no_steps_is_cloning_alone(tmp_path: Path, small_demos: Path) -> None:
    run = _train(tmp_path, small_demos, "--steps", "0")
    config = json.loads((run / "config.json").read_text())
    assert config["steps"] == 0 and config["bc_epochs"] == 10
    assert not (run / "metrics.jsonl").exists() or (run / "metrics.jsonl").read_text() == ""
    assert json.loads((run / "eval.json").read_text())["episodes"] == 4


def test_old_configs_load_and_demos_fields_are_checked() -> None:
    config = RunConfig("Chase", "cnn", "pixels", 256, 0, 8, "cpu").to_json()
    for key in ("demos", "bc_epochs"):
        del config[key]
    assert RunConfig.from_json(config).demos == ""  # a config.json from before demonstrations
    with pytest.raises(ValueError, match="bc_epochs"):
        RunConfig.from_json({**config, "bc_epochs": 3})
    with pytest.raises(ValueError, match="steps"):
        RunConfig.from_json({**config, "steps": 0})


BAD_INPUT = {
    "no such demos": (["train", "--demos", "{tmp}/missing", "--steps", "0"], "no such file or directory"),
    "an empty directory": (["train", "--demos", "{tmp}", "--steps", "0"], "holds no demonstration files"),
    "steps 0 without demos": (["train", "--steps", "0"], "--steps 0 trains no PPO"),
    "bc-epochs without demos": (["train", "--bc-epochs", "3"], "give them with --demos"),
    "bc-epochs 0": (["train", "--demos", "{demos}", "--bc-epochs", "0", *SMALL_ARGS], "--bc-epochs must be positive"),
    "other settings": (["train", "--demos", "{demos}", "--env", "Chase"], "was recorded with"),
    "another game": (["train", "--demos", "{demos}", "--env", "Snake"], "was recorded on Chase"),
    "an external env": (["train", "--demos", "{demos}", "--env", "CartPole-v1"], "pixelarena's games"),
    "a frame stack": (["train", "--demos", "{demos}", *SMALL_ARGS, "--frame-stack", "2"], "drop --frame-stack"),
    "with resume": (["train", "--resume", "{tmp}/run", "--demos", "{demos}"], "drop --demos"),
    "demos of an unknown game": (["demos", "--env", "Chess", "{tmp}/d"], "did you mean 'Chase'"),
    "demos of an external env": (["demos", "--env", "CartPole-v1", "{tmp}/d"], "pixelarena's games"),
    "demos of no steps": (["demos", "--steps", "0", "{tmp}/d"], "must be positive"),
    "demos with a bad setting": (["demos", "--env-kwargs", "sise=5", "{tmp}/d"], "did you mean 'size'"),
    "demos into a file": (["demos", "--steps", "100", "{tmp}/file"], "is a file, not a directory"),
    "record-demos while watching a script": (["play", "--env", "Chase", "--record-demos", "{tmp}"], "add --human"),
    "record-demos into a video": (["play", "--human", "--record-demos", "{tmp}", "--record", "x.gif"], "drop --record"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_to_the_demonstration_options_is_one_line(
    case: str, tmp_path: Path, small_demos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("not a directory")
    RunDir.create(tmp_path / "run", RunConfig("Chase", "cnn", "pixels", 256, 0, 8, "cpu"))  # for --resume
    argv, expected = BAD_INPUT[case]
    argv = [arg.format(tmp=tmp_path, demos=small_demos) for arg in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pixelarena: error: ") and expected in err and err.count("\n") == 1, err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["file", "run"]  # nothing written


def test_a_tampered_recording_stops_train_before_a_run_directory_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = record_scripted("Chase", 600, 5, 8, tmp_path / "demos", SMALL)
    _rewrite(path, lambda e: e["rewards"].__setitem__(0, 5.0))
    capsys.readouterr()  # the recording's progress bar
    run = tmp_path / "run"
    assert main(["train", *SMALL_ARGS, "--demos", str(path), "--steps", "0", "--run-dir", str(run)]) == 2
    err = capsys.readouterr().err
    assert "SHA-256" in err and err.count("\n") == 1 and not run.exists()


def test_pixelarena_demos_writes_a_file_train_reads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "d"
    assert main(["demos", "--env", "snake", "--steps", "300", "--n-envs", "4", "--env-kwargs", "size=8", str(out)]) == 0
    (path,) = out.iterdir()
    assert path.name == "snake-scripted-300-s1000.npz" and "Recorded 300 steps" in capsys.readouterr().out
    assert zipfile.is_zipfile(path) and read_demos(path, modes=["grid"]).header.env == "Snake"
    assert main(["demos", "--env", "snake", "--steps", "300", "--n-envs", "4", "--env-kwargs", "size=8", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_recording_interrupted_while_it_is_written_leaves_no_file(tmp_path: Path, sig: signal.Signals) -> None:
    """The signal lands while the file is compressed under its temporary name: exit 130, one line, and the
    directory as empty as before (no hidden ``.name.npz.tmp``)."""
    out = tmp_path / "d"
    process = subprocess.Popen([sys.executable, "-m", "pixelarena", "demos", str(out), "--steps", "40k",
                                "--env-kwargs", "size=8"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)  # fmt: skip
    deadline = time.monotonic() + 300
    while not list(out.glob(".*.tmp")):
        assert process.poll() is None, "it finished before it could be interrupted"
        assert time.monotonic() < deadline, "the file was never written"
        time.sleep(0.001)
    process.send_signal(sig)
    err = process.communicate(timeout=120)[1]
    assert process.returncode == 130, err
    assert err.splitlines()[-1] == "pixelarena: interrupted"
    assert list(out.iterdir()) == []


def test_returns_no_value_head_can_hold_stop_cloning_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rewards of 3e38 are finite float32 numbers, and a recording of them is a valid file (its checksums fit):
    cloning refuses their returns before it trains, and no run is left half made."""
    path, _ = record_scripted("Chase", 600, 5, 8, tmp_path / "demos", SMALL)
    demos = read_demos(path)
    demos.rewards = np.full_like(demos.rewards, 3e38)
    write_demos(path, demos)
    capsys.readouterr()
    run = tmp_path / "run"
    code = main(["train", *SMALL_ARGS, "--encoder", "mlp", "--obs", "entities", "--demos", str(path.parent),
                 "--steps", "0", "--run-dir", str(run), "--threads", "1"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert f"discounted returns reach inf; a value head cannot learn returns beyond {MAX_RETURN:.0e}" in err
    assert not (run / "model.safetensors").exists() and not (run / "cloning.json").exists()


def test_a_recording_with_a_setting_the_game_lacks_is_refused_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = record_scripted("Chase", 600, 5, 8, tmp_path / "demos", SMALL)
    _rewrite(path, lambda e: _header(e, settings={**SMALL, "bogus": 1}))
    capsys.readouterr()
    assert (
        main(["train", *SMALL_ARGS, "--demos", str(path.parent), "--steps", "0", "--run-dir", str(tmp_path / "run")])
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "was recorded with bogus, which Chase does not have (its settings: " in err, err
