"""Type checks at the Python API boundary: one helper, one shape of message.

Every public function checks the types of its arguments with
:func:`check_arguments` before it computes anything, so ``progress='yes'``,
``final_time='2030'``, ``seed=1.5`` or a path given as an integer fail at once
with an :class:`~gvc_upgrading.errors.ArgumentTypeError` naming the function,
the argument, what it must be and what it got, instead of deep inside NumPy,
pysd or the file system (or, worse, silently: ``progress='no'`` is true).

A :class:`Kind` is a described predicate; kinds combine with ``|``.
Booleans are never numbers here (``n=True`` is refused), NumPy scalars count
as the matching Python type.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ArgumentTypeError, GvcError

__all__ = [
    "BOOL",
    "INTEGER",
    "MAPPING",
    "MODEL",
    "NAMES",
    "NONE",
    "NUMBER",
    "PATH",
    "TEXT",
    "Kind",
    "check_arguments",
    "choice",
    "instance_of",
    "optional",
]


@dataclass(frozen=True)
class Kind:
    """What an argument must be: a description for messages and a predicate.

    Examples
    --------
    >>> (INTEGER | NONE).accepts(None), INTEGER.accepts(True)
    (True, False)
    >>> (INTEGER | NONE).description
    'an integer or None'
    """

    description: str
    accepts: Callable[[object], bool]

    def __or__(self, other: Kind) -> Kind:
        return Kind(
            f"{self.description} or {other.description}",
            lambda value: self.accepts(value) or other.accepts(value),
        )


def _is_bool(value: object) -> bool:
    return isinstance(value, bool | np.bool_)


def _is_names(value: object) -> bool:
    return (
        isinstance(value, Sequence | np.ndarray | set | frozenset)
        and not isinstance(value, str | bytes)
        and all(isinstance(item, str) for item in value)
    )


BOOL = Kind("True or False", _is_bool)
INTEGER = Kind(
    "an integer", lambda v: isinstance(v, numbers.Integral | np.integer) and not _is_bool(v)
)
NUMBER = Kind("a number", lambda v: isinstance(v, numbers.Real | np.number) and not _is_bool(v))
TEXT = Kind("a string", lambda v: isinstance(v, str))
PATH = Kind("a path (str or os.PathLike)", lambda v: isinstance(v, str | os.PathLike))
NAMES = Kind("a list of strings", _is_names)
MAPPING = Kind("a mapping", lambda v: isinstance(v, Mapping))
NONE = Kind("None", lambda v: v is None)


def _is_model(value: object) -> bool:
    from .model import Model  # the model module itself checks its arguments here

    return isinstance(value, Model)


MODEL = Kind("a gvc_upgrading Model (from load_model())", _is_model)


def optional(kind: Kind) -> Kind:
    """``kind`` or ``None``."""
    return kind | NONE


def choice(*values: str) -> Kind:
    """One of the strings ``values``.

    Examples
    --------
    >>> choice("pysd", "batch").description
    "one of 'pysd', 'batch'"
    """
    return Kind(
        "one of " + ", ".join(map(repr, values)),
        lambda value: isinstance(value, str) and value in values,
    )


def instance_of(cls: type, description: str | None = None) -> Kind:
    """Instances of ``cls`` (described as ``a <cls name>`` unless told otherwise)."""
    return Kind(
        description or f"a {cls.__module__.split('.')[0]} {cls.__name__}",
        lambda value: isinstance(value, cls),
    )


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_arguments(
    function: str, /, *, error: type[GvcError] = ArgumentTypeError, **arguments: tuple[Any, Kind]
) -> None:
    """Raise ``error`` for the first argument whose value is not of its kind.

    Parameters
    ----------
    function : str
        The function checked, for the message (``"compare"``, ``"Model.run"``).
    error : type, default ArgumentTypeError
        The exception class raised (a setting object may raise its own).
    **arguments : (value, Kind)
        Each argument's value and what it must be.

    Examples
    --------
    >>> check_arguments("compare", progress=(False, BOOL), names=(["csr"], optional(NAMES)))
    >>> check_arguments("compare", progress=("yes", BOOL))
    Traceback (most recent call last):
    ...
    gvc_upgrading.errors.ArgumentTypeError: compare: progress must be True or False, got str 'yes'
    """
    for name, (value, kind) in arguments.items():
        if not kind.accepts(value):
            raise error(
                f"{function}: {name} must be {kind.description},"
                f" got {type(value).__name__} {_shown(value)}"
            )
