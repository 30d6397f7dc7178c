"""Checks that make a reference (pysd) run behave like a batch-engine run.

- :func:`check_finite`: the batch engine refuses a run that produces a
  non-finite value, naming the variable and time; :class:`gvc_upgrading.model.Model`
  runs through pysd pass their output here, so both engines agree
  (``on_nonfinite="raise"``, the default) unless the caller asks to keep the
  values (``"keep"``).
- :func:`random_functions` and :func:`seeded`: pysd draws RANDOM functions
  from numpy's global generator, so a model that uses them gives a different
  answer on every run. Such a model needs an explicit seed; the run is made
  under that seed and numpy's global state is restored afterwards.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from .errors import SimulationError, SpecError

__all__ = [
    "NONFINITE_POLICIES",
    "as_floats",
    "check_finite",
    "check_seed",
    "random_functions",
    "seeded",
]

#: Accepted values of ``on_nonfinite``.
NONFINITE_POLICIES: tuple[str, ...] = ("raise", "keep")

_RANDOM_CALL = re.compile(r"function=ReferenceStructure\(reference='(random_[a-z0-9_]*)'")


def check_finite(frame: pd.DataFrame, on_nonfinite: str, source: str) -> list[str]:
    """Apply the ``on_nonfinite`` policy to a pysd result; return the variables affected.

    Parameters
    ----------
    frame : pandas.DataFrame
        Variables as columns, time as index (pysd's ``run`` output).
    on_nonfinite : {"raise", "keep"}
        ``"raise"``: raise naming the first variable and time; ``"keep"``:
        return the names of the variables holding non-finite values.
    source : str
        The model, for the message.

    Raises
    ------
    SimulationError
        Under ``"raise"``, naming the variable and the first time.
    SpecError
        If ``on_nonfinite`` is not an accepted policy.

    Examples
    --------
    >>> frame = pd.DataFrame({"Stock": [1.0, float("inf")]}, index=[0.0, 1.0])
    >>> check_finite(frame, "keep", "m.mdl")
    ['Stock']
    >>> check_finite(frame, "raise", "m.mdl")
    Traceback (most recent call last):
    ...
    gvc_upgrading.errors.SimulationError: m.mdl: non-finite value of 'Stock' (inf) at time 1 (pass on_nonfinite='keep' to keep such values)
    """  # noqa: E501
    if on_nonfinite not in NONFINITE_POLICIES:
        raise SpecError(f"on_nonfinite must be one of {NONFINITE_POLICIES}, got {on_nonfinite!r}")
    affected = []
    for name in frame.columns:
        values = as_floats(frame[name])
        bad = ~np.isfinite(values)
        if not bad.any():
            continue
        if on_nonfinite == "raise":
            index = int(np.argmax(bad))
            raise SimulationError(
                f"{source}: non-finite value of {name!r} ({float(values[index])}) at time"
                f" {float(frame.index[index]):g} (pass on_nonfinite='keep' to keep such values)"
            )
        affected.append(str(name))
    return affected


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError:  # a Python int past the float range
        return math.inf if value > 0 else -math.inf  # type: ignore[operator]
    except (TypeError, ValueError):
        return math.nan


def as_floats(column: pd.Series) -> np.ndarray:
    """A pysd output column as floats (Python ints past the float range become inf)."""
    try:
        return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    except OverflowError:
        return np.array([_as_float(value) for value in column], dtype=float)


def random_functions(abstract_model: Any) -> list[str]:
    """Return ``"variable: function"`` for each use of a RANDOM function in the model."""
    uses = []
    for section in abstract_model.sections:
        for element in section.elements:
            for component in element.components:
                for function in sorted(set(_RANDOM_CALL.findall(repr(component.ast)))):
                    uses.append(f"{element.name}: {function.upper().replace('_', ' ')}")
    return uses


def check_seed(seed: object, uses: list[str], source: str) -> int | None:
    """Return ``seed`` as an int; refuse a missing seed when the model draws random numbers.

    Raises
    ------
    SpecError
        If the model uses RANDOM functions and no seed is given, or the seed
        is not an integer in ``[0, 2**32)``.
    """
    if seed is None:
        if uses:
            raise SpecError(
                f"{source} uses RANDOM functions ({', '.join(uses[:3])}); pass seed=<int> so"
                " that the run is reproducible"
            )
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise SpecError(f"seed must be an integer, got {type(seed).__name__} {seed!r}")
    if not 0 <= int(seed) < 2**32:
        raise SpecError(f"seed must be between 0 and 2**32 - 1, got {seed}")
    return int(seed)


@contextlib.contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Run the block with numpy's global generator seeded; restore its state afterwards."""
    if seed is None:
        yield
        return
    state = np.random.get_state()  # noqa: NPY002 (pysd draws from the global generator)
    np.random.seed(seed)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002
