"""Swarm: per-cell moves, food and predators, collisions, action masks (with MaskablePPO), determinism."""

from __future__ import annotations

import numpy as np
import pytest

from pixelarena.envs.adapters import GameVectorEnv, MaskedGameEnv, game_env
from pixelarena.envs.swarm import Swarm

STAY, UP, DOWN, LEFT, RIGHT = range(5)


def place(game: Swarm, units=(), food=(), preds=()) -> None:
    """Put game 0's objects on the given (row, col) cells; unlisted slots are parked on the hidden row."""
    for ys, xs, cells in ((game.uy, game.ux, units), (game.fy, game.fx, food), (game.ey, game.ex, preds)):
        ys[0], xs[0] = game.height, 0
        for i, (y, x) in enumerate(cells):
            ys[0, i], xs[0, i] = y, x


def act(game: Swarm, moves: dict[tuple[int, int], int]) -> np.ndarray:
    """A batch-of-one action: the given move on each (row, col), stay elsewhere."""
    a = np.zeros((1, game.height * game.width), dtype=np.int64)
    for (y, x), m in moves.items():
        a[0, y * game.width + x] = m
    return a


def fresh(**kwargs) -> Swarm:
    game = Swarm(1, **{"size": 8, "obs": "vector", **kwargs})
    game.reset(seeds=np.array([0]))
    return game


def units_of(game: Swarm, i: int = 0) -> set[tuple[int, int]]:
    return {(y, x) for y, x in zip(game.uy[i].tolist(), game.ux[i].tolist()) if y < game.height}


def test_food_gives_reward_and_respawns_on_a_free_cell():
    game = fresh(n_units=2, n_food=2, n_predators=1, predator_speed=0.0)
    place(game, units=[(2, 2), (5, 5)], food=[(2, 3), (0, 0)], preds=[(7, 7)])
    reward, terminated, _ = game.step(act(game, {(2, 2): RIGHT}))
    assert reward[0] == 1.0 and not terminated[0]
    assert units_of(game) == {(2, 3), (5, 5)}
    food = set(zip(game.fy[0].tolist(), game.fx[0].tolist()))
    assert (0, 0) in food and len(food) == 2 and not food & (units_of(game) | {(7, 7)})


def test_two_units_eat_two_foods_in_one_step():
    game = fresh(n_units=2, n_food=2, n_predators=0)
    place(game, units=[(1, 1), (4, 4)], food=[(0, 1), (4, 5)])
    reward, _, _ = game.step(act(game, {(1, 1): UP, (4, 4): RIGHT}))
    assert reward[0] == 2.0
    food = set(zip(game.fy[0].tolist(), game.fx[0].tolist()))
    assert len(food) == 2 and not food & units_of(game)


def test_unit_walking_into_a_predator_is_lost_and_does_not_eat():
    game = fresh(n_units=2, n_food=1, n_predators=1, predator_speed=0.0)
    place(game, units=[(3, 3), (6, 6)], food=[(3, 4)], preds=[(3, 4)])
    reward, terminated, _ = game.step(act(game, {(3, 3): RIGHT}))
    assert reward[0] == -1.0 and not terminated[0]
    assert (game.uy[0, 0], game.ux[0, 0]) == (game.height, 0)  # parked on the hidden row
    assert (game.fy[0, 0], game.fx[0, 0]) == (3, 4)  # the food was not eaten


def test_predator_catches_an_adjacent_unit():
    game = fresh(n_units=2, n_food=1, n_predators=1, predator_speed=1.0, predator_noise=0.0)
    place(game, units=[(2, 2), (7, 0)], food=[(0, 7)], preds=[(2, 3)])
    reward, terminated, _ = game.step(act(game, {}))
    assert reward[0] == -1.0 and not terminated[0]
    assert (game.ey[0, 0], game.ex[0, 0]) == (2, 2) and units_of(game) == {(7, 0)}


def test_episode_ends_when_every_unit_is_lost_and_a_finished_game_can_still_step():
    game = fresh(n_units=1, n_food=1, n_predators=2, predator_speed=0.0)
    place(game, units=[(0, 0)], food=[(5, 5)], preds=[(0, 1), (4, 4)])
    reward, terminated, truncated = game.step(act(game, {(0, 0): RIGHT}))
    assert reward[0] == -1.0 and terminated[0] and not truncated[0]
    rng = np.random.default_rng(0)
    for _ in range(5):  # the core may step a finished game before resetting it
        reward, terminated, _ = game.step(rng.integers(0, 5, (1, 64)))
        assert reward[0] == 0.0 and terminated[0]
    assert not game.action_masks()[0].reshape(64, 5)[:, 1:].any()
    assert not game.expert_actions().any()


def test_truncated_at_max_steps():
    game = fresh(n_predators=0, max_steps=7)
    for t in range(7):
        _, terminated, truncated = game.step(np.zeros((1, 64), dtype=np.int64))
        assert not terminated[0] and truncated[0] == (t == 6)


def test_blocked_moves_are_cancelled():
    game = fresh(n_units=4, n_food=1, n_predators=0)
    # Unit 0 moves into unit 1's cell (cancelled although unit 1 moves away); units 2 and 3 both target
    # (5, 5): the lower-numbered one wins.
    place(game, units=[(1, 1), (1, 2), (5, 4), (5, 6)], food=[(7, 7)])
    game.step(act(game, {(1, 1): RIGHT, (1, 2): RIGHT, (5, 4): RIGHT, (5, 6): LEFT}))
    assert [(int(y), int(x)) for y, x in zip(game.uy[0], game.ux[0])] == [(1, 1), (1, 3), (5, 5), (5, 6)]


def test_edge_moves_stay_and_empty_cells_do_not_matter():
    game = fresh(n_units=1, n_food=1, n_predators=0)
    place(game, units=[(0, 0)], food=[(7, 7)])
    game.step(act(game, {(0, 0): UP}))
    assert units_of(game) == {(0, 0)}
    a = np.full((2, 64), LEFT)  # junk on every empty cell; the units' own cells say "down"
    a[:, 0] = DOWN
    a[1, 1:] = RIGHT
    pair = Swarm(2, size=8, obs="vector", n_units=1, n_food=1, n_predators=0)
    pair.reset(seeds=np.array([3, 3]))
    pair.uy[:], pair.ux[:] = 0, 0
    pair.step(a)
    assert units_of(pair, 0) == units_of(pair, 1) == {(1, 0)}


def test_invariants_under_random_play():
    game = Swarm(64, size=8, obs="vector", n_units=6, n_food=5, n_predators=3)
    game.reset(seeds=np.arange(64))
    rng = np.random.default_rng(1)
    h = game.height
    for _ in range(200):
        _, terminated, truncated = game.step(rng.integers(0, 5, (64, 64)))
        alive = game.uy < h
        unit_cells = np.where(alive, game.uy * 8 + game.ux, -1 - np.arange(6))
        pred_cells = game.ey * 8 + game.ex
        food_cells = game.fy * 8 + game.fx
        for cells in (unit_cells, pred_cells, food_cells):
            assert (np.sort(cells, axis=1)[:, 1:] != np.sort(cells, axis=1)[:, :-1]).all()
        assert not (unit_cells[:, :, None] == pred_cells[:, None]).any()
        assert not (unit_cells[:, :, None] == food_cells[:, None]).any()
        assert ((game.ux == 0) | alive).all() and (game.ey < h).all() and (game.fy < h).all()
        assert (terminated == ~alive.any(axis=1)).all()
        done = np.flatnonzero(terminated | truncated)
        game.reset(done)


def test_action_masks_layout():
    game = fresh(n_units=3, n_food=1, n_predators=1)
    place(game, units=[(0, 0), (3, 4), (7, 7)], food=[(5, 5)], preds=[(6, 1)])
    game.uy[0, 2], game.ux[0, 2] = game.height, 0  # unit 2 is lost
    masks = game.action_masks()
    assert masks.shape == (1, 64 * 5) and masks.dtype == bool
    per_cell = masks[0].reshape(64, 5)
    assert per_cell[0].tolist() == [True, False, True, False, True]  # top-left corner: stay, down, right
    assert per_cell[3 * 8 + 4].all()
    others = np.delete(per_cell, [0, 3 * 8 + 4], axis=0)
    assert others[:, 0].all() and not others[:, 1:].any()  # no unit (or a lost one): stay only


def test_expert_and_human_actions_respect_masks():
    game = Swarm(32, size=8, obs="vector")
    game.reset(seeds=np.arange(32))
    for _ in range(20):
        actions = game.expert_actions()
        masks = game.action_masks().reshape(32, 64, 5)
        assert actions.shape == (32, 64) and np.take_along_axis(masks, actions[..., None], axis=2).all()
        game.step(actions)
    assert Swarm.HAS_ACTION_MASKS and Swarm.HUMAN_FPS is None
    one = fresh()
    assert one.human_action(None, None) is None
    assert (one.human_action(Swarm.HUMAN_KEYS["left"], None) == LEFT).all()
    assert one.human_action(Swarm.HUMAN_KEYS["w"], None).shape == (64,)


def score(policy: str, episodes: int = 200, **kwargs) -> float:
    game = Swarm(episodes, obs="vector", **kwargs)
    game.reset(seeds=np.arange(episodes))
    rng = np.random.default_rng(0)
    total, done = np.zeros(episodes), np.zeros(episodes, dtype=bool)
    while not done.all():
        actions = game.expert_actions() if policy == "expert" else rng.integers(0, 5, (episodes, 144))
        reward, terminated, truncated = game.step(actions)
        total += reward * ~done
        done |= terminated | truncated
    return float(total.mean())


def test_expert_beats_random():
    random_score, expert_score = score("random"), score("expert")
    assert abs(random_score - Swarm.RANDOM_SCORE) < 1.0
    assert abs(expert_score - Swarm.SOLVED_SCORE) < 5.0
    assert expert_score > random_score + 50


@pytest.mark.parametrize("obs", ["pixels", "grid", "vector"])
def test_batch_matches_single_games(obs):
    kwargs = {"size": 8, "obs": obs, "cell_px": 3, "max_steps": 40, "n_units": 4, "n_predators": 2}
    venv = GameVectorEnv(Swarm, num_envs=8, **kwargs)
    singles = [game_env(Swarm, **kwargs) for _ in range(8)]
    obs_batch, _ = venv.reset(seed=11)
    obs_single = [env.reset(seed=11 + i)[0] for i, env in enumerate(singles)]
    assert np.array_equal(obs_batch, np.stack(obs_single))
    rng = np.random.default_rng(2)
    pending = np.zeros(8, dtype=bool)
    events = set()
    for _ in range(300):
        # A mix of random and scripted moves, so units live long enough to eat and be caught.
        actions = np.where(rng.random((8, 1)) < 0.5, rng.integers(0, 5, (8, 64)), venv.game.expert_actions())
        obs_batch, reward, terminated, truncated, _ = venv.step(actions)
        for i, env in enumerate(singles):
            if pending[i]:
                o, r, te, tr = env.reset()[0], 0.0, False, False
            else:
                o, r, te, tr, _ = env.step(actions[i])
            assert np.array_equal(o, obs_batch[i])
            assert (r, te, tr) == (reward[i], terminated[i], truncated[i])
        pending = terminated | truncated
        assert np.array_equal(venv.action_masks(), np.stack([env.action_masks() for env in singles]))
        events.update(np.sign(reward).tolist(), 2.0 * terminated[terminated], 3.0 * truncated[truncated])
    assert events >= {1.0, -1.0, 2.0, 3.0}  # food eaten, units lost, both kinds of episode end: all compared


def test_masks_reach_sb3_contrib():
    import torch
    from sb3_contrib import MaskablePPO
    from sb3_contrib.common.maskable.utils import get_action_masks
    from stable_baselines3.common.vec_env import DummyVecEnv

    kwargs = {"size": 6, "obs": "vector", "n_units": 3, "n_food": 2, "n_predators": 1}
    assert isinstance(game_env(Swarm, **kwargs), MaskedGameEnv)
    venv = DummyVecEnv([lambda i=i: MaskedGameEnv(Swarm, **kwargs) for i in range(2)])
    venv.seed(0)
    venv.reset()
    masks = get_action_masks(venv)
    assert masks.shape == (2, 36 * 5) and masks.dtype == bool
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny net: extra threads only contend (10x slower on a busy 2-core machine)
    try:
        model = MaskablePPO("MlpPolicy", venv, n_steps=128, batch_size=64, n_epochs=1, seed=0, device="cpu")
        model.learn(total_timesteps=256)
    finally:
        torch.set_num_threads(threads)
    buffer = model.rollout_buffer
    chosen = buffer.actions.astype(np.int64)  # (steps * envs, cells): flattened by training
    stored = buffer.action_masks.reshape(*chosen.shape, 5).astype(bool)
    assert not stored.all()  # the masks were read from the env, not left at sb3-contrib's all-True default
    assert np.take_along_axis(stored, chosen[..., None], axis=-1).all()  # and every sampled move obeyed them
    assert (stored[..., 1:].any(axis=-1).sum(axis=-1) <= 3).all()  # moves only where a unit stands


@pytest.mark.parametrize(
    "kwargs",
    [{"n_units": 0}, {"n_food": -1}, {"n_predators": 65}, {"predator_speed": 1.5}, {"predator_noise": "x"},
     {"spawn_distance": -1}, {"size": 5, "n_units": 20, "n_food": 6}],
)  # fmt: skip
def test_bad_kwargs(kwargs):
    with pytest.raises(ValueError):
        Swarm(1, **kwargs)
