"""Helpers for the calibration tests: a closed-form simulator and case folders on disk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

DATA = Path(__file__).parent / "data"
LOGISTIC_MDL = DATA / "logistic.mdl"


class AnalyticSimulator:
    """Closed-form twin of ``data/logistic.mdl`` (exact logistic and exponential paths).

    Fast enough for coverage studies: one call costs microseconds per run. The
    wage is multiplied by the input ``Price index`` (1 unless an input series
    drives it), so that exogenous drivers can be tested.
    """

    variable_names = frozenset({"Exports", "Wage"})
    initial_time = 1995.0
    final_time = 2030.0

    def __init__(self) -> None:
        self.parameters = pd.DataFrame(
            {
                "default": [0.2, 30.0, 1.0, 0.0, 0.05, 30.0, 1.0],
                "lower": [0.0, 1.0, 0.1, 0.0, 0.0, 5.0, 0.1],
                "upper": [1.0, 100.0, 10.0, 1.0, 0.2, 200.0, 20.0],
            },
            index=pd.Index(
                [
                    "Growth rate",
                    "Capacity",
                    "Initial exports",
                    "Shock",
                    "Wage growth",
                    "Initial wage",
                    "Price index",
                ],
                name="name",
            ),
        )
        self.runs = 0

    def run(
        self,
        samples: Mapping[str, np.ndarray],
        *,
        return_columns: Sequence[str],
        inputs: Mapping[str, pd.Series] | None = None,
        scheduler: Any = None,
        final_time: float | None = None,
    ) -> xr.Dataset:
        n = len(next(iter(samples.values())))
        value = {
            name: np.broadcast_to(np.asarray(samples.get(name, default), float), (n,))[:, None]
            for name, default in self.parameters["default"].items()
        }
        self.runs += n
        t = np.arange(self.initial_time, self.final_time + 0.5)[None, :] - self.initial_time
        k, r, x0 = value["Capacity"], value["Growth rate"], value["Initial exports"]
        exports = k / (1 + (k - x0) / x0 * np.exp(-r * t))
        wage = value["Initial wage"] * np.exp(value["Wage growth"] * t)
        price = (inputs or {}).get("Price index")
        if price is not None:
            wage = wage * np.interp(t[0] + self.initial_time, price.index, price.to_numpy())
        data = {"Exports": exports, "Wage": wage}
        return xr.Dataset(
            {name: (("run", "time"), data[name]) for name in return_columns},
            coords={"time": t[0] + self.initial_time},
        )


@pytest.fixture
def analytic() -> AnalyticSimulator:
    return AnalyticSimulator()


TRUTH = {"Growth rate": 0.25, "Capacity": 40.0, "Wage growth": 0.06}

CASE_TOML = """
name = "synthetic"
model = "{model}"

[time]
start = 1995
end = 2030

[[targets]]
name = "exports"
model = "Exports"
transform = "log"
error = {{ model = "relative", cv = 0.05 }}
data = [{{ variable = "exports_usd_m", scale = 0.001 }}]

[[targets]]
name = "wage"
model = "Wage"
error = {{ model = "relative", cv = 0.05 }}
data = ["wage"]

[free."Growth rate"]
lower = 0.05
upper = 0.6

[free."Capacity"]
lower = 10
upper = 90
initial = 50

[free."Wage growth"]
lower = 0.0
upper = 0.15
"""


def synthetic_rows(
    simulator: Any, truth: Mapping[str, float], rng: np.random.Generator, noise: float = 0.05
) -> pd.DataFrame:
    """Observations 1996-2024 from ``truth`` with relative Gaussian noise."""
    paths = simulator.run(
        {k: np.array([v]) for k, v in truth.items()}, return_columns=["Exports", "Wage"]
    )
    rows = []
    years = np.arange(1996, 2025)
    for variable, model, scale in (("exports_usd_m", "Exports", 1000.0), ("wage", "Wage", 1.0)):
        clean = paths[model].sel(time=years.astype(float)).to_numpy()[0]
        noisy = clean * np.exp(noise * rng.standard_normal(len(years)))
        rows += [
            dict(
                variable=variable,
                year=int(y),
                value=float(v * scale),
                unit="u",
                verified="yes",
                source="synthetic",
            )
            for y, v in zip(years, noisy, strict=True)
        ]
    return pd.DataFrame(rows)


def write_case(
    folder: Path, data: pd.DataFrame, toml: str | None = None, model: Path = LOGISTIC_MDL
) -> Path:
    """Write a case folder (case.toml + data.csv) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.toml").write_text(
        (toml if toml is not None else CASE_TOML).format(model=model.as_posix()), encoding="utf-8"
    )
    data.to_csv(folder / "data.csv", index=False)
    return folder


@pytest.fixture
def synthetic_case(tmp_path: Path, analytic: AnalyticSimulator) -> Path:
    rows = synthetic_rows(analytic, TRUTH, np.random.default_rng(0))
    return write_case(tmp_path / "synthetic", rows)
