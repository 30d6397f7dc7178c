"""Forms of samples and scenarios, and clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading.engine import compile_model
from gvc_upgrading.errors import (
    GvcError,
    ParameterRangeError,
    SpecError,
    UnknownParameterError,
    UnknownVariableError,
)

from .reference import MODELS, write_model


@pytest.fixture(scope="module")
def batch():
    return compile_model(MODELS / "stocks_initial.mdl")


def test_public_attributes(batch):
    assert batch.stocks == ("Population", "Capital", "Knowledge")
    assert "Births" in batch.variables and "Population" in batch.variables
    assert batch.parameters.loc["Birth rate", "upper"] == 0.2


def test_n_runs_of_the_defaults_are_identical(batch):
    result = batch.run(n=3)
    assert result.sizes == {"run": 3, "time": 21}
    for name in result.data_vars:
        np.testing.assert_array_equal(result[name].values[0], result[name].values[2])


def test_samples_become_run_coordinates_and_provenance(batch):
    result = batch.run({"Birth rate": [0.01, 0.1], "Lifetime": 50})
    np.testing.assert_array_equal(result["Birth rate"].values, [0.01, 0.1])
    assert "Lifetime" not in result.coords  # the same in every run: recorded in attrs
    assert '"Lifetime": 50.0' in result.attrs["fixed_inputs"]
    assert len(result.attrs["model_sha256"]) == 64
    assert result.attrs["integration"] == "euler"
    assert result["Population"].values[1, -1] > result["Population"].values[0, -1]


def test_sequence_of_mappings_equals_mapping_of_arrays(batch):
    records = batch.run([{"Birth rate": 0.01}, {"Birth rate": 0.1, "Lifetime": 30}])
    arrays = batch.run({"Birth rate": [0.01, 0.1], "Lifetime": [40, 30]})
    for name in arrays.data_vars:
        np.testing.assert_array_equal(records[name].values, arrays[name].values)


def test_per_run_series_equal_separate_series_runs(batch):
    times = [1995.0, 2005.0, 2015.0]
    first = pd.Series([0.02, 0.08, 0.04], index=times)
    second = pd.Series([0.1, 0.0, 0.05], index=times)
    frame = pd.DataFrame({0: first, 1: second})
    together = batch.run({"Birth rate": frame})
    for run, series in enumerate((first, second)):
        alone = batch.run({"Birth rate": series})
        for name in alone.data_vars:
            np.testing.assert_array_equal(together[name].values[run], alone[name].values[0])


def test_sequence_of_mappings_with_series_and_missing_runs(batch):
    rising = pd.Series([0.02, 0.08], index=[1995.0, 2015.0])
    records = batch.run([{"Birth rate": rising}, {"Lifetime": 30.0}, {"Birth rate": 0.1}])
    expected = [
        batch.run({"Birth rate": rising}),
        batch.run({"Lifetime": 30.0}),
        batch.run({"Birth rate": 0.1}),
    ]
    for run, alone in enumerate(expected):
        for name in alone.data_vars:
            np.testing.assert_allclose(
                records[name].values[run], alone[name].values[0], rtol=1e-13, err_msg=name
            )


class _Scenario:
    def __init__(self) -> None:
        self.name = "test scenario"
        self.parameters = {"Birth rate": 0.1, "Lifetime": 20.0}
        self.series: dict = {}


def test_samples_take_precedence_over_the_scenario(batch):
    result = batch.run({"Lifetime": [60.0, 70.0]}, scenario=_Scenario())
    expected = batch.run({"Lifetime": [60.0, 70.0], "Birth rate": 0.1})
    assert result.attrs["scenario"] == "test scenario"
    for name in expected.data_vars:
        np.testing.assert_array_equal(result[name].values, expected[name].values)


def test_unknown_parameter_names_close_matches(batch):
    with pytest.raises(UnknownParameterError, match="did you mean 'Birth rate'"):
        batch.run({"Birth rates": [0.1]})


def test_a_variable_is_not_a_parameter(batch):
    with pytest.raises(UnknownParameterError, match="model variable, not a constant"):
        batch.run({"Births": [1.0]})


def test_unequal_lengths(batch):
    with pytest.raises(SpecError, match="unequal lengths"):
        batch.run({"Birth rate": [0.1, 0.2], "Lifetime": [30, 40, 50]})


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_samples(batch, value):
    with pytest.raises(ParameterRangeError, match="not a finite number"):
        batch.run({"Birth rate": [0.1, value]})


def test_out_of_bounds_unless_allowed(batch):
    with pytest.raises(ParameterRangeError, match=r"outside its range \[0, 0.2\]"):
        batch.run({"Birth rate": [0.1, 0.3]})
    result = batch.run({"Birth rate": [0.1, 0.3]}, check_bounds=False)
    assert result.sizes["run"] == 2


@pytest.mark.parametrize("n", [0, -1, 1.5, True])
def test_bad_n(batch, n):
    with pytest.raises(SpecError, match="n must be"):
        batch.run(n=n)


def test_n_disagrees_with_samples(batch):
    with pytest.raises(SpecError, match="disagrees"):
        batch.run({"Birth rate": [0.1, 0.2]}, n=3)


def test_unknown_return_column(batch):
    with pytest.raises(UnknownVariableError, match="Birth"):
        batch.run(return_columns=["Birhts"])


def test_bad_run_settings(batch):
    with pytest.raises(SpecError, match="chunk_size"):
        batch.run(chunk_size=0)
    with pytest.raises(SpecError, match="not on the time grid"):
        batch.run(return_timestamps=[1995.3])
    with pytest.raises(SpecError, match="TIME STEP"):
        batch.run(time_step=-1)
    with pytest.raises(SpecError, match="scheduler"):
        batch.run(scheduler="fast please")
    with pytest.raises(SpecError, match="samples must be"):
        batch.run("Birth rate")


def test_errors_share_the_package_base_class(batch):
    for bad in ({"nope": [1.0]}, {"Birth rate": [np.nan]}):
        with pytest.raises(GvcError):
            batch.run(bad)


def test_lookup_and_data_inputs(tmp_path):
    path = write_model(
        tmp_path,
        """
Effect(
	[(0,0)-(10,10)],(0,0),(10,10))
	~	dmnl
	~	|
Observed :=
	~	dmnl
	~	|
Response = Effect(Time) + Observed
	~	dmnl
	~	|
""",
    )
    batch = compile_model(path)
    assert batch.lookups == ("Effect",) and batch.data == ("Observed",)
    with pytest.raises(SpecError, match="'Observed' has no values"):
        batch.run()
    observed = pd.Series([0.0, 20.0], index=[0.0, 10.0])
    result = batch.run({"Observed": observed})
    np.testing.assert_allclose(result["Response"].values[0], 3 * result.time.values)
    doubled = pd.DataFrame({0: [0.0, 10.0], 1: [0.0, 20.0]}, index=[0.0, 10.0])
    result = batch.run({"Observed": observed, "Effect": doubled})
    np.testing.assert_allclose(result["Response"].values[1], 4 * result.time.values)
    with pytest.raises(SpecError, match="give it a pandas Series"):
        batch.run({"Observed": observed, "Effect": [1.0, 2.0]})


def test_bad_compile_arguments(tmp_path):
    from gvc_upgrading.errors import ModelFileError

    with pytest.raises(ModelFileError, match="not found"):
        compile_model(tmp_path / "missing.mdl")
    with pytest.raises(SpecError, match="integration must be one of"):
        compile_model(MODELS / "stocks_initial.mdl", integration="midpoint")
