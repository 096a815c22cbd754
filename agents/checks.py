"""The ground floor of agents/: generic checks and parsers every package uses (a choice among names with a "did you
mean", keyword arguments against a signature, step counts like ``300k``, ``key=value`` items, JSON fields of a
dataclass). Each raises a one-line ValueError that names what was wrong and what is allowed. It imports nothing of
pixelarena.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import inspect
import json
import math
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any


def choose(kind: str, value: str, choices: list[str], aliases: Mapping[str, str] | None = None) -> str:
    """``value`` if it is one of ``choices``, else a one-line ValueError naming them (and the nearest one: the
    choice ``aliases`` maps the lower-cased value to, e.g. resnet -> impala, else the closest spelling)."""
    if value in choices:
        return value
    alias = (aliases or {}).get(value.lower())
    near = [alias] if alias in choices else difflib.get_close_matches(value, choices, n=1, cutoff=0.5)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise ValueError(f"unknown {kind} {value!r}: choose one of {', '.join(choices)}{hint}")


def keyword_names(cls: type, skip: Collection[str] = ()) -> list[str]:
    """The keyword arguments ``cls(...)`` takes, its own first, following ``**kwargs`` into the base classes."""
    names: list[str] = []
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        params = list(inspect.signature(klass.__init__).parameters.values())[1:]  # without self
        names += [p.name for p in params if p.kind in kinds and p.name not in skip and p.name not in names]
        if not any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
            break
    return names


def check_keys(option: str, owner: str, given: Iterable[str], valid: list[str]) -> None:
    """A one-line ValueError for the first key of ``given`` that is not in ``valid``: the key, what ``owner``
    takes, and the nearest one (Python's own TypeError names only the unknown key, in a signature's words)."""
    for key in given:
        if key not in valid:
            near = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise ValueError(f"{option}: unknown key {key!r}: {owner} takes {', '.join(valid)}{hint}")


_STEP_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$")


def parse_steps(text: str | int, name: str = "steps") -> int:
    """``"500k"`` -> 500000, ``"2M"`` -> 2000000, ``"1500"`` -> 1500; a clear ValueError otherwise."""
    if isinstance(text, int):
        value = text
    else:
        match = _STEP_PATTERN.match(text)
        if not match:
            raise ValueError(f"{name} must be a count like 500k, 2M or 1500, got {text!r}")
        value = float(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
        if value != int(value):
            raise ValueError(f"{name} must be a whole number of steps, got {text!r}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {text!r}")
    return int(value)


def parse_kwargs(
    items: tuple[str, ...] | list[str], option: str = "env kwargs", example: str = "size=24"
) -> dict[str, Any]:
    """``("size=24", "n_enemies=6")`` -> ``{"size": 24, "n_enemies": 6}``; values are Python literals or text."""
    kwargs: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"{option} are key=value pairs like {example}, got {item!r}")
        try:
            kwargs[key] = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            kwargs[key] = raw
    return kwargs


# How each annotation of a checked dataclass field may appear in JSON.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "str | None": (str, type(None)),
    "int | None": (int, type(None)), "dict[str, Any]": (dict,), "tuple[str, ...]": (list, tuple),
}  # fmt: skip
_LARGEST = 2**53  # JSON numbers beyond this are not exact in a float: no setting needs them


def checked_fields(cls: type, data: Any, what: str) -> dict[str, Any]:
    """``data`` as keyword arguments of dataclass ``cls``: known names, values of the annotated type, finite and
    not huge numbers; a one-line ValueError otherwise."""
    if not isinstance(data, dict):
        raise ValueError(f"{what} must be a JSON object, got {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        raise ValueError(f"{what} has unknown fields {sorted(unknown)}")
    required = [name for name, f in fields.items() if f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING and name not in data]  # fmt: skip
    if required:
        raise ValueError(f"{what} lacks {required}")
    for name, value in data.items():
        allowed = _JSON_TYPES.get(str(fields[name].type))
        is_bool = isinstance(value, bool)
        wrong = allowed is not None and (not isinstance(value, allowed) or (is_bool and bool not in allowed))
        if isinstance(value, int | float) and not is_bool:
            wrong = wrong or not math.isfinite(value) or abs(value) > _LARGEST
        if wrong:
            raise ValueError(f"{what}: {name} = {json.dumps(value)[:40]} is not a valid {fields[name].type}")
    return dict(data)
