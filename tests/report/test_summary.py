"""The first page: each summary sentence against the netCDF data; flags; limitations; words."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gvc_upgrading.report.ensemble import ESTIMATE
from gvc_upgrading.report.limitations import fit_limitations
from gvc_upgrading.report.plausibility import plausibility_flags
from gvc_upgrading.report.stored import StoredFit
from gvc_upgrading.report.summary import ECONOMIC_INDEX, SOCIAL_INDEX, summary_claims
from gvc_upgrading.report.words import number, scenario_name, signed, synergy_reading
from gvc_upgrading.scenarios import BASELINE, COMBINED, SINGLE_PATHS

from .conftest import CASE, synthetic_fit


def _data(report, name: str) -> xr.Dataset:
    with xr.open_dataset(report.out / "data" / f"{name}.nc", engine="h5netcdf") as ds:
        return ds.load()


def _answers(report) -> dict[str, str]:
    frame = pd.read_csv(report.out / "tables" / "summary.csv")
    return dict(zip(frame["key"], frame["answer"], strict=True))


def _gain(runs: xr.Dataset, scenario: str, variable: str, year: float) -> xr.DataArray:
    at = runs[variable].sel(time=year)
    return at.sel(scenario=scenario) - at.sel(scenario=BASELINE)


def _band(values: xr.DataArray) -> tuple[float, float]:
    replicates = values.sel(member=values["member"] != ESTIMATE).values
    low, high = np.quantile(replicates, [0.05, 0.95])
    return float(low), float(high)


def test_the_economic_social_answer_is_the_baseline_history(report):
    runs, answer = _data(report, "ensemble"), _answers(report)["economic_social"]
    start, first = float(runs.attrs["policy_start"]), float(runs["time"][0])
    base = runs.sel(scenario=BASELINE)
    estimate = base.sel(member=ESTIMATE)
    for variable in (ECONOMIC_INDEX, SOCIAL_INDEX):
        assert f"{float(estimate[variable].sel(time=first)):.2f} in {first:g}" in answer or (
            f"from {float(estimate[variable].sel(time=first)):.2f}" in answer
        )
        assert f"{float(estimate[variable].sel(time=start)):.2f}" in answer
    change = base[SOCIAL_INDEX].sel(time=start) - base[SOCIAL_INDEX].sel(time=first)
    low, high = _band(change)
    assert f"change {signed(float(change.sel(member=ESTIMATE)))}" in answer
    assert f"90% range {signed(low)} to {signed(high)}" in answer
    rises = float(estimate[ECONOMIC_INDEX].sel(time=start)) > float(
        estimate[ECONOMIC_INDEX].sel(time=first)
    )
    falls = float(change.sel(member=ESTIMATE)) <= 0
    assert answer.startswith("Not by itself.") == (rises and falls)


def test_the_best_path_answer_names_the_largest_social_gain(report):
    runs, answer = _data(report, "ensemble"), _answers(report)["best_path"]
    year = float(runs.attrs["policy_start"]) + 10
    gains = {s: _gain(runs, s, SOCIAL_INDEX, year) for s in SINGLE_PATHS}
    best = max(gains, key=lambda s: float(gains[s].sel(member=ESTIMATE)))
    assert f"the {scenario_name(best)} raises the social upgrading index most" in answer
    low, high = _band(gains[best])
    assert f"{signed(float(gains[best].sel(member=ESTIMATE)))} over baseline by {year:g}" in answer
    assert f"(90% range {signed(low)} to {signed(high)})" in answer
    combined = _gain(runs, COMBINED, SOCIAL_INDEX, year)
    assert f"All paths together raise it by {signed(float(combined.sel(member=ESTIMATE)))}" in (
        answer
    )
    # the user's scenario is among "the other scenarios"
    assert "strong public" in answer


def test_the_synergy_answer_compares_with_the_best_path_and_the_sum(report):
    runs, answer = _data(report, "ensemble"), _answers(report)["synergy"]
    year = float(runs.attrs["policy_start"]) + 10
    combined = float(_gain(runs, COMBINED, SOCIAL_INDEX, year).sel(member=ESTIMATE))
    singles = [
        float(_gain(runs, s, SOCIAL_INDEX, year).sel(member=ESTIMATE)) for s in SINGLE_PATHS
    ]
    total = sum(singles)
    assert f"({signed(total)})" in answer
    assert synergy_reading(combined, total) in answer
    if combined > total:
        assert answer.startswith("Synergy.")
    elif combined > max(singles):
        assert answer.startswith("More than any single path, less than all of them added up.")
    else:
        assert answer.startswith("No synergy.")
    summary = pd.read_csv(report.out / "tables" / "summary.csv").set_index("key")
    assert summary.at["synergy", "value"] == pytest.approx(combined - total, rel=1e-9)


def test_the_summary_opens_the_page(report):
    text = (report.out / "report.html").read_text("utf-8")
    body = text.split("<section", 1)[1]
    assert body.startswith(' id="summary"')
    assert text.index('id="limitations"') < text.index('id="findings"')
    assert text.index('id="provenance"') > text.index('id="diagram"')
    for answer in _answers(report).values():
        assert html.escape(answer) in text


def test_the_user_scenario_switches_on_in_its_own_year(report):
    runs = _data(report, "ensemble")
    gain = _gain(runs, "strong_public", SOCIAL_INDEX, 2026.0)
    np.testing.assert_allclose(gain.values, 0.0, atol=1e-12)  # its levers start in 2027
    later = _gain(runs, "strong_public", SOCIAL_INDEX, 2035.0).sel(member=ESTIMATE)
    assert abs(float(later)) > 1e-6
    differences = pd.read_csv(report.out / "tables" / "differences.csv")
    assert "strong_public" in set(differences["scenario"])


# ----------------------------------------------------------------------------- flags
def _ensemble(wage_end: float, index_end: float) -> xr.Dataset:
    time = np.arange(2020.0, 2031.0)
    shape = (2, 1, time.size)
    wage = np.broadcast_to(np.linspace(100.0, wage_end, time.size), shape)
    index = np.broadcast_to(np.linspace(0.6, index_end, time.size), shape)
    return xr.Dataset(
        {
            "Average wage": (("scenario", "member", "time"), wage, {"units": "USD/Month"}),
            ECONOMIC_INDEX: (("scenario", "member", "time"), index, {"units": "Dmnl"}),
        },
        coords={"scenario": [BASELINE, "csr"], "member": [ESTIMATE], "time": time},
    )


SCOPE = {
    "plausible": {
        "Average wage": {"max_annual_growth": 0.10, "source": "s"},
        ECONOMIC_INDEX: {"range": [0.0, 1.0], "max_fall": 0.1, "source": "s"},
    }
}


def test_plausible_projections_raise_no_flag():
    flags = plausibility_flags(_ensemble(150.0, 0.55), start=2020.0, year=2030.0, scope=SCOPE)
    assert flags == []


def test_implausible_projections_are_flagged_with_their_values():
    # 100 -> 400 in ten years is 14.9% a year; 0.6 -> 0.3 a fall of 0.3
    flags = plausibility_flags(_ensemble(400.0, 0.3), start=2020.0, year=2030.0, scope=SCOPE)
    assert {(f.scenario, f.outcome) for f in flags} == {
        (s, o) for s in (BASELINE, "csr") for o in ("Average wage", ECONOMIC_INDEX)
    }
    wage = next(f for f in flags if f.outcome == "Average wage")
    assert "14.9% a year" in wage.text and "$400 a month" in wage.text
    out_of_range = plausibility_flags(
        _ensemble(150.0, 1.2), start=2020.0, year=2030.0, scope=SCOPE
    )
    assert any("outside its range 0–1" in f.text for f in out_of_range)


def test_claims_carry_the_flags_of_the_scenarios_they_name(report):
    runs = _data(report, "ensemble")
    start = float(runs.attrs["policy_start"])
    scope = {"plausible": {SOCIAL_INDEX: {"range": [0.0, 0.01], "source": "test"}}}
    flags = plausibility_flags(runs, start=start, year=start + 10, scope=scope)
    claims = summary_claims(runs, start=start, year=start + 10, flags=flags)
    assert all(claim.flags for claim in claims)
    assert all("leaves its range 0–0.01" in claim.flags[0] for claim in claims)


# ----------------------------------------------------------------------------- limitations
def _fit(model, **stats) -> StoredFit:
    data = synthetic_fit(model)
    data = data.drop_vars([v for v in data.data_vars if str(v).startswith("stat_")])
    series = ["exports", "exports", "wage", "wage"]
    columns = {
        "series": series,
        "sample": ["in", "holdout", "in", "holdout"],
        "n": [5.0, 3.0, 5.0, 3.0],
        "r2": [0.9, -0.5, 0.8, 0.4],
        **stats,
    }
    for name, values in columns.items():
        data[f"stat_{name}"] = ("stat", np.asarray(values))
    return StoredFit(case=CASE, dataset=data, origin="loaded")


def test_limitations_read_the_hold_out_fit(model):
    groups = {g.heading: g.items for g in fit_limitations(_fit(model), ["Social upgrading index"])}
    fit_items = groups["How well the model fits the data"]
    assert "R² is negative for 1 of 2 fitted series (exports)" in fit_items[0]
    assert not any("U2" in item for item in fit_items)  # no benchmark columns stored
    assert "fitted to no data" in groups["What no data constrain"][0]


def test_limitations_use_naive_benchmarks_when_stored(model):
    fit = _fit(model, u2=[np.nan, 1.4, np.nan, 0.7], coverage=[np.nan, 0.5, np.nan, 1.0])
    items = fit_limitations(fit, [])[0].items
    assert any(
        "U2" in item and "worse than assuming no change) for exports" in item for item in items
    )
    assert any("exports 50%" in item and "wage 100%" in item for item in items)


# ----------------------------------------------------------------------------- words
@pytest.mark.parametrize(
    ("combined", "total", "expected"),
    [
        (0.4, 0.3, "larger than the single paths’ gains added up: synergy"),
        (0.2, 0.3, "a gain smaller than"),
        (-0.07, -0.12, "a loss smaller than the single paths’ losses added up"),
        (-0.2, -0.12, "a loss larger than"),
        (-0.1, 0.3, "a loss, although"),
    ],
)
def test_synergy_reading_is_right_for_losses_too(combined, total, expected):
    reading = synergy_reading(combined, total)
    assert expected in reading
    assert ("synergy" in reading) == (combined > total > 0)


def test_numbers_have_no_scientific_notation():
    assert number(12345.678, "USD/Month") == "12,346"
    assert number(1.5e-5) == "0.0000"
    assert "e" not in signed(-3.2e-7)


def test_the_summary_quotes_the_exploration_study(report):
    """Issue 14: the stored exploration findings appear on the first page, in plain words."""
    from gvc_upgrading.exploration import stored_findings

    findings = stored_findings()
    text = (report.out / "report.html").read_text("utf-8")
    summary = text.split('id="limitations"', 1)[0]
    assert 'id="claim-futures"' in summary
    assert html.escape(findings.text()) in summary
    assert f"{findings.n:,} futures" in summary
    assert "synergistic path" in findings.text()  # the paper's headline comparison is said


def test_the_exploration_section_ranks_every_policy(report):
    from gvc_upgrading.exploration import stored_findings

    findings = stored_findings()
    text = (report.out / "report.html").read_text("utf-8")
    section = text.split('id="futures"', 1)[1].split("<section", 1)[0]
    rows = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]
    assert len(rows) == len(findings.ranking)
    for row, policy in zip(rows, findings.ranking, strict=True):
        both = findings.shares[policy]["both"]
        assert html.escape(scenario_name(policy)) in row and f"{both:.0%}" in row
    for limit in findings.prim["limits"]:
        assert html.escape(limit["parameter"]) in section


def test_another_model_gets_no_exploration_answer(tmp_path):
    from gvc_upgrading.report.build import _exploration_html

    other = tmp_path / "other.mdl"
    other.write_text("x = 1 ~~|\n")
    assert _exploration_html(other) == ("", "")
