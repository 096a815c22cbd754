"""The screen-plus-minimap view (``minimap=k``, envs/minimap.py): the crop and the whole map pooled k-fold, both
centred on the player, one Box; and everything that reads an observation carrying it (encoders, demonstrations,
the viewer, compare specs, training, export)."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from pixelarena import envs
from pixelarena.envs.minimap import covering_factor
from pixelarena.envs.render import WALL

PLAYER_GAMES = sorted(name for name, game in envs.BUILTIN.items() if game.PLAYER)


def reference_minimap(game: envs.BatchedGame, i: int, radius: int, factor: int) -> np.ndarray:
    """The minimap of game ``i`` by its definition: for each block of ``factor x factor`` cells around the player,
    which kinds lie in it and whether any of its cells is beyond the map. ``(K + 1, side, side)``."""
    kinds, side, reach = len(game.KINDS), 2 * radius + 1, (2 * radius + 1) * factor // 2
    ys, xs = game.player_cells()
    out = np.zeros((kinds + 1, side, side), np.uint8)
    for kind, (oy, ox) in enumerate(game._objects()):
        for y, x in zip(oy[i], ox[i]):
            dy, dx = y - ys[i] + reach, x - xs[i] + reach
            if y < game.height and 0 <= dy < 2 * reach + 1 and 0 <= dx < 2 * reach + 1:
                out[kind, dy // factor, dx // factor] = 1
    for by in range(side):
        for bx in range(side):
            rows = ys[i] - reach + by * factor + np.arange(factor)
            cols = xs[i] - reach + bx * factor + np.arange(factor)
            beyond = (
                (rows[:, None] < 0) | (rows[:, None] >= game.height) | (cols[None] < 0) | (cols[None] >= game.width)
            )
            out[kinds, by, bx] = beyond.any()
    return out


@pytest.mark.parametrize("name", PLAYER_GAMES)
@pytest.mark.parametrize(("size", "radius", "factor"), [(24, 5, 5), (12, 5, 3), (8, 2, 1), (16, 3, 5)])
def test_the_grid_minimap_is_each_block_max_pooled_at_every_step(
    name: str, size: int, radius: int, factor: int
) -> None:
    n = 12
    game = envs.BUILTIN[name](n, obs="grid", size=size, view="ego", view_radius=radius, minimap=factor)
    crop_only = envs.BUILTIN[name](n, obs="grid", size=size, view="ego", view_radius=radius)
    game.reset(seeds=np.arange(n)), crop_only.reset(seeds=np.arange(n))
    kinds, rng = len(game.KINDS), np.random.default_rng(0)
    for _ in range(30):
        seen = game.observe()
        assert (
            seen.shape[1:] == game.single_observation_space.shape == (2 * (kinds + 1), 2 * radius + 1, 2 * radius + 1)
        )
        assert np.array_equal(seen[:, : kinds + 1], crop_only.observe()), "the first half is the crop"
        for i in range(n):
            assert np.array_equal(seen[i, kinds + 1 :], reference_minimap(game, i, radius, factor))
        actions = rng.integers(0, game.single_action_space.n, n)
        for g in (game, crop_only):
            _, terminated, truncated = g.step(actions)
            g.reset(np.flatnonzero(terminated | truncated))


@pytest.mark.parametrize("cell_px", [1, 3])
def test_the_pixel_minimap_draws_the_pooled_grid_with_the_player_at_the_centre(cell_px: int) -> None:
    n = 8
    pixels = envs.Chase(n, size=24, view="ego", view_radius=5, minimap=5, cell_px=cell_px)
    grids = envs.Chase(n, size=24, obs="grid", view="ego", view_radius=5, minimap=5)
    pixels.reset(seeds=np.arange(n)), grids.reset(seeds=np.arange(n))
    seen, cells = pixels.observe(), grids.observe()[:, 4:]  # the minimap: coin, enemy, player, wall
    side = 11 * cell_px
    assert seen.shape == (n, side, side, 6) and pixels.metadata["image_frames"] == 2
    centre = 5 * cell_px + cell_px // 2
    player = next(k.color for k in envs.Chase.KINDS if k.name == "player")
    assert (seen[:, centre, centre, 3:] == player).all(), "the player's block is the minimap's centre"
    # A block is drawn as its last kind present, else wall if it reaches beyond the map, else background.
    middle = seen[:, cell_px // 2 :: cell_px, cell_px // 2 :: cell_px, 3:]  # one pixel per block, its centre
    is_wall = (middle == WALL).all(axis=-1)
    assert np.array_equal(is_wall, (cells[:, 3] == 1) & (cells[:, :3].sum(axis=1) == 0))
    assert np.array_equal(pixels.render_minimap(cell_px), seen[..., 3:])
    crop_only = envs.Chase(n, size=24, view="ego", view_radius=5, cell_px=cell_px)
    crop_only.reset(seeds=np.arange(n))
    rng = np.random.default_rng(1)
    for _ in range(20):  # the first half is the crop's pixels, drawn however the observer draws them
        assert np.array_equal(pixels.observe()[..., :3], crop_only.observe())
        actions = rng.integers(0, 5, n)
        for game in (pixels, crop_only):
            _, terminated, truncated = game.step(actions)
            game.reset(np.flatnonzero(terminated | truncated))


def test_a_covering_factor_sees_the_whole_map_from_every_cell() -> None:
    for size, radius in [(24, 5), (12, 5), (32, 5), (9, 2)]:
        k = covering_factor(radius, size)
        assert k % 2 == 1 and (2 * radius + 1) * k >= 2 * size - 1
        assert k == 1 or (2 * radius + 1) * (k - 2) < 2 * size - 1, "the smallest odd one"
    # Whatever the player's cell, every kind on the map shows on the minimap (a smaller factor loses far objects).
    n = 64
    covering = envs.Chase(n, size=24, obs="grid", view="ego", view_radius=5, minimap=5, n_coins=1, n_enemies=1)
    short = envs.Chase(n, size=24, obs="grid", view="ego", view_radius=5, minimap=3, n_coins=1, n_enemies=1)
    covering.reset(seeds=np.arange(n)), short.reset(seeds=np.arange(n))
    assert (covering.observe()[:, 4:7].sum(axis=(2, 3)) >= 1).all()
    assert (short.observe()[:, 4:7].sum(axis=(2, 3)) == 0).any(), "some coin or enemy lies beyond 3-fold's reach"


@pytest.mark.parametrize("obs", ["pixels", "grid"])
def test_gymnasium_and_sb3_checkers_pass_on_the_minimap_view(obs: str) -> None:
    env = envs.make("Chase", obs=obs, size=16, view="ego", view_radius=4, minimap=5)
    gym_check_env(env.unwrapped, skip_render_check=True)
    sb3_check_env(env, warn=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"minimap": 5}, "add view='ego' and view_radius=r"),
        ({"minimap": 5, "view": "ego"}, "add view='ego' and view_radius=r"),
        ({"minimap": 4, "view": "ego", "view_radius": 5}, "odd integer between 1 and 63.*5 sees the whole 24x24"),
        ({"minimap": True, "view": "ego", "view_radius": 5}, "odd integer"),
        ({"minimap": 65, "view": "ego", "view_radius": 5}, "odd integer"),
        ({"minimap": 3, "view": "ego", "view_radius": 5, "obs": "vector"}, "view='ego' applies to"),
    ],
)
def test_a_minimap_that_makes_no_sense_is_one_line(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        envs.make("Chase", size=24, **kwargs)
    assert "\n" not in str(error.value)


def test_the_cnn_reads_each_rgb_half_with_its_colour_stem() -> None:
    from pixelarena.agents.run.config import declared_kwargs
    from pixelarena.nets import ENCODERS
    from pixelarena.nets.stems import PerFrameStem

    env = envs.make("Chase", size=24, view="ego", view_radius=5, minimap=5)
    kwargs = declared_kwargs("cnn", env.unwrapped.game.metadata)
    assert kwargs == {"frames": 2}
    encoder = ENCODERS["cnn"](env.observation_space, **kwargs)
    assert any(isinstance(module, PerFrameStem) for module in encoder.modules())


def test_demonstrations_on_the_map_frame_train_a_minimap_run(tmp_path: Path) -> None:
    """A recording holds map-frame observations; a run with a minimap reads them as the game with it shows them."""
    from pixelarena.agents.demos.dataset import load_dataset
    from pixelarena.agents.demos.demo_file import write_demos
    from pixelarena.agents.demos.record import DemoRecorder

    n, steps = 4, 40
    played = envs.Chase(n, size=16)
    kwargs = {"size": 16, "view": "ego", "view_radius": 3, "minimap": 5}
    watchers = {obs: envs.Chase(n, obs=obs, **kwargs) for obs in ("pixels", "grid")}
    played.reset(seeds=np.arange(n))
    for watcher in watchers.values():
        watcher.reset(seeds=np.arange(n))
    recorder = DemoRecorder(played, "Chase", {"size": 16}, "scripted", list(range(n)))
    seen: dict[str, list[np.ndarray]] = {obs: [] for obs in watchers}
    for _ in range(steps):
        for obs, watcher in watchers.items():
            seen[obs].append(watcher.observe())
        actions = played.expert_actions()
        _, terminated, truncated = recorder.step(actions)
        ended = np.flatnonzero(terminated | truncated)
        played.reset(ended)
        for watcher in watchers.values():
            watcher.step(actions)
            watcher.reset(ended)
    write_demos(tmp_path / "demo.npz", recorder.demonstrations())
    for obs in watchers:
        data = load_dataset(tmp_path, "Chase", kwargs, obs, 0.99)
        expected = np.stack(seen[obs]).swapaxes(0, 1).reshape(-1, *seen[obs][0].shape[1:])
        assert np.array_equal(data.observations, expected), obs


def test_the_viewer_shows_the_crop_and_the_minimap_beside_the_map() -> None:
    from pixelarena.agents.environments.env_spec import EnvSpec
    from pixelarena.agents.viewer.session import BuiltinSession
    from pixelarena.agents.viewer.viewer import Viewer

    spec = EnvSpec("Chase", "pixels", {"size": 24, "view": "ego", "view_radius": 5, "minimap": 5})
    session = BuiltinSession(spec, seed=0, scale=10)
    minimap = session.network_minimap(240)
    assert minimap is not None and minimap.shape == (231, 231, 3)
    assert tuple(minimap[115, 115]) == next(k.color for k in envs.Chase.KINDS if k.name == "player")
    assert (
        BuiltinSession(EnvSpec("Chase", "pixels", {"view": "ego", "view_radius": 5}), 0, 10).network_minimap(120)
        is None
    )
    frame = Viewer(session, None, "Chase").frame()
    crop_only = Viewer(BuiltinSession(EnvSpec("Chase", "pixels", {**spec.kwargs, "minimap": None}), 0, 10), None, "")
    assert frame.shape[1] - crop_only.frame().shape[1] >= 200, "the minimap beside the crop"


def test_compare_specs_name_the_minimap() -> None:
    from pixelarena.agents.experiments.grid import parse_specs
    from pixelarena.agents.run.naming import parse_view, view_label

    assert parse_specs(["cnn:pixels@ego5m5"])[0].env_kwargs == ("view=ego", "view_radius=5", "minimap=5")
    assert view_label({"view": "ego", "view_radius": 5, "minimap": 5}) == "@ego5m5"
    for bad in ("egom5", "map5", "mapm3"):
        with pytest.raises(ValueError, match="egoNmK"):
            parse_view(bad)


def test_a_minimap_run_trains_from_the_command_line_and_exports(tmp_path: Path) -> None:
    run = tmp_path / "run"
    command = [sys.executable, "-m", "pixelarena", "train", "--env", "Chase", "--steps", "2k", "--n-envs", "8",
               "--eval-episodes", "2", "--run-dir", str(run), "--env-kwargs", "size=16", "view=ego",
               "view_radius=3", "minimap=5"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    import pixelarena

    agent = pixelarena.load(run)
    env = pixelarena.make("Chase", size=16, view="ego", view_radius=3, minimap=5)
    observation, _ = env.reset(seed=0)
    assert observation.shape == (7, 7, 6)
    assert agent.act(observation) in range(5)
    pytest.importorskip("onnxruntime")
    onnx = tmp_path / "p.onnx"
    exported = subprocess.run([sys.executable, "-m", "pixelarena", "export", str(run), "--onnx", str(onnx)],
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert onnx.stat().st_size > 0
