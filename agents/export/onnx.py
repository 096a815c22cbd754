"""`pixelarena export RUN --onnx FILE`: a run's final policy as an ONNX graph.

Input ``obs``: a batch of observations exactly as the env gives them (pixelarena's pixel games: ``(N, H, W, 3)``
uint8 RGB; grids ``(N, C, H, W)``; vectors ``(N, D)`` float32); no scaling, the graph does it. Outputs:
``logits`` ``(N, A)`` (A = the action count; H*W for a click map; cells x moves for per-cell actions) and
``value`` ``(N,)``. The greedy action is the argmax of the logits (per cell for per-cell actions), after setting
masked actions' logits to -inf. Opset 17; the batch dimension is dynamic.

A recurrent run's graph is one step with its LSTM state in and out: inputs ``obs``, ``episode_start`` ``(N,)``
float (1.0 where an episode begins: the state coming in is then ignored) and ``h_pi``, ``c_pi``, ``h_vf``,
``c_vf`` ``(layers, N, hidden)`` (zeros at the first step); outputs ``logits``, ``value`` and the state after the
step (``h_pi_out``, ...), to feed to the next step.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib.common.maskable.utils import get_action_masks, is_masking_supported
from stable_baselines3.common.preprocessing import is_image_space, is_image_space_channels_first

from pixelarena.agents.environments.env_spec import EnvSpec
from pixelarena.agents.run.model import Weights, load_weights
from pixelarena.agents.run.run_dir import RunDir, replace_atomically
from pixelarena.nets.export import ExportedPolicy, ExportedRecurrentPolicy
from pixelarena.nets.recurrent import initial_state, is_recurrent

STATE = ("h_pi", "c_pi", "h_vf", "c_vf")
"""A recurrent graph's LSTM state inputs; its outputs add ``_out``."""

OPSET = 17
ENVS = 16
"""Envs whose observations the check collects side by side."""
ONNX_MISSING = "export needs onnx (and onnxruntime to check it): pip install -c constraints.txt -e '.[export]'"


@dataclass(frozen=True)
class ExportInfo:
    path: Path
    input_shape: tuple[int, ...]
    input_dtype: str
    logits: int
    max_difference: float
    """Largest |onnxruntime - PyTorch| over the check's observations (logits and value)."""
    weights: Path
    """The run's weights file exported."""
    step: int
    """Their step."""
    state: tuple[str, ...] = ()
    """A recurrent policy's LSTM state inputs (:data:`STATE`), beside ``obs`` and ``episode_start``; () otherwise."""


def export_onnx(run_dir: Path, path: Path, check_observations: int = 100, weights: Weights = "final") -> ExportInfo:
    """Write the run's policy (``weights``: which of the run's, :attr:`RunDir.WEIGHTS`) to ``path`` (atomically)
    and check it with onnxruntime on observations of the run's own env: outputs within 1e-5 of PyTorch's and the
    same greedy actions, or a ValueError."""
    if Path(path).suffix != ".onnx":
        raise ValueError(f"--onnx file must end in .onnx, got {Path(path).name!r}")
    spec = RunDir(run_dir).read_config().env_spec()
    env_space = spec.probe().observation_space
    if isinstance(env_space, gym.spaces.Dict):  # MiniGrid's image + direction: one input per key is not written yet
        raise ValueError(f"export writes policies that observe one Box; {run_dir} observes a Dict "
                         f"({', '.join(env_space.spaces)})")  # fmt: skip
    try:
        import onnx  # noqa: F401 - the exporter needs it
        import onnxruntime
    except ImportError:
        raise ValueError(ONNX_MISSING) from None
    _, model, step = load_weights(run_dir, weights=weights)
    policy = model.policy.eval()
    channels_last = (
        is_image_space(env_space)
        and not is_image_space_channels_first(env_space)
        and (env_space.shape != model.observation_space.shape)
    )
    recurrent = is_recurrent(policy)
    exported = (ExportedRecurrentPolicy if recurrent else ExportedPolicy)(policy, channels_last).eval()
    observations = env_observations(spec, check_observations)
    inputs, outputs = ["obs"], ["logits", "value"]
    dynamic = {"obs": {0: "batch"}, "logits": {0: "batch"}, "value": {0: "batch"}}
    example: tuple[torch.Tensor, ...] = (torch.as_tensor(observations[:2]),)
    if recurrent:  # the batch is the state's second axis: (layers, N, hidden)
        inputs += ["episode_start", *STATE]
        outputs += [f"{name}_out" for name in STATE]
        dynamic.update({"episode_start": {0: "batch"}, **{name: {1: "batch"} for name in inputs[2:] + outputs[2:]}})
        example += (torch.ones(2), *initial_state(policy, 2))
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(exported, example, buffer, input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=OPSET, dynamo=False)  # fmt: skip
    session = onnxruntime.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    steps = _steps(observations, recurrent)
    difference, logits = 0.0, np.zeros((0, 0))
    state = [t.numpy() for t in initial_state(policy, len(steps[0]))] if recurrent else []
    for index, obs in enumerate(steps):
        extra = [np.full(len(obs), float(index == 0), dtype=np.float32), *state] if recurrent else []
        feeds = dict(zip(inputs, [obs, *extra], strict=True))
        got = session.run(None, feeds)
        with torch.no_grad():
            want = [t.numpy() for t in exported(*(torch.as_tensor(value) for value in feeds.values()))]
        difference = max(difference, *(float(np.abs(a - b).max()) for a, b in zip(got, want, strict=True)))
        if difference > 1e-5 or not np.array_equal(got[0].argmax(1), want[0].argmax(1)):
            raise ValueError(f"the ONNX graph differs from the policy by {difference:.2e}: not written")
        logits, state = got[0], got[2:]  # both sides take the next step from the same (the graph's) state
    replace_atomically(Path(path), lambda tmp: tmp.write_bytes(buffer.getvalue()))
    return ExportInfo(Path(path), tuple(observations.shape[1:]), str(observations.dtype), logits.shape[1], difference,
                      RunDir(run_dir).weights_file(weights), step, STATE if recurrent else ())  # fmt: skip


def _steps(observations: np.ndarray, recurrent: bool) -> list[np.ndarray]:
    """The check's batches: all observations at once; for a recurrent graph the consecutive steps of the same
    envs (:func:`env_observations` collects them env batch by env batch), so that the state is carried through."""
    if not recurrent:
        return [observations]
    envs = min(len(observations), ENVS)
    return [observations[start : start + envs] for start in range(0, len(observations) - envs + 1, envs)]


def env_observations(spec: EnvSpec, count: int) -> np.ndarray:
    """``count`` observations of the run's env, from a random policy (the states a check should cover)."""
    vec_env = spec.make_vec_env(min(count, ENVS), seed=123)
    vec_env.action_space.seed(0)  # the same observations every time: a check that passed once passes again
    rng = np.random.default_rng(0)
    obs, collected = vec_env.reset(), []
    while sum(len(o) for o in collected) < count:
        collected.append(np.asarray(obs))
        if is_masking_supported(vec_env):
            actions = _masked_sample(get_action_masks(vec_env), vec_env.action_space, rng)
        else:
            actions = np.stack([vec_env.action_space.sample() for _ in range(vec_env.num_envs)])
        obs, _, _, _ = vec_env.step(actions)
    vec_env.close()
    return np.concatenate(collected)[:count]


def _masked_sample(masks: np.ndarray, space: object, rng: np.random.Generator) -> np.ndarray:
    """A random valid action per env from flat masks (per-cell MultiDiscrete: one valid choice per cell)."""
    nvec = np.asarray(getattr(space, "nvec", [getattr(space, "n", masks.shape[1])]))
    parts = np.split(masks.reshape(len(masks), -1), np.cumsum(nvec)[:-1], axis=1)
    choice = [np.array([rng.choice(np.flatnonzero(m)) if m.any() else 0 for m in part]) for part in parts]
    out = np.stack(choice, axis=1)
    return out if hasattr(space, "nvec") else out[:, 0]
