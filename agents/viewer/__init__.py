"""The viewer: watch a trained agent play in a pygame window, or record it headless, with its value estimate,
action probabilities and overlays (action map, feature maps, saliency).

Modules, one job each:

- ``controls``: key and click events -> state changes (pure; tests feed synthetic events);
- ``introspect``: the policy on one observation: probabilities, value, feature maps (hooks), saliency (autograd);
- ``session``: the game played episode after episode (built-in or external env);
- ``draw``, ``overlays``, ``panel``: drawing into numpy RGB images (shared by window and video);
- ``viewer``: the viewer without a window (frames, steps, input);
- ``loop``: the pygame window loop and the headless recorder;
- ``command``: the arguments of ``play.py`` / ``pixelarena play``.

This package imports nothing heavy by itself: ``play.py --env Chase --human`` needs neither torch nor a run.
"""
