"""pysd's parsed model (``AbstractModel``) as JSON, so that a model is parsed once.

Parsing a Vensim file with pysd's grammar takes about a second for the
shipped model, and every command that loads a model paid it again. The
parsed form is a tree of plain dataclasses from
``pysd.translators.structures`` holding strings, numbers, lists, tuples,
dicts, paths and NumPy numbers; this module writes that tree as JSON and reads it back
into equal objects. Nothing is pickled and nothing read is executed: a
class is looked up by name only within pysd's structure modules, and a
tree holding anything else is not written at all (the caller parses the
file as before).

JSON keeps ``int``, ``float`` (NaN and infinities included), ``bool``,
``str`` and ``None`` apart; tuples, dicts (whose keys may be any value
here), paths, NumPy scalars and arrays (with their dtype) and dataclasses
are tagged objects (``{"t": ...}``), lists are JSON arrays. Floats are
written with the shortest repr that reads back to the same bits.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from pathlib import Path, PurePath
from typing import Any

import numpy as np

__all__ = ["NotEncodable", "decode", "encode"]

#: The only modules whose classes a stored tree may name.
_MODULE_PREFIX = "pysd.translators.structures."
_FORMAT = 1
#: NumPy scalars and arrays of these kinds are kept (booleans, integers, floats).
_NUMBER_KINDS = frozenset("biuf")


class NotEncodable(ValueError):
    """The tree holds a value this module does not write (the caller parses instead)."""


def _encode(value: Any, active: set[int]) -> Any:
    if value is None or type(value) in (bool, int, float, str):
        return value  # json writes and reads NaN and infinities too
    if isinstance(value, np.generic) and value.dtype.kind in _NUMBER_KINDS:
        return {"t": "scalar", "d": value.dtype.str, "v": value.item()}
    marker = id(value)
    if marker in active:
        raise NotEncodable("the tree refers back to itself")
    active.add(marker)
    try:
        if type(value) is list:
            return [_encode(item, active) for item in value]
        if type(value) is tuple:
            return {"t": "tuple", "v": [_encode(item, active) for item in value]}
        if type(value) is dict:
            items = [[_encode(k, active), _encode(v, active)] for k, v in value.items()]
            return {"t": "dict", "v": items}
        if isinstance(value, np.ndarray) and value.dtype.kind in _NUMBER_KINDS:
            return {"t": "array", "d": value.dtype.str, "s": value.shape, "v": value.tolist()}
        if isinstance(value, PurePath):
            return {"t": "path", "v": str(value)}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return _encode_dataclass(value, active)
        raise NotEncodable(f"cannot store a {type(value).__qualname__}")
    finally:
        active.discard(marker)


def _encode_dataclass(value: Any, active: set[int]) -> dict:
    cls = type(value)
    if not cls.__module__.startswith(_MODULE_PREFIX):
        raise NotEncodable(f"cannot store a {cls.__module__}.{cls.__qualname__}")
    names = [f.name for f in dataclasses.fields(value)]
    if set(getattr(value, "__dict__", {})) - set(names):
        raise NotEncodable(f"a {cls.__qualname__} has attributes besides its fields")
    fields = {name: _encode(getattr(value, name), active) for name in names}
    return {"t": "class", "c": f"{cls.__module__}:{cls.__qualname__}", "v": fields}


def encode(model: Any, pysd_version: str) -> str:
    """JSON text of ``model`` (a pysd ``AbstractModel``), tagged with ``pysd_version``.

    Raises
    ------
    NotEncodable
        If the tree holds a value other than those named in the module docstring.
    """
    tree = _encode(model, set())
    return json.dumps({"format": _FORMAT, "pysd": pysd_version, "model": tree})


def _class(name: str) -> type:
    module_name, _, qualname = name.partition(":")
    if not module_name.startswith(_MODULE_PREFIX) or "." in qualname:
        raise ValueError(f"a stored model names the class {name!r}")
    cls = getattr(importlib.import_module(module_name), qualname, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ValueError(f"a stored model names the class {name!r}")
    return cls


def _decode(node: Any) -> Any:
    if isinstance(node, list):
        return [_decode(item) for item in node]
    if not isinstance(node, dict):
        return node
    tag, value = node["t"], node["v"]
    if tag == "tuple":
        return tuple(_decode(item) for item in value)
    if tag == "dict":
        return {_decode(k): _decode(v) for k, v in value}
    if tag == "path":
        return Path(value)
    if tag == "scalar":
        return np.dtype(node["d"]).type(value)
    if tag == "array":
        return np.array(value, dtype=np.dtype(node["d"])).reshape(node["s"])
    if tag == "class":
        cls = _class(node["c"])
        names = {f.name for f in dataclasses.fields(cls)}
        if set(value) != names:
            raise ValueError(f"a stored {cls.__qualname__} has other fields than the class")
        instance: Any = object.__new__(cls)
        for name, item in value.items():
            object.__setattr__(instance, name, _decode(item))
        return instance
    raise ValueError(f"a stored model holds an unknown tag {tag!r}")


def decode(text: str, pysd_version: str) -> Any:
    """The model stored by :func:`encode`, as new objects.

    Raises
    ------
    ValueError
        If the text is not such a model, or was written for another pysd version.
    """
    stored = json.loads(text)
    if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
        raise ValueError("not a stored model of this format")
    if stored.get("pysd") != pysd_version:
        raise ValueError(f"stored for pysd {stored.get('pysd')}, not {pysd_version}")
    return _decode(stored["model"])
