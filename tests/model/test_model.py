"""Loading a model and running it with pysd: outputs, analytic answers, provenance, isolation."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from gvc_upgrading import Model, load_model
from gvc_upgrading.outcomes import KEY_OUTCOMES

from .paths import TINY_MODEL, TINY_SCENARIOS

# Euler integration of capability with no buyer support: dC/dt = -erosion * C.
INITIAL_CAPABILITY = 0.2
EROSION = 0.05
DT = 0.25


def erosion_only(times: np.ndarray, dt: float = DT) -> np.ndarray:
    steps = np.round((times - 1995.0) / dt)
    return INITIAL_CAPABILITY * (1 - EROSION * dt) ** steps


def test_load_model_exposes_parameters_variables_and_stocks(tiny_model: Model) -> None:
    assert tiny_model.path == TINY_MODEL.resolve()
    assert tiny_model.sha256 == hashlib.sha256(TINY_MODEL.read_bytes()).hexdigest()
    assert tiny_model.stocks == ("Supplier capability", "Export orders")
    table = tiny_model.parameters
    assert list(table.columns) == ["default", "lower", "upper", "unit", "group", "description"]
    assert table.loc["Buyer support"].to_dict() == {
        "default": 0.3,
        "lower": 0.0,
        "upper": 1.0,
        "unit": "Dmnl",
        "group": "private_gvc",
        "description": "Intensity of buyer learning support.",
    }
    assert "Supplier capability" in tiny_model.variables.index
    assert tiny_model.variables.at["Growth effect", "kind"] == "lookup"
    assert tiny_model.namespace["Supplier capability"] == "supplier_capability"


def test_run_returns_every_variable_by_vensim_name(tiny_model: Model) -> None:
    result = tiny_model.run()
    expected = {
        name
        for name, kind in tiny_model.variables["kind"].items()
        if kind != "lookup" and name not in {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER"}
    }
    assert set(result.data_vars) == expected
    assert list(result.dims) == ["time"]
    np.testing.assert_allclose(result["time"], np.arange(1995, 2005.0001, 0.25))
    assert result["Export orders"].attrs["units"] == "USD bn/Year"
    assert result["Supplier capability"].attrs["description"].startswith("Share of frontier")


def test_run_matches_the_euler_solution_without_buyer_support(tiny_model: Model) -> None:
    result = tiny_model.run({"Buyer support": 0})
    times = result["time"].to_numpy()
    np.testing.assert_allclose(result["Supplier capability"], erosion_only(times), rtol=1e-12)
    np.testing.assert_allclose(result["Economic upgrading index"], 100 * erosion_only(times))


def test_time_step_and_final_time_overrides(tiny_model: Model) -> None:
    result = tiny_model.run({"Buyer support": 0}, final_time=2000, time_step=0.125)
    assert float(result["time"][-1]) == 2000
    final = float(result["Supplier capability"].sel(time=2000))
    assert final == pytest.approx(erosion_only(np.array([2000.0]), dt=0.125)[0], rel=1e-12)
    assert result.attrs["time_step"] == 0.125


def test_time_series_input_is_interpolated_over_years(tiny_model: Model) -> None:
    support = pd.Series([0.0, 1.0], index=[1995, 2005])
    result = tiny_model.run({"Buyer support": support})
    assert float(result["Buyer support"].sel(time=2000)) == pytest.approx(0.5)
    assert float(result["Buyer support"].sel(time=1997.5)) == pytest.approx(0.25)
    assert json.loads(result.attrs["overrides"]) == {"Buyer support": {"1995": 0.0, "2005": 1.0}}


def test_zero_demand_growth_keeps_orders_constant(tiny_model: Model) -> None:
    result = tiny_model.run({"Demand growth": 0.0})
    np.testing.assert_array_equal(result["Export orders"], 1.0)


def test_runs_never_change_the_loaded_model(tiny_model: Model) -> None:
    fresh = load_model(TINY_MODEL).run()
    tiny_model.run({"Buyer support": 1.0, "Learning rate": 2.0}, final_time=2000)
    tiny_model.run({"Buyer support": pd.Series([0.0, 1.0], index=[1995, 2005])})
    again = tiny_model.run()
    assert again.drop_attrs().identical(fresh.drop_attrs())
    assert float(tiny_model.parameters.at["Buyer support", "default"]) == 0.3


def test_provenance_attributes(tiny_model: Model) -> None:
    result = tiny_model.run({"Learning rate": 1.5})
    attrs = result.attrs
    assert attrs["model_sha256"] == tiny_model.sha256
    assert attrs["model_file"] == str(TINY_MODEL.resolve())
    assert attrs["scenario"] == ""
    assert json.loads(attrs["overrides"]) == {"Learning rate": 1.5}
    assert attrs["created"].endswith("Z")
    for key in ("gvc_upgrading_version", "pysd_version"):
        assert attrs[key]


def test_scenario_values_come_first_and_params_on_top(tiny_model: Model) -> None:
    scenario = TINY_SCENARIOS / "csr.toml"
    result = tiny_model.run(scenario=scenario)
    assert result.attrs["scenario"] == "csr"
    assert float(result["Buyer support"][0]) == 0.35
    overridden = tiny_model.run({"Buyer support": 0.9}, scenario=scenario)
    assert float(overridden["Buyer support"][0]) == 0.9
    assert json.loads(overridden.attrs["overrides"]) == {"Buyer support": 0.9}


def test_scenario_series_reach_the_run(tiny_model: Model) -> None:
    result = tiny_model.run(scenario=TINY_SCENARIOS / "synergistic.toml")
    assert float(result["Demand growth"].sel(time=1997.5)) == pytest.approx(0.04)
    assert float(result["Learning rate"][0]) == 1.0


def test_load_model_default_is_the_shipped_model(shipped_model: Model) -> None:
    from gvc_upgrading import resources

    shipped = resources.shipped_path(*resources.SHIPPED_MODEL)
    assert shipped_model.path == shipped.resolve()
    assert set(KEY_OUTCOMES) <= set(shipped_model.variables.index)
    assert set(shipped_model.stocks) >= {"Supplier capability", "True compliance less visible"}


def test_pysd_notes_on_the_run_are_kept_in_the_result(tiny_model: Model) -> None:
    # Buyer support 10 drives capability past 1, the end of the Growth effect lookup.
    result = tiny_model.run({"Buyer support": 10.0}, check_bounds=False)
    notes = json.loads(result.attrs["simulation_warnings"])
    assert any("growth_effect" in note and "extrapolating" in note for note in notes)
    quiet = tiny_model.run({"Buyer support": pd.Series([0.0, 1.0], index=[1995, 2005])})
    assert json.loads(quiet.attrs["simulation_warnings"]) == []
