"""Do the model's behaviours hold across parameter uncertainty?

The behaviours the model must show (``docs/design/model.md``, behaviours 1-11; see
``models/README.md``) are checked here on an ensemble: ``n`` Latin-hypercube
draws of the uncertain structural parameters over their declared ``[min,
max]`` ranges, each draw run under every case the behaviours compare
(scenarios and family members such as a demand collapse), all through the
batch engine. :func:`behaviour_shares` reports, per behaviour, the share of
draws in which it holds.

Each behaviour is a function of the case runs that returns one boolean per
draw, so the same checks run on a single pysd run per case (one draw: see
:func:`evaluate_runs`), e.g. on a modified copy of the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .arguments import INTEGER, MODEL, check_arguments
from .errors import SpecError
from .model import Model
from .outcomes import STOCKS, STOCKS_0_1
from .scenarios import BASELINE, COMBINED, SINGLE_PATHS, load_scenario

__all__ = [
    "BEHAVIOURS",
    "CASES",
    "Behaviour",
    "behaviour_shares",
    "behaviours_held",
    "case_overrides",
    "condition_table",
    "evaluate_runs",
    "latin_hypercube",
    "run_cases",
    "uncertain_parameters",
]

#: Parameter groups whose values are uncertain structural assumptions.
UNCERTAIN_GROUPS: tuple[str, ...] = ("structural",)
END = 2035.0
COLLAPSE_YEAR = 2010.0
#: Minimum wage far above productivity (USD/Month; frontier output per worker starts at 600).
HIGH_MINIMUM_WAGE = 1000.0

_NO_PRESSURE = {
    "Buyer code intensity": 0.0,
    "Initial buyer CSR pressure": 0.0,
    "Global campaign intensity": 0.0,
    "Local NGO activity": 0.0,
    "Grievance campaign weight": 0.0,
    "Initial civil society pressure": 0.0,
    "Trade agreement labour clause": 0.0,
    "Collective action effort": 0.8,
    "Joint monitoring": 0.7,
}
_SCANDAL = {"Scandal size": 0.8, "Scandal year": 2013.3}
_FOLLOW_THROUGH = {
    "Enforcement budget": 0.7,
    "Freedom of association": 0.9,
    "Organising effort": 0.7,
}


def _step(value: float, year: float) -> pd.Series:
    return pd.Series([0.0, 0.0, value, value], index=[1995.0, year - 1e-3, year, END])


def _ending(levers: Mapping[str, float], defaults: Mapping[str, float], year: float) -> dict:
    """Levers as series that fall back to their defaults in ``year``."""
    return {
        name: pd.Series(
            [v, v, defaults[name], defaults[name]], index=[1995.0, year - 1e-3, year, END]
        )
        for name, v in levers.items()
        if v != defaults[name]
    }


def case_overrides(model: Model) -> dict[str, dict[str, object]]:
    """Return the parameter overrides of every case the behaviours compare.

    Parameters
    ----------
    model : Model
        The model (its defaults fill the levers that end in 2025).

    Returns
    -------
    dict
        Case name -> overrides (numbers or time series by Vensim name).
    """
    defaults = model.parameters["default"].astype(float).to_dict()
    scen: dict[str, dict[str, float]] = {
        name: dict(load_scenario(name).parameters)
        for name in (*SINGLE_PATHS, COMBINED, "displacement")
    }
    cases: dict[str, dict[str, Any]] = {BASELINE: {}}  # numbers or series by name
    cases.update(scen)
    cases["market_unverified"] = {**scen["market"], "Ethical certification": 0.0}
    cases["csr_ending"] = _ending(scen["csr"], defaults, 2025.0)
    cases["multi_stakeholder_ending"] = _ending(scen["multi_stakeholder"], defaults, 2025.0)
    cases["scandal"] = dict(_SCANDAL)
    cases["follow_through"] = dict(_FOLLOW_THROUGH)
    cases["follow_through_scandal"] = {**_FOLLOW_THROUGH, **_SCANDAL}
    cases["demand_collapse"] = {"World demand shock": _step(0.9, COLLAPSE_YEAR)}
    cases["high_minimum_wage"] = {"Historical minimum wage": HIGH_MINIMUM_WAGE}
    cases["premium_unverified"] = {"Ethical premium": 2.0, "Ethical certification": 0.0}
    cases["premium_verified"] = {"Ethical premium": 2.0, "Ethical certification": 1.0}
    cases["invisible_chain"] = {"Subcontractor visibility": 0.0}
    cases["premium_verified_invisible_chain"] = {
        "Ethical premium": 2.0,
        "Ethical certification": 1.0,
        "Subcontractor visibility": 0.0,
    }
    cases["visible_chain"] = {"Subcontractor visibility": 0.5}
    cases["premium_verified_visible_chain"] = {
        "Ethical premium": 2.0,
        "Ethical certification": 1.0,
        "Subcontractor visibility": 0.5,
    }
    cases["no_pressure"] = dict(_NO_PRESSURE)
    cases["no_pressure_programme"] = {**_NO_PRESSURE, "Cluster programme support": 0.8}
    return cases


#: Names of the cases, in the order of :func:`case_overrides`.
CASES: tuple[str, ...] = (
    BASELINE,
    *SINGLE_PATHS,
    COMBINED,
    "displacement",
    "market_unverified",
    "csr_ending",
    "multi_stakeholder_ending",
    "scandal",
    "follow_through",
    "follow_through_scandal",
    "demand_collapse",
    "high_minimum_wage",
    "premium_unverified",
    "premium_verified",
    "invisible_chain",
    "premium_verified_invisible_chain",
    "visible_chain",
    "premium_verified_visible_chain",
    "no_pressure",
    "no_pressure_programme",
)

Runs = Mapping[str, xr.Dataset]
#: A behaviour's named conditions: name -> one boolean per draw.
Conditions = dict[str, np.ndarray]


def _end(runs: Runs, case: str, name: str, year: float = END) -> np.ndarray:
    return np.atleast_1d(runs[case][name].sel(time=year).to_numpy())


def _gain(runs: Runs, case: str, name: str, base: str = BASELINE, year: float = END) -> np.ndarray:
    return _end(runs, case, name, year) - _end(runs, base, name, year)


def _rel(runs: Runs, case: str, name: str, base: str = BASELINE) -> np.ndarray:
    return _gain(runs, case, name, base) / np.abs(_end(runs, base, name))


def _series(runs: Runs, case: str, name: str) -> xr.DataArray:
    da = runs[case][name]
    return da if "run" in da.dims else da.expand_dims(run=[0])


def b1_economic_without_social(runs: Runs) -> Conditions:
    """Market pressure without verified social demand: economic but no social upgrading."""
    case = "market_unverified"
    exports = _rel(runs, case, "Export orders")
    return {
        "capability gain above 0.01": _gain(runs, case, "Supplier capability") > 0.01,
        "exports rise more than 5%": exports > 0.05,
        "temporary wage rises less than half as much as exports": _rel(
            runs, case, "Temporary worker wage"
        )
        < 0.5 * exports,
        "less-visible compliance moves less than 0.03": np.abs(
            _gain(runs, case, "True compliance less visible")
        )
        < 0.03,
    }


def b2_csr_limited_msi_durable(runs: Runs) -> Conditions:
    """Compliance-only CSR leaves a reporting gap; multi-stakeholder compliance lasts longer."""
    gap_csr = _end(runs, "csr", "Reporting gap")
    gap_msi = _end(runs, "multi_stakeholder", "Reporting gap")
    tcv = "True compliance visible"
    retained = {}
    for case in ("csr", "multi_stakeholder"):
        during = _gain(runs, case, tcv, year=2025.0)
        after = _gain(runs, f"{case}_ending", tcv)
        retained[case] = after / np.where(np.abs(during) > 1e-9, during, np.nan)
    return {
        "CSR reporting gap above 0.05": gap_csr > 0.05,
        "CSR reporting gap above the baseline's": gap_csr > _end(runs, BASELINE, "Reporting gap"),
        "multi-stakeholder gap below CSR's": gap_msi < gap_csr,
        "multi-stakeholder visible compliance above CSR's": _end(runs, "multi_stakeholder", tcv)
        > _end(runs, "csr", tcv),
        "multi-stakeholder gain retains more after the levers end": retained["multi_stakeholder"]
        > retained["csr"],
    }


def b3_regulatory_enclaves(runs: Runs) -> Conditions:
    """Buyer pressure raises visible compliance much more than less-visible compliance."""
    visible = _gain(runs, "csr", "True compliance visible")
    less = _gain(runs, "csr", "True compliance less visible")
    return {
        "CSR lifts visible compliance by more than 0.05": visible > 0.05,
        "visible gain more than twice the less-visible gain": visible > 2 * less,
    }


def b4_displacement(runs: Runs) -> Conditions:
    """Crowding out: enforcement falls as audits rise; less-visible compliance ends lower."""
    enforcement = _series(runs, "displacement", "State enforcement capacity")
    return {
        "enforcement falls under crowding out": (
            enforcement.sel(time=END) < enforcement.sel(time=1995.0)
        ).to_numpy(),
        "enforcement ends below CSR's": _end(runs, "displacement", "State enforcement capacity")
        < _end(runs, "csr", "State enforcement capacity"),
        "less-visible compliance ends below CSR's": _end(
            runs, "displacement", "True compliance less visible"
        )
        < _end(runs, "csr", "True compliance less visible"),
    }


SOCIAL_OUTCOMES_FOR_SYNERGY: tuple[str, ...] = (
    "Social upgrading index",
    "Average wage",
    "Temporary worker wage",
    "True compliance visible",
    "True compliance less visible",
    "Labour organisation",
)


def b5_synergy(runs: Runs) -> Conditions:
    """Synergistic governance beats the best path, super-additively on some social outcome."""
    index = "Social upgrading index"
    best = np.max([_end(runs, s, index) for s in SINGLE_PATHS], axis=0)
    beats = _end(runs, COMBINED, index) > best
    super_additive = np.zeros_like(beats)
    for name in SOCIAL_OUTCOMES_FOR_SYNERGY:
        total = np.sum([_gain(runs, s, name) for s in SINGLE_PATHS], axis=0)
        super_additive |= _gain(runs, COMBINED, name) > total
    return {
        "synergistic social index above the best single path": beats,
        "gain above the sum of single-path gains on some social outcome": super_additive,
    }


def b6_scandal_decays(runs: Runs) -> Conditions:
    """A scandal raises civil-society and buyer pressure; it fades without follow-through."""
    conditions: dict[str, np.ndarray] = {}
    for name in ("Civil society pressure", "Buyer CSR pressure"):
        effect = _series(runs, "scandal", name) - _series(runs, BASELINE, name)
        peak = effect.max("time").to_numpy()
        conditions[f"scandal raises {name} by more than 0.02"] = peak > 0.02
        conditions[f"{name} effect below a quarter of its peak by {END:.0f}"] = (
            effect.sel(time=END).to_numpy() < 0.25 * peak
        )
    name = "Civil society pressure"
    alone = _series(runs, "scandal", name) - _series(runs, BASELINE, name)
    backed = _series(runs, "follow_through_scandal", name) - _series(runs, "follow_through", name)
    left_alone = (alone.sel(time=2025.0) / alone.max("time")).to_numpy()
    left_backed = (backed.sel(time=2025.0) / backed.max("time")).to_numpy()
    conditions["follow-through keeps a larger share of the pressure in 2025"] = (
        left_backed > left_alone
    )
    return conditions


def b7_bounds(runs: Runs) -> Conditions:
    """Every stock stays finite and non-negative; share stocks stay in [0, 1], in every case."""
    ok: np.ndarray | None = None
    for run in runs.values():
        for name in run.data_vars:
            da = run[name] if "run" in run[name].dims else run[name].expand_dims(run=[0])
            values = da.transpose("run", "time").to_numpy()
            cond = np.isfinite(values).all(axis=1)
            if name in STOCKS:
                cond &= values.min(axis=1) >= -1e-9
            if name in STOCKS_0_1:
                cond &= values.max(axis=1) <= 1 + 1e-9
            ok = cond if ok is None else ok & cond
    if ok is None:
        raise SpecError("behaviour 7 needs at least one case with stocks")
    return {"stocks finite, non-negative, shares in [0, 1] in every case": ok}


def b8_demand_collapse(runs: Runs) -> Conditions:
    """A collapse of world demand lowers wages or raises the temporary share."""
    window = slice(COLLAPSE_YEAR, COLLAPSE_YEAR + 10)
    wage = (
        _series(runs, "demand_collapse", "Average wage") / _series(runs, BASELINE, "Average wage")
        - 1
    )
    temporary = _series(runs, "demand_collapse", "Temporary worker share") - _series(
        runs, BASELINE, "Temporary worker share"
    )
    lower_wage = (wage.sel(time=window).min("time") < -0.005).to_numpy()
    more_temporary = (temporary.sel(time=window).max("time") > 0.005).to_numpy()
    return {
        "wages fall or the temporary share rises within ten years": lower_wage | more_temporary
    }


def b9_minimum_wage_above_productivity(runs: Runs) -> Conditions:
    """A minimum wage far above productivity shrinks capacity and orders."""
    return {
        "capacity below half the baseline's": _end(runs, "high_minimum_wage", "Cluster capacity")
        < 0.5 * _end(runs, BASELINE, "Cluster capacity"),
        "orders below half the baseline's": _end(runs, "high_minimum_wage", "Export orders")
        < 0.5 * _end(runs, BASELINE, "Export orders"),
    }


def b10_verified_premium(runs: Runs) -> Conditions:
    """A premium lifts visible true compliance only if verified; less-visible firms via visibility.

    "Only through visibility": with subcontractors invisible to buyers (chain
    visibility 0) the verified premium lifts less-visible compliance by less
    than a quarter of what it gives visible firms, and with visible chains
    (0.5) it lifts them more than with the default low visibility.
    """
    tcv, tcl = "True compliance visible", "True compliance less visible"
    verified = _gain(runs, "premium_verified", tcv)
    unverified = _gain(runs, "premium_unverified", tcv)
    hidden_visible = _gain(runs, "premium_verified_invisible_chain", tcv, base="invisible_chain")
    hidden_less = _gain(runs, "premium_verified_invisible_chain", tcl, base="invisible_chain")
    less = _gain(runs, "premium_verified", tcl)
    less_visible_chain = _gain(runs, "premium_verified_visible_chain", tcl, base="visible_chain")
    return {
        "verified premium lifts visible compliance by more than 0.02": verified > 0.02,
        "unverified premium moves it less than a quarter as much": np.abs(unverified)
        < 0.25 * verified,
        "invisible chains: less-visible gain below a quarter of the visible": hidden_less
        < 0.25 * hidden_visible,
        "visible chains lift less-visible firms more": less_visible_chain > less,
    }


def b11_cluster_dormant(runs: Runs) -> Conditions:
    """Without outside pressure or a programme, cluster collective action stays dormant."""
    dormant = _series(runs, "no_pressure", "Cluster collective action").max("time").to_numpy()
    triggered = _end(runs, "no_pressure_programme", "Cluster collective action")
    return {
        "collective action stays at or below 0.1 without pressure": dormant <= 0.1,
        "a programme more than doubles it": triggered > 2 * np.maximum(dormant, 0.05),
    }


@dataclass(frozen=True)
class Behaviour:
    """One behaviour the model must show.

    Attributes
    ----------
    number : int
        Number in ``docs/design/model.md``.
    title : str
    conditions : callable
        Case runs -> its named conditions, one boolean per draw each; the
        behaviour holds in a draw when all of them hold.
    cases : tuple of str
        The cases it compares.
    """

    number: int
    title: str
    conditions: Callable[[Runs], Conditions]
    cases: tuple[str, ...]

    def check(self, runs: Runs) -> np.ndarray:
        """Whether the behaviour holds: one boolean per draw (all its conditions)."""
        return np.logical_and.reduce(
            [np.asarray(c, dtype=bool) for c in self.conditions(runs).values()]
        )


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        1,
        "Economic upgrading without social upgrading",
        b1_economic_without_social,
        (BASELINE, "market_unverified"),
    ),
    Behaviour(
        2,
        "Compliance-only CSR limited and overstated; multi-stakeholder more durable",
        b2_csr_limited_msi_durable,
        (BASELINE, "csr", "multi_stakeholder", "csr_ending", "multi_stakeholder_ending"),
    ),
    Behaviour(3, "Segmentation: regulatory enclaves", b3_regulatory_enclaves, (BASELINE, "csr")),
    Behaviour(4, "Displacement of public enforcement", b4_displacement, ("csr", "displacement")),
    Behaviour(
        5,
        "Synergy: beyond the best path, super-additive",
        b5_synergy,
        (BASELINE, *SINGLE_PATHS, COMBINED),
    ),
    Behaviour(
        6,
        "Scandal pulse decays without follow-through",
        b6_scandal_decays,
        (BASELINE, "scandal", "follow_through", "follow_through_scandal"),
    ),
    Behaviour(7, "Bounds: stocks finite, non-negative, shares in [0, 1]", b7_bounds, CASES),
    Behaviour(
        8,
        "Demand collapse lowers wages or raises temporary share",
        b8_demand_collapse,
        (BASELINE, "demand_collapse"),
    ),
    Behaviour(
        9,
        "Minimum wage far above productivity shrinks capacity and orders",
        b9_minimum_wage_above_productivity,
        (BASELINE, "high_minimum_wage"),
    ),
    Behaviour(
        10,
        "Ethical premium works only when verified; less-visible firms via visibility",
        b10_verified_premium,
        (
            BASELINE,
            "premium_unverified",
            "premium_verified",
            "invisible_chain",
            "premium_verified_invisible_chain",
            "visible_chain",
            "premium_verified_visible_chain",
        ),
    ),
    Behaviour(
        11,
        "Cluster collective action dormant without outside pressure",
        b11_cluster_dormant,
        ("no_pressure", "no_pressure_programme"),
    ),
)


def uncertain_parameters(model: Model) -> pd.DataFrame:
    """Return the uncertain structural parameters and their declared ranges.

    Parameters
    ----------
    model : Model

    Returns
    -------
    pandas.DataFrame
        Indexed by name, columns ``lower`` and ``upper``.
    """
    table = model.parameters
    chosen = table[
        table["group"].isin(UNCERTAIN_GROUPS)
        & np.isfinite(table["lower"])
        & np.isfinite(table["upper"])
    ]
    return chosen[["lower", "upper"]].astype(float)


def latin_hypercube(bounds: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """Draw ``n`` Latin-hypercube samples within ``bounds``.

    Parameters
    ----------
    bounds : pandas.DataFrame
        Columns ``lower`` and ``upper``, indexed by parameter name.
    n : int
        Number of draws (positive).
    seed : int
        Seed of the generator.

    Returns
    -------
    pandas.DataFrame
        One row per draw, one column per parameter.
    """
    from scipy.stats import qmc

    check_arguments("latin_hypercube", n=(n, INTEGER), seed=(seed, INTEGER))
    if n < 1:
        raise SpecError(f"n must be a positive integer number of draws, got {n!r}")
    unit = qmc.LatinHypercube(d=len(bounds), seed=np.random.default_rng(int(seed))).random(int(n))
    values = qmc.scale(unit, bounds["lower"].to_numpy(), bounds["upper"].to_numpy())
    return pd.DataFrame(values, columns=bounds.index)


def _needed_columns() -> list[str]:
    names = {
        "Export orders",
        "Cluster capacity",
        "Supplier capability",
        "Temporary worker wage",
        "Average wage",
        "Temporary worker share",
        "Reporting gap",
        "State enforcement capacity",
        "Civil society pressure",
        "Buyer CSR pressure",
        "Cluster collective action",
        *SOCIAL_OUTCOMES_FOR_SYNERGY,
        *STOCKS,
    }
    return sorted(names)


_COMPILED: dict[tuple[str, str], object] = {}


def _compiled(model: Model):
    """The model compiled for the batch engine, once per model file and content."""
    key = (str(model.path), model.sha256)
    if key not in _COMPILED:
        _COMPILED[key] = model.compile()
    return _COMPILED[key]


def run_cases(
    model: Model, draws: pd.DataFrame, cases: tuple[str, ...] = CASES, **run_options: object
) -> dict[str, xr.Dataset]:
    """Run every case for every draw through the batch engine.

    Parameters
    ----------
    model : Model
    draws : pandas.DataFrame
        One row per draw of the uncertain parameters.
    cases : tuple of str
        Case names (see :func:`case_overrides`).
    **run_options
        Passed to :meth:`gvc_upgrading.engine.BatchModel.run` (e.g. ``scheduler``).

    Returns
    -------
    dict
        Case name -> dataset over ``(run, time)``, one run per draw.
    """
    overrides = case_overrides(model)
    unknown = [c for c in cases if c not in overrides]
    if unknown:
        raise SpecError(f"unknown behaviour case(s) {unknown}; known: {sorted(overrides)}")
    batch = _compiled(model)
    rows = draws.to_dict("records")
    samples = [{**row, **overrides[case]} for case in cases for row in rows]
    result = batch.run(
        samples, return_columns=_needed_columns(), check_bounds=False, **run_options
    )
    n = len(rows)
    return {
        case: result.isel(run=slice(k * n, (k + 1) * n)).assign_coords(run=np.arange(n))
        for k, case in enumerate(cases)
    }


def condition_table(runs: Runs, behaviours: tuple[Behaviour, ...] = BEHAVIOURS) -> pd.DataFrame:
    """Evaluate every named condition of every behaviour, one row per draw.

    Parameters
    ----------
    runs : mapping
        Case name -> run (pysd dataset over ``time``, or batch dataset over ``(run, time)``).
    behaviours : tuple of Behaviour

    Returns
    -------
    pandas.DataFrame
        Booleans; columns are a MultiIndex ``(behaviour, condition)``.

    Raises
    ------
    SpecError
        If ``runs`` lacks a case a behaviour compares.
    """
    columns: dict[tuple[int, str], np.ndarray] = {}
    for behaviour in behaviours:
        missing = [c for c in behaviour.cases if c not in runs]
        if missing:
            raise SpecError(f"behaviour {behaviour.number} needs the case(s) {missing}")
        subset = {c: runs[c] for c in behaviour.cases}
        for name, held in behaviour.conditions(subset).items():
            columns[(behaviour.number, name)] = np.asarray(held, dtype=bool)
    table = pd.DataFrame(columns)
    table.columns = pd.MultiIndex.from_tuples(list(columns), names=["behaviour", "condition"])
    return table


def behaviours_held(conditions: pd.DataFrame) -> pd.DataFrame:
    """Whether each behaviour holds (all its conditions), one column per behaviour number."""
    return conditions.T.groupby(level="behaviour", sort=False).all().T


def evaluate_runs(
    model: Model, runs: Runs, behaviours: tuple[Behaviour, ...] = BEHAVIOURS
) -> pd.DataFrame:
    """Check each behaviour on case runs (one row per draw, one column per behaviour number).

    Parameters
    ----------
    model : Model
    runs : mapping
        Case name -> run (pysd dataset over ``time``, or batch dataset over ``(run, time)``).
    behaviours : tuple of Behaviour

    Returns
    -------
    pandas.DataFrame
        Booleans, indexed by draw.
    """
    return behaviours_held(condition_table(runs, behaviours))


def behaviour_shares(model: Model, n: int, seed: int, **run_options: Any) -> pd.DataFrame:
    """Share of Latin-hypercube draws in which each behaviour holds.

    Parameters
    ----------
    model : Model
    n : int
        Number of draws of the uncertain structural parameters.
    seed : int
        Seed of the Latin hypercube.
    **run_options
        Passed to the batch engine.

    Returns
    -------
    pandas.DataFrame
        Indexed by behaviour number; columns ``title``, ``share`` (0-1) and ``draws``.

    Examples
    --------
    >>> from gvc_upgrading import load_model
    >>> shares = behaviour_shares(load_model(), n=4, seed=1)
    >>> list(shares.columns), len(shares)
    (['title', 'share', 'draws'], 11)
    """
    check_arguments("behaviour_shares", model=(model, MODEL), n=(n, INTEGER), seed=(seed, INTEGER))
    draws = latin_hypercube(uncertain_parameters(model), n, seed)
    held = evaluate_runs(model, run_cases(model, draws, **run_options))
    return pd.DataFrame(
        {
            "title": [b.title for b in BEHAVIOURS],
            "share": [float(held[b.number].mean()) for b in BEHAVIOURS],
            "draws": n,
        },
        index=pd.Index([b.number for b in BEHAVIOURS], name="behaviour"),
    )
