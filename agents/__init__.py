"""pixelarena's command line and training glue: ties the games (envs/) to the networks (nets/).

Modules import torch only where they need it, so `pixelarena list` and scripted play stay quick.
"""
