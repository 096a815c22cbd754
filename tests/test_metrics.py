"""The metrics of a training run: every number stable-baselines3 logs reaches metrics.jsonl and TensorBoard under
one name with the meaning (and sign) that name has; the entropy is the policy's own."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from stable_baselines3.common.logger import KVWriter, Logger

from pixelarena.agents.run.config import PPOSettings, RunConfig
from pixelarena.agents.run.metrics import DROPPED, NEGATED, RENAMES, MetricsWriter, read_metrics
from pixelarena.agents.run.model import build_model, make_vec_env
from pixelarena.agents.run.tensorboard_events import TensorBoardWriter


class Recorder(KVWriter):
    """What SB3's logger hands its outputs, dump by dump."""

    def __init__(self) -> None:
        self.dumps: list[tuple[int, dict[str, Any]]] = []

    def write(self, key_values: dict[str, Any], key_excluded: dict[str, Any], step: int = 0) -> None:
        self.dumps.append((step, dict(key_values)))


def tiny_model(learning_rate: float) -> Any:
    config = RunConfig(env="Chase", encoder="mlp", obs="vector", steps=512, seed=0, n_envs=8, device="cpu",
                       ppo=PPOSettings(learning_rate=learning_rate, n_steps=32, batch_size=64, n_epochs=2))  # fmt: skip
    return build_model(config, make_vec_env(config, config.n_envs, seed=0))


def test_every_number_sb3_logs_reaches_metrics_jsonl_and_tensorboard(tmp_path: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    model, recorder = tiny_model(3e-4), Recorder()
    events = TensorBoardWriter(tmp_path / "events")
    writer = MetricsWriter(tmp_path / "metrics.jsonl", on_row=events.write)
    model.set_logger(Logger(folder=None, output_formats=[recorder, writer]))
    model.learn(768, log_interval=1)
    writer.close()
    events.close()
    rows = read_metrics(tmp_path / "metrics.jsonl")
    assert [step for step, _ in recorder.dumps] == [row["step"] for row in rows] == [256, 512, 768]
    for (_, logged), row in zip(recorder.dumps, rows):
        numbers = {key: value for key, value in logged.items()
                   if isinstance(value, (int, float, np.number)) and key not in DROPPED}  # fmt: skip
        assert set(DROPPED) <= set(logged), "SB3 still logs the counters left out"
        assert {RENAMES.get(key, key) for key in numbers} == set(row) - {"step", "wall_time"}
        for key, value in numbers.items():
            assert row[RENAMES.get(key, key)] == pytest.approx(-value if key in NEGATED else value), key
    # SB3 hands approx_kl as a numpy scalar: it is written too, with the other update statistics.
    assert isinstance(recorder.dumps[-1][1]["train/approx_kl"], np.floating)
    assert {"losses/approx_kl", "losses/clip_fraction", "train/clip_range", "train/n_updates"} <= set(rows[-1])
    accumulator = EventAccumulator(str(tmp_path / "events"))
    accumulator.Reload()
    assert set(accumulator.Tags()["scalars"]) == {key for row in rows for key in row} - {"step"}
    entropy = [(event.step, event.value) for event in accumulator.Scalars("losses/entropy")]
    assert entropy == [(row["step"], pytest.approx(row["losses/entropy"])) for row in rows if "losses/entropy" in row]


def test_logged_entropy_is_the_entropy_of_the_policys_distribution_on_its_batch(tmp_path: Path) -> None:
    """With a learning rate of 0 the policy is the same through the update, so SB3's mean entropy loss over the
    minibatches is minus the mean entropy of that policy's distribution over the rollout it trained on."""
    model = tiny_model(0.0)
    writer = MetricsWriter(tmp_path / "metrics.jsonl")
    model.set_logger(Logger(folder=None, output_formats=[writer]))
    model.learn(512, log_interval=1)
    model.logger.dump(model.num_timesteps)  # SB3 dumps before each update: the last update's numbers are left
    writer.close()
    buffer = model.rollout_buffer  # the rollout the last update trained on
    observations = torch.as_tensor(buffer.observations.reshape(-1, *model.observation_space.shape))
    with torch.no_grad():
        entropy = model.policy.get_distribution(observations).entropy().mean().item()
    logged = read_metrics(tmp_path / "metrics.jsonl")[-1]["losses/entropy"]
    assert 0 < entropy <= math.log(5) + 1e-6  # five moves
    assert logged == pytest.approx(entropy, rel=1e-5)
