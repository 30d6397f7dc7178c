"""The scenario comparison figure: a panel per outcome, a line per scenario."""

from __future__ import annotations

import numpy as np
import xarray as xr

from gvc_upgrading.plotting import comparison_figure


def fake_comparison(outcomes: list[str], scenarios: list[str]) -> xr.Dataset:
    time = np.arange(1995.0, 2001.0)
    value = np.arange(len(scenarios) * len(outcomes) * len(time), dtype=float)
    value = value.reshape(len(scenarios), len(outcomes), len(time))
    return xr.Dataset(
        {"value": (("scenario", "outcome", "time"), value)},
        coords={"scenario": scenarios, "outcome": outcomes, "time": time},
        attrs={"baseline": "baseline"},
    )


def test_one_panel_per_outcome_and_one_line_per_scenario() -> None:
    outcomes = ["A", "B", "C", "D"]
    scenarios = ["baseline", "csr", "public"]
    comparison = fake_comparison(outcomes, scenarios)
    figure = comparison_figure(comparison, units={"A": "Dmnl"}, columns=3)
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == outcomes
    assert len(figure.axes) == 6  # 2 rows x 3 columns, two hidden
    for ax, outcome in zip(visible, outcomes, strict=True):
        lines = ax.get_lines()
        assert [line.get_label() for line in lines] == scenarios
        np.testing.assert_array_equal(
            lines[1].get_ydata(), comparison["value"].sel(scenario="csr", outcome=outcome)
        )
    assert visible[0].get_ylabel() == "Dmnl"
    assert visible[0].get_lines()[0].get_linestyle() == "--"  # baseline dashed
    # The lowest panel of every column shows the years.
    assert [ax.get_xlabel() for ax in visible] == ["", "Year", "Year", "Year"]
