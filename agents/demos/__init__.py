"""Demonstrations: play recorded from a person or the scripted policy, and behaviour cloning from them.

- ``demo_file``: the file format (``.npz`` read with ``allow_pickle=False`` plus a JSON header), checked on load;
- ``record``: the recorder behind ``pixelarena demos`` (the scripted policy) and the viewer's ``--record-demos``;
- ``dataset``: a directory of recordings as one data set for a run's game, settings and observation mode;
- ``cloning``: behaviour cloning of a run's policy (cross-entropy on the actions, the value head on the
  discounted returns), on stable-baselines3's ``evaluate_actions`` so that masks and spatial heads clone too.

docs/demonstrations.md describes the format and the measurements.
"""
