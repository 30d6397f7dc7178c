"""Exceptions raised by gvc-upgrading.

Every error the package raises on bad input derives from :class:`GvcError`, so
a caller can catch them all at once, and from the matching built-in type
(``ValueError``, ``KeyError``, ``FileNotFoundError``), so generic handlers keep
working. Each message names the offending file, parameter, value or construct.
"""

from __future__ import annotations

__all__ = [
    "ArgumentTypeError",
    "CalibrationError",
    "DataError",
    "GvcError",
    "ModelFileError",
    "ParameterRangeError",
    "ScenarioError",
    "SimulationError",
    "SpecError",
    "UnknownParameterError",
    "UnknownVariableError",
    "UnsupportedConstructError",
]


class GvcError(Exception):
    """Base class of every error raised by gvc-upgrading."""


class SpecError(GvcError, ValueError):
    """A study or case specification (TOML) is malformed."""


class ArgumentTypeError(SpecError, TypeError):
    """An argument of a public function has the wrong type (named in the message).

    Both a :class:`SpecError` (a bad specification of the work asked for) and
    a ``TypeError``, so either handler catches it.
    """


class ModelFileError(GvcError, ValueError):
    """A model file is missing, unreadable or not valid Vensim."""


class UnknownParameterError(GvcError, KeyError):
    """A parameter name that the model does not define."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownVariableError(GvcError, KeyError):
    """A variable name that the model does not define."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ParameterRangeError(GvcError, ValueError):
    """A parameter value outside its declared ``[lower, upper]`` range, or not finite."""


class ScenarioError(GvcError, ValueError):
    """A scenario file is missing, malformed or inconsistent with the model."""


class DataError(GvcError, ValueError):
    """Observed data are missing, malformed or inconsistent."""


class CalibrationError(GvcError, RuntimeError):
    """A calibration could not be carried out."""


class SimulationError(GvcError, FloatingPointError):
    """A simulation produced non-finite values."""


class UnsupportedConstructError(GvcError, NotImplementedError):
    """The batch compiler met a Vensim construct it does not support.

    Parameters
    ----------
    construct : str
        The construct, e.g. ``"GET DIRECT DATA"``.
    variable : str
        The model variable whose equation uses it.
    """

    def __init__(self, construct: str, variable: str, detail: str = "") -> None:
        self.construct = construct
        self.variable = variable
        message = f"unsupported construct {construct!r} in the equation of {variable!r}"
        if detail:
            message += f": {detail}"
        super().__init__(message)
