"""--eval-every: the greedy policy is evaluated during training on games of its own, and the best one is the run's."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pixelarena.agents.run.checkpoint import load_checkpoint
from pixelarena.agents.run.metrics import read_metrics
from pixelarena.agents.run.run_dir import RunDir
from pixelarena.agents.training import best_policy
from pixelarena.agents.training.options import TrainArgs
from pixelarena.agents.training.resolve import resolve, resume_config
from pixelarena.agents.training.train import train
from tests.test_train import TINY, pixelarena

# 8 envs x 32 steps = 256 steps a rollout: evaluations at 512, 1024, 1536 and 2048 (the end).
SMALL = dict(n_envs=8, n_steps=32, batch_size=128, n_epochs=2, eval_episodes=4, threads=1, device="cpu")


def _weights(policy: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in policy.state_dict().items()}


def test_the_best_scoring_weights_become_the_runs_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scores = iter([1.0, 5.0, 2.0, 3.0])  # the second evaluation (step 1024) is the best
    seen: dict[int, dict[str, torch.Tensor]] = {}
    seeds: list[int] = []

    class Scored:
        def __init__(self, mean: float) -> None:
            self.mean = mean

    def fake_evaluate(model, config, episodes, seed):
        seeds.append(seed)
        seen[model.num_timesteps] = _weights(model.policy)
        return Scored(next(scores))

    monkeypatch.setattr(best_policy, "evaluate_model", fake_evaluate)
    config = resolve(TrainArgs(env="Chase", steps="2k", seed=3, eval_every="512", **SMALL))
    run = RunDir(train(config, tmp_path / "run"))

    assert sorted(seen) == [512, 1024, 1536, 2048], "every eval_every steps and at the end"
    assert set(seeds) == {best_policy.SELECTION_SEED + 3}, "selection games apart from the final evaluation's"
    best = load_checkpoint(run.best_file)
    assert best.step == 1024 and best.header["greedy_return"] == 5.0
    model = load_checkpoint(run.model_file)
    assert model.step == 1024
    assert model.policy and all(torch.equal(tensor, seen[1024][name]) for name, tensor in model.policy.items())
    assert not all(torch.equal(tensor, seen[2048][name]) for name, tensor in model.policy.items())
    assert load_checkpoint(run.checkpoint_file).step == 2048, "resume continues from the last weights"
    greedy = [row["charts/greedy_return"] for row in read_metrics(run.metrics_file) if "charts/greedy_return" in row]
    assert greedy == [1.0, 5.0, 2.0], "each evaluation during training is in the metrics"


def test_an_extended_run_keeps_the_best_it_had(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Scored:
        def __init__(self, mean: float) -> None:
            self.mean = mean

    scores = iter([4.0, 1.0, 1.0, 0.5, 2.0])
    monkeypatch.setattr(best_policy, "evaluate_model", lambda *args: Scored(next(scores)))
    path = train(resolve(TrainArgs(env="Chase", steps="1k", eval_every="512", **SMALL)), tmp_path / "run")
    run = RunDir(path)
    assert load_checkpoint(run.best_file).step == 512  # 4.0 at step 512 beats 1.0 at the end (1024)

    # `train --resume RUN --steps 2k`: the resumed run evaluates at the 1024 boundary again, as one run of 2k steps
    # does there (the same weights and games: the same score), then at 1536 and 2048, all below 4.0, so step 512
    # stays the run's policy.
    config = resume_config(TrainArgs(resume=path, steps="2k"))
    assert config is not None and config.eval_every == 512
    train(config, path, resume=True)
    assert next(scores, None) is None, "evaluated at 1024, 1536 and 2048"
    assert load_checkpoint(run.best_file).step == 512
    assert load_checkpoint(run.model_file).step == 512
    assert load_checkpoint(run.checkpoint_file).step == 2048


@pytest.mark.parametrize(("value", "expected"), [("0", 0), ("20k", 20_000), (None, 50_000)])  # None: the preset's
def test_eval_every_resolves(value: str | None, expected: int) -> None:
    assert resolve(TrainArgs(env="Chase", eval_every=value, **SMALL)).eval_every == expected


@pytest.mark.parametrize("value", ["-5", "soon", "1.5"])
def test_bad_eval_every_is_one_line(value: str, tmp_path: Path) -> None:
    result = pixelarena("train", "--run-dir", str(tmp_path / "run"), "--eval-every", value, *TINY, timeout=120)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "--eval-every" in result.stderr
    assert not (tmp_path / "run").exists()
