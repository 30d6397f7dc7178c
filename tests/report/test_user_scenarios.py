"""User scenarios, --start and --set: one comparison for `run --case` and the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from gvc_upgrading.cli import main
from gvc_upgrading.errors import ScenarioError, SpecError
from gvc_upgrading.report import build_report
from gvc_upgrading.scenario_spec import collect_scenarios, load_scenario, parse_assignments

from .conftest import CASE


def _fits_args(fits_dir) -> list[str]:
    return ["--fits-dir", str(fits_dir)] if fits_dir is not None else []


def test_run_case_agrees_with_the_report(report, fits_dir, user_scenario, tmp_path, capsys):
    out = tmp_path / "runs"
    args = ["run", "--case", CASE, *_fits_args(fits_dir), "--no-progress", "--out", str(out)]
    assert main([*args, "--scenario", "public", str(user_scenario)]) == 0
    printed = capsys.readouterr().out
    assert "Scenario levers switch on in" in printed and "strong public from 2027" in printed
    with xr.open_dataset(out / "scenarios.nc", engine="h5netcdf") as runs:
        runs = runs.load()
    with xr.open_dataset(report.out / "data" / "ensemble.nc", engine="h5netcdf") as ensemble:
        estimate = ensemble.sel(member="estimate").load()
    assert runs.attrs["policy_start"] == estimate.attrs["policy_start"]
    for scenario in ("baseline", "public", "strong_public"):
        for variable in ("Social upgrading index", "Average wage"):
            np.testing.assert_allclose(
                runs[variable].sel(scenario=scenario).values,
                estimate[variable].sel(scenario=scenario).values,
                rtol=1e-10,
                atol=1e-12,
            )


def test_set_changes_every_run_and_is_said(fits_dir, tmp_path, capsys):
    plain, changed = tmp_path / "plain", tmp_path / "changed"
    base = ["run", *_fits_args(fits_dir), "--no-progress", "--scenario", "csr", "--start", "2020"]
    assert main([*base, "--out", str(plain)]) == 0
    assert main([*base, "--set", "Crowding out=0.9", "--out", str(changed)]) == 0
    assert "every run also sets Crowding out = 0.9" in capsys.readouterr().out
    with (
        xr.open_dataset(plain / "scenarios.nc", engine="h5netcdf") as a,
        xr.open_dataset(changed / "scenarios.nc", engine="h5netcdf") as b,
    ):
        before = a["State enforcement capacity"].sel(scenario="csr", time=2030.0)
        after = b["State enforcement capacity"].sel(scenario="csr", time=2030.0)
        assert float(after) < float(before)  # crowding out lowers the enforcement target
        early = b["State enforcement capacity"].sel(time=2019.0)
        # before the start year csr runs as baseline; --set holds in both from the first year
        assert float(early.sel(scenario="csr")) == float(early.sel(scenario="baseline"))


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        (["Crowding out"], "expected NAME=VALUE"),
        (["Crowding out=lots"], "'lots' is not a number"),
        (["Crowding out=nan"], "must be finite"),
        (["Crowding otu=0.5"], "Crowding out"),
        (["Crowding out=7"], "7"),
    ],
)
def test_bad_set_values_are_named(model, items, problem):
    with pytest.raises(ScenarioError, match=problem):
        parse_assignments(items, model)


def test_bad_report_options_fail_before_any_run(tmp_path, fits_dir, user_scenario):
    out = tmp_path / "report"
    with pytest.raises(ScenarioError, match="Nope"):
        build_report(CASE, out, fits_dir=fits_dir, set_values=["Nope=1"])
    with pytest.raises(SpecError, match="--start 2034"):
        build_report(CASE, out, fits_dir=fits_dir, start=2034)
    clash = tmp_path / "public.toml"
    clash.write_text('name = "public"\ndescription = "my own public path"\n')
    with pytest.raises(ScenarioError, match="two scenarios are named 'public'"):
        build_report(CASE, out, fits_dir=fits_dir, scenario_files=[clash])
    assert not out.exists()


def test_user_folders_add_to_the_shipped_scenarios(user_scenario):
    names = [s.name for s in collect_scenarios(directories=[user_scenario.parent])]
    assert names[0] == "baseline" and "public" in names and names[-1] == "strong_public"
    loaded = load_scenario(user_scenario)
    assert loaded.start == 2027.0 and loaded.extends == "public"
    assert loaded.parameters["Enforcement budget"] == 0.9
    assert loaded.parameters["Experimentalist inspection"] == 0.8  # from the shipped public


def test_scenario_start_must_be_a_year(tmp_path):
    path = tmp_path / "late.toml"
    path.write_text('name = "late"\ndescription = "d"\nstart = "soon"\n')
    with pytest.raises(ScenarioError, match="'start' must be a year"):
        load_scenario(path)


def test_the_readme_example_is_a_valid_scenario(model, tmp_path):
    readme = Path(__file__).parents[2] / "models" / "scenarios" / "README.md"
    text = readme.read_text("utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "strong_public.toml"
    path.write_text(example)
    [scenario] = [s for s in collect_scenarios([path], model=model) if s.name == "strong_public"]
    assert scenario.start == 2027.0
