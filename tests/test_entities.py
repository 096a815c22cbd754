"""The entities observation (Chase and Snake): rows relative to the player, nearest first, named entry by entry,
in its space, the same state as the other modes; games without a player refuse it in one line."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixelarena import envs

PLAYER_GAMES = [name for name, game in envs.GAMES.items() if game.PLAYER]


def test_only_games_with_a_player_have_entity_rows() -> None:
    kinds = {name: [kind.name for kind in envs.GAMES[name].KINDS] for name in PLAYER_GAMES}
    assert PLAYER_GAMES and all(envs.GAMES[name].PLAYER in kinds[name] for name in PLAYER_GAMES)
    for name in set(envs.GAMES) - set(PLAYER_GAMES):
        with pytest.raises(ValueError, match=f"{name} has none: choose pixels, grid or vector"):
            envs.GAMES[name](1, obs="entities")


@pytest.mark.parametrize("name", PLAYER_GAMES)
def test_layout_names_every_entry_and_metadata_gives_the_rows(name: str) -> None:
    game = envs.GAMES[name](3, obs="entities", size=9)
    layout = game.entity_layout()
    rows, features = game.metadata["entity_rows"], game.metadata["entity_features"]
    assert game.single_observation_space.shape == (len(layout),)
    kinds = [f"entity[0].is_{kind.name}" for kind in game.KINDS if kind.name != game.PLAYER]
    assert layout[:features] == ["entity[0].dx", "entity[0].dy", "entity[0].distance", "entity[0].present", *kinds]
    assert layout[rows * features : rows * features + 2] == ["self.x", "self.y"]
    assert layout[rows * features + 2 :] == list(game.EXTRA_FEATURES)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), name=st.sampled_from(PLAYER_GAMES), steps=st.integers(0, 30))
def test_rows_are_the_other_objects_relative_to_the_player_nearest_first(seed: int, name: str, steps: int) -> None:
    game = envs.GAMES[name](2, obs="entities", size=10)
    game.reset(seeds=np.array([seed, seed + 1]))
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        game.step(rng.integers(0, game.single_action_space.n, size=2))
    obs = game.observe()
    assert game.single_observation_space.contains(obs[0]) and game.single_observation_space.contains(obs[1])
    rows, features = game.metadata["entity_rows"], game.metadata["entity_features"]
    kinds = [kind.name for kind in game.KINDS]
    player = kinds.index(game.PLAYER)
    objects = game._objects()
    for i in range(2):
        table = obs[i, : rows * features].reshape(rows, features)
        py, px = objects[player][0][i, 0], objects[player][1][i, 0]
        expected = sorted(
            (abs(y - py) + abs(x - px), (x - px) / 9, (y - py) / 9, k)
            for k, (ys, xs) in enumerate(objects) if k != player
            for y, x in zip(ys[i], xs[i]) if y < game.height
        )  # fmt: skip
        present = table[:, 3] == 1
        assert present.sum() == len(expected) and present[: len(expected)].all()  # present rows come first
        assert not table[len(expected) :].any()  # absent rows are zeros
        np.testing.assert_allclose(table[: len(expected), 2], [d / 18 for d, *_ in expected], rtol=1e-6)
        # Among objects at the same distance the order is the slots', so compare the rows as sets per distance.
        got = {(round(float(r[2]) * 18), round(float(r[0]) * 9), round(float(r[1]) * 9), int(np.argmax(r[4:])))
               for r in table[: len(expected)]}  # fmt: skip
        others = [k for k in range(len(kinds)) if k != player]
        want = {(d, round(dx * 9), round(dy * 9), others.index(k)) for d, dx, dy, k in expected}
        assert got == want
        np.testing.assert_allclose(obs[i, rows * features : rows * features + 2], [px / 9, py / 9], rtol=1e-6)


@pytest.mark.parametrize("name", PLAYER_GAMES)
def test_entities_follow_the_same_games_as_the_packed_vector(name: str) -> None:
    """The same seeds and actions give the same games in both modes: the rows are the vector's objects."""
    a = envs.GAMES[name](4, obs="entities")
    b = envs.GAMES[name](4, obs="vector")
    seeds = np.arange(4)
    a.reset(seeds=seeds)
    b.reset(seeds=seeds)
    rng = np.random.default_rng(0)
    for _ in range(50):
        actions = rng.integers(0, a.single_action_space.n, size=4)
        ra, *_ = a.step(actions)
        rb, *_ = b.step(actions)
        np.testing.assert_array_equal(ra, rb)
        stride = a.metadata["entity_features"]  # each row: dx, dy, distance, present, one-hot kind
        present_a = a.observe()[:, 3 : a.metadata["entity_rows"] * stride : stride].sum(axis=1)
        present_b = b.observe()[:, 2::3][:, : sum(a.slot_counts)].sum(axis=1) - 1  # all slots but the player's
        np.testing.assert_array_equal(present_a, present_b)
