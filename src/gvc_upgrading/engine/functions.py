"""Vectorized Vensim functions with pysd's exact semantics.

Each function mirrors the scalar one in ``pysd.py_backend.functions`` (same
thresholds, same order of floating-point operations) but takes NumPy arrays
whose leading axis is the run. Both branches of a choice are computed, so the
caller runs them under ``np.errstate(all="ignore")``; a value that is not
finite where it is *used* is caught by the integrator.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .randoms import random_draw

__all__ = ["HELPERS", "SMALL_VENSIM", "evaluate_literal", "interpolate"]

#: What Vensim (and pysd) treat as zero in XIDZ, ZIDZ, QUANTUM, RAMP, PULSE.
SMALL_VENSIM = 1e-6


def xidz(numerator, denominator, value_if_zero):
    """XIDZ: ``numerator / denominator``, or ``value_if_zero`` where ``|denominator| < 1e-6``."""
    small = np.abs(denominator) < SMALL_VENSIM
    return np.where(small, value_if_zero, numerator / np.where(small, 1.0, denominator))


def zidz(numerator, denominator):
    """ZIDZ: ``numerator / denominator``, or 0 where ``|denominator| < 1e-6``."""
    small = np.abs(denominator) < SMALL_VENSIM
    return np.where(small, 0.0, numerator / np.where(small, 1.0, denominator))


def if_then_else(condition, if_true, if_false):
    """IF THEN ELSE, element-wise (a non-zero condition is true, as in pysd)."""
    return np.where(condition, if_true, if_false)


def step(time, time_step, height, step_time):
    """STEP: ``height`` from ``step_time`` on (pysd: ``time + dt/2 > step_time``)."""
    return height * (time + time_step / 2 > step_time)


def ramp(time, time_step, slope, start, finish):
    """RAMP: zero before ``start``, then ``slope`` per unit time until ``finish``."""
    return (time + SMALL_VENSIM > start) * slope * (np.minimum(finish, time) - start)


def pulse(time, time_step, start, width):
    """PULSE: 1 for ``start - 1e-6 <= time < start + width``, else 0."""
    return ((start - SMALL_VENSIM <= time) & (time < start + width)) * 1.0


def pulse_train(time, time_step, start, repeat_time, width, end):
    """PULSE TRAIN (arguments in pysd's order: start, repeat time, width, end)."""
    single = (start - SMALL_VENSIM <= time) & (time < start + width)
    inside = (start <= time) & (time < end)
    train = inside & (np.mod(time - start + SMALL_VENSIM, repeat_time) < width)
    return np.where(repeat_time == 0, single, train) * 1.0


def integer(value):
    """INTEGER: the integer part (towards zero)."""
    return np.trunc(value)


def quantum(value, quantum_size):
    """QUANTUM: ``value`` if ``size < 1e-6``, else ``size * INTEGER(value / size)``."""
    small = quantum_size < SMALL_VENSIM
    safe = np.where(small, 1.0, quantum_size)
    return np.where(small, value, quantum_size * np.trunc(value / safe))


def modulo(value, modulus):
    """MODULO as pysd computes it: ``value - QUANTUM(value, modulus)``."""
    return value - quantum(value, modulus)


def log(value, base):
    """LOG(value, base) = ln(value) / ln(base)."""
    return np.log(value) / np.log(base)


def interpolate(x, xp, fp):
    """Piecewise-linear interpolation holding the end values (``np.interp``).

    ``fp`` is a 1-D table shared by all runs, or a 2-D ``(run, point)`` table
    with one row per run; ``x`` is a scalar or one value per run.
    """
    if np.ndim(fp) == 1:
        return np.interp(x, xp, fp)
    fp = np.asarray(fp)
    if len(xp) == 1:
        return np.broadcast_to(fp[:, 0], np.broadcast(x, fp[:, 0]).shape).copy()
    x = np.broadcast_to(np.asarray(x, dtype=float), (fp.shape[0],))
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, len(xp) - 2)
    rows = np.arange(fp.shape[0])
    lower = fp[rows, j]
    slope = (fp[rows, j + 1] - lower) / (xp[j + 1] - xp[j])
    inside = slope * (x - xp[j]) + lower
    return np.where(x <= xp[0], fp[:, 0], np.where(x >= xp[-1], fp[:, -1], inside))


def series(time, xp, fp):
    """A time-series input at ``time`` (pysd: ``np.interp(time, index, values)``)."""
    return interpolate(time, xp, fp)


def data_table(time, xp, fp, method):
    """A data variable read from a file, at ``time``, as pysd's ``Data`` computes it.

    ``fp`` has shape ``(time point, *sizes)``; the result ``(1, *sizes)``,
    or ``(run, *sizes)`` when ``time`` holds one time per run.
    At a data time its row; outside the times the first or last row; in
    between linear (``"interpolate"``), NaN (``"raw"``), the next row
    (``"look_forward"``) or the previous row (``"hold_backward"``).
    """
    fp = np.asarray(fp, dtype=float)
    if np.ndim(time):  # runs on their own clocks (changing TIME STEP): row by row
        return np.concatenate([data_table(t, xp, fp, method) for t in np.ravel(time)])
    t = float(time)
    exact = np.flatnonzero(xp == t)
    if exact.size:
        row = fp[exact[0]]
    elif t > xp[-1]:
        row = fp[-1]
    elif t < xp[0]:
        row = fp[0]
    else:
        j = int(np.searchsorted(xp, t, side="right")) - 1
        if method == "raw":
            row = np.full(fp.shape[1:], np.nan)
        elif method == "look_forward":
            row = fp[j + 1]
        elif method == "hold_backward":
            row = fp[j]
        else:
            weight = (t - xp[j]) / (xp[j + 1] - xp[j])
            row = fp[j] + (fp[j + 1] - fp[j]) * weight
    return np.asarray(row, dtype=float).reshape((1, *fp.shape[1:]))


def allocate_by_priority(request, priority, width, supply):
    """ALLOCATE BY PRIORITY with pysd's own 1-D algorithm, run by run.

    ``request`` and ``priority`` have shape ``(run, *sizes, targets)``,
    ``width`` and ``supply`` ``(run, *sizes)`` (run 1 when shared). The
    allocation is an iterative search per row, so this loops over runs and
    leading elements in Python: exact, but not vectorized across runs.
    """
    from pysd.py_backend.allocation import _allocate_by_priority_1d

    from ..errors import SimulationError

    n = max(np.shape(a)[0] if np.ndim(a) else 1 for a in (request, priority, width, supply))
    shape = np.shape(request)[1:]
    request = np.broadcast_to(request, (n, *shape))
    priority = np.broadcast_to(priority, (n, *shape))
    width = np.broadcast_to(width, (n, *shape[:-1]))
    supply = np.broadcast_to(supply, (n, *shape[:-1]))
    if (request < 0).any() or (width <= 0).any() or (supply < 0).any():
        raise SimulationError(
            "ALLOCATE BY PRIORITY needs requests and supply of at least 0 and a width above 0"
        )
    out = np.empty((n, *shape))
    for index in np.ndindex(n, *shape[:-1]):
        out[index] = _allocate_by_priority_1d(
            request[index], priority[index], float(width[index]), float(supply[index])
        )
    return out


def invert_matrix(matrix):
    """INVERT MATRIX: the inverse over the last two subscripts, for every run (np.linalg.inv)."""
    return np.linalg.inv(np.asarray(matrix, dtype=float))


def vector_sort_order(vector, direction):
    """VECTOR SORT ORDER along the last subscript (0-based positions, as pysd).

    Ascending when ``direction > 0``, else the ascending order reversed.
    """
    order = np.argsort(np.asarray(vector, dtype=float), axis=-1).astype(float)
    direction = np.reshape(
        direction, np.shape(direction) + (1,) * (order.ndim - np.ndim(direction))
    )
    return np.where(direction <= 0, np.flip(order, axis=-1), order)


def vector_reorder(vector, order):
    """VECTOR REORDER: ``vector`` taken at the positions in ``order``, along the last subscript."""
    vector, order = np.broadcast_arrays(np.asarray(vector, dtype=float), order)
    return np.take_along_axis(vector, order.astype(np.int64), axis=-1)


def vector_select(selection, expression, axes, missing, action, error):
    """VECTOR SELECT over the ``axes`` marked ``!``, with pysd's actions and error rules.

    ``action``: 0 sum, 1 product, 2 min, 3 max, 4 mean of ``selection *
    expression``; 5 product of ``expression ** selection``; 6-10 sum,
    product, min, max, mean of ``expression``; always over the elements
    whose selection is not 0. Where every selection is 0: ``missing``.
    ``action`` and ``error`` may differ between runs and in time.
    """
    from ..errors import SimulationError

    selection, expression = np.broadcast_arrays(
        np.asarray(selection, dtype=float), np.asarray(expression, dtype=float)
    )
    axes = tuple(1 + a for a in axes)
    chosen = selection != 0
    zeros = ~chosen.any(axis=axes)
    many = chosen.sum(axis=axes) > 1
    kept_shape = zeros.shape
    action = np.broadcast_to(_per_run(action, zeros.ndim), kept_shape)
    error = np.broadcast_to(_per_run(error, zeros.ndim), kept_shape)
    if (np.isin(error, (1, 3)) & zeros).any():
        raise SimulationError("VECTOR SELECT: all the values of the selection are 0")
    if (np.isin(error, (2, 3)) & many).any():
        raise SimulationError("VECTOR SELECT: more than one value of the selection is not 0")
    if not np.isin(action, range(11)).all():
        raise SimulationError(f"VECTOR SELECT: numerical action {action.flat[0]!r} not in 0-10")
    out = np.full(kept_shape, np.nan)
    reduce = (np.nansum, np.nanprod, np.nanmin, np.nanmax, np.nanmean)
    for code in np.unique(action):
        code = int(code)
        if code <= 4:
            values = selection * expression
        elif code == 5:
            values = expression**selection
        else:
            values = expression
        values = np.where(chosen, values, np.nan)
        how = reduce[code if code <= 4 else {5: 1, 6: 0, 7: 1, 8: 2, 9: 3, 10: 4}[code]]
        with warnings.catch_warnings():  # all-zero selections: replaced by ``missing`` below
            warnings.simplefilter("ignore", RuntimeWarning)
            reduced = how(values, axis=axes)
        out = np.where(action == code, reduced, out)
    return np.where(zeros, missing, out)


def _per_run(value, ndim: int):
    """A scalar or per-run value shaped to broadcast against ``ndim`` axes."""
    value = np.asarray(value, dtype=float)
    return value.reshape(value.shape + (1,) * (ndim - value.ndim)) if value.ndim else value


def vector_rank(vector, direction):
    """VECTOR RANK along the last subscript (1 = first in the sort order), as pysd."""
    return np.argsort(vector_sort_order(vector, direction), axis=-1) + 1.0


def allocate_available(request, profiles, available):
    """ALLOCATE AVAILABLE with pysd's own 1-D algorithm, run by run.

    ``request`` has shape ``(run, *sizes, targets)``, ``profiles`` the same
    plus the priority-profile axis (type, priority, width, extra), and
    ``available`` ``(run, *sizes)``. Looped over runs and leading elements in
    Python, like :func:`allocate_by_priority`.
    """
    from pysd.py_backend.allocation import _allocate_available_1d

    from ..errors import SimulationError

    n = max(np.shape(a)[0] if np.ndim(a) else 1 for a in (request, profiles, available))
    shape = np.shape(request)[1:]
    request = np.broadcast_to(request, (n, *shape))
    profiles = np.broadcast_to(profiles, (n, *shape, np.shape(profiles)[-1]))
    available = np.broadcast_to(available, (n, *shape[:-1]))
    if (request < 0).any() or (available < 0).any():
        raise SimulationError("ALLOCATE AVAILABLE needs requests and availability of at least 0")
    out = np.empty((n, *shape))
    for index in np.ndindex(n, *shape[:-1]):
        out[index] = _allocate_available_1d(
            request[index], profiles[index], float(available[index])
        )
    return out


def lookup(x, xp, fp):
    """A lookup table evaluated at ``x``."""
    return interpolate(x, xp, fp)


def pi():
    """PI."""
    return np.pi


def align(value, positions, n_dims):
    """Move subscript axis ``i`` of ``value`` to ``positions[i]`` of ``n_dims`` axes.

    The run axis stays first; missing positions get length 1; a scalar is
    returned as it is (it broadcasts anywhere).
    """
    if np.ndim(value) == 0:
        return value
    value = np.asarray(value)
    order = sorted(range(len(positions)), key=positions.__getitem__)
    if order != list(range(len(positions))):
        value = np.transpose(value, (0, *[1 + i for i in order]))
    shape = [value.shape[0]] + [1] * n_dims
    for j, i in enumerate(order):
        shape[1 + positions[i]] = value.shape[1 + j]
    return value.reshape(shape)


def fill(value, shape):
    """Broadcast ``value`` to ``(run, *shape)`` (run 1 when it does not vary)."""
    if np.ndim(value) == 0:
        return np.full((1, *shape), value, dtype=float)
    value = np.asarray(value)
    if value.ndim == 1:  # one value per run
        value = value.reshape((-1,) + (1,) * len(shape))
    return np.broadcast_to(value, (value.shape[0], *shape))


def take(value, axis, index):
    """Select element ``index`` (drops the axis) or elements (keeps it) of subscript ``axis``."""
    if isinstance(index, tuple):
        return np.take(value, list(index), axis=1 + axis)
    return np.take(value, index, axis=1 + axis)


def assemble(shape, blocks, *values):
    """An array defined element-wise: each value fills its block of indices.

    A block is ``(indices per axis, keep)``; ``keep`` is ``None`` or a flat
    tuple of booleans over the block (False where an EXCEPT leaves it out).
    """
    runs = max((np.shape(v)[0] for v in values if np.ndim(v) > 0), default=1)
    out = np.full((runs, *shape), np.nan)
    for (block, keep), value in zip(blocks, values, strict=True):
        where = (slice(None), *np.ix_(*block))
        if keep is None:
            out[where] = value
        else:
            current = out[where]
            mask = np.reshape(keep, current.shape[1:])
            out[where] = np.where(mask, np.broadcast_to(value, current.shape), current)
    return out


def take_block(value, block):
    """The block of ``value`` at ``block`` (indices per subscript axis), all runs."""
    return np.asarray(value)[(slice(None), *np.ix_(*block))]


def replace(value, previous):
    """A state set to ``value`` (DELAY N's delay times, SAMPLE IF TRUE)."""
    return np.array(np.broadcast_to(value, np.shape(previous)), dtype=float)


def delay_order(delay_time, order, time_step):
    """pysd's DELAY order: lowered while ``order * TIME STEP > min(delay time)``, per run."""
    delay_time = np.asarray(delay_time, dtype=float)
    shortest = (
        delay_time.reshape(delay_time.shape[0], -1).min(axis=1)
        if delay_time.ndim
        else (delay_time)
    )
    effective = np.full(np.shape(shortest), float(order))
    for candidate in range(int(order), 0, -1):
        too_long = (effective == candidate) & (candidate * time_step > shortest)
        effective = np.where(too_long, candidate - 1, effective)
    return effective


def last_stage(effective, *stages):
    """Stage ``effective - 1`` of each run (all runs usually share the order)."""
    orders = np.asarray(effective)
    first = int(orders.flat[0])
    if np.all(orders == first):
        return stages[first - 1]
    stacked = np.stack(np.broadcast_arrays(*stages))
    index = (orders.astype(np.int64) - 1).reshape((1, -1) + (1,) * (stacked.ndim - 2))
    return np.take_along_axis(stacked, index, axis=0)[0]


def _reduction(function):
    def reduce(value, axes):
        return function(value, axis=tuple(1 + a for a in axes))

    return reduce


#: Functions the generated code calls by name (``_<op>``), and only these.
HELPERS: dict[str, Callable[..., Any]] = {
    "abs": np.abs,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "ln": np.log,
    "log": log,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "power": np.power,
    "min": np.minimum,
    "max": np.maximum,
    "integer": integer,
    "modulo": modulo,
    "quantum": quantum,
    "xidz": xidz,
    "zidz": zidz,
    "if_then_else": if_then_else,
    "step": step,
    "ramp": ramp,
    "pulse": pulse,
    "pulse_train": pulse_train,
    "pi": pi,
    "lookup": lookup,
    "series": series,
    "replace": replace,
    "delay_order": delay_order,
    "last_stage": last_stage,
    "align": align,
    "fill": fill,
    "take": take,
    "invert_matrix": invert_matrix,
    "vector_sort_order": vector_sort_order,
    "vector_rank": vector_rank,
    "vector_select": vector_select,
    "vector_reorder": vector_reorder,
    "allocate_by_priority": allocate_by_priority,
    "allocate_available": allocate_available,
    "data_table": data_table,
    "assemble": assemble,
    "take_block": take_block,
    "random_draw": random_draw,
    "sum": _reduction(np.sum),
    "prod": _reduction(np.prod),
    "vmin": _reduction(np.min),
    "vmax": _reduction(np.max),
    "and": np.logical_and,
    "or": np.logical_or,
    "not": np.logical_not,
}

#: Operators the generated code writes inline (``a + b``), as Python functions.
OPERATORS: dict[str, Callable[..., Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "neg": operator.neg,
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}

#: Operations whose result is a truth value.
LOGICAL = frozenset({"eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not"})


def evaluate_literal(op: str, values: list[float]) -> float:
    """Evaluate ``op`` on literal arguments, exactly as the generated code would."""
    args = [np.float64(v) for v in values]
    with np.errstate(all="ignore"):
        function = OPERATORS.get(op) or HELPERS[op]
        return float(function(*args))
