"""Goodness-of-fit statistics for one simulated series against its observations.

Sterman's (1984) Theil decomposition splits the mean squared error into bias
(``U^M``), unequal variation (``U^S``) and unequal covariation (``U^C``):

    MSE = (mean(S) - mean(A))**2 + (s_S - s_A)**2 + 2 (1 - r) s_S s_A

with population standard deviations ``s`` (``ddof=0``) and correlation ``r``,
so the three shares sum to 1 exactly. A good fit of a trending series has most
of its error in ``U^C`` (point-by-point noise), little in ``U^M`` and ``U^S``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "BENCHMARK_COLUMNS",
    "STATISTIC_COLUMNS",
    "fit_statistics",
    "naive_forecasts",
    "statistics_table",
    "theil_decomposition",
]

#: Columns of the statistics table (and of ``fit_statistics.csv``).
STATISTIC_COLUMNS: tuple[str, ...] = (
    "series",
    "sample",
    "n",
    "rmse",
    "mae",
    "mape",
    "r2",
    "um",
    "us",
    "uc",
    "lag1",
    "mape_rw",
    "mape_trend",
    "mape_ratio",
    "u2",
    "coverage",
)

#: Benchmark and coverage columns (hold-out rows; NaN on in-sample rows except ``coverage``):
#: MAPE of the random walk (last in-sample value carried forward) and of a log-linear
#: trend fitted to the in-sample data, the model's MAPE over the random walk's, Theil's
#: U2 (model RMSE over random-walk RMSE on the hold-out) and the share of observations
#: inside the predictive band.
BENCHMARK_COLUMNS: tuple[str, ...] = STATISTIC_COLUMNS[-5:]

#: Observations smaller than this fraction of the series' largest magnitude are
#: left out of the MAPE (a percentage error near zero is meaningless).
MAPE_GUARD = 1e-6


def theil_decomposition(simulated: np.ndarray, observed: np.ndarray) -> tuple[float, float, float]:
    """Return the Theil inequality shares ``(U^M, U^S, U^C)``.

    Parameters
    ----------
    simulated, observed : array_like
        Equal-length 1-D series.

    Returns
    -------
    tuple of float
        Shares of the mean squared error due to bias, unequal variance and
        unequal covariance; they sum to 1. All NaN when the MSE is 0.

    Examples
    --------
    >>> um, us, uc = theil_decomposition([1.0, 2.0, 3.0], [1.5, 2.5, 3.5])
    >>> round(um, 12), round(us, 12), round(uc, 12)
    (1.0, 0.0, 0.0)
    """
    s = np.asarray(simulated, float)
    a = np.asarray(observed, float)
    mse = np.mean((s - a) ** 2)
    if not mse > 0:
        return (np.nan, np.nan, np.nan)
    sd_s, sd_a = s.std(), a.std()
    if sd_s > 0 and sd_a > 0:
        r = float(np.mean((s - s.mean()) * (a - a.mean())) / (sd_s * sd_a))
    else:
        r = 1.0
    um = (s.mean() - a.mean()) ** 2 / mse
    us = (sd_s - sd_a) ** 2 / mse
    uc = 2.0 * (1.0 - r) * sd_s * sd_a / mse
    return (float(um), float(us), float(uc))


def fit_statistics(simulated: np.ndarray, observed: np.ndarray) -> dict[str, float]:
    """Statistics of one series: n, RMSE, MAE, MAPE (%), R², Theil shares, lag-1 autocorrelation.

    Parameters
    ----------
    simulated, observed : array_like
        Equal-length 1-D series, ordered in time.

    Returns
    -------
    dict
        ``n, rmse, mae, mape, r2, um, us, uc, lag1``. ``mape`` is in percent
        over observations not near zero (NaN if none); ``r2 = 1 - SSE/SST``
        (NaN when fewer than 2 points or no variance); ``lag1`` is the lag-1
        autocorrelation of the residuals ``simulated - observed`` (NaN below 3
        points or with constant residuals).
    """
    s = np.asarray(simulated, float)
    a = np.asarray(observed, float)
    if s.shape != a.shape or s.ndim != 1:
        raise ValueError("simulated and observed must be 1-D arrays of equal length")
    n = len(a)
    nan = float("nan")
    if n == 0:
        return dict(n=0, rmse=nan, mae=nan, mape=nan, r2=nan, um=nan, us=nan, uc=nan, lag1=nan)
    e = s - a
    rmse = float(np.sqrt(np.mean(e * e)))
    mae = float(np.mean(np.abs(e)))
    magnitude = np.abs(a)
    usable = magnitude > MAPE_GUARD * magnitude.max() if magnitude.max() > 0 else magnitude > 0
    mape = float(100.0 * np.mean(np.abs(e[usable]) / magnitude[usable])) if usable.any() else nan
    sst = float(np.sum((a - a.mean()) ** 2))
    r2 = 1.0 - float(np.sum(e * e)) / sst if n >= 2 and sst > 0 else nan
    um, us, uc = theil_decomposition(s, a)
    centred = e - e.mean()
    denominator = float(np.sum(centred * centred))
    lag1 = (
        float(np.sum(centred[1:] * centred[:-1]) / denominator)
        if n >= 3 and denominator > 0
        else nan
    )
    return dict(n=n, rmse=rmse, mae=mae, mape=mape, r2=r2, um=um, us=us, uc=uc, lag1=lag1)


def naive_forecasts(
    time: np.ndarray, observed: np.ndarray, in_sample: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Random-walk and trend forecasts of one series from its in-sample part only.

    Parameters
    ----------
    time, observed : array_like
        The series' observation times and values (levels).
    in_sample : array_like of bool

    Returns
    -------
    random_walk : numpy.ndarray
        At every observation: the last in-sample value (by time) carried forward.
    trend : numpy.ndarray
        A least-squares line in ``log(value)`` against time over the in-sample
        points (in levels when some value is not positive), extrapolated; the
        random walk when fewer than two in-sample points.

    Examples
    --------
    >>> rw, trend = naive_forecasts([0, 1, 2, 3], [1.0, 2.0, 4.0, 0.0], [True, True, True, False])
    >>> float(rw[3]), round(float(trend[3]), 6)
    (4.0, 8.0)
    """
    t = np.asarray(time, float)
    a = np.asarray(observed, float)
    fit = np.asarray(in_sample, bool)
    if not fit.any():
        nan = np.full_like(a, np.nan)
        return nan, nan
    last = np.flatnonzero(fit)[np.argmax(t[fit])]
    random_walk = np.full_like(a, a[last])
    if fit.sum() < 2 or np.ptp(t[fit]) == 0:
        return random_walk, random_walk.copy()
    if (a[fit] > 0).all():
        slope, intercept = np.polyfit(t[fit], np.log(a[fit]), 1)
        trend = np.exp(intercept + slope * t)
    else:
        slope, intercept = np.polyfit(t[fit], a[fit], 1)
        trend = intercept + slope * t
    return random_walk, trend


def _mape(forecast: np.ndarray, observed: np.ndarray) -> float:
    magnitude = np.abs(observed)
    usable = magnitude > 0
    if not usable.any():
        return float("nan")
    return float(100.0 * np.mean(np.abs(forecast[usable] - observed[usable]) / magnitude[usable]))


def statistics_table(
    series: np.ndarray,
    time: np.ndarray,
    simulated: np.ndarray,
    observed: np.ndarray,
    in_sample: np.ndarray,
    *,
    order: list[str] | None = None,
    band: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Statistics per series and sample (``in`` / ``holdout``).

    Parameters
    ----------
    series : array of str
        Series name of each observation.
    time : array
        Observation times (used to order residuals for ``lag1``).
    simulated, observed : array
        Model and data values on the same scale.
    in_sample : array of bool
    order : list of str, optional
        Series order of the table (default: first appearance).
    band : tuple of arrays, optional
        Lower and upper predictive band at each observation; gives ``coverage``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STATISTIC_COLUMNS`; a hold-out row only for series
        that have hold-out observations. The benchmark columns
        (:data:`BENCHMARK_COLUMNS`) are computed on hold-out rows from the
        in-sample observations only.
    """
    series = np.asarray(series).astype(str)
    time = np.asarray(time, float)
    simulated = np.asarray(simulated, float)
    observed = np.asarray(observed, float)
    in_sample = np.asarray(in_sample, bool)
    nan = float("nan")
    rows = []
    for name in order or list(dict.fromkeys(series)):
        mine = series == name
        rw, trend = naive_forecasts(time[mine], observed[mine], in_sample[mine])
        for sample, mask in (("in", in_sample), ("holdout", ~in_sample)):
            pick = mine & mask
            if sample == "holdout" and not pick.any():
                continue
            sort = np.argsort(time[pick], kind="stable")
            s, a = simulated[pick][sort], observed[pick][sort]
            stats = fit_statistics(s, a)
            extra = dict(mape_rw=nan, mape_trend=nan, mape_ratio=nan, u2=nan, coverage=nan)
            if sample == "holdout":
                held = mask[mine]
                rw_h, trend_h = rw[held][sort], trend[held][sort]
                extra["mape_rw"] = _mape(rw_h, a)
                extra["mape_trend"] = _mape(trend_h, a)
                rmse_rw = float(np.sqrt(np.mean((rw_h - a) ** 2)))
                extra["u2"] = stats["rmse"] / rmse_rw if rmse_rw > 0 else nan
                extra["mape_ratio"] = (
                    stats["mape"] / extra["mape_rw"] if extra["mape_rw"] > 0 else nan
                )
            if band is not None:
                low = np.asarray(band[0], float)[pick][sort]
                high = np.asarray(band[1], float)[pick][sort]
                if np.isfinite(low).all() and np.isfinite(high).all() and len(a):
                    extra["coverage"] = float(np.mean((a >= low) & (a <= high)))
            rows.append({"series": name, "sample": sample, **stats, **extra})
    return pd.DataFrame(rows, columns=list(STATISTIC_COLUMNS))
