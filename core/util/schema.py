"""Typed records in JSON: a dataclass's field types are its schema.

``from_json(cls, obj)`` builds the dataclass ``cls`` from parsed JSON, checking every field
against its annotation (``str int float bool``, ``list[T]``, ``tuple[T, ...]``,
``dict[str, T]``, ``Optional[T]``, a nested dataclass, or ``typing.Any`` for free JSON),
refusing unknown and missing fields, then calls the record's ``validate(where)`` if it has one.
``to_json(record)`` is the inverse. Used by the model files (data from strangers) and by the
worker protocol (typed job parameters).
"""
from __future__ import annotations

import dataclasses
import typing

import numpy as np

from .errors import InputError


def to_json(value):
    """Plain JSON values (dicts, lists, numbers, text) of a record, numpy values included."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_json(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def from_json(cls, obj, where, error=InputError):
    """The dataclass ``cls`` from the JSON object ``obj``; ``error`` (an InputError class)
    raised with a message naming ``where`` and the field at fault."""
    if not isinstance(obj, dict):
        raise error(f"{where}: expected a JSON object, found {_kind(obj)}.")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(obj) - set(fields))
    if unknown:
        raise error(f"{where}: unknown field(s) {', '.join(map(str, unknown[:5]))}; it was "
                    f"altered or written by another program.")
    values = {}
    for name, f in fields.items():
        if name not in obj:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise error(f"{where}: the field '{name}' is missing.")
            continue
        values[name] = check_type(obj[name], hints[name], f"{where}, field '{name}'", error)
    out = cls(**values)
    validate = getattr(out, "validate", None)
    if validate is not None:
        validate(where)
    return out


def check_type(value, tp, where, error=InputError):
    """``value`` (parsed JSON) as the type ``tp``, or ``error`` naming ``where``."""
    if tp is typing.Any:
        return value
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Union:
        if value is None and type(None) in args:
            return None
        first = None
        for a in args:
            if a is type(None):
                continue
            try:
                return check_type(value, a, where, error)
            except error as exc:
                first = first or exc
        raise first or error(f"{where}: null is not allowed.")
    if dataclasses.is_dataclass(tp):
        return from_json(tp, value, where, error)
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise error(f"{where}: expected a list, found {_kind(value)}.")
        items = [check_type(v, args[0], f"{where}[{i}]", error) for i, v in enumerate(value)]
        return items if origin is list else tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise error(f"{where}: expected an object, found {_kind(value)}.")
        return {k: check_type(v, args[1], f"{where}['{k}']", error) for k, v in value.items()}
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise error(f"{where}: expected a number, found {_kind(value)}.")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise error(f"{where}: expected an integer, found {_kind(value)}.")
        return value
    if tp in (str, bool):
        if not isinstance(value, tp):
            raise error(f"{where}: expected {'text' if tp is str else 'true or false'}, found "
                        f"{_kind(value)}.")
        return value
    raise TypeError(f"unsupported record type {tp!r}")  # a programming error, not an input


def _kind(value):
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return {dict: "an object", list: "a list", str: "text",
            type(None): "null"}.get(type(value), type(value).__name__)
