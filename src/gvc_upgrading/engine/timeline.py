"""The time grid of a run, following pysd's run loop exactly.

pysd advances time by repeated addition of TIME STEP, stops when
``time + TIME STEP × 1e-5 >= FINAL TIME``, saves a time when it is within
``TIME STEP × 1e-5`` of a multiple of SAVEPER after INITIAL TIME (or close to
the next requested return timestamp), and labels saved times rounded to
``-log10(TIME STEP × 1e-5)`` decimals. The same arithmetic here gives the
same steps and the same saved times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SpecError

__all__ = ["Timeline", "make_timeline"]

_RPREC = 1e-5  # pysd's Time.rprec


@dataclass(frozen=True)
class Timeline:
    """Steps and saving times of a simulation.

    Attributes
    ----------
    initial_time, final_time, time_step, saveper : float
        The control values in force.
    step_times : numpy.ndarray
        The time at the start of each integration step.
    save_at_step : numpy.ndarray of bool
        Whether the state at the start of each step is saved.
    end_time : float
        The time after the last step.
    save_at_end : bool
        Whether the state at ``end_time`` is saved.
    saved_times : numpy.ndarray
        The labels of the saved times (rounded as pysd rounds them).
    """

    initial_time: float
    final_time: float
    time_step: float
    saveper: float
    step_times: np.ndarray
    save_at_step: np.ndarray
    end_time: float
    save_at_end: bool
    saved_times: np.ndarray

    @property
    def n_saved(self) -> int:
        """Number of saved times."""
        return len(self.saved_times)


def make_timeline(
    initial_time: float,
    final_time: float | None,
    time_step: float,
    saveper: float,
    return_timestamps: Sequence[float] | float | None = None,
) -> Timeline:
    """Return the :class:`Timeline` pysd would follow for these settings.

    With ``return_timestamps`` and no ``final_time`` the run ends at the last
    timestamp, as in pysd.

    Raises
    ------
    SpecError
        If TIME STEP or SAVEPER is not positive, the final time precedes the
        initial time, or a return timestamp is not on the time grid.
    """
    for label, value in (("TIME STEP", time_step), ("SAVEPER", saveper)):
        if not np.isfinite(value) or value <= 0:
            raise SpecError(f"{label} must be a positive number, got {value!r}")
    wanted: list[float] | None = None
    if return_timestamps is not None:
        wanted = sorted(float(x) for x in np.atleast_1d(np.asarray(return_timestamps, float)))
        if not wanted:
            raise SpecError("return_timestamps is empty")
        if not np.all(np.isfinite(wanted)):
            raise SpecError("return_timestamps must be finite numbers")
        if final_time is None:
            final_time = wanted[-1]
    if final_time is None or not np.isfinite(final_time):
        raise SpecError(f"FINAL TIME must be a finite number, got {final_time!r}")
    if final_time < initial_time:
        raise SpecError(f"FINAL TIME {final_time:g} precedes INITIAL TIME {initial_time:g}")
    if wanted is not None and wanted[-1] > final_time + time_step * _RPREC:
        raise SpecError(f"return timestamp {wanted[-1]:g} is after the final time {final_time:g}")
    prec = time_step * _RPREC
    pending = list(reversed(wanted)) if wanted is not None else None

    def in_return(time: float) -> bool:
        if pending is None:
            delay = time - initial_time
            return delay % saveper < prec or -delay % saveper < prec
        if not pending:
            return False
        if np.isclose(time, pending[-1], prec):
            pending.pop()
            return True
        if time > pending[-1]:
            raise SpecError(
                f"return timestamp {pending[-1]:g} is not on the time grid "
                f"(INITIAL TIME {initial_time:g} + k × TIME STEP {time_step:g})"
            )
        return False

    times: list[float] = []
    flags: list[bool] = []
    time = float(initial_time)
    while time + prec < final_time:
        flags.append(in_return(time))
        times.append(time)
        time = time + time_step
    save_at_end = in_return(time)
    if pending:
        raise SpecError(f"return timestamp {pending[-1]:g} is not on the time grid")
    decimals = -int(np.log10(prec))
    saved = [t for t, f in zip(times, flags, strict=True) if f] + ([time] if save_at_end else [])
    return Timeline(
        initial_time=float(initial_time),
        final_time=float(final_time),
        time_step=float(time_step),
        saveper=float(saveper),
        step_times=np.asarray(times, dtype=float),
        save_at_step=np.asarray(flags, dtype=bool),
        end_time=time,
        save_at_end=bool(save_at_end),
        saved_times=np.round(np.asarray(saved, dtype=float), decimals),
    )
