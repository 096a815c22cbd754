"""pixelarena games: batched grid games with pixels / grid / vector observations, registered with Gymnasium.

Importing this package registers ``pixelarena/<Game>-v0`` for every game. It needs numpy, gymnasium and,
for windows only, pygame; never torch.
"""

from pixelarena.envs.adapters import GameEnv, GameVectorEnv, MaskedGameEnv
from pixelarena.envs.chase import Chase
from pixelarena.envs.core import BatchedGame
from pixelarena.envs.observations import OBS_MODES
from pixelarena.envs.registration import BUILTIN, GAMES, find_game, make, make_vec, register_games, resolve_env_id
from pixelarena.envs.snake import Snake
from pixelarena.envs.swarm import Swarm
from pixelarena.envs.target import Target

register_games()

__all__ = [
    "BUILTIN",
    "GAMES",
    "OBS_MODES",
    "BatchedGame",
    "Chase",
    "GameEnv",
    "GameVectorEnv",
    "MaskedGameEnv",
    "Snake",
    "Swarm",
    "Target",
    "find_game",
    "make",
    "make_vec",
    "register_games",
    "resolve_env_id",
]
