"""`pixelarena export RUN --onnx FILE`: a run's final policy as an ONNX graph.

Input ``obs``: a batch of observations exactly as the env gives them (pixelarena's pixel games: ``(N, H, W, 3)``
uint8 RGB; grids ``(N, C, H, W)``; vectors ``(N, D)`` float32); no scaling, the graph does it. Outputs:
``logits`` ``(N, A)`` (A = the action count; H*W for a click map; cells x moves for per-cell actions) and
``value`` ``(N,)``. The greedy action is the argmax of the logits (per cell for per-cell actions), after setting
masked actions' logits to -inf. Opset 17; the batch dimension is dynamic.
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

from agents.environments.env_spec import EnvSpec
from agents.run.model import Weights, load_weights
from agents.run.run_dir import RunDir, replace_atomically
from nets.export import ExportedPolicy

OPSET = 17
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


def export_onnx(run_dir: Path, path: Path, check_observations: int = 100, weights: Weights = "final") -> ExportInfo:
    """Write the run's policy (``weights``: which of the run's, :attr:`RunDir.WEIGHTS`) to ``path`` (atomically)
    and check it with onnxruntime on observations of the run's own env: outputs within 1e-5 of PyTorch's and the
    same greedy actions, or a ValueError."""
    if Path(path).suffix != ".onnx":
        raise ValueError(f"--onnx file must end in .onnx, got {Path(path).name!r}")
    spec = EnvSpec.of(RunDir(run_dir).read_config())
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
    exported = ExportedPolicy(policy, channels_last).eval()
    observations = env_observations(spec, check_observations)
    example = torch.as_tensor(observations[:2])
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(exported, (example,), buffer, input_names=["obs"], output_names=["logits", "value"],
                          dynamic_axes={"obs": {0: "batch"}, "logits": {0: "batch"}, "value": {0: "batch"}},
                          opset_version=OPSET, dynamo=False)  # fmt: skip
    session = onnxruntime.InferenceSession(buffer.getvalue(), providers=["CPUExecutionProvider"])
    logits, value = session.run(None, {"obs": observations})
    with torch.no_grad():
        ref_logits, ref_value = (t.numpy() for t in exported(torch.as_tensor(observations)))
    difference = float(max(np.abs(logits - ref_logits).max(), np.abs(value - ref_value).max()))
    if difference > 1e-5 or not np.array_equal(logits.argmax(1), ref_logits.argmax(1)):
        raise ValueError(f"the ONNX graph differs from the policy by {difference:.2e}: not written")
    replace_atomically(Path(path), lambda tmp: tmp.write_bytes(buffer.getvalue()))
    return ExportInfo(Path(path), tuple(observations.shape[1:]), str(observations.dtype), logits.shape[1], difference,
                      RunDir(run_dir).weights_file(weights), step)  # fmt: skip


def env_observations(spec: EnvSpec, count: int) -> np.ndarray:
    """``count`` observations of the run's env, from a random policy (the states a check should cover)."""
    vec_env = spec.make_vec_env(min(count, 16), seed=123)
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
