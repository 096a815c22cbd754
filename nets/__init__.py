"""Encoders (mlp, cnn, impala, unet, sets), heads and the stable-baselines3 policies of pixelarena.

nets/ knows torch, gymnasium spaces and stable-baselines3, nothing of the games: a policy works on any env
with the right spaces.
"""

from nets.adapt import SizeTransferError, adapt_policy, can_transfer, resize_spaces
from nets.cnn import CnnEncoder
from nets.encoder import PixelEncoder
from nets.facts import ArchitectureFacts, architecture_facts
from nets.impala import ImpalaEncoder
from nets.mlp import MlpEncoder
from nets.policy import MaskablePixelPolicy, PixelPolicy
from nets.recurrent import RecurrentPixelPolicy, recurrent_problem
from nets.registry import ENCODER_ALIASES, ENCODERS, encoder_class
from nets.sets import SetsEncoder
from nets.unet import UNetEncoder

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
