"""Study specs: reading TOML and mappings, and clear errors for bad specs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import sensitivity_functions as functions

from gvc_upgrading.errors import SpecError
from gvc_upgrading.resources import shipped_path
from gvc_upgrading.sensitivity import load_study, sobol

BASE = {
    "name": "spec",
    "n": 64,
    "parameters": [
        {"name": "Audit frequency", "lower": 0.1, "upper": 0.9},
        {"name": "Organising rate"},
    ],
    "outputs": [{"variable": "Social upgrading index", "reducer": "at", "year": 2035}],
}
TABLE = pd.DataFrame(
    {
        "default": [0.5, 0.2, 1.0],
        "lower": [0.0, 0.0, math.nan],
        "upper": [1.0, 0.5, math.nan],
        "group": ["private_gvc", "social_cluster", "structural"],
    },
    index=pd.Index(["Audit frequency", "Organising rate", "Adjustment time"], name="name"),
)
VARIABLES = pd.Index(["Social upgrading index", "Average wage"])


def _with(**changes):
    return {**BASE, **changes}


def test_toml_file_round_trip(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(
        """
name = "demo"
description = "two levers"
n = 128
seed = 42
second_order = false
scenario = "csr"

[[parameters]]
name = "Audit frequency"
lower = 0.1
upper = 0.9
distribution = "triang"
peak = 0.5

[[parameters]]
name = "Organising rate"

[[outputs]]
name = "social"
variable = "Social upgrading index"
reducer = "mean"
start = 2020
end = 2035

[[outputs]]
variable = "Average wage"
""",
        encoding="utf-8",
    )
    study = load_study(path)
    assert study.name == "demo" and study.n == 128 and study.seed == 42
    assert study.second_order is False and study.scenario == "csr"
    assert study.parameters[0].distribution == "triang"
    assert study.outputs[0].reducer == "mean" and study.outputs[0].start == 2020
    assert study.outputs[1].reducer == "trajectory" and study.outputs[1].name == "Average wage"
    resolved = study.resolve(TABLE, VARIABLES, time_range=(1995, 2035))
    organising = resolved.parameters[1]
    assert (organising.lower, organising.upper, organising.group) == (0.0, 0.5, "social_cluster")
    assert resolved.groups() == {
        "private_gvc": ("Audit frequency",),
        "social_cluster": ("Organising rate",),
    }
    assert resolved.problem()["bounds"][0] == [0.1, 0.9, 0.5]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_with(n=100), "N must be a power of two"),
        (_with(n=0), "N must be a power of two"),
        (_with(outputs=[]), "'outputs' is empty"),
        (_with(parameters=[]), "'parameters' must be a non-empty list"),
        (
            _with(parameters=[{"name": "Audit frequency", "lower": 0.5, "upper": 0.5}]),
            "lower < upper",
        ),
        (
            _with(parameters=[{"name": "Audit frequency", "lower": 0.9, "upper": 0.1}]),
            "needs lower < upper, got lower=0.9, upper=0.1",
        ),
        (_with(parameters=[{"name": "x", "lowr": 0}]), "unknown key(s) 'lowr'"),
        (_with(parameters=[{"name": "x", "lower": "a"}]), "'lower' must be a number"),
        (_with(parameters=[{"name": "x", "distribution": "cauchy"}]), "unknown distribution"),
        (_with(parameters=[{"name": "x"}, {"name": "x"}]), "parameters listed twice: x"),
        (_with(outputs=[{"variable": "v", "reducer": "median"}]), "unknown reducer"),
        (_with(outputs=[{"variable": "v", "reducer": "mean", "start": 2000}]), "needs 'start'"),
        (_with(outputs=[{"variable": "v", "reducer": "at"}]), "reducer 'at' needs 'year'"),
        (_with(second_order="yes"), "'second_order' must be true or false"),
        (_with(nn=4), "unknown key(s) 'nn'"),
    ],
)
def test_bad_specs_raise_clear_errors(spec, message):
    with pytest.raises(SpecError, match=None) as caught:
        load_study(spec)
    assert message in str(caught.value)


def test_unknown_parameter_is_named_with_suggestion():
    spec = _with(parameters=[{"name": "Audit frequncy", "lower": 0.1, "upper": 0.9}])
    with pytest.raises(SpecError, match=r"unknown parameter 'Audit frequncy'.*'Audit frequency'"):
        load_study(spec).resolve(TABLE, VARIABLES)


def test_unknown_output_variable_and_years_outside_run():
    with pytest.raises(SpecError, match="unknown variable 'Wage'"):
        load_study(_with(outputs=[{"variable": "Wage", "reducer": "at", "year": 2000}])).resolve(
            TABLE, VARIABLES
        )
    late = _with(outputs=[{"variable": "Average wage", "reducer": "at", "year": 2050}])
    with pytest.raises(SpecError, match="year 2050 lies outside the run"):
        load_study(late).resolve(TABLE, VARIABLES, time_range=(1995, 2035))


def test_bounds_must_stay_inside_the_model_range_and_exist():
    wide = _with(parameters=[{"name": "Organising rate", "lower": 0.0, "upper": 0.8}])
    with pytest.raises(SpecError, match="reaches outside its range"):
        load_study(wide).resolve(TABLE, VARIABLES)
    unbounded = _with(parameters=[{"name": "Adjustment time"}])
    with pytest.raises(SpecError, match="no bounds in the spec and no"):
        load_study(unbounded).resolve(TABLE, VARIABLES)


def test_model_study_needs_outputs():
    spec = {key: value for key, value in BASE.items() if key != "outputs"}
    with pytest.raises(SpecError, match="needs at least one entry in 'outputs'"):
        load_study(spec).resolve(TABLE, VARIABLES)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(SpecError, match="does not exist"):
        load_study(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("n = [", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_study(broken)


def test_function_target_errors():
    spec = {"parameters": [{"name": "x", "lower": 0, "upper": 1}]}
    with pytest.raises(SpecError, match="no bounds"):
        sobol({"parameters": [{"name": "x"}]}, functions.ishigami, n=8)
    with pytest.raises(SpecError, match=r"returned shape"):
        sobol(spec, lambda x: np.zeros((2, 2)), n=8)
    with pytest.raises(SpecError, match="N must be a power of two"):
        sobol(spec, lambda x: x[:, 0], n=12)
    with pytest.raises(SpecError, match="must be a gvc_upgrading Model"):
        sobol(spec, 42, n=8)
    with pytest.raises(SpecError, match="names 'z', which the study does not vary"):
        sobol(spec, lambda x: x[:, 0], n=8, groups={"g": ["z"]})


def test_non_finite_function_output_is_an_error():
    from gvc_upgrading.errors import SimulationError

    spec = {"parameters": [{"name": "x", "lower": 0, "upper": 1}]}
    with pytest.raises(SimulationError, match="output 'y' is not finite"):
        sobol(spec, lambda x: np.where(x[:, 0] > 0.5, np.nan, x[:, 0]), n=8, second_order=False)


def test_scheduler_with_a_function_target_is_refused():
    import numpy as np

    from gvc_upgrading.errors import SpecError
    from gvc_upgrading.sensitivity import sobol

    study = {"parameters": [{"name": "a", "lower": 0, "upper": 1}]}
    with pytest.raises(SpecError, match="no effect on a function"):
        sobol(study, lambda x: x[:, 0], n=8, scheduler="threads")
    assert np.isfinite(sobol(study, lambda x: x[:, 0], n=8)["ST"]).all()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"n": "64"}, "n must be an integer, got str '64'"),
        ({"n": 64.0}, "n must be an integer, got float 64.0"),
        ({"n": True}, "n must be an integer"),
        ({"seed": "a"}, "seed must be an integer, got str 'a'"),
        ({"second_order": "yes"}, "second_order must be True or False, got str"),
    ],
)
def test_wrongly_typed_study_options_are_named(changes, message):
    """Issue 12: options given from Python are type-checked, not left to fail inside NumPy."""
    study = load_study(shipped_path("sensitivity", "studies", "default.toml"))
    with pytest.raises(SpecError, match=message):
        study.with_options(**changes)
    assert study.with_options(n=np.int64(64), seed=np.int32(1)).n == 64
