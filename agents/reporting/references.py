"""The scores a game's curves are read against: a uniformly random policy's and the scripted policy's mean return
(each game's ``RANDOM_SCORE`` and ``SOLVED_SCORE``, measured at its default settings; `pixelarena bench --scores`)."""

from __future__ import annotations

from collections.abc import Iterable

from pixelarena.agents.run.config import RunConfig

OBSERVATION_KWARGS = ("obs", "cell_px", "view", "view_radius")
"""Game arguments that change what the policy sees, not the game: the reference scores still hold under them."""


def reference_scores(configs: Iterable[RunConfig]) -> dict[str, float]:
    """``{"random": ..., "scripted": ...}`` of the one built-in game these runs play at its default settings (a view
    is allowed); empty for other envs, several games, or changed game settings, where the figures do not hold."""
    from pixelarena.envs import GAMES

    games = {(config.env, tuple(sorted(set(config.env_kwargs) - set(OBSERVATION_KWARGS)))) for config in configs}
    if len(games) != 1:
        return {}
    ((env, changed),) = games
    if env not in GAMES or changed:
        return {}
    return {"random": float(GAMES[env].RANDOM_SCORE), "scripted": float(GAMES[env].SOLVED_SCORE)}
