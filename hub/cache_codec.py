"""AgencyRecords to JSON bytes and back, without loss, for the records cache.

Decoding is driven by the dataclasses' own annotations, so every record type in
``adapters.records`` round-trips: nested dataclasses, ``StrEnum`` members, dates, tuples,
lists and optional fields. ``SHAPE`` fingerprints those annotations: it is part of every
cache key, so entries written by a build with other record shapes are never read back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import types
import typing
from enum import Enum
from typing import Any

from adapters.records import AgencyRecords

__all__ = ["SHAPE", "CacheDecodeError", "decode_records", "encode_records"]


class CacheDecodeError(ValueError):
    """Raised when cached bytes do not decode into ``AgencyRecords``; the caller treats it as a miss."""


def encode_records(records: AgencyRecords) -> bytes:
    return json.dumps(_to_json(records), ensure_ascii=False, separators=(",", ":")).encode()


def decode_records(data: bytes) -> AgencyRecords:
    try:
        decoded = _from_json(AgencyRecords, json.loads(data))
    except (TypeError, ValueError, KeyError) as exc:
        raise CacheDecodeError(f"cached records do not decode: {type(exc).__name__}") from exc
    return typing.cast(AgencyRecords, decoded)


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _to_json(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_to_json(item) for item in value]
    return value


def _from_json(annotation: Any, data: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        return _from_optional(annotation, data)
    if origin in (list, tuple):
        item = typing.get_args(annotation)[0]
        items = [_from_json(item, element) for element in _expect(list, data)]
        return items if origin is list else tuple(items)
    if dataclasses.is_dataclass(annotation):
        return _from_dataclass(annotation, _expect(dict, data))
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation(data)
    # datetime before date: a datetime is a date too.
    if annotation is dt.datetime:
        return dt.datetime.fromisoformat(_expect(str, data))
    if annotation is dt.date:
        return dt.date.fromisoformat(_expect(str, data))
    if annotation in (str, int, float, bool):
        return _expect(annotation, data)
    raise TypeError(f"no JSON mapping for {annotation!r}")


def _from_optional(annotation: Any, data: Any) -> Any:
    members = [member for member in typing.get_args(annotation) if member is not type(None)]
    if data is None:
        return None
    if len(members) != 1:
        raise TypeError(f"ambiguous union {annotation!r}")
    return _from_json(members[0], data)


def _from_dataclass(cls: Any, data: dict[str, Any]) -> Any:
    hints = _hints(cls)
    return cls(**{name: _from_json(hints[name], data[name]) for name in _field_names(cls)})


def _expect(kind: type, data: Any) -> Any:
    # bool is an int in Python: an int field must not accept True.
    if not isinstance(data, kind) or (kind is int and isinstance(data, bool)):
        raise TypeError(f"expected {kind.__name__}, got {type(data).__name__}")
    return data


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@functools.cache
def _field_names(cls: Any) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(cls))


def _shape(cls: Any, seen: set[Any]) -> list[str]:
    if cls in seen:
        return []
    seen.add(cls)
    lines = []
    for name, hint in sorted(_hints(cls).items()):
        lines.append(f"{cls.__name__}.{name}:{hint!r}")
        for inner in _nested_types(hint):
            if dataclasses.is_dataclass(inner):
                lines.extend(_shape(inner, seen))
            elif isinstance(inner, type) and issubclass(inner, Enum):
                lines.append(f"{inner.__name__}={','.join(str(member.value) for member in inner)}")
    return lines


def _nested_types(hint: Any) -> list[Any]:
    args = typing.get_args(hint)
    if not args:
        return [hint]
    return [found for arg in args if arg is not Ellipsis for found in _nested_types(arg)]


SHAPE = hashlib.sha256("\n".join(_shape(AgencyRecords, set())).encode()).hexdigest()[:12]
