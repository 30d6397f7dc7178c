"""Scenario files: loading, merging over baseline, validation, and the comparison."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gvc_upgrading import Model, ScenarioError, UnknownVariableError
from gvc_upgrading.scenarios import (
    SINGLE_PATHS,
    Scenario,
    compare,
    list_scenarios,
    load_scenario,
    run_scenarios,
    synergy_table,
    validate_scenario,
)

from .paths import TINY_SCENARIOS

OUTCOMES = ("Supplier capability", "Export orders")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = 'description = "d"\ntheory = "t"\n'


def test_load_by_name_merges_over_baseline() -> None:
    csr = load_scenario("csr", directory=TINY_SCENARIOS)
    assert isinstance(csr, Scenario)
    assert csr.name == "csr"
    assert csr.extends == "baseline"
    assert csr.parameters == {"Buyer support": 0.35}
    assert csr.path == TINY_SCENARIOS / "csr.toml"
    assert csr.theory.startswith("Gereffi & Lee (2016)")


def test_extends_chain_and_series(scenario_dir: Path) -> None:
    write(
        scenario_dir,
        "baseline",
        f'name = "baseline"\n{HEADER}[parameters]\n"Erosion rate" = 0.1\n',
    )
    synergistic = load_scenario(scenario_dir / "synergistic.toml")
    assert synergistic.extends == "market"
    assert synergistic.parameters == {
        "Erosion rate": 0.1,  # from baseline, through market
        "Buyer support": 1.0,  # own value wins over market's 0.3
        "Learning rate": 1.0,
    }
    pd.testing.assert_series_equal(
        synergistic.series["Demand growth"],
        pd.Series(
            [0.02, 0.06, 0.04],
            index=pd.Index([1995.0, 2000.0, 2005.0], name="time"),
            name="Demand growth",
        ),
    )


def test_own_constant_replaces_an_inherited_series(scenario_dir: Path) -> None:
    write(
        scenario_dir,
        "child",
        f'name = "child"\n{HEADER}extends = "synergistic"\n[parameters]\n"Demand growth" = 0.05\n',
    )
    child = load_scenario("child", directory=scenario_dir)
    assert child.parameters["Demand growth"] == 0.05
    assert "Demand growth" not in child.series


def test_list_scenarios_in_canonical_order() -> None:
    names = [s.name for s in list_scenarios(TINY_SCENARIOS)]
    assert names == ["baseline", *SINGLE_PATHS, "synergistic"]


def test_validate_against_the_model(tiny_model: Model) -> None:
    for scenario in list_scenarios(TINY_SCENARIOS):
        validate_scenario(scenario, tiny_model)


def test_shipped_scenarios_fit_the_shipped_model(shipped_model: Model) -> None:
    model = shipped_model
    names = [scenario.name for scenario in list_scenarios()]
    assert {"baseline", *SINGLE_PATHS, "synergistic", "displacement"} <= set(names)
    for name in names:
        load_scenario(name, model)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('name = "bad"\n' + HEADER + "[parameters\n", r"TOML syntax error.*line 4"),
        ('name = "bad"\n' + HEADER + 'colour = "red"\n', r"unknown key\(s\) \['colour'\]"),
        ('name = "bad"\ntheory = "t"\n', "missing required key 'description'"),
        ('name = "other"\n' + HEADER, "must match the file name 'bad'"),
        ('name = "bad"\n' + HEADER + "parameters = 3\n", r"\[parameters\] must be a table"),
        (
            'name = "bad"\n' + HEADER + '[parameters]\n"Buyer support" = "high"\n',
            "'Buyer support' must be a number",
        ),
        (
            'name = "bad"\n' + HEADER + '[parameters]\n"Buyer support" = true\n',
            "'Buyer support' must be a number",
        ),
        ('name = "bad"\n' + HEADER + '[parameters]\n"Buyer support" = nan\n', "not a finite"),
        ('name = "bad"\n' + HEADER + 'extends = "nowhere"\n', "extends 'nowhere'.*unknown"),
        (
            'name = "bad"\n' + HEADER + '[series."Buyer support"]\nyears = [1995, 2000]\n'
            "values = [0.1]\n",
            "'years' has 2 entries but 'values' has 1",
        ),
        (
            'name = "bad"\n' + HEADER + '[series."Buyer support"]\nyears = [2000, 1995]\n'
            "values = [0.1, 0.2]\n",
            "strictly increasing",
        ),
        (
            'name = "bad"\n' + HEADER + '[series."Buyer support"]\nyears = [1995]\n'
            "values = [0.1]\nstep = 1\n",
            r"unknown key\(s\) \['step'\]",
        ),
        (
            'name = "bad"\n' + HEADER + '[series."Buyer support"]\nyears = [1995]\n',
            r"missing key\(s\) \['values'\]",
        ),
        (
            'name = "bad"\n' + HEADER + '[parameters]\n"Buyer support" = 0.2\n'
            '[series."Buyer support"]\nyears = [1995]\nvalues = [0.1]\n',
            "both as a constant",
        ),
    ],
)
def test_malformed_scenario_file_names_file_and_problem(
    scenario_dir: Path, text: str, problem: str
) -> None:
    path = write(scenario_dir, "bad", text)
    with pytest.raises(ScenarioError, match=problem) as info:
        load_scenario(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("parameters", "problem"),
    [
        ('"Buyer suport" = 0.2', "unknown parameter 'Buyer suport'; did you mean 'Buyer support'"),
        ('"Buyer support" = 1.5', r"outside its range \[0, 1\]"),
        ('"Capability building" = 0.5', "not a constant"),
    ],
)
def test_scenario_that_does_not_fit_the_model(
    tiny_model: Model, scenario_dir: Path, parameters: str, problem: str
) -> None:
    path = write(scenario_dir, "bad", f'name = "bad"\n{HEADER}[parameters]\n{parameters}\n')
    load_scenario(path)  # well formed on its own
    with pytest.raises(ScenarioError, match=problem) as info:
        load_scenario(path, tiny_model)
    assert str(path) in str(info.value)


def test_series_out_of_range_in_a_scenario(tiny_model: Model, scenario_dir: Path) -> None:
    path = write(
        scenario_dir,
        "bad",
        f'name = "bad"\n{HEADER}[series."Buyer support"]\n'
        "years = [1995, 2001]\nvalues = [0.1, 3]\n",
    )
    with pytest.raises(ScenarioError, match=r"outside its range.*2001"):
        load_scenario(path, tiny_model)


def test_unknown_scenario_name_suggests_close_ones() -> None:
    with pytest.raises(ScenarioError, match=r"unknown scenario 'csrr'.*did you mean 'csr'"):
        load_scenario("csrr", directory=TINY_SCENARIOS)


def test_missing_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "nothing.toml")


def test_extends_cycle_is_refused(scenario_dir: Path) -> None:
    write(scenario_dir, "a", f'name = "a"\n{HEADER}extends = "b"\n')
    write(scenario_dir, "b", f'name = "b"\n{HEADER}extends = "a"\n')
    with pytest.raises(ScenarioError, match="cycle: a -> b -> a"):
        load_scenario("a", directory=scenario_dir)


@pytest.fixture(scope="module")
def comparison(tiny_model: Model) -> xr.Dataset:
    return compare(tiny_model, directory=TINY_SCENARIOS, outcomes=OUTCOMES)


def test_compare_stacks_scenarios_and_matches_single_runs(
    tiny_model: Model, comparison: xr.Dataset
) -> None:
    assert list(comparison["scenario"].values) == ["baseline", *SINGLE_PATHS, "synergistic"]
    assert list(comparison["outcome"].values) == list(OUTCOMES)
    assert comparison["value"].dims == ("scenario", "outcome", "time")
    csr = tiny_model.run(scenario=TINY_SCENARIOS / "csr.toml")
    np.testing.assert_array_equal(
        comparison["value"].sel(scenario="csr", outcome="Supplier capability"),
        csr["Supplier capability"],
    )


def test_differences_from_baseline(comparison: xr.Dataset) -> None:
    value, difference = comparison["value"], comparison["difference"]
    assert float(abs(difference.sel(scenario="baseline")).max()) == 0.0
    expected = value.sel(scenario="market") - value.sel(scenario="baseline")
    np.testing.assert_allclose(difference.sel(scenario="market"), expected)
    np.testing.assert_allclose(
        comparison["difference_pct"].sel(scenario="market"),
        100 * expected / abs(value.sel(scenario="baseline")),
    )


def test_synergy_table_is_combined_gain_against_summed_single_gains(
    comparison: xr.Dataset,
) -> None:
    gains = comparison["difference"]
    summed = gains.sel(scenario=list(SINGLE_PATHS)).sum("scenario")
    np.testing.assert_allclose(comparison["sum_single_gains"], summed)
    np.testing.assert_allclose(comparison["combined_gain"], gains.sel(scenario="synergistic"))
    np.testing.assert_allclose(comparison["synergy_excess"], comparison["combined_gain"] - summed)
    # In the first year every gain is 0, so the ratio is undefined.
    assert np.isnan(comparison["synergy_ratio"].isel(time=0)).all()
    table = synergy_table(comparison, year=2000)
    assert table.attrs["year"] == 2000.0
    row = table.loc["Export orders"]
    assert row["synergy_ratio"] == pytest.approx(row["combined_gain"] / row["sum_single_gains"])
    assert row["super_additive"] == (row["synergy_excess"] > 0)
    assert synergy_table(comparison).attrs["year"] == 2005.0


def test_compare_without_the_combined_scenario_has_no_synergy(tiny_model: Model) -> None:
    result = compare(tiny_model, ["csr"], directory=TINY_SCENARIOS, outcomes=OUTCOMES)
    assert list(result["scenario"].values) == ["baseline", "csr"]
    assert "synergy_excess" not in result
    with pytest.raises(ScenarioError, match="no synergy table"):
        synergy_table(result)


def test_compare_refuses_unknown_outcomes(tiny_model: Model) -> None:
    with pytest.raises(UnknownVariableError, match="Wages"):
        compare(tiny_model, ["csr"], directory=TINY_SCENARIOS, outcomes=["Wages"])


def test_run_scenarios_records_each_scenarios_values(tiny_model: Model) -> None:
    runs = run_scenarios(tiny_model, ["baseline", "csr"], directory=TINY_SCENARIOS)
    assert runs["Supplier capability"].dims == ("scenario", "time")
    assert list(runs["overrides"].values) == ['{"Buyer support": 0.1}', '{"Buyer support": 0.35}']
    assert runs["Supplier capability"].attrs["units"] == "Dmnl"
    assert runs.attrs["model_sha256"] == tiny_model.sha256


def test_batch_engine_gives_the_pysd_comparison(tiny_model: Model, comparison: xr.Dataset) -> None:
    batch = compare(tiny_model, directory=TINY_SCENARIOS, outcomes=OUTCOMES, engine="batch")
    assert batch.attrs["engine"] == "batch"
    for name in ("value", "difference", "synergy_excess"):
        np.testing.assert_allclose(batch[name], comparison[name], rtol=1e-12, atol=1e-14)


def test_unknown_engine(tiny_model: Model) -> None:
    with pytest.raises(ValueError, match="engine must be"):
        compare(tiny_model, ["csr"], directory=TINY_SCENARIOS, outcomes=OUTCOMES, engine="fast")


def test_scenarios_compare_by_value() -> None:
    first = load_scenario(TINY_SCENARIOS / "synergistic.toml")
    assert first == load_scenario("synergistic", directory=TINY_SCENARIOS)
    assert first != load_scenario("market", directory=TINY_SCENARIOS)


def test_series_entirely_outside_the_run_is_refused(tiny_model: Model, scenario_dir: Path) -> None:
    """Issue 12: a series whose years miss the run would act only through its end value."""
    last = tiny_model.final_time
    path = write(
        scenario_dir,
        "late",
        f'name = "late"\n{HEADER}[series."Buyer support"]\n'
        f"years = [{last + 10:g}, {last + 20:g}]\nvalues = [0.1, 0.2]\n",
    )
    load_scenario(path)  # well formed on its own
    with pytest.raises(ScenarioError, match=r"entirely outside the model's run") as info:
        load_scenario(path, tiny_model)
    assert str(path) in str(info.value)
    overlapping = write(
        scenario_dir,
        "overlap",
        f'name = "overlap"\n{HEADER}[series."Buyer support"]\n'
        f"years = [{last - 1:g}, {last + 20:g}]\nvalues = [0.1, 0.2]\n",
    )
    load_scenario(overlapping, tiny_model)  # one year inside the run is enough


def test_compare_says_its_setup(tiny_model: Model, comparison: xr.Dataset) -> None:
    """The comparison names its parameters and the year its levers switch on."""
    setup = comparison.attrs["setup"]
    assert setup.startswith(f"Scenario levers switch on in {tiny_model.initial_time:g}")
    assert "default (uncalibrated) parameters" in setup


def _late_scenarios(model: Model, folder: Path) -> float:
    """Baseline at the model's defaults, csr, and "late": csr's levers from a later year."""
    write(folder, "baseline", HEADER + 'name = "baseline"\n')  # the model's defaults
    (folder / "csr.toml").write_text((TINY_SCENARIOS / "csr.toml").read_text("utf-8"), "utf-8")
    late = model.initial_time + round((model.final_time - model.initial_time) / 2)
    write(folder, "late", HEADER + f'name = "late"\nextends = "csr"\nstart = {late:g}\n')
    return late


@pytest.mark.parametrize("engine", ["pysd", "batch"])
def test_compare_switches_a_scenarios_levers_on_at_its_start_year(
    tiny_model: Model, tmp_path: Path, engine: str
) -> None:
    """Levers from ``start``: the run equals baseline before it and departs from it after."""
    late = _late_scenarios(tiny_model, tmp_path)
    comparison = compare(
        tiny_model, ["csr", "late"], directory=tmp_path, outcomes=OUTCOMES, engine=engine
    )
    difference = comparison["difference"]
    time = comparison["time"]
    assert float(abs(difference.sel(scenario="late").where(time < late)).max()) == 0.0
    assert float(abs(difference.sel(scenario="late").where(time > late)).max()) > 0.0
    # the same levers from the first year depart from baseline before ``late``: the start
    # year, not the levers, keeps "late" on baseline until then
    assert float(abs(difference.sel(scenario="csr").where(time < late)).max()) > 0.0
    assert f"late from {late:g}" in comparison.attrs["setup"]


def test_compare_and_the_report_comparison_run_the_same_start_years(
    tiny_model: Model, tmp_path: Path
) -> None:
    """compare() and compare_scenarios (run --start, the report) give the same numbers."""
    from gvc_upgrading.report.comparison import compare_scenarios

    _late_scenarios(tiny_model, tmp_path)
    ours = compare(tiny_model, ["csr", "late"], directory=tmp_path, outcomes=OUTCOMES)
    scenarios = [
        load_scenario(n, tiny_model, directory=tmp_path) for n in ("baseline", "csr", "late")
    ]
    report = compare_scenarios(tiny_model, scenarios, outcomes=OUTCOMES).comparison
    np.testing.assert_allclose(ours["value"].values, report["value"].values, rtol=1e-12)
    assert ours.attrs["setup"] == report.attrs["setup"]


def test_a_start_year_outside_the_run_is_refused(tiny_model: Model, tmp_path: Path) -> None:
    _late_scenarios(tiny_model, tmp_path)
    write(tmp_path, "never", HEADER + f'name = "never"\nstart = {tiny_model.final_time + 5:g}\n')
    with pytest.raises(ScenarioError, match=r"never: start .* outside the simulated years"):
        compare(tiny_model, ["never"], directory=tmp_path, outcomes=OUTCOMES)
