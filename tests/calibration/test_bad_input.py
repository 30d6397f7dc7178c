"""Bad cases and data: each gives a clear error naming the problem."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading.calibration import calibrate, load_case, read_case_data
from gvc_upgrading.errors import (
    CalibrationError,
    DataError,
    SpecError,
    UnknownParameterError,
    UnknownVariableError,
)

from .conftest import CASE_TOML, TRUTH, AnalyticSimulator, synthetic_rows, write_case


@pytest.fixture
def rows(analytic):
    return synthetic_rows(analytic, TRUTH, np.random.default_rng(0))


def _calibrate(folder):
    return calibrate(folder, simulator=AnalyticSimulator(), n_starts=1, profile=False)


def test_missing_columns(tmp_path, rows):
    folder = write_case(tmp_path / "c", rows.drop(columns=["source", "verified"]))
    with pytest.raises(DataError, match=r"missing column\(s\) \['verified', 'source'\]"):
        load_case(folder)


def test_nan_value(tmp_path, rows):
    rows.loc[3, "value"] = np.nan
    folder = write_case(tmp_path / "c", rows)
    with pytest.raises(DataError, match=r"'value' holds a missing or non-numeric value.*row 4"):
        load_case(folder)


def test_non_numeric_year(tmp_path, rows):
    rows["year"] = rows["year"].astype(object)
    rows.loc[0, "year"] = "FY2013"
    folder = write_case(tmp_path / "c", rows)
    with pytest.raises(DataError, match=r"'year'.*'FY2013'"):
        read_case_data(folder / "data.csv")


def test_duplicate_variable_year(tmp_path, rows):
    rows = pd.concat([rows, rows.iloc[[5]]])
    folder = write_case(tmp_path / "c", rows)
    with pytest.raises(DataError, match="duplicate observation for variable 'exports_usd_m'"):
        load_case(folder)


def test_bad_verified_flag(tmp_path, rows):
    rows.loc[0, "verified"] = "maybe"
    with pytest.raises(DataError, match="'verified' must be yes or no"):
        load_case(write_case(tmp_path / "c", rows))


def test_unknown_model_variable(tmp_path, rows):
    folder = write_case(
        tmp_path / "c", rows, CASE_TOML.replace('model = "Wage"', 'model = "Wages"')
    )
    with pytest.raises(UnknownVariableError, match="model variable 'Wages'"):
        _calibrate(folder)


def test_unknown_free_parameter(tmp_path, rows):
    text = CASE_TOML.replace('[free."Capacity"]', '[free."Capacityy"]')
    with pytest.raises(
        UnknownParameterError,
        match="free parameter: unknown parameter 'Capacityy'; did you mean 'Capacity'",
    ):
        _calibrate(write_case(tmp_path / "c", rows, text))


def test_unknown_override(tmp_path, rows):
    text = CASE_TOML + '\n[inputs.parameters]\n"No such thing" = 1.0\n'
    with pytest.raises(UnknownParameterError, match="override: unknown parameter 'No such thing'"):
        _calibrate(write_case(tmp_path / "c", rows, text))


def test_unknown_data_variable(tmp_path, rows):
    text = CASE_TOML.replace('data = ["wage"]', 'data = ["wages"]')
    with pytest.raises(SpecError, match="data variable 'wages'"):
        load_case(write_case(tmp_path / "c", rows, text))


def test_years_outside_the_span(tmp_path, rows):
    rows.loc[0, "year"] = 1990
    with pytest.raises(DataError, match=r"in 1990.*outside the time span 1995-2030"):
        load_case(write_case(tmp_path / "c", rows))


def test_case_span_beyond_the_model(tmp_path, rows):
    text = CASE_TOML.replace("end = 2030", "end = 2040")
    with pytest.raises(SpecError, match="leaves the model's span 1995-2030"):
        _calibrate(write_case(tmp_path / "c", rows, text))


def test_inverted_bounds(tmp_path, rows):
    text = CASE_TOML.replace("lower = 10\nupper = 90", "lower = 90\nupper = 10")
    with pytest.raises(SpecError, match="inverted or empty bounds, lower=90 >= upper=10"):
        load_case(write_case(tmp_path / "c", rows, text))


def test_bounds_outside_the_model_range(tmp_path, rows):
    text = CASE_TOML.replace("lower = 10\nupper = 90", "lower = 10\nupper = 500")
    with pytest.raises(SpecError, match="reaches outside its range"):
        _calibrate(write_case(tmp_path / "c", rows, text))


def test_empty_targets(tmp_path, rows):
    head, _, tail = CASE_TOML.partition("[[targets]]")
    text = "targets = []\n" + head + tail[tail.index("[free.") :]
    with pytest.raises(SpecError, match="no targets"):
        load_case(write_case(tmp_path / "c", rows, text))


def test_no_free_parameters(tmp_path, rows):
    text = CASE_TOML[: CASE_TOML.index("[free.")]
    with pytest.raises(SpecError, match="no free parameters"):
        load_case(write_case(tmp_path / "c", rows, text))


def test_unknown_key_and_bad_transform(tmp_path, rows):
    with pytest.raises(SpecError, match=r"unknown key\(s\) \['colour'\]"):
        load_case(write_case(tmp_path / "a", rows, 'colour = "red"\n' + CASE_TOML))
    text = CASE_TOML.replace('transform = "log"', 'transform = "sqrt"')
    with pytest.raises(SpecError, match="transform 'sqrt'"):
        load_case(write_case(tmp_path / "b", rows, text))


def test_log_target_with_non_positive_data(tmp_path, rows):
    rows.loc[0, "value"] = 0.0
    with pytest.raises(DataError, match="log transform but has non-positive"):
        _calibrate(write_case(tmp_path / "c", rows))


def test_holdout_leaving_nothing_to_fit(tmp_path, rows):
    folder = write_case(tmp_path / "c", rows)
    with pytest.raises(DataError, match="leaves no observation to fit"):
        calibrate(folder, simulator=AnalyticSimulator(), holdout_from=1990, profile=False)


def test_unknown_method_and_case(tmp_path, rows):
    folder = write_case(tmp_path / "c", rows)
    with pytest.raises(CalibrationError, match="unknown method 'newton'"):
        calibrate(folder, simulator=AnalyticSimulator(), method="newton")
    with pytest.raises(SpecError, match="neither a case folder nor a shipped case"):
        load_case("no_such_case")


def test_invalid_toml(tmp_path, rows):
    folder = write_case(tmp_path / "c", rows, "name = \n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_case(folder)
