"""The Deep Sets entity encoder (nets/sets.py): invariant to the order of its rows, blind to padding rows, refusing
what it cannot read in one line, and training on the games' entities observations end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from gymnasium import spaces

from pixelarena import envs
from pixelarena.nets import ENCODERS, PixelPolicy, SetsEncoder

ROWS, FEATURES, OWN = 6, 5, 3
SPACE = spaces.Box(-1.0, 1.0, (ROWS * FEATURES + OWN,), np.float32)


def observations(n: int, present: int = 4, seed: int = 0) -> torch.Tensor:
    """``present`` random rows (the rest padding zeros), then the own features."""
    rng = np.random.default_rng(seed)
    table = np.zeros((n, ROWS, FEATURES), dtype=np.float32)
    table[:, :present] = rng.uniform(-1, 1, size=(n, present, FEATURES))
    own = rng.uniform(-1, 1, size=(n, OWN)).astype(np.float32)
    return torch.as_tensor(np.concatenate([table.reshape(n, -1), own], axis=1))


def test_permuting_the_rows_leaves_the_output_unchanged() -> None:
    torch.manual_seed(0)
    encoder = SetsEncoder(SPACE, rows=ROWS, row_features=FEATURES)
    obs = observations(8, present=ROWS)
    for permutation in (torch.randperm(ROWS) for _ in range(5)):
        table = obs[:, : ROWS * FEATURES].reshape(8, ROWS, FEATURES)[:, permutation]
        shuffled = torch.cat([table.reshape(8, -1), obs[:, ROWS * FEATURES :]], dim=1)
        torch.testing.assert_close(encoder(shuffled), encoder(obs))
    # The own features are not rows: changing them changes the output.
    moved = obs.clone()
    moved[:, -1] += 0.5
    assert not torch.allclose(encoder(moved), encoder(obs))


def test_padding_rows_are_not_entities() -> None:
    """An observation with 2 rows present equals the same with its padding rows in other places."""
    torch.manual_seed(0)
    encoder = SetsEncoder(SPACE, rows=ROWS, row_features=FEATURES)
    obs = observations(4, present=2)
    table = obs[:, : ROWS * FEATURES].reshape(4, ROWS, FEATURES)
    spread = torch.zeros_like(table)
    spread[:, [1, 4]] = table[:, :2]
    moved = torch.cat([spread.reshape(4, -1), obs[:, ROWS * FEATURES :]], dim=1)
    torch.testing.assert_close(encoder(moved), encoder(obs))
    empty = observations(2, present=0)  # no entity at all: finite features from the own part alone
    assert torch.isfinite(encoder(empty)).all()


@pytest.mark.parametrize(
    ("space", "kwargs", "message"),
    [
        (SPACE, {}, "the sets encoder reads entity rows"),
        (spaces.Box(0, 255, (12, 12, 3), np.uint8), {"rows": 2, "row_features": 3}, "use it with obs=entities"),
        (SPACE, {"rows": 10, "row_features": FEATURES}, "do not fit an observation of 33 entries"),
    ],
)
def test_what_it_cannot_read_is_one_line(space: spaces.Space, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SetsEncoder(space, **kwargs)


def test_registered_as_the_entity_encoder() -> None:
    assert ENCODERS["sets"] is SetsEncoder and SetsEncoder.reads_entity_rows
    assert [name for name, cls in ENCODERS.items() if cls.reads_entity_rows] == ["sets"]


@pytest.mark.parametrize("game", ["Chase", "Snake"])
def test_a_policy_on_a_games_entities_trains_and_acts(game: str) -> None:
    """Training passes the rows the env declares (agents.run.config.declared_kwargs); PPO updates every weight."""
    from stable_baselines3 import PPO

    from pixelarena.agents.environments.vec_env import BatchedVecEnv
    from pixelarena.agents.run.config import declared_kwargs

    vec = BatchedVecEnv(envs.GAMES[game](8, obs="entities"), seed=0)
    kwargs = declared_kwargs("sets", vec.metadata)
    assert kwargs == {"rows": vec.metadata["entity_rows"], "row_features": vec.metadata["entity_features"]}
    model = PPO(PixelPolicy, vec, n_steps=16, batch_size=64, n_epochs=1, seed=0,
                policy_kwargs={"encoder": "sets", "encoder_kwargs": {**kwargs, "row_hidden": (16,)}})  # fmt: skip
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(256)
    assert all(not torch.equal(a, b) for a, b in zip(before, model.policy.parameters(), strict=True))
    actions, _ = model.predict(vec.reset(), deterministic=True)
    assert actions.shape == (8,)


def test_train_with_the_sets_encoder_from_the_command_line(tmp_path) -> None:
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.agents.training.resolve import resolve
    from pixelarena.agents.training.train import train

    config = resolve(TrainArgs(env="Chase", encoder="sets", obs="entities", steps="1k", n_envs=8, eval_every="0",
                               eval_episodes=2, device="cpu"))  # fmt: skip
    run = train(config, tmp_path / "run")
    assert (run / "model.safetensors").exists() and (run / "eval.json").exists()
    with pytest.raises(
        ValueError, match=r"sets on Chase \(pixels obs\): the sets encoder reads entity rows.*obs=entities"
    ):
        resolve(TrainArgs(env="Chase", encoder="sets", obs="pixels"))
