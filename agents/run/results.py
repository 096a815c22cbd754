"""The typed results a run directory stores: the final evaluation (eval.json), the transfer evaluations
(transfer.json) and the encoder's architecture facts (facts.json).

Each is read back through ``from_json``, which checks field names and types, so a report never works on a
half-understood dict and a file from elsewhere that is not what it claims is refused with one line.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any


def _check_fields(cls: type, data: Any, what: str) -> dict[str, Any]:
    """``data`` as the keyword arguments of dataclass ``cls``, or a one-line ValueError naming ``what``."""
    if not isinstance(data, dict):
        raise ValueError(f"{what} must be a JSON object, got {type(data).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    required = {f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING}  # fmt: skip
    unknown, missing = set(data) - names, required - set(data)
    if unknown or missing:
        parts = [f"unknown fields {sorted(unknown)}"] if unknown else []
        parts += [f"missing {sorted(missing)}"] if missing else []
        raise ValueError(f"{what} has {' and '.join(parts)}")
    return data


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)


@dataclass
class EvalResult:
    """Greedy returns of a policy over ``episodes`` episodes: their mean with a 95% bootstrap CI."""

    episodes: int
    mean: float
    ci_low: float
    ci_high: float
    returns: list[float]
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """The game settings played (the run's own, or a transfer variant on top of them)."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any, what: str = "evaluation result") -> EvalResult:
        data = _check_fields(cls, data, what)
        returns = data["returns"]
        if not isinstance(returns, list) or not isinstance(data["episodes"], int) or data["episodes"] < 0:
            raise ValueError(f"{what}: episodes must be a count and returns a list")
        if not isinstance(data.get("env_kwargs", {}), dict):
            raise ValueError(f"{what}: env_kwargs must be an object")
        return cls(
            episodes=data["episodes"],
            mean=_number(data["mean"], f"{what}: mean"),
            ci_low=_number(data["ci_low"], f"{what}: ci_low"),
            ci_high=_number(data["ci_high"], f"{what}: ci_high"),
            returns=[_number(r, f"{what}: a return") for r in returns],
            env_kwargs=dict(data.get("env_kwargs", {})),
        )

    def summary(self) -> str:
        """``+7.05 (95% CI +6.25 .. +8.59)``: how every command prints a result."""
        return f"{self.mean:+.2f} (95% CI {self.ci_low:+.2f} .. {self.ci_high:+.2f})"


@dataclass
class TransferFailure:
    """A transfer variant the policy cannot act on (a layer bound to the map size), with the reason."""

    env_kwargs: dict[str, Any]
    error: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any, what: str = "transfer entry") -> TransferFailure:
        data = _check_fields(cls, data, what)
        if not isinstance(data["error"], str) or not isinstance(data["env_kwargs"], dict):
            raise ValueError(f"{what}: error must be text and env_kwargs an object")
        return cls(dict(data["env_kwargs"]), data["error"])


TransferEntry = EvalResult | TransferFailure


def transfer_entry_from_json(data: Any, what: str) -> TransferEntry:
    """A transfer.json entry: a failure when it carries an ``error``, else an evaluation result."""
    if isinstance(data, dict) and "error" in data:
        return TransferFailure.from_json(data, what)
    return EvalResult.from_json(data, what)


@dataclass
class RunFacts:
    """The encoder's architecture on the run's spaces (``nets.architecture_facts``), logged with the run."""

    params: int
    encoder_params: int
    receptive_field: int | None
    """Input pixels one encoder output depends on; None: global (fully connected)."""
    flops: int
    action_head: str
    transfers: bool | None
    """Whether the policy runs on other map sizes (None: vector observations)."""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any, what: str = "facts.json") -> RunFacts:
        data = _check_fields(cls, data, what)
        for name in ("params", "encoder_params", "flops"):
            if isinstance(data[name], bool) or not isinstance(data[name], int):
                raise ValueError(f"{what}: {name} must be a whole number, got {data[name]!r}")
        return cls(**data)
