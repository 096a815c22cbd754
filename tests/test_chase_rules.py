"""Chase's rules on hand-placed cases: coins, capture, how enemies move, the edges, spawning, and the scripted policy
against a random one."""

from __future__ import annotations

import numpy as np
import pytest

from pixelarena.envs.chase import Chase

STAY, UP, DOWN, LEFT, RIGHT = range(5)


def new_game(num_games: int = 1, **kwargs: object) -> Chase:
    """A seeded game; by default enemies that always step straight at the player (no chance in their moves)."""
    game = Chase(num_games, **{"obs": "grid", "enemy_speed": 1.0, "enemy_noise": 0.0, **kwargs})
    game.reset(seeds=np.arange(num_games))
    return game


def place(game: Chase, player: tuple[int, int], enemies: list[tuple[int, int]], coins: list[tuple[int, int]],
          i: int = 0) -> None:  # fmt: skip
    """Put game i's player, enemies and coins on these cells (one entry per slot of each)."""
    assert len(enemies) == game.n_enemies and len(coins) == game.n_coins
    game.py[i, 0], game.px[i, 0] = player
    for k, (y, x) in enumerate(enemies):
        game.ey[i, k], game.ex[i, k] = y, x
    for k, (y, x) in enumerate(coins):
        game.cy[i, k], game.cx[i, k] = y, x


def player(game: Chase, i: int = 0) -> tuple[int, int]:
    return int(game.py[i, 0]), int(game.px[i, 0])


def enemies(game: Chase, i: int = 0) -> list[tuple[int, int]]:
    return [(int(y), int(x)) for y, x in zip(game.ey[i], game.ex[i])]


def coins(game: Chase, i: int = 0) -> list[tuple[int, int]]:
    return [(int(y), int(x)) for y, x in zip(game.cy[i], game.cx[i])]


def test_the_player_moves_one_cell_and_stays_inside_the_map() -> None:
    game = new_game(n_enemies=1, n_coins=1, enemy_speed=0.0)
    place(game, (5, 5), [(0, 0)], [(11, 11)])
    for action, expected in [(UP, (4, 5)), (DOWN, (5, 5)), (LEFT, (5, 4)), (RIGHT, (5, 5)), (STAY, (5, 5))]:
        reward, terminated, _ = game.step(np.array([action]))
        assert player(game) == expected and reward[0] == 0.0 and not terminated[0]
    place(game, (0, 11), [(11, 0)], [(6, 6)])
    game.step(np.array([UP]))
    assert player(game) == (0, 11), "a move into the edge leaves the player in place"
    game.step(np.array([RIGHT]))
    assert player(game) == (0, 11)


def test_a_coin_scores_one_and_reappears_on_a_free_cell() -> None:
    game = new_game(size=6, n_enemies=2, n_coins=3, enemy_speed=0.0)
    place(game, (2, 2), [(5, 0), (5, 5)], [(2, 3), (0, 0), (0, 5)])
    reward, terminated, _ = game.step(np.array([RIGHT]))
    assert reward[0] == 1.0 and not terminated[0]
    assert coins(game)[1:] == [(0, 0), (0, 5)], "only the coin collected moves"
    taken = {player(game), *enemies(game), *coins(game)[1:]}
    assert coins(game)[0] not in taken and coins(game)[0] != (2, 3)
    # Staying on the cell scores nothing more: the coin has gone elsewhere.
    reward, _, _ = game.step(np.array([STAY]))
    assert reward[0] == 0.0


def test_a_new_coin_never_lands_on_the_player_an_enemy_or_a_coin() -> None:
    game = new_game(64, size=5, n_enemies=3, n_coins=4, enemy_speed=0.0)
    for i in range(64):  # 25 cells, 8 of them taken (the collected coin's cell is the player's now)
        place(game, (1, 1), [(4, 0), (4, 4), (0, 4)], [(1, 2), (0, 0), (2, 2), (4, 1)], i)
    reward, _, _ = game.step(np.full(64, RIGHT))
    assert (reward == 1.0).all()
    landed = set()
    for i in range(64):
        cell = coins(game, i)[0]
        assert cell not in {(1, 2), *enemies(game, i), *coins(game, i)[1:]}
        landed.add(cell)
    assert len(landed) > 3, "the new cell is drawn at random"


def test_an_enemy_that_reaches_the_player_ends_the_episode_with_minus_one() -> None:
    game = new_game(n_enemies=1, n_coins=1)
    place(game, (5, 5), [(5, 7)], [(0, 0)])
    reward, terminated, truncated = game.step(np.array([STAY]))
    assert enemies(game) == [(5, 6)] and reward[0] == 0.0 and not terminated[0]
    reward, terminated, truncated = game.step(np.array([STAY]))
    assert enemies(game) == [(5, 5)] and reward[0] == -1.0 and terminated[0] and not truncated[0]


def test_walking_into_an_enemy_is_caught_too() -> None:
    game = new_game(n_enemies=1, n_coins=1, enemy_speed=0.0)
    place(game, (5, 5), [(5, 6)], [(0, 0)])
    reward, terminated, _ = game.step(np.array([RIGHT]))
    assert reward[0] == -1.0 and terminated[0]


def test_a_coin_taken_as_the_player_is_caught_scores_both() -> None:
    game = new_game(n_enemies=1, n_coins=1)
    place(game, (5, 5), [(5, 8)], [(5, 6)])
    reward, terminated, _ = game.step(np.array([RIGHT]))  # onto the coin; the enemy steps from (5, 8) to (5, 7)
    assert reward[0] == 1.0 and not terminated[0]
    place(game, (5, 5), [(5, 7)], [(5, 6)])
    reward, terminated, _ = game.step(np.array([RIGHT]))  # onto the coin, and the enemy onto the player
    assert reward[0] == 0.0 and terminated[0], "+1 for the coin, -1 for being caught"


@pytest.mark.parametrize(
    ("enemy", "you", "after"),
    [
        ((1, 5), (6, 5), (2, 5)),  # straight below: down
        ((9, 5), (6, 5), (8, 5)),  # straight above: up
        ((5, 1), (6, 8), (5, 2)),  # farther across than along: sideways
        ((2, 7), (8, 6), (3, 7)),  # farther along than across: down
        ((6, 10), (6, 3), (6, 9)),  # straight left
    ],
)
def test_an_enemy_steps_along_the_longer_axis_towards_the_player(enemy: tuple, you: tuple, after: tuple) -> None:
    game = new_game(n_enemies=1, n_coins=1)
    place(game, you, [enemy], [(0, 0)])
    game.step(np.array([STAY]))
    assert enemies(game) == [after]


def test_on_a_diagonal_an_enemy_steps_either_way_closer() -> None:
    game = new_game(64, n_enemies=1, n_coins=1)
    for i in range(64):
        place(game, (6, 6), [(3, 3)], [(0, 11)], i)
    game.step(np.full(64, STAY))
    moved = {enemies(game, i)[0] for i in range(64)}
    assert moved == {(4, 3), (3, 4)}, "the tie is broken at random, always towards the player"


def test_slow_enemies_move_on_a_fraction_of_the_steps() -> None:
    frozen = new_game(n_enemies=2, n_coins=1, enemy_speed=0.0)
    place(frozen, (6, 6), [(0, 0), (11, 11)], [(0, 11)])
    for _ in range(20):
        frozen.step(np.array([STAY]))
    assert enemies(frozen) == [(0, 0), (11, 11)], "enemy_speed=0: enemies never move"
    half = new_game(256, n_enemies=1, n_coins=1, enemy_speed=0.5)
    for i in range(256):
        place(half, (6, 6), [(0, 6)], [(11, 0)], i)
    half.step(np.full(256, STAY))
    moved = np.mean([enemies(half, i)[0] == (1, 6) for i in range(256)])
    assert 0.35 < moved < 0.65, moved


def test_noisy_enemies_sometimes_step_at_random() -> None:
    game = new_game(512, n_enemies=1, n_coins=1, enemy_noise=1.0)
    for i in range(512):
        place(game, (6, 6), [(2, 6)], [(11, 0)], i)
    game.step(np.full(512, STAY))
    moved = {enemies(game, i)[0] for i in range(512)}
    assert moved == {(1, 6), (3, 6), (2, 5), (2, 7)}, "noise 1: a random direction every time"


def test_two_enemies_never_share_a_cell() -> None:
    game = new_game(n_enemies=2, n_coins=1)
    # From (4, 6) down and from (5, 5) right, both would step onto (5, 6): the lower-numbered enemy goes.
    place(game, (6, 7), [(4, 6), (5, 5)], [(0, 0)])
    game.step(np.array([STAY]))
    assert enemies(game) == [(5, 6), (5, 5)]
    place(game, (6, 7), [(5, 5), (4, 6)], [(0, 0)])
    game.step(np.array([STAY]))
    assert enemies(game) == [(5, 6), (4, 6)]
    place(game, (5, 8), [(5, 4), (5, 5)], [(0, 0)])
    game.step(np.array([STAY]))
    # Enemy 0 would step onto enemy 1's cell, which it holds now: it waits, while enemy 1 steps on.
    assert enemies(game) == [(5, 4), (5, 6)]
    many = new_game(128, size=6, n_enemies=8, n_coins=1)
    for _ in range(50):
        many.step(np.full(128, STAY))
        cells = many.ey * many.width + many.ex
        assert all(len(set(row)) == 8 for row in cells.tolist())


def test_a_new_game_puts_enemies_away_from_the_player_and_nothing_on_top_of_anything() -> None:
    game = Chase(512, n_enemies=3, n_coins=2, spawn_distance=4)
    game.reset(seeds=np.arange(512))
    distance = np.abs(game.ey - game.py) + np.abs(game.ex - game.px)
    assert distance.min() >= 4
    for i in range(512):
        cells = [player(game, i), *enemies(game, i), *coins(game, i)]
        assert len(set(cells)) == len(cells)
    assert len({player(game, i) for i in range(512)}) > 50, "the player starts anywhere"


def test_an_episode_is_cut_at_max_steps() -> None:
    game = new_game(n_enemies=1, n_coins=1, enemy_speed=0.0, max_steps=5)
    place(game, (5, 5), [(0, 0)], [(11, 11)])
    for step in range(5):
        _, terminated, truncated = game.step(np.array([STAY]))
        assert not terminated[0] and truncated[0] == (step == 4)


def test_the_observation_shows_each_object_in_its_channel() -> None:
    game = new_game(n_enemies=1, n_coins=1, enemy_speed=0.0)
    place(game, (5, 5), [(1, 2)], [(9, 10)])
    grid = game.observe()[0]  # channels coin, enemy, player
    assert [tuple(np.argwhere(channel)[0]) for channel in grid] == [(9, 10), (1, 2), (5, 5)]
    assert grid.sum() == 3


def episode_returns(policy: str, games: int = 64, seed: int = 0) -> np.ndarray:
    """Each game's return over one full episode (at most max_steps) at the default settings."""
    game = Chase(games, obs="grid")
    game.reset(seeds=seed + np.arange(games))
    rng = np.random.default_rng(seed)
    returns, alive = np.zeros(games), np.ones(games, dtype=bool)
    for _ in range(game.max_steps):
        actions = game.expert_actions() if policy == "scripted" else rng.integers(0, 5, games)
        reward, terminated, truncated = game.step(actions)
        returns += reward * alive
        alive &= ~(terminated | truncated)
        if not alive.any():
            break
    return returns


def test_the_scripted_policy_beats_a_random_one_by_far() -> None:
    scripted, random = episode_returns("scripted"), episode_returns("random")
    assert random.mean() < Chase.RANDOM_SCORE + 0.5 and scripted.mean() > 5.0, (random.mean(), scripted.mean())
    assert scripted.mean() - random.mean() > 5.0
    assert (scripted > 0).mean() > 0.75, "it collects coins in most games, rather than hiding"
