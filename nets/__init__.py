"""Encoders (mlp, cnn, impala, unet, sets), heads and the stable-baselines3 policies of pixelarena.

nets/ knows torch, gymnasium spaces and stable-baselines3, nothing of the games: a policy works on any env
with the right spaces.
"""

from pixelarena.nets.adapt import SizeTransferError, adapt_policy, can_transfer, resize_spaces
from pixelarena.nets.cnn import CnnEncoder
from pixelarena.nets.encoder import PixelEncoder
from pixelarena.nets.facts import ArchitectureFacts, architecture_facts
from pixelarena.nets.impala import ImpalaEncoder
from pixelarena.nets.mlp import MlpEncoder
from pixelarena.nets.policy import MaskablePixelPolicy, PixelPolicy
from pixelarena.nets.recurrent import RecurrentPixelPolicy, recurrent_problem
from pixelarena.nets.registry import ENCODER_ALIASES, ENCODERS, encoder_class
from pixelarena.nets.sets import SetsEncoder
from pixelarena.nets.unet import UNetEncoder

__all__ = [
    "ENCODERS",
    "ENCODER_ALIASES",
    "ArchitectureFacts",
    "CnnEncoder",
    "ImpalaEncoder",
    "MaskablePixelPolicy",
    "MlpEncoder",
    "PixelEncoder",
    "PixelPolicy",
    "RecurrentPixelPolicy",
    "SetsEncoder",
    "SizeTransferError",
    "UNetEncoder",
    "adapt_policy",
    "architecture_facts",
    "can_transfer",
    "encoder_class",
    "recurrent_problem",
    "resize_spaces",
]
