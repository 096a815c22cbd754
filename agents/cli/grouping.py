"""Help in groups, arguments in one flat dataclass.

The code reads a command's options as ``args.steps``, ``args.learning_rate``: one flat dataclass per command
(``options.py``). tyro draws a help box per nested dataclass, so for parsing each command gets a view: its
fields regrouped into nested dataclasses that tyro shows as "run options", "PPO options" and so on, without
prefixes (``tyro.conf.OmitArgPrefixes``: ``--learning-rate``, not ``--ppo.learning-rate``). :func:`flat` turns
the parsed view back into the command's own dataclass. Names, types, defaults and markers are the flat class's;
the help is its field docstrings, each as one paragraph (tyro keeps a docstring's line breaks).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import sys
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import tyro

MAIN = ""
"""The group of the options shown first, beside --help (tyro's box "options")."""

_FLAT = "__flat_class__"
_GROUPS = "__flat_groups__"


def paragraphs(text: str) -> str:
    """Single line breaks joined (they only wrap the source), blank lines kept as paragraph breaks."""
    return "\n\n".join(" ".join(part.split()) for part in inspect.cleandoc(text).split("\n\n"))


@functools.cache
def _module_tree(module: str) -> ast.Module | None:
    try:
        return ast.parse(inspect.getsource(sys.modules[module]))
    except (OSError, TypeError):  # installed without sources (bytecode only): help without the field texts
        return None


def field_docs(cls: type) -> dict[str, str]:
    """Each field's docstring (the string literal under it), inherited ones included, as paragraphs."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        tree = _module_tree(klass.__module__) if dataclasses.is_dataclass(klass) else None
        if tree is None:
            continue
        node = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == klass.__name__)
        for field, doc in zip(node.body, node.body[1:]):
            if (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
                    and isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
                    and isinstance(doc.value.value, str)):  # fmt: skip
                docs[field.target.id] = paragraphs(doc.value.value)
    return docs


def _bool_words(label: str) -> str:
    """A flag's default in words: on or off rather than Python's True or False."""
    words = {"True": "on", "False": "off"}
    return f"(default: {words.get(label, label)})"


def _spec(field: dataclasses.Field, hint: Any, doc: str | None) -> tuple[str, Any, dataclasses.Field]:
    """The field as make_dataclass takes it: its type, one-paragraph help, its default. The field's own markers
    come last, so that they win (an explicit help or default note)."""
    base, own = (hint.__origin__, hint.__metadata__) if typing.get_origin(hint) is Annotated else (hint, ())
    # DisallowNone: None is the placeholder default, not a value to type (tyro would show `{None}|INT`).
    extras: list[Any] = [tyro.conf.DisallowNone, *([tyro.conf.arg(help=doc)] if doc is not None else [])]
    if base is bool:
        extras.append(tyro.conf.arg(help_behavior_hint=_bool_words))
    default: Any = dataclasses.field(default=field.default)
    if field.default_factory is not dataclasses.MISSING:
        default = dataclasses.field(default_factory=field.default_factory)
    elif field.default is dataclasses.MISSING:
        default = dataclasses.field()
    return field.name, Annotated[(base, *extras, *own)], default


def view(cls: type, groups: Mapping[str, Sequence[str]] | None = None) -> type:
    """A dataclass for tyro with ``cls``'s fields in help groups: ``{title: field names}``, ``MAIN`` first.

    A field no group names goes to the main group, so a new option shows even before it is placed.
    """
    hints = typing.get_type_hints(cls, include_extras=True)
    docs = field_docs(cls)
    fields = {field.name: field for field in dataclasses.fields(cls)}
    groups = dict(groups or {})
    placed = {name for names in groups.values() for name in names}
    unknown = placed - set(fields)
    if unknown:
        raise TypeError(f"help groups of {cls.__name__} name fields it does not have: {sorted(unknown)}")
    groups[MAIN] = (*groups.get(MAIN, ()), *(name for name in fields if name not in placed))
    top = [_spec(fields[name], hints[name], docs.get(name)) for name in groups[MAIN]]
    members: dict[str, tuple[str, ...]] = {}
    for index, (title, names) in enumerate(groups.items()):
        if title == MAIN or not names:
            continue
        group = dataclasses.make_dataclass(f"{cls.__name__}Group{index}",
                                           [_spec(fields[name], hints[name], docs.get(name)) for name in names],
                                           kw_only=True)  # fmt: skip
        group.__doc__ = ""  # make_dataclass writes the signature there, which tyro would print under the title
        attribute = f"group{index}"
        members[attribute] = tuple(names)
        marked = Annotated[group, tyro.conf.arg(name=title), tyro.conf.OmitArgPrefixes]
        top.append((attribute, marked, dataclasses.field(default_factory=group)))
    result = dataclasses.make_dataclass(cls.__name__, top, kw_only=True)
    result.__doc__ = paragraphs(cls.__doc__ or "")
    setattr(result, _FLAT, cls)
    setattr(result, _GROUPS, members)
    return result


def flat(parsed: Any) -> Any:
    """The command's own dataclass from a parsed :func:`view`."""
    kind = type(parsed)
    values = {field.name: getattr(parsed, field.name) for field in dataclasses.fields(parsed)}
    for attribute, names in getattr(kind, _GROUPS).items():
        group = values.pop(attribute)
        values.update({name: getattr(group, name) for name in names})
    return getattr(kind, _FLAT)(**values)
