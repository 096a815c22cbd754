"""Checkpoints that can be loaded without running any code from them.

One ``.safetensors`` file holds the policy weights, the optimizer's tensors and, in the file's metadata, a
JSON header (format, step counter, spaces, optimizer settings). Loading reads tensors with safetensors only:
no pickle, no ``torch.load``, no SB3 ``.zip``. Files are written to a temporary name and renamed, so a crash
never leaves a half-written checkpoint where a good one was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from pixelarena.agents.run.run_dir import replace_atomically

FORMAT = "pixelarena-checkpoint/1"
HEADER_KEY = "pixelarena"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: corrupt, truncated, not ours, or made for other spaces."""


@dataclass
class Checkpoint:
    """What a checkpoint file holds, loaded."""

    policy: dict[str, torch.Tensor]
    optimizer: dict[str, Any] | None
    header: dict[str, Any]
    resume: dict[str, torch.Tensor] = field(default_factory=dict)
    """The ``resume.*`` tensors of a training checkpoint (agents/training/resume_state.py reads them)."""

    @property
    def step(self) -> int:
        return int(self.header["step"])


def describe_space(space: gym.Space) -> str:
    """A comparable description of a space (shape and dtype for Boxes)."""
    if isinstance(space, gym.spaces.Box):
        return f"Box(shape={tuple(space.shape)}, dtype={space.dtype})"
    return str(space)


def _unique_tensors(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop aliases: SB3 lists a shared encoder under several names, and safetensors stores each tensor once."""
    seen: set[tuple[int, int, tuple[int, ...]]] = set()
    unique = {}
    for name, tensor in state.items():
        key = (tensor.data_ptr(), tensor.storage_offset(), tuple(tensor.shape))
        if key not in seen:
            seen.add(key)
            unique[name] = tensor.detach().cpu().contiguous()
    return unique


def _split_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Optimizer state -> (tensors, JSON-able rest)."""
    tensors, scalars = {}, {}
    for index, values in state["state"].items():
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{index}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{index}.{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _join_optimizer(tensors: dict[str, torch.Tensor], rest: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for name, tensor in tensors.items():
        _, index, key = name.split(".", 2)
        state.setdefault(int(index), {})[key] = tensor
    for name, value in rest["scalars"].items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    return {"state": state, "param_groups": rest["param_groups"]}


def save_checkpoint(
    path: Path,
    policy: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    step: int,
    observation_space: gym.Space,
    action_space: gym.Space,
    extra: dict[str, Any] | None = None,
    resume: tuple[dict[str, torch.Tensor], dict[str, Any]] | None = None,
) -> Path:
    """Atomically write policy (and optimizer) state at ``step`` to ``path``; ``resume``: the tensors (named
    ``resume.*``) and header of the rest of a training run's state."""
    tensors = {f"policy.{k}": v for k, v in _unique_tensors(policy.state_dict()).items()}
    header: dict[str, Any] = {
        "format": FORMAT,
        "step": int(step),
        "observation_space": describe_space(observation_space),
        "action_space": describe_space(action_space),
        **(extra or {}),
    }
    if optimizer is not None:
        opt_tensors, header["optimizer"] = _split_optimizer(optimizer.state_dict())
        tensors.update(opt_tensors)
    if resume is not None:
        resume_tensors, header["resume"] = resume
        tensors.update(resume_tensors)
    return replace_atomically(
        Path(path), lambda tmp: save_file(tensors, str(tmp), metadata={HEADER_KEY: json.dumps(header)})
    )


def load_checkpoint(path: Path) -> Checkpoint:
    """Read a checkpoint with safetensors alone; CheckpointError (one line) if it is unusable."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        tensors = load_file(str(path))
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        header = json.loads(metadata[HEADER_KEY])
    except (SafetensorError, OSError, KeyError, json.JSONDecodeError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointError(
            f"{path} is not a readable pixelarena checkpoint (corrupt, truncated or foreign): {reason}"
        ) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else type(header).__name__
        raise CheckpointError(f"{path} has format {found!r}, expected {FORMAT!r}")
    step = header.get("step")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise CheckpointError(f"{path}: its step {step!r} is not a count of env steps")
    policy = {k.removeprefix("policy."): v for k, v in tensors.items() if k.startswith("policy.")}
    broken = next((name for name, t in policy.items() if t.is_floating_point() and not torch.isfinite(t).all()), None)
    if broken is not None:  # a policy with a NaN acts on NaN logits: refused here, not as a torch error later
        raise CheckpointError(f"{path} holds weights that are not finite (NaN or inf) in {broken}; it cannot act")
    optimizer = None
    if "optimizer" in header:
        opt_tensors = {k: v for k, v in tensors.items() if k.startswith("optimizer.")}
        try:
            optimizer = _join_optimizer(opt_tensors, header["optimizer"])
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            raise CheckpointError(f"{path}: its optimizer state is malformed ({type(error).__name__})") from None
    resume = {k: v for k, v in tensors.items() if k.startswith("resume.")}
    return Checkpoint(policy, optimizer, header, resume)


def check_spaces(checkpoint: Checkpoint, observation_space: gym.Space, action_space: gym.Space, path: Path) -> None:
    """CheckpointError if the checkpoint was made for other spaces than the env's."""
    for what, space in (("observation_space", observation_space), ("action_space", action_space)):
        if checkpoint.header[what] != describe_space(space):
            raise CheckpointError(
                f"{path} does not fit this env: its {what.replace('_', ' ')} is {checkpoint.header[what]}, "
                f"the env's is {describe_space(space)}"
            )


def load_policy_weights(policy: torch.nn.Module, checkpoint: Checkpoint) -> None:
    """Load weights saved by :func:`save_checkpoint` (aliases of shared modules come along with their owner)."""
    own = policy.state_dict()
    for name, tensor in checkpoint.policy.items():
        if name in own and (tensor.dtype != own[name].dtype or tensor.shape != own[name].shape):
            raise CheckpointError(f"checkpoint tensor {name} is {tensor.dtype} {tuple(tensor.shape)}, the policy's "
                                  f"is {own[name].dtype} {tuple(own[name].shape)}")  # fmt: skip
    missing, unexpected = policy.load_state_dict(checkpoint.policy, strict=False)
    if unexpected:
        raise CheckpointError(f"checkpoint has weights the policy lacks: {unexpected[:3]}")
    state = policy.state_dict()
    loaded = {(t.data_ptr(), tuple(t.shape)) for k, t in state.items() if k in checkpoint.policy}
    orphans = [k for k in missing if (state[k].data_ptr(), tuple(state[k].shape)) not in loaded]
    if orphans:
        raise CheckpointError(f"checkpoint lacks weights the policy needs: {orphans[:3]}")
