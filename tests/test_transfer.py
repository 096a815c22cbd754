"""Transfer evaluation in seconds: a finished run's greedy return on other game settings, one key varied at a time,
into transfer.json (what `compare --eval-env-kwargs` runs per run, and `eval --env-kwargs` prints); a policy bound
to the map's size gets the reason instead of a score. The comparison's own test (tests/test_compare.py) runs it
inside a grid."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from pixelarena.agents.cli.main import main
from pixelarena.agents.evaluation import transfer
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.training.train import train
from tests.test_faults import tiny_config


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two finished 256-step Chase runs on an 8x8 map: a cnn on pixels (all convolutional: any map size) and an mlp
    on the vector (one slot per object: another input length for another count)."""
    root = tmp_path_factory.mktemp("transfer")
    cnn = tiny_config(steps=256, threads=1, eval_episodes=3)
    mlp = dataclasses.replace(cnn, encoder="mlp", obs="vector")
    return {"cnn": train(cnn, root / "cnn"), "mlp": train(mlp, root / "mlp")}


def test_each_variant_is_evaluated_once_into_transfer_json(
    runs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    run = RunDir(runs["cnn"])
    # What compare runs per run: the variants one by one (compare expands size=10,12 into two).
    assert transfer.main([str(run), *transfer.expand_variants(["size=10,12", "n_enemies=1"])]) == 0
    out = capsys.readouterr().out
    results = json.loads(run.transfer_file.read_text())
    assert set(results) == {"size=10", "size=12", "n_enemies=1"}
    for variant, result in results.items():
        key, value = variant.split("=")
        assert result["env_kwargs"] == {"size": 8, key: int(value)}  # the variant on top of the run's own
        assert result["episodes"] == 3 and f"{variant}: mean return" in out
    written = run.transfer_file.stat().st_mtime_ns
    assert transfer.main([str(run), "size=10", "n_enemies=1"]) == 0  # nothing missing: nothing played
    assert run.transfer_file.stat().st_mtime_ns == written and capsys.readouterr().out == ""
    assert transfer.main([str(run), "size=10", "n_coins=3"]) == 0  # only the new variant
    assert set(json.loads(run.transfer_file.read_text())) == {"size=10", "size=12", "n_enemies=1", "n_coins=3"}


def test_a_policy_bound_to_the_input_gets_the_reason(runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    run = RunDir(runs["mlp"])
    assert transfer.main([str(run), "n_enemies=5"]) == 0
    entry = json.loads(run.transfer_file.read_text())["n_enemies=5"]
    assert "mean" not in entry and "cannot move the mlp policy" in entry["error"], entry
    assert "n_enemies=5: n/a (cannot move the mlp policy" in capsys.readouterr().out


def test_eval_on_other_settings_names_them(runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(runs["cnn"]), "--episodes", "2", "--env-kwargs", "size=11", "n_enemies=2"]) == 0
    assert "Chase (size=11, n_enemies=2): mean return" in capsys.readouterr().out
    assert main(["eval", str(runs["mlp"]), "--episodes", "2", "--env-kwargs", "n_enemies=5"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot move the mlp policy" in err, err


def test_bad_variants_are_one_line(runs: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert transfer.main([str(runs["cnn"]), "size=3"]) == 2
    assert transfer.main([str(runs["cnn"])]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "usage: python -m pixelarena.agents.evaluation.transfer" in err, err
