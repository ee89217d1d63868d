"""Plugin parameter values pydantic's lax mode would bend: ``true`` as 1, ``1.5`` or ``"3"`` as an int, 1 as
``true``, NaN and inf.

Whole-model strict mode would also refuse a TOML list for a tuple field, a string for a
``Path`` or an enum, so :class:`~avbench.contract.base.Params` checks only these cases,
against each field's annotation (through ``X | None``, lists, tuples and dicts), and
leaves everything else to pydantic.
"""

from __future__ import annotations

import collections.abc
import math
import types
import typing
from decimal import Decimal
from typing import Any, Iterable

from pydantic.fields import FieldInfo

_SEQUENCES = (list, tuple, set, frozenset, collections.abc.Sequence, collections.abc.Set,
              collections.abc.Iterable, collections.abc.Collection)
_MAPPINGS = (dict, collections.abc.Mapping)


def allows_inf_nan(field: FieldInfo) -> bool:
    """Whether a field opted in to NaN and infinities (``Field(allow_inf_nan=True)``)."""
    return any(getattr(m, "allow_inf_nan", False) for m in field.metadata)


def value_problem(value: Any, annotation: Any, *, allow_inf_nan: bool = False) -> str | None:
    """What is wrong with ``value`` for ``annotation`` that pydantic's lax mode would accept; None if nothing."""
    members = list(_members(annotation))
    allow_inf_nan = allow_inf_nan or any(_opts_in_inf_nan(a) for a in _annotated(annotation))
    if any(m is Any or m is object or isinstance(m, typing.TypeVar) for m in members):
        return None
    numeric = _admits(members, int) or _admits(members, float)
    if isinstance(value, bool):
        if numeric and not _admits(members, bool):
            return f"{str(value).lower()} (a boolean) where a number belongs"
        return None
    expected = "a number" if numeric else "true or false" if _admits(members, bool) else None
    if isinstance(value, str):
        if expected and not any(_takes_text(m) for m in members):
            return f"{value!r} (a string) where {expected} belongs"
        return None
    if isinstance(value, int) and not numeric and _admits(members, bool):
        return f"{value} (a number) where true or false belongs"
    if isinstance(value, float):
        if not math.isfinite(value) and not allow_inf_nan:
            return f"{value} where a finite number belongs"
        if _admits(members, int) and not _admits(members, float):
            hint = f": write {int(value)}" if value.is_integer() else ""
            return f"{value} (a decimal number) where an integer belongs{hint}"
        if not numeric and _admits(members, bool):
            return f"{value} (a number) where true or false belongs"
        return None
    if isinstance(value, (list, tuple)):
        return _first(_item_problems(value, [m for m in members if _origin(m) in _SEQUENCES], allow_inf_nan))
    if isinstance(value, dict):
        mappings = [m for m in members if _origin(m) in _MAPPINGS]
        if len(mappings) == 1 and len(typing.get_args(mappings[0])) == 2:
            item = typing.get_args(mappings[0])[1]
            return _first(_prefixed(f"key {k!r}", value_problem(v, item, allow_inf_nan=allow_inf_nan))
                          for k, v in value.items())
    return None


def _item_problems(value: list | tuple, sequences: list[Any], allow_inf_nan: bool) -> Iterable[str | None]:
    """Problems of a sequence's items; none unless exactly one sequence type could take it."""
    if len(sequences) != 1:
        return ()
    args = typing.get_args(sequences[0])
    if not args:
        return ()
    if _origin(sequences[0]) is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        pairs = zip(value, args)  # tuple[int, float]: one annotation per position
    else:
        pairs = ((v, args[0]) for v in value)
    return (_prefixed(f"item {i}", value_problem(v, a, allow_inf_nan=allow_inf_nan))
            for i, (v, a) in enumerate(pairs))


def _members(annotation: Any) -> Iterable[Any]:
    """The alternatives of ``annotation``: ``X | Y``, ``Optional``, ``Annotated`` unwrapped."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _members(typing.get_args(annotation)[0])
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _members(arg)
    else:
        yield annotation


def _annotated(annotation: Any) -> Iterable[Any]:
    """Metadata of ``Annotated`` at the top of ``annotation`` (and inside a union)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from typing.get_args(annotation)[1:]
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _annotated(arg)


def _opts_in_inf_nan(metadata: Any) -> bool:
    return bool(getattr(metadata, "allow_inf_nan", False)) or any(
        getattr(m, "allow_inf_nan", False) for m in getattr(metadata, "metadata", ()))


def _origin(annotation: Any) -> Any:
    return typing.get_origin(annotation) or annotation


def _admits(members: list[Any], kind: type) -> bool:
    """Whether one of ``members`` takes a value of ``kind`` (bool, int or float) as it is."""
    for m in members:
        if typing.get_origin(m) is typing.Literal:
            if any(type(a) is kind for a in typing.get_args(m)):
                return True
        elif isinstance(m, type):
            if kind is bool and issubclass(m, bool):
                return True
            if kind is int and issubclass(m, int) and not issubclass(m, bool):
                return True
            if kind is float and issubclass(m, (float, Decimal)):
                return True
    return False


def _takes_text(member: Any) -> bool:
    """Whether ``member`` may be written as a string (str, a string literal, a path, an enum, any other class)."""
    if typing.get_origin(member) is typing.Literal:
        return any(isinstance(a, str) for a in typing.get_args(member))
    if typing.get_origin(member) is not None:
        return False  # list[...], dict[...]: not from a string
    return not (member is type(None) or (isinstance(member, type) and issubclass(member, (int, float, Decimal))))


def _prefixed(where: str, problem: str | None) -> str | None:
    return f"{where}: {problem}" if problem else None


def _first(problems: Iterable[str | None]) -> str | None:
    return next((p for p in problems if p), None)
