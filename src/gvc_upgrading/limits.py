"""Resource caps checked before a simulation allocates or integrates anything.

Two checks, used by both engines:

- :func:`check_time_settings`: INITIAL TIME, FINAL TIME, TIME STEP and
  SAVEPER must be finite, the step and SAVEPER positive, the step no longer
  than the horizon, and the number of steps at most :data:`MAX_STEPS` (a
  ``FINAL TIME = 1e9`` would otherwise run for hours and fill the memory);
- :func:`check_memory`: the bytes an ensemble will hold (saved times × saved
  variables × runs × 8) must fit in the memory budget, ``$GVC_UPGRADING_MEMORY_BUDGET``
  (``"4GB"``, ``"512MB"`` or a number of bytes), by default half of the
  machine's physical memory.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping

from .errors import SpecError

__all__ = [
    "MAX_STEPS",
    "ResourceLimitError",
    "check_batch_memory",
    "check_controls",
    "check_memory",
    "check_time_settings",
    "memory_budget",
]

#: Most integration steps a run may take (``$GVC_UPGRADING_MAX_STEPS`` overrides it).
MAX_STEPS = 1_000_000

_BUDGET_ENV = "GVC_UPGRADING_MEMORY_BUDGET"
_STEPS_ENV = "GVC_UPGRADING_MAX_STEPS"
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_UNITS.update({"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40})


class ResourceLimitError(SpecError):
    """A run whose time settings or memory need are invalid or past the configured limits.

    A :class:`~gvc_upgrading.errors.SpecError` (bad run settings), hence also a
    ``ValueError``.
    """


def _size(text: str) -> int:
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]I?B|B)?\s*", text.upper())
    if match is None:
        raise ResourceLimitError(
            f"${_BUDGET_ENV} must be a size such as 4GB, 512MB or 1000000, got {text!r}"
        )
    value = float(match[1]) * _UNITS[match[2] or ""]
    if value <= 0:
        raise ResourceLimitError(f"${_BUDGET_ENV} must be positive, got {text!r}")
    return int(value)


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not POSIX: assume 8 GB
        return 8 * 10**9


def memory_budget() -> int:
    """Return the memory budget in bytes (``$GVC_UPGRADING_MEMORY_BUDGET`` or half the RAM).

    Examples
    --------
    >>> import os
    >>> os.environ["GVC_UPGRADING_MEMORY_BUDGET"] = "1.5GB"
    >>> memory_budget()
    1500000000
    >>> del os.environ["GVC_UPGRADING_MEMORY_BUDGET"]
    """
    text = os.environ.get(_BUDGET_ENV)
    if text:
        return _size(text)
    return _physical_memory() // 2


def _human(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n_bytes) < 1000 or unit == "TB":
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1000
    return f"{n_bytes:.3g} TB"  # pragma: no cover


def _max_steps() -> int:
    text = os.environ.get(_STEPS_ENV)
    if not text:
        return MAX_STEPS
    try:
        value = int(text)
    except ValueError:
        raise ResourceLimitError(f"${_STEPS_ENV} must be an integer, got {text!r}") from None
    if value < 1:
        raise ResourceLimitError(f"${_STEPS_ENV} must be positive, got {text!r}")
    return value


def _number(label: str, value: object) -> float:
    if isinstance(value, bool | str | bytes) or not hasattr(value, "__float__"):
        raise ResourceLimitError(f"{label} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ResourceLimitError(f"{label} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ResourceLimitError(f"{label} must be a finite number, got {value!r}")
    return number


def check_time_settings(
    initial_time: object,
    final_time: object,
    time_step: object,
    saveper: object | None = None,
    *,
    source: str = "the model",
    return_timestamps: object = None,
) -> int:
    """Check the control values of a run; return its number of integration steps.

    Raises
    ------
    ResourceLimitError
        Naming the control and the value: not a finite number, TIME STEP or
        SAVEPER not positive, FINAL TIME before INITIAL TIME, TIME STEP longer
        than the horizon, or more steps than the cap.

    Examples
    --------
    >>> check_time_settings(1990, 2040, 0.25, 1)
    200
    >>> check_time_settings(1990, 1e9, 0.25)
    Traceback (most recent call last):
    ...
    gvc_upgrading.limits.ResourceLimitError: the model: 3.99999e+09 time steps (INITIAL TIME 1990 to FINAL TIME 1e+09 by TIME STEP 0.25) exceed the cap of 1000000; shorten the horizon or raise $GVC_UPGRADING_MAX_STEPS
    """  # noqa: E501
    if final_time is None and return_timestamps is not None:  # the run ends at the last one
        stamps = return_timestamps if isinstance(return_timestamps, list | tuple) else None
        if stamps is None:
            try:
                stamps = list(return_timestamps)  # type: ignore[call-overload]
            except TypeError:
                stamps = [return_timestamps]
        final_time = max(_number(f"{source}: return timestamp", x) for x in stamps or [0.0])
    initial = _number(f"{source}: INITIAL TIME", initial_time)
    final = _number(f"{source}: FINAL TIME", final_time)
    step = _number(f"{source}: TIME STEP", time_step)
    if step <= 0:
        raise ResourceLimitError(f"{source}: TIME STEP must be positive, got {time_step!r}")
    if saveper is not None:
        save = _number(f"{source}: SAVEPER", saveper)
        if save <= 0:
            raise ResourceLimitError(f"{source}: SAVEPER must be positive, got {saveper!r}")
    if final < initial:
        raise ResourceLimitError(
            f"{source}: FINAL TIME {final:g} is before INITIAL TIME {initial:g}"
        )
    horizon = final - initial
    if horizon > 0 and step > horizon:
        raise ResourceLimitError(
            f"{source}: TIME STEP {step:g} is longer than the horizon {horizon:g}"
            f" (INITIAL TIME {initial:g} to FINAL TIME {final:g})"
        )
    steps = horizon / step
    cap = _max_steps()
    if not steps <= cap:
        raise ResourceLimitError(
            f"{source}: {steps:.6g} time steps (INITIAL TIME {initial:g} to FINAL TIME"
            f" {final:g} by TIME STEP {step:g}) exceed the cap of {cap}; shorten the horizon"
            f" or raise ${_STEPS_ENV}"
        )
    return math.ceil(steps - 1e-9)


def check_controls(
    controls: Mapping[str, float], final_time: float | None, return_timestamps: object = None
) -> int:
    """:func:`check_time_settings` on a mapping ``initial_time, time_step, saveper``.

    ``final_time`` is the one in force (None: the last of ``return_timestamps``).
    """
    return check_time_settings(
        controls["initial_time"],
        final_time,
        controls["time_step"],
        controls["saveper"],
        source="the run",
        return_timestamps=return_timestamps,
    )


def check_memory(n_bytes: float, what: str) -> None:
    """Raise if ``n_bytes`` exceed the memory budget, with the estimate in the message.

    Raises
    ------
    ResourceLimitError
        Naming ``what``, the estimate and the budget.
    """
    budget = memory_budget()
    if n_bytes > budget:
        raise ResourceLimitError(
            f"{what} would need about {_human(n_bytes)} of memory, more than the budget of"
            f" {_human(budget)}; run fewer runs or variables, stream to a file, or raise"
            f" ${_BUDGET_ENV}"
        )


def check_batch_memory(
    n_saved: int, n_rows: int, n_runs: int, chunk_size: int, *, to_disk: bool
) -> None:
    """Check that a batch-engine ensemble fits in the memory budget before it is allocated.

    Parameters
    ----------
    n_saved, n_rows, n_runs : int
        Saved times, saved variable rows (subscripts expanded) and runs.
    chunk_size : int
        Runs integrated together.
    to_disk : bool
        Whether results stream to a file (then only one chunk is held).

    Raises
    ------
    ResourceLimitError
        With the estimate and the budget.
    """
    held_runs = min(chunk_size, n_runs) if to_disk else n_runs
    result = 8.0 * n_saved * max(n_rows, 1) * held_runs
    working = 8.0 * n_saved * max(n_rows, 1) * min(chunk_size, n_runs)  # one chunk's block
    check_memory(
        result + working,
        f"a batch run of {n_runs} run(s) × {n_rows} variable row(s) × {n_saved} saved time(s)",
    )
