"""Snake's rules, observations, scripted policy and batch/single determinism."""

from __future__ import annotations

import numpy as np
import pytest

from pixelarena.envs.adapters import GameVectorEnv, game_env
from pixelarena.envs.snake import DIRS, TURN, Snake

UP, DOWN, LEFT, RIGHT = range(4)


def place(game: Snake, cells: list[tuple[int, int]], heading: int, apples: list[tuple[int, int]], i: int = 0) -> None:
    """Put game i's snake on ``cells`` (head first) with ``heading``, and its apples on ``apples``."""
    h = game.height
    game.hy[i, 0], game.hx[i, 0] = cells[0]
    game.by[i], game.bx[i] = h, 0
    for k, (y, x) in enumerate(cells[1:]):
        game.by[i, k], game.bx[i, k] = y, x
    game.length[i] = len(cells)
    game.heading[i] = heading
    for k, (y, x) in enumerate(apples):
        game.ay[i, k], game.ax[i, k] = y, x


def snake_cells(game: Snake, i: int = 0) -> list[tuple[int, int]]:
    """Game i's snake, head first, read back from the vector of object slots."""
    body = [(int(y), int(x)) for y, x in zip(game.by[i], game.bx[i]) if y < game.height]
    return [(int(game.hy[i, 0]), int(game.hx[i, 0])), *body]


def new_game(**kwargs) -> Snake:
    game = Snake(1, **kwargs)
    game.reset(seeds=np.array([0]))
    return game


def test_eating_an_apple_scores_and_grows() -> None:
    game = new_game(obs="grid")
    place(game, [(5, 5), (5, 4), (5, 3)], RIGHT, [(5, 6)])
    reward, terminated, truncated = game.step(np.array([RIGHT]))
    assert reward[0] == 1.0 and not terminated[0] and not truncated[0]
    assert snake_cells(game) == [(5, 6), (5, 5), (5, 4), (5, 3)]
    apple = (int(game.ay[0, 0]), int(game.ax[0, 0]))
    assert apple not in snake_cells(game) and apple[0] < game.height
    # Without an apple the tail follows: same length, no reward.
    game.ay[0, 0], game.ax[0, 0] = 0, 0
    reward, _, _ = game.step(np.array([DOWN]))
    assert reward[0] == 0.0
    assert snake_cells(game) == [(6, 6), (5, 6), (5, 5), (5, 4)]


def test_growth_stops_at_max_length_but_apples_still_score() -> None:
    game = new_game(max_length=4)
    place(game, [(5, 5), (5, 4), (5, 3), (5, 2)], RIGHT, [(5, 6)])
    reward, _, _ = game.step(np.array([RIGHT]))
    assert reward[0] == 1.0
    assert snake_cells(game) == [(5, 6), (5, 5), (5, 4), (5, 3)]
    assert game.length[0] == 4


def test_wall_crash_ends_the_episode_and_leaves_the_snake_in_place() -> None:
    game = new_game()
    w = game.width
    place(game, [(3, w - 1), (3, w - 2), (3, w - 3)], RIGHT, [(0, 0)])
    reward, terminated, truncated = game.step(np.array([RIGHT]))
    assert reward[0] == -1.0 and terminated[0] and not truncated[0]
    assert snake_cells(game) == [(3, w - 1), (3, w - 2), (3, w - 3)]
    # A crashed game may be stepped again before its reset: nothing breaks.
    game.step(np.array([RIGHT]))


def test_running_into_the_body_ends_the_episode() -> None:
    game = new_game()
    # A hook: turning up from (5, 5) lands on (4, 5), a middle segment.
    place(game, [(5, 5), (5, 4), (4, 4), (4, 5), (4, 6), (3, 6)], RIGHT, [(0, 0)])
    reward, terminated, _ = game.step(np.array([UP]))
    assert reward[0] == -1.0 and terminated[0]


def test_following_the_tail_is_safe() -> None:
    game = new_game()
    # A 2x2 loop: the head moves into the cell the tail leaves in the same step.
    place(game, [(5, 5), (5, 4), (4, 4), (4, 5)], RIGHT, [(0, 0)])
    reward, terminated, _ = game.step(np.array([UP]))
    assert reward[0] == 0.0 and not terminated[0]
    assert snake_cells(game) == [(4, 5), (5, 5), (5, 4), (4, 4)]


def test_reversing_is_ignored() -> None:
    game = new_game()
    place(game, [(5, 5), (5, 4), (5, 3)], RIGHT, [(0, 0)])
    reward, terminated, _ = game.step(np.array([LEFT]))
    assert reward[0] == 0.0 and not terminated[0]
    assert snake_cells(game)[0] == (5, 6) and game.heading[0] == RIGHT


def test_relative_actions_turn_the_heading() -> None:
    game = new_game(relative_actions=True)
    assert game.single_action_space.n == 3
    # Turning left of (dy, dx) heads (-dx, dy) on screen (y down); right heads (dx, -dy).
    for heading, (dy, dx) in enumerate(DIRS):
        assert TURN[heading, 0] == heading
        assert tuple(DIRS[TURN[heading, 1]]) == (-dx, dy)
        assert tuple(DIRS[TURN[heading, 2]]) == (dx, -dy)
    place(game, [(5, 5), (6, 5), (7, 5)], UP, [(0, 0)])
    game.step(np.array([1]))
    assert snake_cells(game)[0] == (5, 4) and game.heading[0] == LEFT
    game.step(np.array([2]))
    assert snake_cells(game)[0] == (4, 4) and game.heading[0] == UP


def test_hunger_truncates() -> None:
    game = new_game(hunger=3)
    place(game, [(5, 2), (5, 1), (5, 0)], RIGHT, [(0, 11)])
    for step in range(3):
        _, terminated, truncated = game.step(np.array([RIGHT]))
        assert not terminated[0] and truncated[0] == (step == 2)
    # Eating resets the count.
    game = new_game(hunger=3)
    place(game, [(5, 2), (5, 1), (5, 0)], RIGHT, [(5, 4)])
    truncs = [game.step(np.array([RIGHT]))[2][0] for _ in range(4)]
    assert truncs == [False, False, False, False]


def test_reset_places_a_straight_snake_with_room_ahead() -> None:
    n = 256
    game = Snake(n, size=8)
    game.reset(seeds=np.arange(n, dtype=np.uint64))
    assert (game.length == 3).all()
    for i in range(n):
        cells = snake_cells(game, i)
        assert len(cells) == 3
        dy, dx = DIRS[game.heading[i]]
        assert cells[1] == (cells[0][0] - dy, cells[0][1] - dx)
        assert cells[2] == (cells[0][0] - 2 * dy, cells[0][1] - 2 * dx)
        ahead = [(cells[0][0] + k * dy, cells[0][1] + k * dx) for k in range(1, 4)]
        assert all(0 <= y < 8 and 0 <= x < 8 for y, x in ahead)
        assert (int(game.ay[i, 0]), int(game.ax[i, 0])) not in cells
    assert len(set(game.heading.tolist())) == 4


def test_vector_obs_lists_head_then_body_from_neck_to_tail_then_heading() -> None:
    game = new_game(obs="vector", max_length=6, n_apples=2)
    layout = game.vector_layout()
    assert len(layout) == 3 * (6 + 2) + 4 == game.single_observation_space.shape[0]
    assert layout[:4] == ["head[0].x", "head[0].y", "head[0].p", "body[0].x"]
    assert layout[-4:] == ["heading_up", "heading_down", "heading_left", "heading_right"]
    place(game, [(2, 3), (2, 2), (3, 2)], RIGHT, [(0, 0), (9, 9)])
    obs = dict(zip(layout, game.observe()[0]))
    scale = game.width - 1
    assert (obs["head[0].x"], obs["head[0].y"]) == pytest.approx((3 / scale, 2 / scale))
    assert (obs["body[0].x"], obs["body[0].y"]) == pytest.approx((2 / scale, 2 / scale))
    assert (obs["body[1].x"], obs["body[1].y"]) == pytest.approx((2 / scale, 3 / scale))
    assert obs["body[1].p"] == 1 and obs["body[2].p"] == 0 and obs["body[4].p"] == 0
    assert [obs[f"heading_{d}"] for d in ("up", "down", "left", "right")] == [0, 0, 0, 1]


def test_grid_obs_channels() -> None:
    game = new_game(obs="grid")
    place(game, [(2, 3), (2, 2), (3, 2)], RIGHT, [(7, 7)])
    grid = game.observe()[0]
    assert grid.shape == (3, 12, 12)
    assert grid[0].sum() == 1 and grid[0, 2, 3] == 1
    assert grid[1].sum() == 2 and grid[1, 2, 2] == 1 and grid[1, 3, 2] == 1
    assert grid[2].sum() == 1 and grid[2, 7, 7] == 1


def test_human_action_keeps_the_heading_without_a_key() -> None:
    game = new_game()
    place(game, [(5, 5), (5, 4), (5, 3)], RIGHT, [(0, 0)])
    assert game.human_action(None, None) == RIGHT
    assert game.human_action(UP, None) == UP
    assert Snake.HUMAN_KEYS["w"] == UP and Snake.HUMAN_FPS == 6
    rel = new_game(relative_actions=True)
    place(rel, [(5, 5), (5, 4), (5, 3)], RIGHT, [(0, 0)])
    assert [rel.human_action(k, None) for k in (None, RIGHT, LEFT, UP, DOWN)] == [0, 0, 0, 1, 2]


@pytest.mark.parametrize(
    "kwargs",
    [{"n_apples": 0}, {"max_length": 2}, {"max_length": 1.5}, {"hunger": -1}, {"relative_actions": 1},
     {"size": 5, "max_length": 25}],
)  # fmt: skip
def test_bad_kwargs_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Snake(1, **kwargs)


def test_default_max_length_fits_small_maps() -> None:
    assert Snake(1).max_length == 32
    small = Snake(1, size=5, obs="vector")
    assert small.max_length == 24
    assert small.single_observation_space.shape == (3 * (24 + 1) + 4,)


def mean_return(game: Snake, policy: str, steps: int) -> float:
    """Mean return of the episodes that end within ``steps`` steps (unfinished ones count as they stand)."""
    rng = np.random.default_rng(0)
    n = game.num_games
    game.reset(seeds=np.arange(n, dtype=np.uint64))
    total, episodes = np.zeros(n), np.zeros(n)
    for _ in range(steps):
        actions = game.expert_actions() if policy == "expert" else rng.integers(0, 4, n)
        reward, terminated, truncated = game.step(actions)
        total += reward
        done = np.flatnonzero(terminated | truncated)
        episodes[done] += 1
        game.reset(done)
    return float(total.sum() / np.maximum(episodes, 1).sum())


def test_expert_beats_random() -> None:
    game = Snake(32, obs="vector")
    expert, random = mean_return(game, "expert", 200), mean_return(game, "random", 200)
    assert random < -0.5
    assert expert > 10


def test_expert_with_relative_actions() -> None:
    game = Snake(16, obs="vector", relative_actions=True)
    assert mean_return(game, "expert", 100) > 5


@pytest.mark.parametrize("obs", ["pixels", "grid", "vector"])
def test_batch_plays_like_single_games(obs: str) -> None:
    n, seed, steps = 8, 123, 300
    vec = GameVectorEnv(Snake, num_envs=n, obs=obs, size=8, hunger=30)
    singles = [game_env(Snake, obs=obs, size=8, hunger=30) for _ in range(n)]
    vec_obs, _ = vec.reset(seed=seed)
    single_obs = [env.reset(seed=seed + i)[0] for i, env in enumerate(singles)]
    np.testing.assert_array_equal(vec_obs, np.stack(single_obs))
    rng = np.random.default_rng(0)
    pending = np.zeros(n, dtype=bool)
    ends = 0
    for _ in range(steps):
        actions = rng.integers(0, 4, n)
        vec_obs, vec_reward, vec_term, vec_trunc, _ = vec.step(actions)
        for i, env in enumerate(singles):
            if pending[i]:  # NEXT_STEP autoreset: this step is the reset
                obs_i, reward, term, trunc = env.reset()[0], 0.0, False, False
            else:
                obs_i, reward, term, trunc, _ = env.step(actions[i])
            np.testing.assert_array_equal(vec_obs[i], obs_i)
            assert (vec_reward[i], vec_term[i], vec_trunc[i]) == (reward, term, trunc)
            pending[i] = term or trunc
        ends += int(pending.sum())
    assert ends > n  # the comparison went through several resets


def test_apples_respawn_off_the_snake_in_long_play() -> None:
    game = Snake(16, size=6, max_length=20, n_apples=2)
    game.reset(seeds=np.arange(16, dtype=np.uint64))
    for _ in range(300):
        _, terminated, truncated = game.step(game.expert_actions())
        for i in range(16):
            cells = snake_cells(game, i)
            assert len(cells) == game.length[i] and len(set(cells)) == len(cells)
            apples = set(zip(game.ay[i].tolist(), game.ax[i].tolist()))
            assert len(apples) == 2 and not apples & set(cells)
        game.reset(np.flatnonzero(terminated | truncated))
