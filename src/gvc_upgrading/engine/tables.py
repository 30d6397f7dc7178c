"""External tables: GET XLS / GET DIRECT constants, data and lookups, read once at compile time.

The values are read with pysd's own readers (``pysd.py_backend.external``),
so cell ranges, transposed constants (``*``), missing values and
interpolation keywords mean exactly what they mean in pysd. The file names
are absolute by then (:func:`gvc_upgrading.translation.parse_abstract_model`
resolves them relative to the model file), so reading does not depend on
the working directory.

The engine then treats what was read as the model's own values: a constant
becomes a sampleable constant (or a fixed array when subscripted), a data
variable a time series and a lookup a table, each of which can still be
replaced per run through ``samples``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
from pysd.py_backend.external import ExtConstant, ExtData, ExtLookup, ExtSubscript
from pysd.translators.structures import abstract_expressions as ae

from ..errors import ModelFileError

__all__ = ["EXTERNAL", "read_constants", "read_data", "read_lookup", "read_subscripts"]

#: The external structures this module reads.
EXTERNAL = (ae.GetConstantsStructure, ae.GetDataStructure, ae.GetLookupsStructure)


def _coords(subscripts, dims, ranges, elements_of) -> dict[str, list[str]]:
    """pysd's ``coords`` of one definition: each of the variable's dims -> its elements here."""
    coords = {}
    for dim, name in zip(dims, subscripts, strict=True):
        spelled = {e.casefold(): e for e in ranges[dim]}
        # in the order of the subscript as written (a subrange may list them differently)
        coords[dim] = [spelled[e] for e in elements_of(name) if e in spelled]
    return coords


def _read(reader, name: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader.initialize()
    except Exception as exc:  # pysd raises bare exceptions for unreadable files
        raise ModelFileError(f"cannot read the external data of {name!r}: {exc}") from exc


def _build(kind: str, components, dims, ranges, elements_of, name: str, block: bool = False):
    final = {d: list(ranges[d]) for d in dims}
    if block:  # one definition among others: only its own elements
        (component,) = components
        final = _coords(component.subscripts[0], dims, ranges, elements_of)
    reader: Any = None
    for component in components:
        ast = component.ast
        args: tuple[Any, ...]
        cls: Any
        coords = _coords(component.subscripts[0], dims, ranges, elements_of) if dims else {}
        if kind == "constants":
            args = (ast.file, ast.tab, ast.cell, coords)
            cls = ExtConstant
        elif kind == "data":
            interp = component.keyword
            args = (ast.file, ast.tab, ast.time_row_or_col, ast.cell, interp, coords)
            cls = ExtData
        else:
            args = (ast.file, ast.tab, ast.x_row_or_col, ast.cell, coords)
            cls = ExtLookup
        if reader is None:
            reader = cls(*args, Path("/"), final, name)
        else:
            reader.add(*args)
    _read(reader, name)
    return reader.data


def _ordered(data, lead: str | None, dims: tuple[str, ...]) -> np.ndarray:
    """Values of ``data`` with axes ``(lead, *dims)`` (``lead`` omitted when None)."""
    order = ([lead] if lead else []) + list(dims)
    if hasattr(data, "transpose"):
        return np.asarray(data.transpose(*order).values, dtype=float)
    return np.asarray(data, dtype=float)


def read_constants(
    components, dims, ranges, elements_of, name: str, block: bool = False
) -> float | np.ndarray:
    """Read GET CONSTANTS: a float, or an array of shape ``(1, *sizes of dims)``.

    With ``block``, the one definition in ``components`` is read over its own
    elements only (shape ``(1, *its sizes)``), for a variable defined piecewise.
    """
    data = _build("constants", components, dims, ranges, elements_of, name, block)
    values = _ordered(data, None, dims)
    if not dims:
        return float(values)
    return values.reshape((1, *values.shape))


def read_data(
    components, dims, ranges, elements_of, name: str, block: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Read GET DATA: ``(times, values)``, values of shape ``(time, *sizes of dims)``.

    With ``block``, as :func:`read_constants`: one definition over its own elements.
    """
    data = _build("data", components, dims, ranges, elements_of, name, block)
    return np.asarray(data["time"].values, dtype=float), _ordered(data, "time", dims)


def read_lookup(components, dims, ranges, elements_of, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Read GET LOOKUPS: ``(x, y)``, y of shape ``(x, *sizes of dims)``."""
    data = _build("lookups", components, dims, ranges, elements_of, name)
    return np.asarray(data["lookup_dim"].values, dtype=float), _ordered(data, "lookup_dim", dims)


def read_subscripts(spec: dict, name: str) -> list[str]:
    """Read the elements of a range defined with GET XLS/DIRECT SUBSCRIPT."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            elements = ExtSubscript(
                file_name=spec["file"],
                tab=spec["tab"],
                firstcell=spec["firstcell"],
                lastcell=spec["lastcell"],
                prefix=spec["prefix"],
                root=Path("/"),
            ).subscript
    except Exception as exc:  # pysd raises bare exceptions for unreadable files
        raise ModelFileError(f"cannot read the subscript range {name!r}: {exc}") from exc
    if not elements:
        raise ModelFileError(f"the subscript range {name!r} read from {spec['file']} is empty")
    return list(elements)
