"""Views centred on the player (``view="ego"``, ``view_radius``): what the games observe, and everything that
reads an observation understanding it (checkers, state round trips, demonstrations, the viewer, compare specs)."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

from pathlib import Path

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from pixelarena import envs
from pixelarena.envs.render import BACKGROUND, WALL
from pixelarena.envs.views import centre

PLAYER_GAMES = sorted(name for name, game in envs.GAMES.items() if game.PLAYER)
NO_PLAYER_GAMES = sorted(name for name, game in envs.GAMES.items() if not game.PLAYER)


def player_colour(game: type[envs.BatchedGame]) -> tuple[int, int, int]:
    return next(kind.color for kind in game.KINDS if kind.name == game.PLAYER)


@pytest.mark.parametrize("name", PLAYER_GAMES)
def test_the_centred_frame_has_the_player_at_its_centre_and_wall_beyond_the_map(name: str) -> None:
    env = envs.make(name, view="ego")
    observation, _ = env.reset(seed=3)
    assert observation.shape == (23, 23, 3) and observation.dtype == np.uint8
    assert tuple(observation[11, 11]) == player_colour(envs.GAMES[name])
    wall = (observation == WALL).all(axis=-1)
    assert wall.sum() == 23 * 23 - 12 * 12, "every cell beyond the 12x12 map, and only those, is wall"
    # The map's cells are one 12x12 block around the player: the player's own row and column included.
    rows, cols = np.nonzero(~wall)
    assert rows.max() - rows.min() == 11 and cols.max() - cols.min() == 11
    assert rows.min() <= 11 <= rows.max() and cols.min() <= 11 <= cols.max()


@pytest.mark.parametrize("name", PLAYER_GAMES)
@pytest.mark.parametrize("obs", ["pixels", "grid"])
@pytest.mark.parametrize("radius", [None, 1, 4, 15])
@pytest.mark.parametrize("cell_px", [1, 3])
def test_the_view_is_the_map_frame_seen_from_the_player_at_every_step(
    name: str, obs: str, radius: int | None, cell_px: int
) -> None:
    """The incremental padded buffers against the plain definition (pad the map's frame, cut around the player)."""
    n = 16
    ego = envs.GAMES[name](n, obs=obs, cell_px=cell_px, size=8, view="ego", view_radius=radius)
    flat = envs.GAMES[name](n, obs=obs, cell_px=cell_px, size=8)
    ego.reset(seeds=np.arange(n)), flat.reset(seeds=np.arange(n))
    side = 2 * (radius or 7) + 1
    scale = cell_px if obs == "pixels" else 1
    rng = np.random.default_rng(0)
    for _ in range(60):
        seen = ego.observe()
        assert seen.shape[1:] == ego.single_observation_space.shape
        ys, xs = flat.player_cells()
        assert np.array_equal(seen, centre(flat.observe(), obs, ys, xs, ego.view_radius, scale))
        if obs == "grid":
            assert seen.shape[1:] == (len(ego.KINDS) + 1, side, side)
            player = [k.name for k in ego.KINDS].index(ego.PLAYER)
            assert (seen[:, player, side // 2, side // 2] == 1).all()
        actions = rng.integers(0, ego.single_action_space.n, n)
        _, terminated, truncated = ego.step(actions)
        flat.step(actions)
        ended = np.flatnonzero(terminated | truncated)
        ego.reset(ended), flat.reset(ended)


@pytest.mark.parametrize("name", PLAYER_GAMES)
@pytest.mark.parametrize(("obs", "kwargs"), [("pixels", {"view": "ego"}), ("grid", {"view": "ego", "view_radius": 3}),
                                             ("pixels", {"view": "ego", "view_radius": 2})])  # fmt: skip
def test_gymnasium_and_sb3_checkers_pass_on_centred_views(name: str, obs: str, kwargs: dict) -> None:
    gym_check_env(envs.make(name, obs=obs, cell_px=3, size=8, **kwargs).unwrapped, skip_render_check=False)
    sb3_check_env(envs.make(name, obs=obs, size=8, **kwargs), warn=True)


def test_a_crop_has_the_same_shape_on_every_map_size() -> None:
    shapes = {envs.make("Chase", size=size, view="ego", view_radius=5).observation_space.shape for size in (6, 12, 30)}
    assert shapes == {(11, 11, 3)}
    # Beyond the view's reach nothing is seen: on a 30x30 map the crop holds no wall when the player is inside.
    game = envs.Chase(1, size=30, view="ego", view_radius=5)
    game.reset(seeds=np.array([0]))
    game.py[0, 0], game.px[0, 0] = 15, 15
    frame = game.observe()[0]
    assert not (frame == WALL).all(axis=-1).any() and (frame == BACKGROUND).all(axis=-1).any()


def test_state_round_trip_continues_the_centred_view() -> None:
    a = envs.Snake(4, view="ego", view_radius=4)
    a.reset(seeds=np.arange(4))
    a.step(np.zeros(4, dtype=np.int64))
    b = envs.Snake(4, view="ego", view_radius=4)
    b.set_state(a.get_state())
    assert np.array_equal(a.observe(), b.observe())


@pytest.mark.parametrize(
    ("game", "kwargs", "message"),
    [
        ("Chase", {"view": "centre"}, "view must be one of 'map', 'ego', got 'centre'"),
        ("Chase", {"view_radius": 3}, "view_radius=3 crops the view centred on the player: add view='ego'"),
        ("Chase", {"view": "ego", "view_radius": 0}, "view_radius must be an integer between 1 and 255"),
        ("Chase", {"view": "ego", "view_radius": 2.5}, "view_radius must be an integer"),
        ("Chase", {"view": "ego", "obs": "entities"}, "obs='entities' are already relative to the player"),
        ("Snake", {"view": "ego", "obs": "vector"}, "obs='vector' hold absolute coordinates"),
        *((name, {"view": "ego"}, f"{name} has none: use view='map'") for name in NO_PLAYER_GAMES),
    ],
)
def test_a_view_that_makes_no_sense_is_one_line(game: str, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as error:
        envs.GAMES[game](1, **kwargs)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_render_stays_the_map_and_render_centred_is_what_the_network_sees() -> None:
    game = envs.Chase(1, view="ego", view_radius=3)
    game.reset(seeds=np.array([1]))
    assert game.render(4).shape == (1, 48, 48, 3)
    seen = game.render_centred(4)[0]
    assert seen.shape == (28, 28, 3) and tuple(seen[14, 14]) == player_colour(envs.Chase)
    with pytest.raises(ValueError, match="view='map'"):
        envs.Chase(1).render_centred()


def test_demonstrations_on_the_map_frame_train_a_centred_run(tmp_path: Path) -> None:
    """A recording holds map-frame observations; a run on the centred view reads them centred on the player: the
    very observations a game made with that view shows in the same states."""
    from pixelarena.agents.demos.dataset import load_dataset
    from pixelarena.agents.demos.demo_file import write_demos
    from pixelarena.agents.demos.record import DemoRecorder

    n, steps = 4, 40
    played = envs.Chase(n, view="ego", view_radius=4, obs="grid", cell_px=2)  # its view is not recorded
    watcher = envs.Chase(n, view="ego", view_radius=3, obs="pixels", cell_px=2)
    played.reset(seeds=np.arange(n)), watcher.reset(seeds=np.arange(n))
    recorder = DemoRecorder(
        played, "Chase", {"view": "ego", "view_radius": 4, "cell_px": 2}, "scripted", list(range(n))
    )
    seen = []
    for _ in range(steps):
        seen.append(watcher.observe())
        actions = played.expert_actions()
        _, terminated, truncated = recorder.step(actions)
        watcher.step(actions)
        ended = np.flatnonzero(terminated | truncated)
        played.reset(ended), watcher.reset(ended)
    write_demos(tmp_path / "demo.npz", recorder.demonstrations())
    data = load_dataset(tmp_path, "Chase", {"view": "ego", "view_radius": 3, "cell_px": 2}, "pixels", 0.99)
    expected = np.stack(seen).swapaxes(0, 1).reshape(-1, *seen[0].shape[1:])  # game after game, as recorded
    assert np.array_equal(data.observations, expected)


def test_the_viewer_shows_what_the_network_sees_beside_the_map() -> None:
    from pixelarena.agents.environments.env_spec import EnvSpec
    from pixelarena.agents.viewer.session import BuiltinSession

    session = BuiltinSession(EnvSpec("Chase", "pixels", {"view": "ego", "view_radius": 5}), seed=0, scale=10)
    frame = session.frame()
    seen = session.network_view(frame.shape[0])
    assert frame.shape == (120, 120, 3) and seen is not None and seen.shape == (110, 110, 3)
    assert tuple(seen[55, 55]) == player_colour(envs.Chase)
    plain = BuiltinSession(EnvSpec("Chase", "pixels"), seed=0, scale=10)
    assert plain.network_view(120) is None


def test_compare_specs_carry_the_view_into_labels_and_run_names() -> None:
    from pixelarena.agents.experiments.grid import parse_specs

    specs = parse_specs(["cnn:pixels@ego,mlp:grid@ego5,cnn:pixels@map,sets:entities"])
    assert [s.env_kwargs for s in specs] == [
        ("view=ego", "view_radius=None"), ("view=ego", "view_radius=5"), ("view=map", "view_radius=None"), (),
    ]  # fmt: skip
    from pixelarena.agents.run.naming import view_label

    assert [view_label(kw) for kw in ({"view": "ego", "view_radius": 5}, {"view": "ego"}, {"view": "map"}, {})] == [
        "@ego5", "@ego", "@map", "",
    ]  # fmt: skip
