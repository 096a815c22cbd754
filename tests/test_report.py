"""`pixelarena report` on run directories written by hand: table rows and their statistics, plots, transfer
table, unfinished runs, a suite's combined report, and a folder with no runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest

from pixelarena.agents.experiments.suite_report import write_report
from pixelarena.agents.reporting.report import load_run, mean_curve
from pixelarena.agents.run.config import PPOSettings, RunConfig

STEPS = 4096


def evaluated(score: float) -> dict:
    """An eval.json / transfer.json entry as evaluation writes it, with every episode scoring ``score``."""
    return {"episodes": 4, "mean": score, "ci_low": score - 1, "ci_high": score + 1, "returns": [score] * 4}


def make_run(
    folder: Path,
    encoder: str,
    obs: str,
    seed: int,
    score: float | None,
    slope: float = 1.0,
    transfer: dict | None = None,
    last_step: int = STEPS,
) -> Path:
    """A run directory as train writes it: returns rising linearly with ``slope`` per 1k steps."""
    ppo = PPOSettings(n_steps=32, batch_size=128)
    config = RunConfig(env="Chase", encoder=encoder, obs=obs, steps=STEPS, seed=seed, n_envs=8, device="cpu", ppo=ppo,
                       eval_episodes=4, preset=f"chase-{encoder}")  # fmt: skip
    run_dir = folder / f"Chase__{encoder}__{obs}__s{seed}"
    run_dir.mkdir(parents=True)
    (run_dir / "config.json").write_text(json.dumps(config.to_json()))
    rows = [{"step": step, "wall_time": step / 1000, "charts/episode_return": slope * step / 1000 - 1}
            for step in range(256, last_step + 1, 256)]  # fmt: skip
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    facts = {"params": 1234, "receptive_field": None} if encoder == "mlp" else {"params": 567, "receptive_field": 9}
    facts.update(encoder_params=facts["params"] // 2, flops=1000, action_head="Linear", transfers=encoder != "mlp")
    (run_dir / "facts.json").write_text(json.dumps(facts))
    if score is not None:
        (run_dir / "eval.json").write_text(json.dumps(evaluated(score)))
    if transfer is not None:
        (run_dir / "transfer.json").write_text(json.dumps(transfer))
    return run_dir


def make_comparison(folder: Path) -> None:
    # IQM and CI of these scores are computed by hand in tests/test_stats.py: [0, 0, 0, 1] -> 0 (0 .. 1),
    # [1, 2, 3, 10] -> 2.5 (1 .. 10).
    reason = "cannot move the mlp policy: encoder parameter features_extractor.net.0.weight is bound"
    na = {"env_kwargs": {"n_enemies": 5}, "error": reason}
    for seed, score in enumerate([0.0, 0.0, 0.0, 1.0]):
        transfer = {"size=8": evaluated(-1.0), "n_enemies=5": na}
        make_run(folder, "mlp", "vector", seed, score, slope=0.5, transfer=transfer)
    for seed, score in enumerate([1.0, 2.0, 3.0, 10.0]):
        transfer = {"size=8": evaluated(score), "n_enemies=5": evaluated(2.0)}
        make_run(folder, "cnn", "grid", seed, score, transfer=transfer)


def is_a_plot(path: Path) -> bool:
    image = imageio.imread(path)
    colours = len(np.unique(image.reshape(-1, image.shape[-1]), axis=0))
    return path.stat().st_size > 10_000 and image.shape[0] > 200 and colours > 50


def test_report_rows_statistics_plots_and_transfer(tmp_path: Path) -> None:
    make_comparison(tmp_path)
    report = write_report(tmp_path).read_text()
    lines = report.splitlines()
    rows = [line for line in lines if line.startswith(("| mlp |", "| cnn |"))]
    # The vector baseline first; IQM, CI and mean from the seeds' scores; facts; SPS = steps / wall time.
    assert rows == [
        "| mlp | vector | 4/4 | +0.00 | +0.00 .. +1.00 | +0.25 | +0.00 / +0.00 / +0.00 / +1.00 | 1,234 | global "
        "| 1,000 | 4s |",
        "| cnn | grid | 4/4 | +2.50 | +1.00 .. +10.00 | +4.00 | +1.00 / +2.00 / +3.00 / +10.00 | 567 | 9 px "
        "| 1,000 | 4s |",
    ]
    assert "over its final evaluation (eval.json), which plays other games" in report
    assert "| encoder:obs | training settings | size=8 | n_enemies=5 |" in report
    assert "| mlp:vector | +0.00 (+0.00 .. +1.00) | -1.00 (-1.00 .. -1.00) | n/a |" in report
    assert "| cnn:grid | +2.50 (+1.00 .. +10.00) | +2.50 (+1.00 .. +10.00) | +2.00 (+2.00 .. +2.00) |" in report
    assert "- mlp:vector on n_enemies=5: cannot move the mlp policy" in report
    assert "Not finished" not in report
    for name in ("final_scores.png", "curves_steps.png", "curves_wall.png"):
        assert f"]({name})" in report and is_a_plot(tmp_path / name), name
    before = report
    assert write_report(tmp_path).read_text() == before, "a report is rebuilt identically from the same files"


def test_mean_curve_interpolates_onto_the_span_every_run_covers(tmp_path: Path) -> None:
    short = load_run(make_run(tmp_path, "cnn", "grid", 0, None, slope=1.0, last_step=2048))
    long = load_run(make_run(tmp_path, "cnn", "grid", 1, 1.0, slope=2.0))
    curve = mean_curve([short, long], "step")
    assert curve is not None
    grid, mean, low, high = curve
    assert grid[0] == 256 and grid[-1] == 2048, "the curve ends where the shortest run ends"
    np.testing.assert_allclose(mean, 1.5 * grid / 1000 - 1)  # both runs are linear: interpolation is exact
    assert (low <= mean + 1e-12).all() and (mean <= high + 1e-12).all()


def test_unfinished_runs_are_listed_and_left_out_of_the_scores(tmp_path: Path) -> None:
    make_comparison(tmp_path)
    (tmp_path / "Chase__cnn__grid__s3" / "eval.json").unlink()
    report = write_report(tmp_path).read_text()
    assert "| cnn | grid | 3/4 | +2.00 | +1.00 .. +3.00 | +2.00 | +1.00 / +2.00 / +3.00 |" in report
    assert "## Not finished" in report and "- Chase__cnn__grid__s3: step 4,096 of 4,096" in report


def test_suite_folder_gets_each_report_and_a_combined_one(tmp_path: Path) -> None:
    make_comparison(tmp_path / "e1-chase")
    make_run(tmp_path / "e2-target", "unet", "pixels", 0, 50.0)
    report = write_report(tmp_path).read_text()
    assert (tmp_path / "e1-chase" / "report.md").exists() and (tmp_path / "e2-target" / "report.md").exists()
    assert "## E1 Chase" in report and "## E2 Target" in report and "## E4 transfer" in report
    assert "](e1-chase/final_scores.png)" in report and "](e2-target/curves_wall.png)" in report
    assert report.index("## E4 transfer") > report.index("## E2 Target"), "transfer after the experiments"


def test_report_on_a_folder_without_runs_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pixelarena", "report", str(tmp_path)], capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and f"no runs in {tmp_path}" in result.stderr


@pytest.mark.parametrize("missing", ["eval.json", "metrics.jsonl", "facts.json"])
def test_a_run_missing_a_file_still_reports(tmp_path: Path, missing: str) -> None:
    make_comparison(tmp_path)
    (tmp_path / "Chase__mlp__vector__s0" / missing).unlink()
    assert "| mlp | vector |" in write_report(tmp_path).read_text()


def test_publish_copies_reports_and_plots_only_with_their_origin(tmp_path: Path) -> None:
    runs, dest = tmp_path / "runs" / "claim-cpu", tmp_path / "docs" / "claim-cpu"
    make_comparison(runs / "e1-chase")
    (runs / "e1-chase" / "Chase__cnn__grid__s0" / "model.safetensors").write_bytes(b"weights")
    (dest / "stale.png").parent.mkdir(parents=True)
    (dest / "stale.png").write_bytes(b"from an earlier publish")
    result = subprocess.run([sys.executable, "-m", "pixelarena", "report", str(runs), "--publish", str(dest)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    copied = sorted(str(path.relative_to(dest)) for path in dest.rglob("*") if path.is_file())
    assert copied == ["e1-chase/curves_steps.png", "e1-chase/curves_wall.png", "e1-chase/final_scores.png",
                      "e1-chase/report.md", "report.md"]  # fmt: skip
    top = (dest / "report.md").read_text().splitlines()
    assert top[0] == "# Suite: claim-cpu"
    assert top[2].startswith(f"Made with `pixelarena report {runs} --publish {dest}` on ") and "CPU cores" in top[2]
    assert (dest / "report.md").read_text().replace(top[2] + "\n\n", "") == (runs / "report.md").read_text()


@pytest.mark.parametrize("where", ["itself", "inside", "a file"])
def test_publish_to_a_bad_destination_is_one_line_and_exit_2(tmp_path: Path, where: str) -> None:
    runs = tmp_path / "runs" / "chase"
    make_comparison(runs)
    dest = {"itself": runs, "inside": runs / "published", "a file": tmp_path / "notes.txt"}[where]
    if where == "a file":
        dest.write_text("kept")
    result = subprocess.run([sys.executable, "-m", "pixelarena", "report", str(runs), "--publish", str(dest)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--publish" in result.stderr
    assert not (runs / "published").exists() and not list(tmp_path.rglob("*.tmp"))
    assert where != "a file" or dest.read_text() == "kept"


def test_report_has_the_probability_of_improvement_and_equal_wall_clock(tmp_path: Path) -> None:
    make_comparison(tmp_path)
    text = write_report(tmp_path).read_text()
    # cnn [1, 2, 3, 10] vs mlp [0, 0, 0, 1]: 15 wins and 1 tie (1 vs 1) of 16 pairs -> 15.5 / 16 = 0.97.
    assert "| cnn:grid | 0.97 |" in text
    # Both run 1,000 steps/s for 4.1 s; at 4.1 s the cnn's return is 4.096 - 1, the mlp's 0.5 * 4.096 - 1.
    assert "training return at 4s" in text
    assert "| cnn:grid | +3.10 |" in text and "| mlp:vector | +1.05 |" in text


def test_encoder_arguments_name_their_own_group(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path, "cnn", "pixels", 0, 1.0)
    config = json.loads((run_dir / "config.json").read_text())
    config["encoder_kwargs"] = {"stem": "rgb"}
    (run_dir / "config.json").write_text(json.dumps(config))
    make_run(tmp_path, "cnn", "grid", 0, 2.0)
    assert load_run(run_dir).label == "cnn+stem=rgb:pixels"
    assert "| cnn+stem=rgb | pixels |" in write_report(tmp_path).read_text()


def test_suite_report_sets_the_claim_arm_against_the_strongest_state_arm(tmp_path: Path) -> None:
    steps, timed = tmp_path / "e1-chase", tmp_path / "e1-chase-seconds"
    for seed, (vector, entities, cnn) in enumerate([(0, 2, 3), (0, 2, 4), (0, 2, 5), (1, 2, 6)]):
        make_run(steps, "mlp", "vector", seed, vector)
        make_run(steps, "mlp", "entities", seed, entities)
        cnn_dir = make_run(steps, "cnn", "pixels", seed, cnn)  # the suite's claim arm sees pixels from the player
        config = json.loads((cnn_dir / "config.json").read_text())
        config["env_kwargs"] = {"view": "ego", "view_radius": 5}
        (cnn_dir / "config.json").write_text(json.dumps(config))
        # Given the cnn's seconds, the entity MLP takes more steps and beats it.
        run_dir = make_run(timed, "mlp", "entities", seed, 7.0, last_step=2 * STEPS)
        config = json.loads((run_dir / "config.json").read_text())
        (run_dir / "config.json").write_text(json.dumps({**config, "seconds": 4.0}))
    text = write_report(tmp_path).read_text()
    summary = text[text.index("## The claim, game by game") :]
    # At equal steps the strongest state arm is mlp:entities (IQM 2 against 0): every cnn seed beats every one.
    assert "| cnn:pixels@ego5 | 4 | +4.50 (+3.00 .. +6.00) | 1.00 (1.00 .. 1.00) |" in summary
    assert "Equal env steps: cnn:pixels@ego5 +4.50 against mlp:entities +2.00 (IQM gap +2.50)" in summary
    assert "P(improvement) 1.00 (1.00 .. 1.00): the claim holds." in summary
    # At equal seconds the entity MLP's timed runs (+7) are the strongest, and every one beats the cnn.
    assert "| mlp:entities | 4 | +2.00 (+2.00 .. +2.00) | - | +7.00 (+7.00 .. +7.00) | - | 8,192 |" in summary
    assert "the claim does not hold: mlp:entities wins." in summary


def test_report_of_one_run_plots_its_curves(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pixelarena.agents.cli.main import main

    run_dir = make_run(tmp_path, "cnn", "grid", 0, 1.0)
    rows = [{**json.loads(line), "losses/entropy": 1.5, "losses/approx_kl": 0.01}
            for line in (run_dir / "metrics.jsonl").read_text().splitlines()]  # fmt: skip
    (run_dir / "metrics.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert main(["report", str(run_dir)]) == 0
    assert f"report: {run_dir / 'curves.png'}" in capsys.readouterr().out
    assert is_a_plot(run_dir / "curves.png") and not (run_dir / "report.md").exists()
    (run_dir / "metrics.jsonl").write_text("")
    assert main(["report", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no metrics yet" in err, err


def test_reference_scores_are_the_games_at_its_default_settings() -> None:
    from pixelarena.agents.reporting.references import reference_scores
    from pixelarena.envs import GAMES

    def config(env: str = "Chase", **env_kwargs: object) -> RunConfig:
        return RunConfig(env=env, encoder="cnn", obs="pixels", steps=256, seed=0, n_envs=8, device="cpu",
                         env_kwargs=env_kwargs)  # fmt: skip

    chase = {"random": GAMES["Chase"].RANDOM_SCORE, "scripted": GAMES["Chase"].SOLVED_SCORE}
    assert reference_scores([config(), config(view="ego", view_radius=5)]) == chase == {"random": -0.9, "scripted": 9.8}
    assert reference_scores([config(size=20)]) == {}, "the scores are measured at the default map"
    assert reference_scores([config(), config("Snake")]) == {} and reference_scores([config("CartPole-v1")]) == {}
