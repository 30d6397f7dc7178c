"""Each new mechanism of model v2 works through its own link, and fails without it.

Every test checks a mechanism on single runs at the model's values, and the
knock-out tests repeat the check on a copy of the model with the link removed
(its equation text edited, or its strength parameter set to 0) and assert that
the behaviour is then gone: the tests can fail, and they fail for the right
reason. The robustness of the same behaviours over parameter draws is in
test_robustness.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gvc_upgrading import Model, load_model
from gvc_upgrading.resources import shipped_path
from gvc_upgrading.robustness import BEHAVIOURS, case_overrides

END = 2035.0


def at(run: xr.Dataset, name: str, year: float = END) -> float:
    return float(run[name].sel(time=year))


def holds(model: Model, number: int, extra: dict[str, float] | None = None) -> bool:
    """Whether behaviour ``number`` holds on single pysd runs of its cases."""
    behaviour = next(b for b in BEHAVIOURS if b.number == number)
    overrides = case_overrides(model)
    runs = {
        case: model.run({**overrides[case], **(extra or {})}, check_bounds=False)
        for case in behaviour.cases
    }
    return bool(np.all(behaviour.check(runs)))


@pytest.fixture(scope="module")
def knock_out(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Model]:
    """Load a copy of the shipped model with equation text replaced (the link removed)."""
    text = shipped_path("models", "gvc_upgrading.mdl").read_text("utf-8")

    def make(*edits: tuple[str, str]) -> Model:
        edited = text
        for old, new in edits:
            assert old in edited, f"knock-out target not in the model: {old!r}"
            edited = edited.replace(old, new)
        path: Path = tmp_path_factory.mktemp("knockout") / "gvc_upgrading.mdl"
        path.write_text(edited, "utf-8")
        return load_model(path)

    return make


# --- orders close the economic loop -------------------------------------------------------
def test_demand_collapse_lowers_wages_or_casualises(model: Model) -> None:
    """Behaviour 8: a demand collapse raises the temporary share and lowers wages.

    Orders against capacity drive margins (overhead), order volatility (the
    temporary buffer) and labour-market tightness (bargained wages).
    """
    assert holds(model, 8)


def test_demand_collapse_is_inert_without_the_order_links(model: Model) -> None:
    """Knock-out: without overhead, volatility and tightness links, orders are a dead end again."""
    cut = {
        "Overhead cost share": 0.0,
        "Demand volatility weight": 0.0,
        "Tightness wage elasticity": 0.0,
    }
    assert not holds(model, 8, cut)


def test_minimum_wage_far_above_productivity_shrinks_capacity(model: Model) -> None:
    """Behaviour 9: a minimum wage far above productivity shrinks capacity and orders."""
    assert holds(model, 9)


HIGH_MINIMUM_WAGE = {"Historical minimum wage": 1000.0}


def capacity_to_demand(model: Model, params: dict[str, float]) -> float:
    """Capacity relative to what buyers' demand calls for, in the final year."""
    run = model.run(params)
    return at(run, "Cluster capacity") / at(run, "Demand for cluster exports")


def test_sustained_losses_drive_firms_out(model: Model, knock_out: Callable[..., Model]) -> None:
    """Firm exit: under sustained losses capacity falls far below what demand calls for.

    Without losses capacity follows demand (ratio about 1/normal utilisation);
    with the minimum wage far above productivity, firms leave although buyers
    still ask for orders. With the exit link removed (no loss-driven exit,
    investment not gated by margins) capacity follows demand again. Footloose
    buyers and the capability trap shrink demand itself, so behaviour 9 holds
    without this link too: the two routes are redundant, and this test isolates
    the exit route.
    """
    assert capacity_to_demand(model, {}) > 0.9
    assert capacity_to_demand(model, HIGH_MINIMUM_WAGE) < 0.1
    no_exit = knock_out(
        ("*(Loss exit drive/(1+Loss exit drive))/Firm exit time", "*0/Firm exit time"),
        (
            "*MIN(1, Perceived margin adequacy)/Capacity adjustment time",
            "/Capacity adjustment time",
        ),
    )
    assert capacity_to_demand(no_exit, HIGH_MINIMUM_WAGE) > 0.9


# --- the market path: a premium for verified compliance ----------------------------------
def test_verified_premium_raises_true_compliance(model: Model) -> None:
    """Behaviour 10: the premium raises visible true compliance only when verified."""
    assert holds(model, 10)


def test_premium_without_its_compliance_link_fails(model: Model) -> None:
    """Knock-out: with no weight on verified compliance the premium only buys orders."""
    assert not holds(model, 10, {"Premium compliance weight": 0.0})


# --- the cluster path needs a trigger ----------------------------------------------------
def test_cluster_action_dormant_without_pressure(model: Model) -> None:
    """Behaviour 11: without outside pressure or a programme, collective action stays dormant."""
    assert holds(model, 11)


def test_self_starting_cluster_term_breaks_dormancy(knock_out: Callable[..., Model]) -> None:
    """Knock-out: the old additive 'demonstrated benefits' term lets the cluster start itself."""
    self_starting = knock_out(
        (
            "Shared external pressure*(1+Demonstrated benefit weight*Cluster collective action)",
            "(Shared external pressure+Demonstrated benefit weight*Cluster collective action)",
        )
    )
    assert not holds(self_starting, 11)


# --- social upgrading feeds economic upgrading --------------------------------------------
def test_decent_work_raises_productivity(model: Model) -> None:
    """Better true compliance and wages raise output per worker, through their own parameter.

    Synergistic governance raises decent work; revenue per worker is higher
    with the channel than without it (Decent work productivity effect = 0).
    """
    with_channel = model.run(scenario="synergistic")
    without = model.run({"Decent work productivity effect": 0.0}, scenario="synergistic")
    assert at(with_channel, "Decent work productivity factor") > 1.05
    assert at(without, "Decent work productivity factor") == pytest.approx(1.0)
    assert at(with_channel, "Revenue per worker") > 1.05 * at(without, "Revenue per worker")


# --- audits with sanctions breed hiding (Plambeck & Taylor 2016) -----------------------
SANCTION_LINK = "*(MIN(1, Buyer sanction strength)/Reference sanction strength)"


def _hiding(model: Model, sanction: float) -> xr.Dataset:
    return model.run({"Buyer sanction strength": sanction})


def test_stronger_sanctions_raise_hiding_and_the_reporting_gap(model: Model) -> None:
    """A harsher penalty makes hiding pay: concealment and the reporting gap rise.

    At the default sanction the hiding drive is the one the fits were made
    with (Reference sanction strength is the default sanction).
    """
    mild, harsh = _hiding(model, 0.3), _hiding(model, 0.8)
    assert at(harsh, "Concealment") > at(mild, "Concealment") + 0.1
    assert at(harsh, "Reporting gap") > at(mild, "Reporting gap")
    default = model.run()
    assert at(default, "Hiding drive", 2010.0) == pytest.approx(at(mild, "Hiding drive", 2010.0))


def test_stronger_sanctions_raise_hiding_in_every_draw(model: Model) -> None:
    """Over draws of the uncertain parameters, a harsher sanction never lowers concealment."""
    from gvc_upgrading.robustness import latin_hypercube, uncertain_parameters

    draws = latin_hypercube(uncertain_parameters(model), 24, 11).to_dict("records")
    batch = model.compile()
    runs = batch.run(
        [{**d, "Buyer sanction strength": s} for s in (0.3, 0.8) for d in draws],
        return_columns=["Concealment"],
        check_bounds=False,
    )
    end = runs["Concealment"].sel(time=END).to_numpy()
    mild, harsh = end[: len(draws)], end[len(draws) :]
    assert np.all(harsh >= mild - 1e-12)
    assert np.mean(harsh > mild + 0.01) > 0.9


def test_without_the_sanction_link_sanctions_do_not_breed_hiding(
    knock_out: Callable[..., Model],
) -> None:
    """Knock-out: with the sanction taken out of the hiding drive, concealment ignores it."""
    unlinked = knock_out((SANCTION_LINK, ""))
    mild, harsh = _hiding(unlinked, 0.3), _hiding(unlinked, 0.8)
    assert abs(at(harsh, "Concealment") - at(mild, "Concealment")) < 0.01
    assert at(harsh, "Reporting gap") < at(mild, "Reporting gap")


# --- a scandal leaves institutions where organised actors seize its window -----------------
# (Birkland 1998; Donaghey & Reinecke 2018; models/README.md, behaviour 6)
INSTITUTION_LINK = "+State enforcement capacity+Post scandal institutions)))"
SCANDAL_CASES = ("baseline", "scandal", "follow_through", "follow_through_scandal")
KEEPS_PRESSURE = "follow-through keeps a larger share of the pressure in 2025"


def test_one_step_scandal_builds_its_seized_share_of_institutions(model: Model) -> None:
    """Closed form: a one-step pulse of size s builds s times the window coupling.

    With the pulse one TIME STEP long (0.125) at 2013 and erosion switched
    off, Euler integration from an empty stock gives exactly
    ``s * Window coupling(2013)`` after the step, kept until 2014.
    """
    follow_through = case_overrides(model)["follow_through"]
    run = model.run(
        {
            **follow_through,
            "Scandal size": 0.8,
            "Scandal year": 2013.0,
            "Scandal duration": 0.125,
            "Institution lifetime": 1e12,
        },
        check_bounds=False,
    )
    coupling = at(run, "Window coupling", 2013.0)
    assert 0.1 < coupling < 1.0
    assert at(run, "Post scandal institutions", 2013.0) == 0.0
    assert at(run, "Post scandal institutions", 2014.0) == pytest.approx(0.8 * coupling, rel=1e-9)


def test_scandal_leaves_institutions_only_where_capacity_is_organised(model: Model) -> None:
    """Without follow-through the window closes unused; with it, most of it is seized."""
    overrides = case_overrides(model)
    alone = model.run(overrides["scandal"], check_bounds=False)
    backed = model.run(overrides["follow_through_scandal"], check_bounds=False)
    assert at(alone, "Post scandal institutions", 2014.0) < 0.05
    assert at(backed, "Post scandal institutions", 2014.0) > 0.3
    assert at(model.run(overrides["follow_through"]), "Post scandal institutions") == 0.0


def test_institutions_keep_the_scandals_pressure_over_draws(
    model: Model, knock_out: Callable[..., Model]
) -> None:
    """Knock-out: without institutions in the follow-through, behaviour 6 fails far more often.

    Over 40 draws of the uncertain parameters, follow-through keeps a larger
    share of the scandal's pressure in at least 90% of draws with the channel
    (0.95 measured); with the institutions taken out of the attention decay, in
    at least 10 points fewer (0.775 measured).
    """
    from gvc_upgrading.robustness import (
        b6_scandal_decays,
        latin_hypercube,
        run_cases,
        uncertain_parameters,
    )

    draws = latin_hypercube(uncertain_parameters(model), 40, 11)
    unlinked = knock_out((INSTITUTION_LINK, "+State enforcement capacity)))"))
    linked_share = b6_scandal_decays(run_cases(model, draws, SCANDAL_CASES))[KEEPS_PRESSURE]
    unlinked_share = b6_scandal_decays(run_cases(unlinked, draws, SCANDAL_CASES))[KEEPS_PRESSURE]
    assert linked_share.mean() >= 0.9
    assert unlinked_share.mean() <= linked_share.mean() - 0.1


# --- endogenous civil-society pressure ----------------------------------------------------
def test_visible_grievances_raise_civil_society_pressure(model: Model) -> None:
    """Grievances that become visible build civil-society pressure; the link has its own weight."""
    quiet = {"Global campaign intensity": 0.0, "Local NGO activity": 0.0}
    disclosed = {**quiet, "Public disclosure": 1.0}
    grievance = model.run(disclosed)
    assert at(grievance, "Grievance") > 0.5
    assert (
        at(grievance, "Civil society pressure")
        > at(model.run(quiet), "Civil society pressure") + 0.02
    )
    cut = model.run({**disclosed, "Grievance campaign weight": 0.0})
    assert at(cut, "Civil society pressure") < 0.01


# --- worker type and firm segment are separate -------------------------------------------
def test_worker_type_and_firm_segment_are_separate(model: Model) -> None:
    """Temporary workers gain from compliance in visible firms, not in less-visible ones.

    CSR raises visible compliance, so temporary wages in visible firms rise
    while temporary wages in less-visible firms barely move; in each segment,
    regular workers earn at least what temporary workers earn.
    """
    base, csr = model.run(), model.run(scenario="csr")
    visible_gain = at(csr, "Temporary wage visible") / at(base, "Temporary wage visible") - 1
    less_gain = (
        at(csr, "Temporary wage less visible") / at(base, "Temporary wage less visible") - 1
    )
    assert visible_gain > 0.01
    assert visible_gain > 3 * abs(less_gain)
    for segment in ("visible", "less visible"):
        assert (csr[f"Regular wage {segment}"] >= csr[f"Temporary wage {segment}"]).all()


# --- outcome-based social index ------------------------------------------------------------
def test_social_index_is_the_weighted_mean_of_outcome_components(model: Model) -> None:
    """Closed form: index = (w_wage*wage + w_std*standards + w_rights*rights) / sum of weights."""
    weights = {
        "Wage weight in social index": 2.0,
        "Standards weight in social index": 1.0,
        "Rights weight in social index": 0.5,
    }
    run = model.run(weights, scenario="labour")
    expected = (
        2.0 * run["Wage component"]
        + 1.0 * run["Standards component"]
        + 0.5 * run["Rights component"]
    ) / 3.5
    np.testing.assert_allclose(run["Social upgrading index"], expected, rtol=1e-12)


def test_freedom_of_association_alone_does_not_raise_the_index(model: Model) -> None:
    """The lever is not an outcome: granting rights nobody exercises does not lift the index.

    Reviewer's case (issue 9): freedom of association 1 with no organising
    effort. Labour organisation cannot grow, so the rights component and the
    index do not rise above the same run with freedom of association at 0.3.
    """
    granted = model.run({"Freedom of association": 1.0, "Organising effort": 0.0})
    default = model.run({"Freedom of association": 0.3, "Organising effort": 0.0})
    assert at(granted, "Labour organisation") < at(granted, "Labour organisation", 1995.0)
    assert at(granted, "Social upgrading index") <= at(default, "Social upgrading index") + 0.01


# --- local-currency wages and exogenous inputs ---------------------------------------------
def test_wages_are_sticky_in_local_currency(model: Model) -> None:
    """USD wages are local wages over the exchange rate index, and local wages are sticky.

    Closed form: with the index at 2 throughout, USD values are the local ones
    halved and the initial USD wage is unchanged. A depreciation in 2010 (index
    1 -> 2) halves the USD minimum wage at once, since it is set in local
    currency, and lowers unit labour cost, so the margin rises.
    """
    run = model.run({"Exchange rate index": 2.0})
    np.testing.assert_allclose(run["Minimum wage"], run["Minimum wage local"] / 2.0)
    np.testing.assert_allclose(run["Average wage"], run["Average wage local"] / 2.0)
    assert at(run, "Average wage", 1995.0) == pytest.approx(36.0)
    step = pd.Series([1.0, 1.0, 2.0, 2.0], index=[1995.0, 2009.999, 2010.0, 2035.0])
    base, depreciated = model.run(), model.run({"Exchange rate index": step})
    ratio = at(depreciated, "Minimum wage", 2010.0) / at(base, "Minimum wage", 2010.0)
    assert ratio == pytest.approx(0.5, rel=0.02)
    assert at(depreciated, "Supplier margin", 2011.0) > at(base, "Supplier margin", 2011.0) + 0.02


# --- the wage-board calendar ----------------------------------------------------------------
CALENDAR_REVIEWS = pd.Series(
    [0.0, 0.0, 1.0, 1.0, 2.0, 2.0], index=[1995.0, 2004.99, 2005.0, 2009.99, 2010.0, 2035.0]
)


def test_wage_board_calendar_revises_only_at_decisions(model: Model) -> None:
    """Under a calendar the minimum wage stays put between decisions and, at each one, moves
    to the indicated level within one time step (closed form: the stock after the decision
    step equals the indicated wage at the decision time)."""
    run = model.run({"Wage review calendar": 1.0, "Wage reviews in effect": CALENDAR_REVIEWS})
    local = run["Minimum wage local"]
    assert float(local.sel(time=2004.0)) == float(local.sel(time=1995.0))
    assert float(local.sel(time=2009.0)) == float(local.sel(time=2006.0))
    indicated = float(run["Indicated minimum wage local"].sel(time=2005.0))
    assert indicated > float(local.sel(time=2004.0))
    assert float(local.sel(time=2006.0)) == pytest.approx(indicated, rel=1e-12)
    assert float(local.sel(time=2011.0)) > float(local.sel(time=2009.0))
    continuous = model.run()["Minimum wage local"]
    assert float(continuous.sel(time=2004.0)) > float(continuous.sel(time=1995.0))


def test_each_decision_closes_its_share_of_the_gap(model: Model) -> None:
    """Partial closure (closed form): a decision moves the minimum wage by exactly the
    share ``Wage review closure`` of the gap to the indicated level, and the wage then
    stays put until the next decision; closure 1 is the calendar as designed."""
    closure = 0.4
    run = model.run(
        {
            "Wage review calendar": 1.0,
            "Wage reviews in effect": CALENDAR_REVIEWS,
            "Wage review closure": closure,
        }
    )
    local = run["Minimum wage local"]
    before = float(local.sel(time=2004.0))
    indicated = float(run["Indicated minimum wage local"].sel(time=2005.0))
    assert float(local.sel(time=2006.0)) == pytest.approx(
        before + closure * (indicated - before), rel=1e-12
    )
    assert float(local.sel(time=2009.0)) == float(local.sel(time=2006.0))
    full = model.run({"Wage review calendar": 1.0, "Wage reviews in effect": CALENDAR_REVIEWS})
    assert float(full["Minimum wage local"].sel(time=2006.0)) > float(local.sel(time=2006.0))


def test_calendar_without_its_decision_gate_revises_continuously(
    knock_out: Callable[..., Model],
) -> None:
    """Knock-out: with the decision gate replaced by the continuous delay the wage moves
    between decisions, so the calendar test's first check fails."""
    edited = knock_out(("Wage review due/TIME STEP", "1/Minimum wage adjustment time"))
    run = edited.run({"Wage review calendar": 1.0, "Wage reviews in effect": CALENDAR_REVIEWS})
    local = run["Minimum wage local"]
    assert float(local.sel(time=2009.0)) > float(local.sel(time=2006.0))
