"""Game-specific tests of Target: click rewards, respawns, drift, episode end, scores, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from pixelarena.envs.adapters import GameVectorEnv, game_env
from pixelarena.envs.target import Target


def new_game(n: int = 4, seed: int = 0, **kwargs) -> Target:
    game = Target(n, **kwargs)
    game.reset(seeds=np.arange(n, dtype=np.uint64) + seed)
    return game


def cells(ys: np.ndarray, xs: np.ndarray, width: int) -> np.ndarray:
    return ys * width + xs


def assert_valid(game: Target) -> None:
    """Every object on the map, no two on one cell."""
    ys = np.concatenate([game.ty, game.dy], axis=1)
    xs = np.concatenate([game.tx, game.dx], axis=1)
    assert ((ys >= 0) & (ys < game.height) & (xs >= 0) & (xs < game.width)).all()
    flat = np.sort(cells(ys, xs, game.width), axis=1)
    assert (flat[:, 1:] != flat[:, :-1]).all()


def test_click_target_scores_and_respawns_it() -> None:
    game = new_game(8, drift=0.0)
    before_t = cells(game.ty, game.tx, game.width).copy()
    before_d = cells(game.dy, game.dx, game.width).copy()
    reward, terminated, truncated = game.step(before_t[:, 1])
    assert (reward == 1.0).all() and not terminated.any() and not truncated.any()
    after_t = cells(game.ty, game.tx, game.width)
    # The clicked target went to another cell, free of every other object; the rest stayed.
    assert (after_t[:, 1] != before_t[:, 1]).all()
    assert (after_t[:, 0] == before_t[:, 0]).all()
    assert (cells(game.dy, game.dx, game.width) == before_d).all()
    assert_valid(game)


def test_click_decoy_costs_and_respawns_it() -> None:
    game = new_game(8, drift=0.0)
    before_t = cells(game.ty, game.tx, game.width).copy()
    before_d = cells(game.dy, game.dx, game.width).copy()
    reward, _, _ = game.step(before_d[:, 2])
    assert (reward == -1.0).all()
    after_d = cells(game.dy, game.dx, game.width)
    assert (after_d[:, 2] != before_d[:, 2]).all()
    assert (after_d[:, :2] == before_d[:, :2]).all()
    assert (cells(game.ty, game.tx, game.width) == before_t).all()
    assert_valid(game)


def test_respawn_on_a_crowded_map_finds_the_free_cell() -> None:
    # 24 objects on 25 cells: a clicked object must go to the one free cell. Half the games find it among
    # their candidate draws, the others fall back to the draw over every cell.
    game = new_game(64, size=5, n_targets=12, n_decoys=12, drift=0.0)
    free = [
        np.setdiff1d(np.arange(25), row)[0]
        for row in np.concatenate([cells(game.ty, game.tx, 5), cells(game.dy, game.dx, 5)], axis=1)
    ]
    clicked = cells(game.ty, game.tx, 5)[:, 3].copy()
    assert (game.step(clicked)[0] == 1.0).all()
    assert (cells(game.ty, game.tx, 5)[:, 3] == free).all()
    assert_valid(game)


def test_click_empty_cell_does_nothing() -> None:
    game = new_game(8, drift=0.0)
    taken = np.concatenate([cells(game.ty, game.tx, game.width), cells(game.dy, game.dx, game.width)], axis=1)
    before = taken.copy()
    empty = np.array([np.setdiff1d(np.arange(game.height * game.width), row)[0] for row in taken])
    reward, _, _ = game.step(empty)
    assert (reward == 0.0).all()
    after = np.concatenate([cells(game.ty, game.tx, game.width), cells(game.dy, game.dx, game.width)], axis=1)
    assert (after == before).all()


def test_drift_moves_targets_one_cell_into_free_cells() -> None:
    # Crowded map and certain drift: the conflict rules are exercised every step.
    game = new_game(64, size=5, n_targets=6, n_decoys=6, drift=1.0)
    corner = game.height * game.width - 1
    moved = 0
    for _ in range(50):
        ty, tx, decoys = game.ty.copy(), game.tx.copy(), cells(game.dy, game.dx, game.width).copy()
        # Click a corner; the games where that hits an object (and respawns it) are left out of the checks.
        hit = (cells(ty, tx, game.width) == corner).any(axis=1) | (decoys == corner).any(axis=1)
        game.step(np.full(64, corner))
        dist = np.abs(game.ty - ty) + np.abs(game.tx - tx)
        assert (dist[~hit] <= 1).all()
        assert (cells(game.dy, game.dx, game.width)[~hit] == decoys[~hit]).all()  # decoys never drift
        assert_valid(game)
        moved += int(dist[~hit].sum())
    assert moved > 1000


def test_no_drift_targets_stay_put() -> None:
    game = new_game(16, drift=0.0)
    ty, tx, click = game.ty.copy(), game.tx.copy(), 56
    for _ in range(30):
        game.step(np.full(16, click))
    unclicked = ~(cells(ty, tx, game.width) == click).any(axis=1)
    assert (game.ty[unclicked] == ty[unclicked]).all() and (game.tx[unclicked] == tx[unclicked]).all()


def test_episode_is_truncated_never_terminated() -> None:
    game = new_game(4, max_steps=7)
    rng = np.random.default_rng(0)
    for t in range(7):
        _, terminated, truncated = game.step(rng.integers(0, 144, 4))
        assert not terminated.any()
        assert truncated.all() == (t == 6)
    assert Target(1).max_steps == 100


def test_observations_show_targets_and_decoys() -> None:
    grid = new_game(2, obs="grid")
    maps = grid.observe()
    assert maps.shape == (2, 2, 12, 12) and maps.sum(axis=(2, 3)).tolist() == [[2, 3], [2, 3]]
    assert (maps[np.arange(2)[:, None], 0, grid.ty, grid.tx] == 1).all()
    assert (maps[np.arange(2)[:, None], 1, grid.dy, grid.dx] == 1).all()
    pixels = new_game(2, obs="pixels")
    frames = pixels.observe()
    assert frames.shape == (2, 12, 12, 3)
    rows = np.arange(2)[:, None]
    assert (frames[rows, pixels.ty, pixels.tx] == Target.KINDS[0].color).all()
    assert (frames[rows, pixels.dy, pixels.dx] == Target.KINDS[1].color).all()
    vector = new_game(2, obs="vector").observe()
    assert vector.shape == (2, 15)


def test_expert_gets_every_click_and_random_is_near_zero() -> None:
    n = 500
    expert, random = new_game(n, seed=100), new_game(n, seed=100)
    rng = np.random.default_rng(1)
    expert_return, random_return = np.zeros(n), np.zeros(n)
    for _ in range(expert.max_steps):
        expert_return += expert.step(expert.expert_actions())[0]
        random_return += random.step(rng.integers(0, 144, n))[0]
        assert_valid(expert)
    assert (expert_return == expert.max_steps).all()
    # In expectation (n_targets - n_decoys) / cells * max_steps = -0.69.
    assert abs(random_return.mean() - (2 - 3) / 144 * 100) < 0.3
    assert expert_return.mean() > random_return.mean() + 90


def test_human_click_is_the_cell() -> None:
    game = new_game(1, size=9)
    assert Target.HUMAN_KEYS == {} and Target.HUMAN_FPS is None
    assert game.human_action(None, (3, 5)) == 3 * 9 + 5
    assert game.human_action(None, None) is None
    assert game.human_action(None, (9, 0)) is None


@pytest.mark.parametrize(
    "kwargs",
    [{"n_targets": 0}, {"n_decoys": -1}, {"drift": 1.5}, {"drift": "x"}, {"size": 5, "n_targets": 20, "n_decoys": 5}],
)
def test_bad_kwargs_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Target(1, **kwargs)


@pytest.mark.parametrize(
    ("obs", "crowd"),
    [("pixels", {}), ("grid", {}), ("vector", {}), ("pixels", {"size": 5, "n_targets": 10, "n_decoys": 10})],
)
def test_batch_matches_single_games(obs: str, crowd: dict) -> None:
    """8 batched games seeded s play like 8 single games seeded s..s+7, autoreset (NEXT_STEP) included.

    The crowded case makes respawns fall back to the all-cells draw now and then."""
    n, seed, kwargs = 8, 42, {"obs": obs, "max_steps": 23, "size": 7, "drift": 0.3, **crowd}
    vec = GameVectorEnv(Target, num_envs=n, **kwargs)
    singles = [game_env(Target, **kwargs) for _ in range(n)]
    obs_v, _ = vec.reset(seed=seed)
    for i, env in enumerate(singles):
        np.testing.assert_array_equal(env.reset(seed=seed + i)[0], obs_v[i])
    rng = np.random.default_rng(7)
    pending = np.zeros(n, dtype=bool)
    for _ in range(300):
        # Click an object half the time (so respawns happen often), a random cell otherwise.
        g = vec.game
        targets = np.concatenate([cells(g.ty, g.tx, g.width), cells(g.dy, g.dx, g.width)], axis=1)
        aimed = targets[np.arange(n), rng.integers(0, targets.shape[1], n)]
        actions = np.where(rng.random(n) < 0.5, aimed, rng.integers(0, g.height * g.width, n))
        obs_v, reward_v, term_v, trunc_v, _ = vec.step(actions)
        for i, env in enumerate(singles):
            if pending[i]:
                obs_i, reward_i, term_i, trunc_i = env.reset()[0], 0.0, False, False
            else:
                obs_i, reward_i, term_i, trunc_i, _ = env.step(actions[i])
            np.testing.assert_array_equal(obs_i, obs_v[i])
            assert (reward_i, term_i, trunc_i) == (reward_v[i], term_v[i], trunc_v[i])
        pending = term_v | trunc_v
