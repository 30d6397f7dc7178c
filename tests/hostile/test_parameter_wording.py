"""One parameter table, one wording: every surface refuses a bad name or range the same way.

Model runs, batch samples, scenarios, calibration cases, sensitivity studies
and explorations all check parameter names and ranges through
:class:`gvc_upgrading.validation.ParameterTable`; each message below is the
table's, after the surface's own prefix (file, study or case).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from gvc_upgrading import load_model
from gvc_upgrading.calibration.case import check_case, load_case
from gvc_upgrading.errors import GvcError
from gvc_upgrading.exploration import load_spec
from gvc_upgrading.scenarios import Scenario, validate_scenario
from gvc_upgrading.sensitivity.spec import load_study

from .conftest import MODEL

UNKNOWN = r"unknown parameter 'Grwth'; did you mean 'Growth'\?"
NOT_A_CONSTANT = r"unknown parameter 'Stock' \(it is a model variable, not a constant"
OUT_OF_RANGE = r"parameter 'Growth': value 5 (\(item \d+\) )?is outside its range \[0, 1\]"
NOT_FINITE = r"parameter 'Growth': value nan (\(item \d+\) )?is not a finite number"
WIDE = r"parameter 'Growth': the range \[0, 2\] reaches outside its range \[0, 1\] in the model"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("wording") / "model.mdl"
    path.write_text(MODEL, encoding="utf-8")
    return load_model(path)


def _study(name: str, lower: float, upper: float):
    return load_study(
        {
            "name": "s",
            "n": 8,
            "parameters": [{"name": name, "lower": lower, "upper": upper}],
            "outputs": [{"name": "stock", "variable": "Stock", "year": 10}],
        }
    )


def _exploration(name: str, lower: float, upper: float):
    return load_spec(
        {
            "name": "e",
            "n": 8,
            "policies": ["baseline", "other"],
            "outcomes": ["Stock"],
            "uncertainties": [{"name": name, "lower": lower, "upper": upper}],
        }
    )


def _check_exploration(model, spec) -> None:
    spec.check(model.parameters, list(model.variables.index), (0.0, 10.0), ["baseline", "other"])


SURFACES = {
    "Model.run": lambda m, name, value: m.run({name: value}),
    "BatchModel.run": lambda m, name, value: m.compile().run({name: np.array([0.1, value])}),
    "scenario": lambda m, name, value: validate_scenario(
        Scenario("s", "", "", parameters={name: value}), m
    ),
}


@pytest.mark.parametrize("surface", sorted(SURFACES))
@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("Grwth", 0.5, UNKNOWN),
        ("Stock", 0.5, NOT_A_CONSTANT),
        ("Growth", 5.0, OUT_OF_RANGE),
        ("Growth", math.nan, NOT_FINITE),
    ],
    ids=["unknown", "variable", "out_of_range", "nan"],
)
def test_values_are_refused_in_one_wording(model, surface, name, value, problem) -> None:
    with pytest.raises(GvcError, match=problem):
        SURFACES[surface](model, name, value)


@pytest.mark.parametrize(
    ("name", "upper", "problem"),
    [("Grwth", 0.5, UNKNOWN), ("Stock", 0.5, NOT_A_CONSTANT), ("Growth", 2.0, WIDE)],
    ids=["unknown", "variable", "too_wide"],
)
def test_sampling_ranges_are_refused_in_one_wording(model, name, upper, problem) -> None:
    with pytest.raises(GvcError, match=r"study 's': " + problem):
        _study(name, 0.0, upper).resolve(model.parameters, model.variables.index)
    with pytest.raises(GvcError, match=r"uncertainty: " + problem):
        _check_exploration(model, _exploration(name, 0.0, upper))


LOGISTIC = Path(__file__).resolve().parents[1] / "calibration" / "data" / "logistic.mdl"


def test_calibration_cases_use_the_same_wording(tmp_path: Path) -> None:
    from .test_cases import CASE, _data

    logistic = load_model(LOGISTIC)
    variables = set(logistic.variables.index)
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "data.csv").write_text(_data(), encoding="utf-8")
    for text, problem in [
        (CASE.replace('"Growth rate"', '"Growth rat"'), r"unknown parameter 'Growth rat'"),
        (
            CASE.replace("upper = 0.6", "upper = 5"),
            r"parameter 'Growth rate': the range \[0\.05, 5\] reaches outside its range",
        ),
    ]:
        (folder / "case.toml").write_text(
            text.format(name="c", model=LOGISTIC.as_posix()), encoding="utf-8"
        )
        with pytest.raises(GvcError, match=r"case 'c': free parameter: " + problem):
            check_case(load_case(folder), logistic.parameters, variables)
