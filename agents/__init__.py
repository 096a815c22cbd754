"""pixelarena's command line and training glue: ties the games (envs/) to the networks (nets/).

One folder per concern, depending downwards only (``cli/options.py`` and ``experiments/suites.py`` are plain
data that lower packages may read):

- ``run``: a run on disk: its config, presets, the run directory (every file, atomic writes, typed reads),
  checkpoints, metrics, and its PPO model built or loaded;
- ``environments``: which env a run plays and how it is built (``EnvSpec``), and the vector envs;
- ``training``: command-line options -> config, the training loop, its callbacks, W&B tracking;
- ``evaluation``: greedy rollouts and transfer to other game settings;
- ``experiments``: comparison grids, the local job scheduler, the suites;
- ``reporting``: report.md, tables, plots, statistics, publishing;
- ``bench``: `pixelarena bench`;
- ``export``: a trained policy as ONNX for game engines;
- ``viewer``: the pygame viewer, the headless recorder and video files;
- ``cli``: the argument dataclasses of every command and thin handlers.

Modules import torch only where they need it, so `pixelarena list` and scripted play stay quick.
"""
