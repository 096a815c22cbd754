"""Overlays explain and do not hide: the chosen action is an outline in a colour no sprite uses, the sprite under
it stays visible, feature maps go beside the game, and heat maps come with a colour scale in the panel."""

from __future__ import annotations

import numpy as np
import pytest

from pixelarena.agents.viewer import draw
from pixelarena.agents.viewer.introspect import Insight
from pixelarena.agents.viewer.overlays import (
    CHOICE_COLOR,
    draw_action_map,
    draw_features,
    features_width,
    heat_legend,
)
from pixelarena.agents.viewer.panel import PANEL_WIDTH, PanelInfo, compose
from pixelarena.envs import GAMES
from pixelarena.envs.render import BACKGROUND, WALL

CELL = 12
SPRITE_COLOURS = {kind.color for game in GAMES.values() for kind in game.KINDS} | {BACKGROUND, WALL}


def target_frame() -> tuple[np.ndarray, int]:
    """A Target game (8 x 8) drawn at CELL pixels per cell, and the index of a cell with a target."""
    game = GAMES["Target"](1, size=8)
    game.reset(seeds=np.array([3]))
    frame = game.render(CELL)[0]
    return frame, int(game.ty[0, 0] * game.width + game.tx[0, 0])


def click_insight(chosen: int, features: np.ndarray | None = None) -> Insight:
    probs = np.full((1, 64), 0.2 / 63, dtype=np.float32)
    probs[0, chosen] = 0.8
    return Insight(kind="click", probs=probs, allowed=np.ones((1, 64), bool), action=np.array([chosen]), value=0.0,
                   grid=(8, 8), features=features)  # fmt: skip


def test_the_choice_colour_is_far_from_every_sprite_colour() -> None:
    distance = min(np.linalg.norm(np.subtract(CHOICE_COLOR, colour)) for colour in SPRITE_COLOURS)
    assert distance > 150, distance


def test_the_chosen_cell_is_an_outline_in_the_choice_colour_and_its_sprite_stays(
) -> None:  # fmt: skip
    frame, cell = target_frame()
    out = draw_action_map(frame, click_insight(cell))
    row, col = divmod(cell, 8)
    box = out[row * CELL : (row + 1) * CELL, col * CELL : (col + 1) * CELL]
    before = frame[row * CELL : (row + 1) * CELL, col * CELL : (col + 1) * CELL]
    border = np.ones((CELL, CELL), bool)
    border[2:-2, 2:-2] = False  # the outline: two pixels at this cell size
    assert (box[border] == CHOICE_COLOR).all(), "the chosen cell's outline"
    outline_colours = {tuple(int(v) for v in pixel) for pixel in box[border]}
    assert not outline_colours & SPRITE_COLOURS, outline_colours
    target_colour = GAMES["Target"].KINDS[0].color
    sprite = (before[~border] == target_colour).all(axis=1)
    assert sprite.any(), "a target lies in the chosen cell"
    # Under the heat map's faint tint the target still reads as the target: nearer its colour than any other.
    drawn = box[~border][sprite].astype(float).mean(axis=0)
    nearest = min(SPRITE_COLOURS | {CHOICE_COLOR}, key=lambda colour: np.linalg.norm(drawn - np.array(colour)))
    assert nearest == target_colour, (drawn, nearest)
    # nowhere else is the choice colour drawn
    rest = out.copy()
    rest[row * CELL : (row + 1) * CELL, col * CELL : (col + 1) * CELL] = 0
    assert not (rest == CHOICE_COLOR).all(axis=2).any()


def test_feature_maps_are_beside_the_game_not_over_it() -> None:
    frame, cell = target_frame()
    features = np.random.default_rng(0).normal(size=(16, 8, 8)).astype(np.float32)
    out = draw_features(frame, click_insight(cell, features))
    assert out.shape == (frame.shape[0], frame.shape[1] + features_width(frame.shape[0]), 3)
    assert np.array_equal(out[:, : frame.shape[1]], frame), "the game is untouched"
    assert out[:, frame.shape[1] :].std() > 0
    fewer = draw_features(frame, click_insight(cell, features[:3]))
    assert fewer.shape == out.shape, "every layer gives one frame size (a video keeps its size)"


@pytest.mark.parametrize("overlay", ["saliency", "actions"])
def test_heat_maps_have_a_colour_scale_in_the_panel(overlay: str) -> None:
    frame, cell = target_frame()
    insight = click_insight(cell)
    insight.saliency = np.random.default_rng(1).random(frame.shape[:2]).astype(np.float32)
    low, high = heat_legend(overlay, insight)  # type: ignore[misc]
    assert (low, high) == (("0", high) if overlay == "saliency" else ("p 0", "p 0.80"))
    panel = compose(frame, PanelInfo("Target", 1, 0, 0.0, None, insight, overlay=overlay))[:, frame.shape[1] :]
    plain = compose(frame, PanelInfo("Target", 1, 0, 0.0, None, insight, overlay="features"))[:, frame.shape[1] :]
    assert heat_legend("features", insight) is None and heat_legend("none", insight) is None
    brightest, darkest = draw.heat_colors(np.array([1.0, 0.0], dtype=np.float32))
    for colour in (brightest, darkest):
        assert (panel == colour).all(axis=2).any(), f"the scale shows {colour}"
    assert not (plain == brightest).all(axis=2).any()
    assert panel.shape[1] >= PANEL_WIDTH
