"""Extreme conditions: every parameter at its bounds and far beyond them.

Design model.md, behaviour 7 (bounds and conservation): every 0-1 stock stays
in [0, 1], no stock goes negative and nothing is NaN, with each parameter at
its lower bound, its upper bound and ten times its upper bound (one at a time),
and with every governance lever at its maximum (and ten times it) together.
The sweep runs as one ensemble through the batch engine, whose agreement with
pysd is tested in tests/engine.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gvc_upgrading import Model
from gvc_upgrading.outcomes import STOCKS_0_1

#: Parameters that are a calendar date, not a magnitude: ten times their bound is no condition.
DATES = ("Scandal year",)


def extreme_samples(model: Model) -> tuple[list[str], dict[str, np.ndarray]]:
    """Return labels and sample columns of the extreme-condition ensemble."""
    table = model.parameters
    bounded = table[np.isfinite(table["lower"]) & np.isfinite(table["upper"])]
    labels: list[str] = []
    rows: list[dict[str, float]] = []
    for name, row in bounded.iterrows():
        settings = [("lower", row["lower"]), ("upper", row["upper"])]
        if name not in DATES:
            settings.append(("10x upper", 10 * row["upper"]))
        for tag, value in settings:
            labels.append(f"{name} at {tag} ({value:g})")
            rows.append({name: float(value)})
    levers = bounded[~bounded["group"].isin(["structural", "economic"])]
    levers = levers.drop(index=[name for name in DATES if name in levers.index])
    for factor in (1, 10):
        labels.append(f"all governance levers at {factor}x upper")
        rows.append({name: factor * float(row["upper"]) for name, row in levers.iterrows()})
    labels.append("every parameter at 10x upper")
    rows.append(
        {
            name: 10 * float(row["upper"])
            for name, row in bounded.iterrows()
            if name not in DATES and row["upper"] > 0
        }
    )
    defaults = table["default"].astype(float)
    samples = {
        name: np.array([row.get(name, defaults[name]) for row in rows]) for name in bounded.index
    }
    return labels, samples


@pytest.fixture(scope="module")
def sweep(model: Model) -> tuple[list[str], xr.Dataset]:
    labels, samples = extreme_samples(model)
    batch = model.compile()
    result = batch.run(samples, return_columns=list(model.stocks), check_bounds=False)
    return labels, result


def test_sweep_covers_every_bounded_parameter(model: Model) -> None:
    """Every parameter with a range appears at its lower, upper and 10x upper value."""
    labels, samples = extreme_samples(model)
    bounded = model.parameters.dropna(subset=["lower", "upper"])
    assert set(samples) == set(bounded.index)
    assert len(bounded) > 100
    assert len(labels) == len(next(iter(samples.values())))
    assert len(labels) >= 3 * len(bounded)


def test_no_stock_negative_or_nan(model: Model, sweep: tuple[list[str], xr.Dataset]) -> None:
    """No stock goes negative and nothing is NaN or infinite under extreme parameters."""
    labels, result = sweep
    for stock in model.stocks:
        values = result[stock].transpose("run", "time").to_numpy()
        bad_finite = ~np.isfinite(values).all(axis=1)
        assert not bad_finite.any(), (stock, [labels[i] for i in np.flatnonzero(bad_finite)])
        negative = values.min(axis=1) < -1e-12
        assert not negative.any(), (stock, [labels[i] for i in np.flatnonzero(negative)])


def test_share_stocks_stay_in_unit_interval(sweep: tuple[list[str], xr.Dataset]) -> None:
    """Every stock whose meaning is a share stays in [0, 1]."""
    labels, result = sweep
    for stock in STOCKS_0_1:
        values = result[stock].transpose("run", "time").to_numpy()
        outside = (values.min(axis=1) < -1e-12) | (values.max(axis=1) > 1 + 1e-12)
        assert not outside.any(), (stock, [labels[i] for i in np.flatnonzero(outside)])
