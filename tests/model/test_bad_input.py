"""Bad input to loading and running: each refused with an error naming the problem."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading import (
    GvcError,
    Model,
    ModelFileError,
    ParameterRangeError,
    UnknownParameterError,
    load_model,
)


def test_missing_model_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.mdl"
    with pytest.raises(ModelFileError, match="model file not found") as info:
        load_model(missing)
    assert str(missing) in str(info.value)


def test_model_file_with_wrong_suffix(tmp_path: Path) -> None:
    path = tmp_path / "model.txt"
    path.write_text("x = 1 ~ ~ |")
    with pytest.raises(ModelFileError, match=r"\.mdl"):
        load_model(path)


def test_malformed_model_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.mdl"
    path.write_text("{UTF-8}\nStock = INTEG( (((, 1)\n\t~\tDmnl\n\t~\t|\n")
    with pytest.raises(ModelFileError, match=r"broken\.mdl"):
        load_model(path)


def test_unknown_parameter_suggests_close_names(tiny_model: Model) -> None:
    with pytest.raises(UnknownParameterError, match=r"'Buyer suport'.*'Buyer support'"):
        tiny_model.run({"Buyer suport": 0.5})


def test_unknown_parameter_that_is_a_variable_says_so(tiny_model: Model) -> None:
    with pytest.raises(UnknownParameterError, match="not a constant"):
        tiny_model.run({"Capability building": 0.5})


def test_unknown_parameter_is_also_a_key_error(tiny_model: Model) -> None:
    with pytest.raises(KeyError):
        tiny_model.run({"No such thing": 1.0})


@pytest.mark.parametrize("value", [1.5, -0.1])
def test_value_outside_range_is_refused(tiny_model: Model, value: float) -> None:
    with pytest.raises(ParameterRangeError, match=r"'Buyer support'.*outside its range \[0, 1\]"):
        tiny_model.run({"Buyer support": value})


def test_range_check_can_be_switched_off(tiny_model: Model) -> None:
    result = tiny_model.run({"Buyer support": 10.0}, check_bounds=False)
    assert float(result["Buyer support"][0]) == 10.0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_non_finite_value_is_refused_even_without_bounds(tiny_model: Model, value: float) -> None:
    with pytest.raises(ParameterRangeError, match="not a finite number"):
        tiny_model.run({"Erosion rate": value}, check_bounds=False)


@pytest.mark.parametrize("value", ["0.5", None, True, [0.1]])
def test_non_numeric_value_is_refused(tiny_model: Model, value: object) -> None:
    with pytest.raises(ParameterRangeError, match="expected a number"):
        tiny_model.run({"Erosion rate": value})


def test_series_with_nan_names_the_year(tiny_model: Model) -> None:
    series = pd.Series([0.1, np.nan, 0.3], index=[1995, 2000, 2005])
    with pytest.raises(ParameterRangeError, match="2000 is not a finite number"):
        tiny_model.run({"Buyer support": series})


def test_series_out_of_range_names_the_year(tiny_model: Model) -> None:
    series = pd.Series([0.1, 2.0], index=[1995, 2003])
    with pytest.raises(ParameterRangeError, match=r"outside its range.*2003"):
        tiny_model.run({"Buyer support": series})
    tiny_model.run({"Buyer support": series}, check_bounds=False)


@pytest.mark.parametrize(
    ("series", "problem"),
    [
        (pd.Series([], dtype=float), "empty"),
        (pd.Series([0.1, 0.2], index=[2000, 1995]), "must increase"),
        (pd.Series([0.1, 0.2], index=[2000, 2000]), "repeats a year"),
        (pd.Series([0.1, 0.2], index=["a", "b"]), "numbers indexed by year"),
    ],
)
def test_malformed_series_is_refused(tiny_model: Model, series: pd.Series, problem: str) -> None:
    with pytest.raises(ParameterRangeError, match=problem):
        tiny_model.run({"Buyer support": series})


def test_params_must_be_a_mapping(tiny_model: Model) -> None:
    with pytest.raises(GvcError, match="mapping"):
        tiny_model.run([("Buyer support", 0.5)])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"final_time": 1990}, "final_time"),
        ({"final_time": math.nan}, "final_time"),
        ({"time_step": 0}, "time_step"),
        ({"time_step": -0.5}, "time_step"),
    ],
)
def test_bad_time_settings(tiny_model: Model, kwargs: dict, problem: str) -> None:
    with pytest.raises(ParameterRangeError, match=problem):
        tiny_model.run(**kwargs)
