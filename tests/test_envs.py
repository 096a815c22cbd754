"""Env API tests over every registered game and observation mode: Gymnasium and SB3 checkers, determinism,
batched == single, fuzzing, invalid actions, rendering, human input."""

from __future__ import annotations

import os
import re

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from pixelarena import envs
from pixelarena.envs.adapters import GameVectorEnv, game_env

GAMES = sorted(envs.GAMES)
MODES = envs.OBS_MODES
# Every game in every observation mode it has ("entities" is relative to a player: Chase and Snake).
GAME_MODES = [(name, obs) for name in GAMES for obs in MODES if obs != "entities" or envs.GAMES[name].PLAYER]
SMALL = {"size": 8}


def random_actions(space: gym.Space, n: int, steps: int, seed: int) -> np.ndarray:
    """Integer actions of a batched space, uniformly at random."""
    rng = np.random.default_rng(seed)
    high = space.nvec if isinstance(space, gym.spaces.MultiDiscrete) else space.n
    return rng.integers(0, high, size=(steps, n, *space.shape))


@pytest.mark.parametrize(("name", "obs"), GAME_MODES)
def test_gymnasium_and_sb3_checkers_pass(name: str, obs: str) -> None:
    env = envs.make(name, obs=obs, cell_px=3, **SMALL)
    gym_check_env(env.unwrapped, skip_render_check=False)
    sb3_check_env(envs.make(name, obs=obs, **SMALL), warn=True)


@pytest.mark.parametrize(("name", "obs"), GAME_MODES)
def test_same_seed_gives_identical_trajectories(name: str, obs: str) -> None:
    def trajectory(seed: int) -> list:
        env = envs.make(name, obs=obs, **SMALL)
        observation, _ = env.reset(seed=seed)
        out = [observation]
        for action in random_actions(env.action_space, 1, 150, seed=1)[:, 0]:
            observation, reward, terminated, truncated, _ = env.step(action)
            out += [observation, reward, terminated, truncated]
            if terminated or truncated:
                out.append(env.reset()[0])
        return out

    first, again, other = trajectory(7), trajectory(7), trajectory(8)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize(("name", "obs"), GAME_MODES)
def test_batched_vector_env_equals_single_envs(name: str, obs: str, mode: AutoresetMode) -> None:
    n, seed = 5, 11
    game = envs.GAMES[name]
    vec = GameVectorEnv(game, num_envs=n, autoreset_mode=mode, obs=obs, **SMALL)
    singles = [game_env(game, obs=obs, **SMALL) for _ in range(n)]
    vec_obs, _ = vec.reset(seed=seed)
    single_obs = [env.reset(seed=seed + i)[0] for i, env in enumerate(singles)]
    np.testing.assert_array_equal(vec_obs, np.stack(single_obs))
    pending_reset = np.zeros(n, dtype=bool)
    episodes_ended = 0
    for actions in random_actions(vec.single_action_space, n, 200, seed=3):
        vec_obs, vec_reward, vec_term, vec_trunc, infos = vec.step(actions)
        for i, env in enumerate(singles):
            if mode == AutoresetMode.NEXT_STEP and pending_reset[i]:
                obs_i, reward, term, trunc = env.reset()[0], 0.0, False, False
            else:
                obs_i, reward, term, trunc, _ = env.step(actions[i])
            if mode == AutoresetMode.SAME_STEP and (term or trunc):
                np.testing.assert_array_equal(infos["final_obs"][i], obs_i)
                obs_i = env.reset()[0]
            np.testing.assert_array_equal(vec_obs[i], obs_i)
            assert (vec_reward[i], vec_term[i], vec_trunc[i]) == (reward, term, trunc)
            pending_reset[i] = term or trunc
            episodes_ended += term or trunc
    assert episodes_ended > 0, "the comparison never crossed an episode boundary"


@pytest.mark.parametrize("name", GAMES)
def test_disabled_autoreset_leaves_ended_games_to_the_caller(name: str) -> None:
    """``DISABLED``: step never resets a game (it plays on like a single env that was not reset); the caller's
    ``reset(options={"reset_mask": mask})`` restarts exactly the games in the mask."""
    n, seed = 5, 11
    game = envs.GAMES[name]
    vec = GameVectorEnv(game, num_envs=n, autoreset_mode=AutoresetMode.DISABLED, obs="grid", **SMALL)
    singles = [game_env(game, obs="grid", **SMALL) for _ in range(n)]
    vec_obs, _ = vec.reset(seed=seed)
    for i, env in enumerate(singles):
        env.reset(seed=seed + i)
    resets, unreset_steps = 0, 0
    ended = np.zeros(n, dtype=bool)
    for step, actions in enumerate(random_actions(vec.single_action_space, n, 200, seed=3)):
        vec_obs, vec_reward, vec_term, vec_trunc, infos = vec.step(actions)
        assert infos == {}, "no final_obs: nothing was reset"
        for i, env in enumerate(singles):
            obs_i, reward, term, trunc, _ = env.step(actions[i])
            np.testing.assert_array_equal(vec_obs[i], obs_i)
            if not ended[i]:  # after its end a game is the caller's: only its observation must match
                assert (vec_reward[i], vec_term[i], vec_trunc[i]) == (reward, term, trunc)
        unreset_steps += int(ended.sum())
        ended |= vec_term | vec_trunc
        if step % 7 == 6 and ended.any():  # the caller resets the ended games now and then, not at once
            before = vec_obs.copy()
            vec_obs, _ = vec.reset(options={"reset_mask": ended})
            for i in range(n):
                if ended[i]:
                    np.testing.assert_array_equal(vec_obs[i], singles[i].reset()[0])
                else:
                    np.testing.assert_array_equal(vec_obs[i], before[i])
            resets += int(ended.sum())
            ended[:] = False
    assert resets > 0 and unreset_steps > 0, "the test crossed episode ends and stepped ended games"


@pytest.mark.parametrize("name", GAMES)
def test_batch_size_does_not_change_a_game(name: str) -> None:
    """Game 2 of a batch of 3 seeded 5 plays like game 0 of a batch of 1 seeded 7, whatever the others do."""
    game = envs.GAMES[name]
    small = GameVectorEnv(game, num_envs=1, **SMALL)
    big = GameVectorEnv(game, num_envs=3, **SMALL)
    np.testing.assert_array_equal(small.reset(seed=7)[0][0], big.reset(seed=5)[0][2])
    actions = random_actions(small.single_action_space, 3, 100, seed=0)
    for a in actions:
        obs_small, r_small, *_ = small.step(a[2:3])
        obs_big, r_big, *_ = big.step(a)
        np.testing.assert_array_equal(obs_small[0], obs_big[2])
        assert r_small[0] == r_big[2]


@pytest.mark.parametrize("name", GAMES)
def test_fuzz_ten_thousand_steps_stay_in_spaces(name: str) -> None:
    """>= 10,000 random steps per game over all obs modes and varied sizes: observations in their spaces,
    finite rewards, nothing raises."""
    total = 0
    for k, (obs, size) in enumerate([("pixels", 5), ("grid", 9), ("vector", 16), ("pixels", 13)]):
        vec = envs.make_vec(name, num_envs=32, obs=obs, size=size, cell_px=1 + k % 3)
        observation, _ = vec.reset(seed=k)
        for actions in random_actions(vec.single_action_space, 32, 80, seed=k):
            observation, reward, terminated, truncated, _ = vec.step(actions)
            assert observation in vec.observation_space
            assert np.isfinite(reward).all()
            assert reward.dtype.kind == "f" and terminated.dtype == bool and truncated.dtype == bool
            total += 32
    assert total >= 10_000


@pytest.mark.parametrize("name", GAMES)
def test_invalid_actions_raise_value_error_naming_the_space(name: str) -> None:
    env = envs.make(name, **SMALL)
    env.reset(seed=0)
    space = env.action_space
    high = space.nvec if isinstance(space, gym.spaces.MultiDiscrete) else space.n
    good = space.sample()
    bad_actions = [
        np.asarray(good) + high,  # out of range
        np.asarray(good) * 0 - 1,  # negative
        np.asarray(good, dtype=np.float32),  # wrong dtype
        np.stack([good, good]),  # wrong shape
    ]
    for bad in bad_actions:
        with pytest.raises(ValueError, match=re.escape(" ".join(str(space).split()))):  # the space, on one line
            env.step(bad)
    vec = envs.make_vec(name, num_envs=4, **SMALL)
    vec.reset(seed=0)
    with pytest.raises(ValueError, match="expected"):
        vec.step(np.zeros((3, *space.shape), dtype=np.int64))


@pytest.mark.parametrize("name", GAMES)
def test_rgb_array_frames_are_uint8_and_not_blank(name: str) -> None:
    env = envs.make(name, render_mode="rgb_array", **SMALL)
    env.reset(seed=0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.shape[:2] == (8 * 24, 8 * 24)
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) >= 3, "expected background plus at least two colours"


@pytest.mark.parametrize("name", GAMES)
def test_render_without_a_render_mode_draws_nothing_and_the_vector_env_has_a_pace(name: str) -> None:
    env = envs.make(name, **SMALL)
    env.reset(seed=0)
    assert env.render() is None
    vec = envs.make_vec(name, num_envs=2, **SMALL)
    vec.reset(seed=0)
    assert vec.render() is None and vec.metadata["render_fps"] == env.metadata["render_fps"] == 8


@pytest.mark.parametrize("name", GAMES)
def test_pixels_show_every_kind_in_its_own_colour(name: str) -> None:
    """Sprites are told apart by colour at cell_px=1 and by colour and shape from cell_px=3 up."""
    game = envs.GAMES[name]
    colours = {kind.color for kind in game.KINDS}
    assert len(colours) == len(game.KINDS)


@pytest.mark.parametrize("name", GAMES)
def test_short_names_resolve(name: str) -> None:
    assert envs.resolve_env_id(name.lower()) == f"pixelarena/{name}-v0"
    assert envs.resolve_env_id(f"pixelarena/{name}-v0") == f"pixelarena/{name}-v0"
    assert gym.make_vec(f"pixelarena/{name}-v0", num_envs=3).unwrapped.game.num_games == 3


def test_unknown_env_names_the_nearest_match() -> None:
    with pytest.raises(ValueError, match="did you mean 'Chase'"):
        envs.resolve_env_id("Chaze")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"size": 2}, "size must be between"), ({"obs": "rgb"}, "unknown obs mode"), ({"cell_px": 0}, "cell_px")],
)
def test_bad_kwargs_give_one_line_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        envs.make("Chase", **kwargs)


def test_vector_layout_names_every_entry() -> None:
    env = envs.make("Chase", obs="vector", n_enemies=2, n_coins=1)
    layout = env.unwrapped.game.vector_layout()
    assert len(layout) == env.observation_space.shape[0]
    assert layout[:3] == ["coin[0].x", "coin[0].y", "coin[0].p"]


def test_human_keys_map_synthetic_events_to_actions() -> None:
    import pygame

    from pixelarena.envs.human import HumanInput

    pygame.display.init()
    game = envs.Chase(1, size=8)
    human = HumanInput(game, view_size=(8 * 24, 8 * 24))
    assert human.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_UP)) == 1
    assert human.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_d)) == 4
    assert human.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE)) == 0
    assert human.handle(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_F5)) is None
    assert human.handle(pygame.event.Event(pygame.MOUSEMOTION, pos=(3, 3))) is None


@pytest.mark.parametrize("name", GAMES)
def test_every_human_input_gives_a_valid_action(name: str) -> None:
    """Each bound key (and, for keyless games, a click) turns into an action of the game's action space."""
    import pygame

    from pixelarena.envs.human import HumanInput

    pygame.display.init()
    env = envs.make(name, size=8)
    env.reset(seed=0)
    game = env.unwrapped.game
    human = HumanInput(game, view_size=(8 * 24, 8 * 24))
    events = [pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(key)) for key in game.HUMAN_KEYS]
    if not game.HUMAN_KEYS:
        events.append(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=(24 * 5 + 3, 24 * 2 + 3)))
    for event in events:
        action = human.handle(event)
        assert action is not None and env.action_space.contains(np.asarray(action))
        env.step(action)
    if not game.HUMAN_KEYS:
        assert human.handle(events[-1]) == 2 * 8 + 5  # row 2, column 5


@pytest.mark.parametrize("name", GAMES)
def test_each_games_docstring_examples_run_and_name_its_presets(name: str) -> None:
    """The Examples block (make, the observation shape per mode, make_vec) runs as written, and Registered
    Configurations names the game's presets and default encoder as agents/run/presets.py has them."""
    import doctest

    from pixelarena.agents.run.presets import DEFAULT_ENCODER, PRESETS

    game = envs.GAMES[name]
    finder, runner = doctest.DocTestFinder(recurse=False), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    (test,) = finder.find(game, name)
    assert len(test.examples) >= 3, "an Examples block: make, each mode's shape, make_vec"
    result = runner.run(test)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name}'s docstring failed"
    configurations = game.__doc__.split("## Registered Configurations")[1].split("## Examples")[0]
    named = re.findall(r"``([a-z0-9-]+)``", configurations.split("Presets")[1])
    assert named[:-1] == [preset for preset, p in PRESETS.items() if p.env == name]
    assert named[-1] == DEFAULT_ENCODER[name] and f"pixelarena/{name}-v0" in configurations
