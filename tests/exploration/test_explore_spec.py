"""Exploration specs: the shipped ones load; malformed ones are refused with clear errors."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading.errors import SpecError
from gvc_upgrading.exploration.design import make_design, policy_levers, sample_futures
from gvc_upgrading.exploration.spec import load_spec, spec_from_mapping
from gvc_upgrading.resources import shipped_path
from gvc_upgrading.scenarios import SINGLE_PATHS

SPECS = shipped_path("sensitivity", "exploration")

MINIMAL = {
    "name": "mini",
    "n": 10,
    "policies": ["baseline", "csr"],
    "uncertainties": [
        {"name": "World demand growth", "lower": 0.0, "upper": 0.1},
        {"name": "Squeeze sensitivity", "lower": 0.5, "upper": 3.0},
    ],
}

PARAMETERS = pd.DataFrame(
    {"default": [0.06, 1.5, 0.2, 0.5], "lower": [-0.05, 0.0, 0.0, 0.0], "upper": [0.2, 5, 1, 6]},
    index=[
        "World demand growth",
        "Squeeze sensitivity",
        "Buyer code intensity",
        "Audit frequency",
    ],
)
VARIABLES = ["Economic upgrading index", "Social upgrading index"]


def _spec(**changes):
    data = copy.deepcopy(MINIMAL)
    data.update(changes)
    return spec_from_mapping(data)


def test_the_default_spec_loads_with_every_single_path() -> None:
    spec = load_spec(SPECS / "default.toml")
    names = [p.name for p in spec.policies]
    assert set(SINGLE_PATHS) <= set(names)
    assert {"baseline", "synergistic", "displacement"} <= set(names)
    assert spec.n >= 20000
    assert spec.years[0] == spec.start and spec.years[-1] == spec.end


def test_the_combinations_spec_adds_every_pair() -> None:
    spec = load_spec(SPECS / "combinations.toml")
    pairs = [p for p in spec.policies if len(p.scenarios) == 2]
    assert len(pairs) == len(SINGLE_PATHS) * (len(SINGLE_PATHS) - 1) // 2
    assert "csr+labour" in {p.name for p in pairs}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "red"}, "unknown key"),
        ({"n": 1}, "'n' must be a whole number"),
        ({"policies": ["csr"]}, "at least two policies"),
        ({"policies": ["csr", "csr"]}, "duplicate policy"),
        ({"uncertainties": []}, "at least one"),
        ({"uncertainties": [{"name": "x", "lower": 1.0, "upper": 0.0}]}, "must be below"),
        ({"horizon": {"start": 2030, "end": 2000}}, "must be before end"),
        ({"prim": {"target": "everything"}}, "target must be one of"),
        ({"classes": {"reference": "labour"}}, "reference 'labour' is not one of the policies"),
        ({"policies": [{"name": "p", "intensity": 2.0}, "csr"]}, "intensity"),
    ],
)
def test_malformed_specs_are_refused(changes, message) -> None:
    with pytest.raises(SpecError, match=message):
        _spec(**changes)


def test_check_against_the_model_names_the_problem() -> None:
    scenarios = ["baseline", "csr"]
    _spec().check(PARAMETERS, VARIABLES, (1995, 2035), scenarios)
    wrong = _spec(uncertainties=[{"name": "World demand grwoth", "lower": 0, "upper": 0.1}])
    with pytest.raises(SpecError, match="did you mean 'World demand growth'"):
        wrong.check(PARAMETERS, VARIABLES, (1995, 2035), scenarios)
    wide = _spec(uncertainties=[{"name": "World demand growth", "lower": -1, "upper": 0.1}])
    with pytest.raises(SpecError, match="reaches outside its range"):
        wide.check(PARAMETERS, VARIABLES, (1995, 2035), scenarios)
    with pytest.raises(SpecError, match="unknown scenario 'crs'"):
        _spec(policies=["baseline", "crs"]).check(PARAMETERS, VARIABLES, (1995, 2035), scenarios)
    lever = _spec(policies=["baseline", {"name": "p", "parameters": {"Squeeze sensitivity": 1}}])
    with pytest.raises(SpecError, match="both an uncertainty and a lever"):
        lever.check(PARAMETERS, VARIABLES, (1995, 2035), scenarios)
    with pytest.raises(SpecError, match="outside the model's run"):
        _spec(horizon={"start": 1990}).check(PARAMETERS, VARIABLES, (1995, 2035), scenarios)
    with pytest.raises(SpecError, match="unknown outcome variable"):
        _spec(outcomes=["Wages"]).check(PARAMETERS, VARIABLES, (1995, 2035), scenarios)


def test_a_missing_or_broken_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "none.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("n = [")
    with pytest.raises(SpecError, match="TOML syntax error"):
        load_spec(broken)


SCENARIOS = {
    "a": {"Buyer code intensity": 0.8, "Audit frequency": 3.0},
    "b": {"Buyer code intensity": 0.5},
}


def test_combined_policies_keep_the_stronger_lever_and_intensity_scales() -> None:
    spec = _spec(
        policies=[
            {"name": "a+b", "scenarios": ["a", "b"]},
            {"name": "half a", "scenarios": ["a"], "intensity": 0.5},
            {"name": "none", "scenarios": []},
        ]
    )
    levers = policy_levers(spec, SCENARIOS.__getitem__, PARAMETERS["default"])
    assert levers.at["a+b", "Buyer code intensity"] == 0.8
    assert levers.at["a+b", "Audit frequency"] == 3.0
    assert levers.at["half a", "Buyer code intensity"] == pytest.approx(0.2 + 0.5 * (0.8 - 0.2))
    assert levers.at["none", "Audit frequency"] == 0.5, "a silent policy keeps the default"


def test_the_error_rule_refuses_disagreeing_scenarios() -> None:
    data = copy.deepcopy(MINIMAL)
    data["policies"] = ["a"]
    data["combinations"] = {"of": ["a", "b"], "sizes": [2], "rule": "error"}
    spec = spec_from_mapping(data)
    with pytest.raises(SpecError, match=r"'Buyer code intensity' to 0\.8 and 0\.5"):
        policy_levers(spec, SCENARIOS.__getitem__, PARAMETERS["default"])


def test_futures_are_a_seeded_latin_hypercube_shared_by_every_policy() -> None:
    spec = _spec()
    futures = sample_futures(spec, 50, seed=4)
    assert futures.equals(sample_futures(spec, 50, seed=4))
    assert not futures.equals(sample_futures(spec, 50, seed=5))
    for u in spec.uncertainties:
        unit = (futures[u.name] - u.lower) / (u.upper - u.lower)
        # one sample in each of the 50 equal strata
        assert sorted(np.floor(unit * 50).astype(int)) == list(range(50))
    design = make_design(
        spec,
        {"baseline": {}, "csr": SCENARIOS["a"]}.__getitem__,
        PARAMETERS["default"],
        n=50,
        seed=4,
    )
    matrix = design.matrix()
    assert len(matrix) == 100
    first, second = matrix.iloc[:50], matrix.iloc[50:]
    assert np.array_equal(
        first[list(spec.uncertainty_names)].to_numpy(),
        second[list(spec.uncertainty_names)].to_numpy(),
    )
    assert (second["Audit frequency"] == 3.0).all() and (first["Audit frequency"] == 0.5).all()
