"""The claim suite's own consistency, and `train --seconds`, the time limit its equal-wall-clock experiments use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pixelarena.agents.cli.main import main
from pixelarena.agents.experiments.suites import CLAIM
from pixelarena.agents.run.run_dir import RunDir


def test_every_equal_seconds_experiment_reads_against_an_equal_steps_one() -> None:
    experiments = {e.key: e for e in CLAIM.experiments}
    for experiment in CLAIM.experiments:
        if experiment.claim:
            assert experiment.claim in experiment.encoders, experiment.key
            assert any(spec.split(":")[1] in ("vector", "entities") for spec in experiment.encoders)
        if experiment.seconds_of:
            reference = experiments[experiment.seconds_of]
            assert experiment.env == reference.env and reference.claim
            assert set(experiment.seconds) == set(CLAIM.budgets)
            # Only arms of the reference are given its seconds, and never the claim arm itself (its equal-steps
            # run is its equal-seconds run).
            assert set(experiment.encoders) < set(reference.encoders) and reference.claim not in experiment.encoders


def test_a_time_limited_run_stops_at_a_rollout_boundary_and_is_evaluated(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    code = main(["train", "--env", "Chase", "--encoder", "mlp", "--obs", "vector", "--steps", "50M", "--seconds", "2",
                 "--n-envs", "8", "--n-steps", "32", "--eval-every", "0", "--eval-episodes", "2", "--threads", "1",
                 "--run-dir", str(run_dir)])  # fmt: skip
    assert code == 0
    run = RunDir(run_dir)
    config, rows = run.read_config(), run.read_metrics()
    assert config.seconds == 2.0 and run.finished
    last = rows[-1]["step"]
    assert 0 < last < config.steps and last % config.rollout_steps == 0
    # Stopped at the first boundary after 2 s: the last update began before the limit.
    assert rows[-2]["wall_time"] < 2.0
    header = json.loads(run.model_file.read_bytes()[8 : 8 + int.from_bytes(run.model_file.read_bytes()[:8], "little")])
    assert json.loads(header["__metadata__"]["pixelarena"])["step"] == last


@pytest.mark.parametrize("value", ["0", "-3", "nan", "inf"])
def test_seconds_must_be_a_positive_number(value: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["train", "--env", "Chase", "--steps", "1k", "--seconds", value, "--run-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code != 0 and "--seconds must be a positive number of seconds" in err and err.count("\n") == 1
    assert not (tmp_path / "r").exists()
