"""Without starting Ray or long trainings: the sweep's search spaces and preset files, and the table of
`bench --baseline` from stubbed measurements."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_every_encoder_has_a_readable_search_space() -> None:
    """The sweep's space files parse, name only settings train takes, and turn into PPO and encoder settings."""
    from pixelarena.agents.experiments.sweep import PPO_NAMES, RUN_NAMES, SPACES, apply, read_space
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.nets import ENCODERS

    for encoder in ENCODERS:
        space = read_space(SPACES / f"{encoder}.toml")
        assert {name for name in space if not name.startswith("encoder.")} <= {*PPO_NAMES, *RUN_NAMES}
        sample = {name: next(iter(entry.values()))[0] for name, entry in space.items()}
        options, encoder_kwargs = apply(sample)
        assert options and set(options) <= set(TrainArgs.__dataclass_fields__), encoder
        assert bool(encoder_kwargs) == any(name.startswith("encoder.") for name in space), encoder


def test_a_sweep_space_may_not_name_what_train_does_not_take(tmp_path: Path) -> None:
    from pixelarena.agents.experiments.sweep import read_space

    path = tmp_path / "space.toml"
    path.write_text('lr_schedul = { choice = ["constant", "linear"] }\n')
    with pytest.raises(ValueError, match=r"'lr_schedul' is none of .*lr_schedule.*minibatches"):
        read_space(path)


def test_the_rl_zoo3_hyperparameter_file_is_its_atari_ppo_entry(tmp_path: Path) -> None:
    """The real rl-zoo3's side: rl-zoo3's Atari PPO settings for Chase, plus the timing callback by name."""
    import yaml

    from pixelarena.agents.bench import zoo

    entry = yaml.safe_load(zoo.HYPERPARAMS.read_text())[zoo.ENV_ID]
    atari = {"policy": "CnnPolicy", "n_envs": 8, "n_steps": 128, "n_epochs": 4, "batch_size": 256,
             "learning_rate": "lin_2.5e-4", "clip_range": "lin_0.1", "vf_coef": 0.5, "ent_coef": 0.01}  # fmt: skip
    assert {key: entry[key] for key in atari} == atari
    assert entry["env_kwargs"] == {"obs": "pixels", "cell_px": 6}  # 72x72 frames for NatureCNN
    path, output = zoo.hyperparams_with_clock(tmp_path, every=4096, cap_seconds=60.0)
    callback = yaml.safe_load(path.read_text())[zoo.ENV_ID]["callback"]
    assert callback == [
        {"pixelarena.agents.bench.zoo.SolvedClock": {"every": 4096, "cap_seconds": 60.0, "output": str(output)}}
    ]


def test_a_sweep_preset_file_is_checked_like_a_config(tmp_path: Path) -> None:
    from pixelarena.agents.run.presets import PRESETS, load_preset_file, preset_to_json

    path = tmp_path / "best.json"
    path.write_text(json.dumps({**preset_to_json(PRESETS["quickstart"]), "sweep": {"trials": 4}}))
    assert load_preset_file(path) == PRESETS["quickstart"]
    path.write_text(json.dumps({**preset_to_json(PRESETS["quickstart"]), "steps": "many"}))
    with pytest.raises(ValueError, match="steps"):
        load_preset_file(path)


def test_bench_baseline_table_puts_both_sides_and_their_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table of `bench --baseline` from stubbed measurements (the real ones take minutes: docs/performance.md)."""
    from pixelarena.agents.bench import baseline, tables

    sps = iter([6000.0, 500.0])
    runs = iter(
        [baseline.SolvedRun(True, 120.0, 600_000, 10.1, []), baseline.SolvedRun(False, 1800.0, 900_000, -0.5, [])]
    )
    monkeypatch.setattr(baseline, "reference_model", lambda threads: object())
    monkeypatch.setattr(baseline, "steps_per_second", lambda model, seconds: next(sps))
    monkeypatch.setattr(baseline, "time_to_solved", lambda *args, **kwargs: next(runs))

    class Config:
        env = "Chase"
        rollout_steps = 4096

    monkeypatch.setattr(baseline, "pixelarena_model", lambda threads, preset: (Config(), object()))
    from pixelarena.agents.bench import zoo

    monkeypatch.setattr(zoo, "zoo_version", lambda: "2.9.2")
    monkeypatch.setattr(zoo, "time_to_solved_zoo", lambda *a, **k: baseline.SolvedRun(True, 900.0, 450_000, 9.9, []))
    text = tables.baseline_table(1, 20.0, 15.0, 30.0, preset="chase-cnn", zoo_minutes=30.0)
    assert (
        "| Chase | pixelarena chase-cnn | rl-zoo3 way (CnnPolicy, SB3 defaults) | rl-zoo3 2.9.2 (its train, "
        "Atari PPO hyperparameters) | ours vs SB3 defaults | ours vs rl-zoo3 |"
    ) in text
    assert "| env steps/s, end to end | 6,000 | 500 | 500 (its run below) | 12.0x | 12.0x |" in text
    assert text.rstrip().endswith("| - | 7.5x |")  # solved in 900 s against 120 s; SB3 defaults did not solve
    assert "120 s (600,000 steps)" in text and "not in 30 min: best greedy -0.50 by 900,000 steps" in text
    assert "900 s (450,000 steps)" in text


def test_bench_baseline_runs_only_the_sides_with_a_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    from pixelarena.agents.bench import baseline, tables

    class Config:
        env = "Chase"
        rollout_steps = 4096

    calls = []
    monkeypatch.setattr(baseline, "pixelarena_model", lambda threads, preset: (Config(), object()))
    monkeypatch.setattr(baseline, "reference_model", lambda threads: object())
    monkeypatch.setattr(baseline, "steps_per_second", lambda model, seconds: 100.0)

    def time_to_solved(*args: object, **kwargs: object) -> baseline.SolvedRun:
        calls.append(1)
        return baseline.SolvedRun(False, 60.0, 1000, -0.9, [])

    monkeypatch.setattr(baseline, "time_to_solved", time_to_solved)
    text = tables.baseline_table(1, 20.0, 0.0, 30.0)
    assert len(calls) == 1 and "not run (cap 0)" in text and "not in 30 min" in text
    assert "solved" in tables.baseline_table(1, 20.0, 15.0, 0.0)
    assert len(calls) == 2


def test_solve_trials_table_reads_each_trials_curve() -> None:
    """`python -m pixelarena.agents.bench.solve --table`: the best greedy score up to each step count, from a trial's
    curve."""
    from pixelarena.agents.bench.solve import trials_table

    row = {"name": "t", "overrides": {"gae_lambda": 0.8}, "seed": 1, "solved": True, "train_seconds": 300.4,
           "steps": 150_000, "best": 10.5, "sps": 500,
           "curve": [[50_000, 100.0, 2.0], [100_000, 200.0, 7.0], [150_000, 300.4, 10.5]]}  # fmt: skip
    line = trials_table([row], [100_000, 120_000, 200_000]).splitlines()[2]
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    assert cells[:6] == ["t", "gae_lambda=0.8", "1", "+7.00", "+7.00", "-"]  # 200k: the trial stopped before
    assert cells[6:] == ["**150,000 / 300 s**", "+10.50", "150,000", "500"]


def test_a_sweeps_trial_table_reads_its_run_directories(tmp_path: Path) -> None:
    """`pixelarena report SWEEP` (and the end of a sweep) tabulates every trial, also one stopped mid-way."""
    import dataclasses

    from pixelarena.agents.experiments.sweep import trials_markdown
    from tests.test_report import make_run

    root = tmp_path / "sweep"
    first = make_run(root / "trials" / "aaa", "cnn", "pixels", 0, 7.5)
    make_run(root / "trials" / "aaa", "cnn", "pixels", 1, 8.5)
    with (first / "metrics.jsonl").open("a") as rows:
        rows.write(json.dumps({"step": 5000, "wall_time": 5.0, "charts/greedy_return": 9.25}) + "\n")
    second = make_run(root / "trials" / "bbb", "cnn", "pixels", 0, None)  # stopped before its evaluation
    config = json.loads((second / "config.json").read_text())
    config["ppo"]["lr_schedule"] = "linear"
    (second / "config.json").write_text(json.dumps(config))
    lines = trials_markdown(root).splitlines()
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    cells = {line.split("|")[1].strip(): [c.strip() for c in line.strip("|").split("|")] for line in lines[2:]}
    from pixelarena.agents.run.config import PPOSettings

    assert header[1 : 1 + len(dataclasses.fields(PPOSettings))] == [f.name for f in dataclasses.fields(PPOSettings)]
    assert cells["aaa"][-4:] == ["+7.50 / +8.50", "+8.00", "+9.25 at 5,000", "9"]  # 5.0 + 4.096 s: each last row
    assert cells["bbb"][header.index("lr_schedule")] == "linear" and cells["bbb"][-4:-2] == ["-", "-"]


def test_bench_presets_predicts_each_default_presets_training_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from pixelarena.agents.bench import baseline, tables
    from pixelarena.agents.run.presets import PRESETS
    from pixelarena.agents.training.resolve import resolve

    def model(threads: int, preset: str) -> tuple:
        from pixelarena.agents.training.options import TrainArgs

        return resolve(TrainArgs(preset=preset, device="cpu")), object()

    monkeypatch.setattr(baseline, "pixelarena_model", model)
    monkeypatch.setattr(baseline, "steps_per_second", lambda model, seconds: 1000.0)
    lines = tables.presets_table(1, 1.0).splitlines()[2:]
    assert [line.split("|")[1].strip() for line in lines] == [
        "quickstart", "chase-cnn", "target-unet", "swarm-unet", "snake-cnn"
    ]  # fmt: skip
    quickstart = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert PRESETS["quickstart"].steps == 400_000 and quickstart[3] == "401,408"  # whole rollouts of 128 x 64
    assert quickstart[4:] == ["1,000", "6m41s"]


@pytest.mark.slow  # rl-zoo3's own train entry point: its start-up alone takes longer than a default test should
def test_a_tiny_real_rl_zoo3_run_reports_its_clock(tmp_path: Path) -> None:
    """``bench --baseline``'s rl-zoo3 side for real: Chase trained by ``python -m rl_zoo3.train`` with the
    hyperparameter file and the SolvedClock callback, capped at a few seconds; the clock's curve comes back."""
    pytest.importorskip("rl_zoo3", reason='the zoo extra is not installed (pip install -e ".[zoo]")')
    from pixelarena.agents.bench import zoo

    run = zoo.time_to_solved_zoo(cap_seconds=3.0, threads=1, every=1024, folder=tmp_path)
    assert run.steps >= 1024 and run.curve, run
    assert run.curve[0][0] >= 1024 and all(len(point) == len(run.curve[0]) for point in run.curve)
    assert (tmp_path / "logs" / "ppo").is_dir(), "rl-zoo3 wrote its own log folder"
    assert not run.solved and run.seconds > 0
