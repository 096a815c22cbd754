"""Training on envs that are not pixelarena's: registered Gymnasium ids, a user's Env class, Atari."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv

from pixelarena.agents.environments.external import check_supported_spaces, make_external_vec_env
from pixelarena.nets import PixelPolicy
from tests.user_envs import ChannelsFirstEnv, ChannelsLastEnv

LAST = "tests.user_envs:ChannelsLastEnv"
FIRST = "tests.user_envs:ChannelsFirstEnv"


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.mark.filterwarnings("ignore:.*Not able to test alternative render modes")  # it needs a registered spec
@pytest.mark.parametrize("env_class", [ChannelsLastEnv, ChannelsFirstEnv])
def test_user_envs_pass_gymnasium_check_env(env_class: type[gym.Env]) -> None:
    check_env(env_class(render_mode="rgb_array"), skip_render_check=False)


@pytest.mark.parametrize(
    ("env", "shape", "dtype", "n_actions"),
    [(LAST, (10, 10, 3), np.uint8, 4), (FIRST, (2, 9, 9), np.float32, 5), ("CartPole-v1", (4,), np.float32, 2)],
)
def test_makes_a_monitored_vec_env(env: str, shape: tuple[int, ...], dtype: type, n_actions: int) -> None:
    vec = make_external_vec_env(env, n_envs=2, seed=0, env_kwargs={})
    try:
        assert isinstance(vec, DummyVecEnv) and vec.num_envs == 2
        assert vec.observation_space.shape == shape and vec.action_space == spaces.Discrete(n_actions)
        obs = vec.reset()
        assert obs.shape == (2, *shape) and obs.dtype == dtype
        episodes = []
        for _ in range(600):  # CartPole under random actions ends in ~20 steps, the user envs within 20
            _, _, dones, infos = vec.step(np.array([vec.action_space.sample() for _ in range(2)]))
            episodes += [info["episode"] for info, done in zip(infos, dones) if done]
            if len(episodes) >= 2:
                break
        assert len(episodes) >= 2 and all({"r", "l", "t"} <= set(ep) for ep in episodes)  # Monitor's statistics
    finally:
        vec.close()


def test_env_i_is_seeded_seed_plus_i() -> None:
    pair = make_external_vec_env(LAST, n_envs=2, seed=7, env_kwargs={})
    single = make_external_vec_env(LAST, n_envs=1, seed=8, env_kwargs={})
    again = make_external_vec_env(LAST, n_envs=2, seed=7, env_kwargs={})
    first = pair.reset()
    np.testing.assert_array_equal(first[1], single.reset()[0])
    np.testing.assert_array_equal(first, again.reset())


def test_subprocesses_step_the_same_games_as_one_process() -> None:
    """--vec-env subproc (SB3's SubprocVecEnv): the same observations, rewards and ends as in one process."""
    from stable_baselines3.common.vec_env import SubprocVecEnv

    apart = make_external_vec_env(LAST, n_envs=2, seed=3, env_kwargs={}, subprocesses=True)
    together = make_external_vec_env(LAST, n_envs=2, seed=3, env_kwargs={})
    try:
        assert isinstance(apart, SubprocVecEnv)
        np.testing.assert_array_equal(apart.reset(), together.reset())
        for action in np.random.default_rng(0).integers(0, 4, size=(30, 2)):
            for got, expected in zip(apart.step(action)[:3], together.step(action)[:3]):
                np.testing.assert_allclose(got, expected, rtol=1e-6)  # rewards: float64 apart, float32 together
    finally:
        apart.close()
        together.close()


def test_a_run_keeps_its_vec_env_for_eval(tmp_path: Path) -> None:
    """The choice is recorded in config.json and rebuilt by eval; the games of pixelarena refuse it in one line."""
    from stable_baselines3.common.vec_env import SubprocVecEnv

    from pixelarena.agents.run.config import RunConfig
    from pixelarena.agents.training.options import TrainArgs
    from pixelarena.agents.training.resolve import resolve

    config = resolve(TrainArgs(env=LAST, vec_env="subproc", n_envs=2, device="cpu"))
    stored = RunConfig.from_json(config.to_json())
    assert stored.vec_env == "subproc"
    vec = stored.env_spec().make_vec_env(2, seed=0)
    try:
        assert isinstance(vec, SubprocVecEnv)
    finally:
        vec.close()
    assert resolve(TrainArgs(env=LAST, device="cpu")).vec_env == "dummy"
    with pytest.raises(ValueError, match="Chase steps all its games in one batched pass"):
        resolve(TrainArgs(env="Chase", vec_env="subproc"))


def test_env_kwargs_reach_the_constructor() -> None:
    vec = make_external_vec_env(FIRST, n_envs=1, seed=0, env_kwargs={"size": 6})
    assert vec.reset().shape == (1, 2, 6, 6)
    with pytest.raises(ValueError, match=r"does not take env kwargs \['colour'\]"):
        make_external_vec_env(FIRST, n_envs=1, seed=0, env_kwargs={"colour": 3})
    with pytest.raises(ValueError, match=r"'CartPole-v1' rejected env kwargs \['colour'\]"):
        make_external_vec_env("CartPole-v1", n_envs=1, seed=0, env_kwargs={"colour": 3})


def test_module_can_register_the_id() -> None:
    """Gymnasium's 'package:EnvId': the import registers the id, which is then made with gym.make."""
    vec = make_external_vec_env("tests.user_envs:UserLitCell-v0", n_envs=1, seed=0, env_kwargs={})
    assert vec.observation_space.shape == (10, 10, 3)


def test_module_in_the_current_directory_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Console scripts do not put the current directory on sys.path; `pixelarena train --env my_env:MyEnv` should
    still find my_env.py there, as `python -m` would."""
    (tmp_path / "my_local_env.py").write_text("from tests.user_envs import ChannelsLastEnv as MyEnv\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "my_local_env", raising=False)
    vec = make_external_vec_env("my_local_env:MyEnv", n_envs=1, seed=0, env_kwargs={})
    assert vec.observation_space.shape == (10, 10, 3)
    monkeypatch.delitem(sys.modules, "my_local_env")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ("tests.user_envs:NumbersDictEnv", r"the Dict observation has no image key .*; supported are observations"),
        ("Pendulum-v1", r"action space Box\(.*is a Box, not Discrete or MultiDiscrete; supported are"),
    ],
)
def test_unsupported_spaces_are_refused_and_the_env_closed(
    env: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = []
    monkeypatch.setattr(DummyVecEnv, "close", lambda self: closed.append(self))
    with pytest.raises(ValueError, match=message) as error:
        make_external_vec_env(env, n_envs=1, seed=0, env_kwargs={})
    assert "\n" not in str(error.value) and env in str(error.value)
    assert len(closed) == 1


@pytest.mark.parametrize(
    "space",
    [
        spaces.Box(0, 1, (12, 12), dtype=bool),
        spaces.Box(-1.0, 1.0, (5, 8, 8), dtype=np.float64),
        spaces.Box(0, 255, (84, 84, 4), dtype=np.uint8),
        spaces.Box(-np.inf, np.inf, (17,), dtype=np.float32),
    ],
)
@pytest.mark.parametrize("actions", [spaces.Discrete(6), spaces.MultiDiscrete([3, 3, 2])])
def test_supported_spaces(space: spaces.Space, actions: spaces.Space) -> None:
    check_supported_spaces(space, actions, "mine")


@pytest.mark.parametrize(
    ("observations", "actions", "message"),
    [
        (spaces.Box(0, 1, (2, 3, 4, 5)), spaces.Discrete(2), r"shape \(2, 3, 4, 5\) \(4-D\)"),
        (spaces.Tuple([spaces.Discrete(2)] * 2), spaces.Discrete(2), r"is a Tuple, not a Box"),
        (spaces.Discrete(9), spaces.Discrete(2), r"is a Discrete, not a Box"),
        (spaces.Box(0, 1, (4,)), spaces.MultiBinary(3), r"MultiBinary\(3\) is a MultiBinary, not Discrete"),
        (spaces.Box(0, 1, (4,)), spaces.Discrete(3, start=1), r"starts at 1, not 0"),
        (spaces.Box(0, 1, (4,)), spaces.MultiDiscrete([[2, 2], [2, 2]]), r"2-D nvec"),
    ],
)
def test_unsupported_spaces(observations: spaces.Space, actions: spaces.Space, message: str) -> None:
    with pytest.raises(ValueError, match=f"^env 'mine' is not supported: .*{message}.*; supported are"):
        check_supported_spaces(observations, actions, "mine")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ("CartPol-v1", r"^unknown Gymnasium env 'CartPol-v1'; did you mean 'CartPole-v1'\?$"),
        ("Zzqx-v0", r"^unknown Gymnasium env 'Zzqx-v0'; for your own env use 'module:Class'"),
        ("no_such_module_xyz:Env", r"^cannot import module 'no_such_module_xyz' from env 'no_such_module_xyz:Env'"),
        ("tests.user_envs:NoSuchEnv", r"module 'tests.user_envs' has no gymnasium.Env subclass 'NoSuchEnv'"),
        ("tests.user_envs:ChannelsLastEnvv", r"did you mean 'ChannelsLastEnv'\?$"),
        ("tests.user_envs:_MOVES", r"'_MOVES' in module 'tests.user_envs' is a ndarray, not a gymnasium.Env subclass"),
        ("tests.user_envs:Any", r"'Any' in module 'tests.user_envs' is a class, not a gymnasium.Env subclass"),
        (":Env", r"must look like 'module:Class'"),
    ],
)
def test_unknown_envs_get_one_line_errors(env: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        make_external_vec_env(env, n_envs=1, seed=0, env_kwargs={})
    assert "\n" not in str(error.value)


def atari_installed() -> bool:
    return all(importlib.util.find_spec(module) is not None for module in ("ale_py", "cv2"))


def test_atari_without_its_packages_says_what_to_install() -> None:
    if atari_installed():
        pytest.skip("ale-py and opencv are installed")
    with pytest.raises(ValueError, match=r"^Atari env 'ALE/Breakout-v5' needs ale-py .*pip install") as error:
        make_external_vec_env("ALE/Breakout-v5", n_envs=1, seed=0, env_kwargs={})
    assert "\n" not in str(error.value)


def test_atari_is_84x84_grey_with_4_stacked_frames() -> None:
    if not atari_installed():
        pytest.skip("needs the atari extra (ale-py) and opencv-python")
    vec = make_external_vec_env("ALE/Breakout-v5", n_envs=2, seed=0, env_kwargs={})
    try:
        assert vec.observation_space.shape == (84, 84, 4) and vec.observation_space.dtype == np.uint8
        assert vec.reset().shape == (2, 84, 84, 4)
    finally:
        vec.close()


@pytest.mark.parametrize(("env", "encoder"), [(LAST, "cnn"), (FIRST, "cnn"), ("CartPole-v1", "mlp")])
def test_pixel_policy_trains_without_code_changes(env: str, encoder: str) -> None:
    vec = make_external_vec_env(env, n_envs=2, seed=0, env_kwargs={})
    model = PPO(
        PixelPolicy,
        vec,
        n_steps=32,
        batch_size=32,
        n_epochs=1,
        policy_kwargs={"encoder": encoder},
        seed=0,
        device="cpu",
    )
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(total_timesteps=256)
    assert model.num_timesteps == 256
    assert len(model.ep_info_buffer) > 0  # Monitor's episode statistics reached SB3's logger
    assert any(not torch.equal(b, p) for b, p in zip(before, model.policy.parameters()))
    vec.close()
