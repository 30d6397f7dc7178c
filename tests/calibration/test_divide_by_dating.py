"""``divide_by`` converts a reading at its comparison time ``year + year_offset``.

A taka wage compared with the model 1.4 years after its board's year must be
converted at the exchange rate of the comparison time, the rate the model's
exchange-rate driver applies there, not at the rate of the board's year
(calibration/README.md, "Found and left for the next fit").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading.calibration import Objective, build_observations, load_case
from gvc_upgrading.calibration.case import Driver
from gvc_upgrading.errors import DataError

from .conftest import AnalyticSimulator, write_case

TOML = """
name = "offset_conversion"
model = "{model}"

[time]
start = 1995
end = 2030

[[targets]]
name = "wage"
model = "Wage"
transform = "log"
error = {{ model = "relative", cv = 0.1 }}
data = [{{ variable = "wage_local", divide_by = "rate", year_offset = 1.4 }}]

[free."Wage growth"]
lower = 0.0
upper = 0.2
"""

# local-currency units per USD: a made-up series that moves between readings
RATES = {2000: 40.0, 2003: 52.0, 2010: 60.0, 2012: 66.0}


def _rows(wages: dict[float, float], rates: dict[float, float] = RATES) -> pd.DataFrame:
    rows = [("wage_local", year, value) for year, value in wages.items()]
    rows += [("rate", year, value) for year, value in rates.items()]
    return pd.DataFrame(
        [
            dict(variable=v, year=y, value=x, unit="u", verified="yes", source="s")
            for v, y, x in rows
        ]
    )


def test_reading_is_divided_by_the_divisor_at_its_comparison_time(tmp_path):
    case = load_case(write_case(tmp_path / "c", _rows({2000: 400.0, 2010: 900.0}), TOML))
    obs = build_observations(case).to_frame()
    np.testing.assert_allclose(obs["time"], [2001.4, 2011.4])
    # closed form: 2001.4 lies between 2000 (40) and 2003 (52): 40 + 1.4 * 12 / 3 = 45.6;
    # 2011.4 between 2010 (60) and 2012 (66): 60 + 1.4 * 6 / 2 = 64.2. Dividing at the
    # readings' own years (40 and 60) would give 10 and 15.
    np.testing.assert_allclose(obs["level"], [400.0 / 45.6, 900.0 / 64.2])
    # the divisor is the one a linear driver of the same series gives at those times
    driver = Driver("Price index", "rate", base_year=2000).series(
        case.data, np.array([2001.4, 2011.4]), case.start
    )
    np.testing.assert_allclose(obs["level"], [400.0, 900.0] / (40.0 * driver.to_numpy()))


def test_readings_made_from_the_model_and_the_rate_at_comparison_time_fit_exactly(tmp_path):
    """Local readings built as model USD wage x rate at year + 1.4 give zero residuals."""
    simulator = AnalyticSimulator()
    growth = 0.05
    path = simulator.run({"Wage growth": np.array([growth])}, return_columns=["Wage"])
    grid, wage = path["time"].to_numpy(), path["Wage"].to_numpy()[0]
    years, rate_years = np.array([2000.0, 2005.0, 2010.0]), np.array(sorted(RATES))
    times = years + 1.4
    rate = np.interp(times, rate_years, [RATES[y] for y in rate_years])
    local = np.interp(times, grid, wage) * rate
    case = load_case(write_case(tmp_path / "c", _rows(dict(zip(years, local, strict=True))), TOML))
    residuals = Objective(case, simulator).residuals(np.array([[growth]]))[0]
    np.testing.assert_allclose(residuals, 0.0, atol=1e-9)


def test_comparison_time_beyond_the_divisor_readings_is_a_clear_error(tmp_path):
    # the 2012 reading is compared at 2013.4, after the last rate (2012): no extrapolation
    case = load_case(write_case(tmp_path / "c", _rows({2000: 400.0, 2012: 990.0}), TOML))
    message = (
        r"divide_by series 'rate' covers 2000-2012 but is needed at 2013\.4 "
        r"\(the comparison time of the reading of 2012\).*not extrapolated"
    )
    with pytest.raises(DataError, match=message):
        build_observations(case)


def test_comparison_time_before_the_divisor_readings_is_a_clear_error(tmp_path):
    rates = {2002: 50.0, 2012: 66.0}
    case = load_case(write_case(tmp_path / "c", _rows({2000: 400.0}, rates), TOML))
    with pytest.raises(DataError, match=r"covers 2002-2012 but is needed at 2001\.4"):
        build_observations(case)
