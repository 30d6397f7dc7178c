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

__all__ = ["STATISTIC_COLUMNS", "fit_statistics", "statistics_table", "theil_decomposition"]

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
)

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


def statistics_table(
    series: np.ndarray,
    time: np.ndarray,
    simulated: np.ndarray,
    observed: np.ndarray,
    in_sample: np.ndarray,
    *,
    order: list[str] | None = None,
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

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STATISTIC_COLUMNS`; a hold-out row only for series
        that have hold-out observations.
    """
    series = np.asarray(series).astype(str)
    rows = []
    for name in order or list(dict.fromkeys(series)):
        for sample, mask in (("in", in_sample), ("holdout", ~np.asarray(in_sample, bool))):
            pick = (series == name) & mask
            if sample == "holdout" and not pick.any():
                continue
            sort = np.argsort(np.asarray(time)[pick], kind="stable")
            stats = fit_statistics(
                np.asarray(simulated)[pick][sort], np.asarray(observed)[pick][sort]
            )
            rows.append({"series": name, "sample": sample, **stats})
    return pd.DataFrame(rows, columns=list(STATISTIC_COLUMNS))
