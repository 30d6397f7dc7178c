"""Small helpers shared by the lowering modules: literals, constant folding, errors."""

from __future__ import annotations

import numpy as np

from ..errors import UnsupportedConstructError
from .ir import Call, Num

__all__ = ["fold", "is_number", "unsupported"]

_NOT_FOLDABLE = frozenset(
    {"lookup", "series", "step", "pulse", "pulse_train", "ramp", "pi", "random_draw"}
)


def is_number(value: object) -> bool:
    """Whether ``value`` is a literal number of pysd's syntax tree (not a bool)."""
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def unsupported(construct: str, variable: str, detail: str = "") -> UnsupportedConstructError:
    """The error for a construct the engine does not support."""
    return UnsupportedConstructError(construct, variable, detail)


def fold(op: str, args: tuple):
    """Return ``Call(op, args)``, evaluated now when every argument is a literal."""
    if args and all(isinstance(a, Num) for a in args) and op not in _NOT_FOLDABLE:
        from .functions import evaluate_literal

        return Num(evaluate_literal(op, [a.value for a in args]))
    return Call(op, args)
