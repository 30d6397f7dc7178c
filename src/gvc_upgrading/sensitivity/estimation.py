"""Vectorised Sobol' estimation: every output column, factor and bootstrap resample at once.

The estimators are those of :func:`SALib.analyze.sobol.analyze` (SALib 1.5, 1.6):
first order after Saltelli et al. (2010, *Comput. Phys. Commun.* 181:259,
their Table 2 (b)), total order after Jansen (1999, same table, (f)), second
order after Saltelli (2002, *Comput. Phys. Commun.* 145:280), each divided by
the variance of the A and B runs, on outputs normalised to zero mean and unit
variance over the runs used; the confidence half-width is ``z * std`` (ddof 1)
of the estimate over ``num_resamples`` bootstrap resamples of the N base
points, drawn as SALib draws them (``numpy.random.default_rng(seed)
.integers(N, size=(N, num_resamples))``).

SALib evaluates one output column at a time and builds each resample by
fancy indexing (an ``(N, resamples)`` copy per factor and estimator). Here a
resample's mean of any per-point quantity ``f`` is written as a weighted sum:
``mean_i(f) = sum_m c[m, i] f[m] / N`` where ``c[m, i]`` counts how often base
point ``m`` was drawn in resample ``i``. All resample means of all factors and
columns then come out of one matrix product ``c.T @ F`` per block of columns.
The results equal SALib's to round-off (tests assert 1e-12 on the same samples
and resamples). The products are small (resamples × N by N × columns), so
they run on one BLAS thread: spare BLAS threads only spin, which slowed the
estimation threefold on a busy machine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm
from threadpoolctl import threadpool_limits

from ..errors import SpecError
from .checkpoint import StoredValues, column_block

__all__ = ["SobolEstimate", "estimate_sobol", "resample_counts", "resample_indices"]

#: SALib's threshold below which a spread or variance counts as zero.
_EPS = float(np.finfo(float).eps)
#: Bytes of temporaries a block of columns may use (bounds the working memory).
BLOCK_BYTES = 64 * 2**20
#: Bytes of stored outputs (see :class:`.checkpoint.StoredValues`) read back at a time.
READ_BYTES = 64 * 2**20


@dataclass(frozen=True)
class SobolEstimate:
    """Sobol' indices of several output columns.

    Attributes
    ----------
    S1, S1_conf, ST, ST_conf : numpy.ndarray
        ``(columns, factors)``; confidence values are half-widths.
    S2, S2_conf : numpy.ndarray or None
        ``(columns, factors, factors)``, upper triangle filled, NaN elsewhere
        (SALib's layout); only for the columns asked for.
    """

    S1: np.ndarray
    S1_conf: np.ndarray
    ST: np.ndarray
    ST_conf: np.ndarray
    S2: np.ndarray | None = None
    S2_conf: np.ndarray | None = None


def resample_indices(n: int, num_resamples: int, seed: int) -> np.ndarray:
    """The bootstrap draws SALib makes for ``seed``: ``(n, num_resamples)`` base-point indices."""
    if not seed:
        raise SpecError("the bootstrap seed must be a non-zero integer (SALib ignores 0)")
    return np.random.default_rng(seed).integers(n, size=(n, num_resamples))


def resample_counts(draws: np.ndarray) -> np.ndarray:
    """How often each base point occurs in each resample: ``(n, resamples)`` float counts."""
    n, resamples = draws.shape
    flat = draws + n * np.arange(resamples)[None, :]
    counts = np.bincount(flat.ravel(order="F"), minlength=n * resamples)
    return counts.reshape(resamples, n).T.astype(float)


def _normalise(block: np.ndarray) -> np.ndarray:
    """``(y - mean) / std`` per column, as SALib normalises its output vector.

    A constant column (std 0, where SALib would divide by zero) becomes all
    zeros, and its indices 0.
    """
    spread = block.std(axis=0)
    return (block - block.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


def _safe_divide(numerator: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """SALib's division: 0 where the variance is not above machine epsilon."""
    return np.divide(numerator, variance, out=np.zeros_like(numerator), where=variance > _EPS)


class _Parts:
    """A, B, AB (and BA) runs of a block of normalised columns, with resample weights."""

    def __init__(self, y: np.ndarray, factors: int, step: int, counts: np.ndarray) -> None:
        n = counts.shape[0]
        width = y.shape[1]
        blocks = y.reshape(n, step, width)
        self.a = blocks[:, 0, :]
        self.b = blocks[:, step - 1, :]
        self.ab = blocks[:, 1 : factors + 1, :]
        self.ba = blocks[:, factors + 1 : 2 * factors + 1, :] if step > factors + 2 else None
        self.n = n
        self.counts = counts
        both = np.concatenate([self.a, self.b], axis=0)
        self.flat = np.ptp(both, axis=0) <= _EPS
        self.var = np.var(both, axis=0)
        # resample variance of the A and B runs: sum c y^2 / 2N - (sum c y / 2N)^2
        sums = counts.T @ np.concatenate([self.a + self.b, self.a**2 + self.b**2], axis=1)
        mean = sums[:, :width] / (2 * n)
        self.var_resampled = sums[:, width:] / (2 * n) - mean**2

    def resampled_mean(self, per_point: np.ndarray) -> np.ndarray:
        """Mean over each resample of ``per_point`` ``(n, ...)``: ``(resamples, ...)``."""
        shape = per_point.shape[1:]
        flat = per_point.reshape(self.n, -1)
        return (self.counts.T @ flat).reshape(-1, *shape) / self.n

    def first_order(self) -> tuple[np.ndarray, np.ndarray]:
        """S1 ``(factors, width)`` and its resamples ``(resamples, factors, width)``."""
        per_point = self.b[:, None, :] * (self.ab - self.a[:, None, :])
        point = _safe_divide(per_point.mean(axis=0), self.var[None, :])
        resampled = _safe_divide(self.resampled_mean(per_point), self.var_resampled[:, None, :])
        return point, resampled

    def total_order(self) -> tuple[np.ndarray, np.ndarray]:
        """ST ``(factors, width)`` and its resamples ``(resamples, factors, width)``."""
        per_point = (self.a[:, None, :] - self.ab) ** 2
        point = _safe_divide(0.5 * per_point.mean(axis=0), self.var[None, :])
        resampled = _safe_divide(
            0.5 * self.resampled_mean(per_point), self.var_resampled[:, None, :]
        )
        return point, resampled


def _z(conf_level: float) -> float:
    return float(norm.ppf(0.5 + conf_level / 2))


def _half_width(resampled: np.ndarray, z: float, flat: np.ndarray) -> np.ndarray:
    """``z * std`` over resamples (axis 0), 0 for flat columns (last axis)."""
    return np.where(flat, 0.0, z * resampled.std(axis=0, ddof=1))


def _block_width(n: int, factors: int, resamples: int, columns: int) -> int:
    """Columns per block so that the largest temporaries stay within :data:`BLOCK_BYTES`."""
    per_column = 8 * (4 * n * factors + 3 * resamples * factors + 2 * n * (2 * factors + 2))
    return max(1, min(columns, BLOCK_BYTES // per_column))


def _first_and_total(
    y: np.ndarray, factors: int, step: int, counts: np.ndarray, z: float
) -> dict[str, np.ndarray]:
    """S1, ST and their half-widths for a block of normalised columns, ``(width, factors)``."""
    parts = _Parts(y, factors, step, counts)
    s1, s1_resampled = parts.first_order()
    st, st_resampled = parts.total_order()
    flat = parts.flat[None, :]
    return {
        "S1": np.where(flat, 0.0, s1).T,
        "S1_conf": _half_width(s1_resampled, z, flat).T,
        "ST": np.where(flat, 0.0, st).T,
        "ST_conf": _half_width(st_resampled, z, flat).T,
    }


def _second_order(
    y: np.ndarray, factors: int, counts: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """S2 and half-widths ``(width, factors, factors)`` for normalised second-order columns."""
    parts = _Parts(y, factors, 2 * factors + 2, counts)
    ba = parts.ba
    assert ba is not None  # a second-order design has the BA block (step 2 D + 2)
    width = y.shape[1]
    s1, s1_resampled = parts.first_order()
    s2 = np.full((width, factors, factors), np.nan)
    conf = np.full((width, factors, factors), np.nan)
    product = parts.a * parts.b
    for j in range(factors - 1):
        others = slice(j + 1, factors)
        per_point = ba[:, j, None, :] * parts.ab[:, others, :] - product[:, None, :]
        point = _safe_divide(per_point.mean(axis=0), parts.var[None, :])
        point = point - s1[j][None, :] - s1[others]
        resampled = _safe_divide(parts.resampled_mean(per_point), parts.var_resampled[:, None, :])
        resampled = resampled - s1_resampled[:, j, None, :] - s1_resampled[:, others, :]
        flat = parts.flat[None, :]
        s2[:, j, others] = np.where(flat, 0.0, point).T
        conf[:, j, others] = np.where(flat, 0.0, z * resampled.std(axis=0, ddof=1)).T
    return s2, conf


def estimate_sobol(
    values: np.ndarray | StoredValues,
    num_factors: int,
    *,
    second_order_design: bool,
    second_order_columns: np.ndarray | list[int] | None = None,
    num_resamples: int = 100,
    conf_level: float = 0.95,
    seed: int,
) -> SobolEstimate:
    """Sobol' indices and bootstrap half-widths of every column of ``values``.

    Parameters
    ----------
    values : numpy.ndarray or StoredValues
        ``(rows, K)`` evaluations of a Saltelli design (SALib's row order:
        per base point A, AB_1..AB_D, [BA_1..BA_D,] B), in memory or left in
        the checkpoint store (read back a block of columns at a time).
    num_factors : int
        D, the number of factors (parameters or groups).
    second_order_design : bool
        Whether the design holds the BA_j rows (``2D + 2`` rows per base point).
    second_order_columns : sequence of int, optional
        Columns for which to estimate S2 (needs a second-order design).
    num_resamples, conf_level, seed
        Bootstrap settings, as for ``SALib.analyze.sobol.analyze``; ``seed``
        must be non-zero.

    Returns
    -------
    SobolEstimate
        S1 and ST from the A, AB_j and B runs alone (as SALib computes them
        when called with ``calc_second_order=False`` on those rows), S2 from
        the whole design (as SALib with ``calc_second_order=True``).

    Raises
    ------
    SpecError
        If the number of rows does not fit the design, or settings are out of range.
    """
    if not isinstance(values, StoredValues):
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = values[:, None]
    step = 2 * num_factors + 2 if second_order_design else num_factors + 2
    if len(values.shape) != 2 or values.shape[0] == 0 or values.shape[0] % step:
        raise SpecError(
            f"{values.shape[0]} rows do not form a Saltelli design of {num_factors} factors"
            f" ({step} rows per base point)"
        )
    if not 0 < conf_level < 1:
        raise SpecError(f"conf_level must lie strictly between 0 and 1, got {conf_level}")
    if num_resamples < 2:
        raise SpecError(f"num_resamples must be at least 2, got {num_resamples}")
    pair_columns = [] if second_order_columns is None else [int(c) for c in second_order_columns]
    if pair_columns and not second_order_design:
        raise SpecError("second-order indices need a second-order design (BA_j rows)")
    with threadpool_limits(limits=1, user_api="blas"):
        return _estimate(values, num_factors, step, pair_columns, num_resamples, conf_level, seed)


def _estimate(
    values: np.ndarray | StoredValues,
    num_factors: int,
    step: int,
    pair_columns: list[int],
    num_resamples: int,
    conf_level: float,
    seed: int,
) -> SobolEstimate:
    """:func:`estimate_sobol` after its checks, in blocks of columns."""
    second_order_design = step == 2 * num_factors + 2
    n = values.shape[0] // step
    counts = resample_counts(resample_indices(n, num_resamples, seed))
    z = _z(conf_level)
    columns = values.shape[1]
    keep = np.r_[0 : num_factors + 1, step - 1]
    first_step = num_factors + 2
    result = {
        name: np.empty((columns, num_factors)) for name in ("S1", "S1_conf", "ST", "ST_conf")
    }
    width = _block_width(n, num_factors, num_resamples, columns)
    # stored outputs are read back a wide block of columns at a time (each read
    # passes over every chunk file), then estimated a narrower block at a time
    read_width = columns
    if isinstance(values, StoredValues):
        read_width = max(width, READ_BYTES // (8 * values.shape[0]))
    for outer in range(0, columns, read_width):
        read = column_block(values, slice(outer, outer + read_width))
        for inner in range(0, read.shape[1], width):
            block = read[:, inner : inner + width]
            if second_order_design:
                block = block.reshape(n, step, -1)[:, keep, :].reshape(n * first_step, -1)
            estimates = _first_and_total(_normalise(block), num_factors, first_step, counts, z)
            start = outer + inner
            for name, array in estimates.items():
                result[name][start : start + array.shape[0]] = array
    s2 = conf = None
    if pair_columns:
        s2 = np.empty((len(pair_columns), num_factors, num_factors))
        conf = np.empty_like(s2)
        width = _block_width(n, num_factors, num_resamples, len(pair_columns))
        for start in range(0, len(pair_columns), width):
            chosen = pair_columns[start : start + width]
            pairs, half = _second_order(
                _normalise(column_block(values, chosen)), num_factors, counts, z
            )
            s2[start : start + width] = pairs
            conf[start : start + width] = half
    return SobolEstimate(S2=s2, S2_conf=conf, **result)
