"""The scenario comparison: one definition for ``run --case``, ``compare`` users and the report.

A :class:`ScenarioComparison` is every scenario run against baseline under
one *setup*: which parameters (a calibrated case's estimate and bootstrap
sets, or the model's defaults), the year the levers switch on, and any
``--set`` values laid over every run. It carries the runs over
``(scenario, member, time)``, the comparison with baseline at the estimate
(:func:`~gvc_upgrading.scenarios.compare_runs`) and the 5-95% bands, and says
in one sentence (:meth:`ScenarioComparison.setup_text`) which setup it used,
so that two entry points that disagree show why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import xarray as xr

from ..errors import ScenarioError
from ..levers import check_starts
from ..scenarios import (
    BASELINE,
    DEFAULT_PARAMETERS,
    Scenario,
    compare_runs,
    own_start_labels,
    setup_sentence,
)
from .ensemble import (
    ESTIMATE,
    REPORT_OUTCOMES,
    band_quantiles,
    policy_start_year,
    run_case_scenarios,
    run_members,
)
from .stored import StoredFit

__all__ = ["ScenarioComparison", "compare_scenarios"]


@dataclass(frozen=True)
class ScenarioComparison:
    """Scenarios run against baseline under one setup.

    Attributes
    ----------
    ensemble : xarray.Dataset
        Outcomes over ``(scenario, member, time)``; member ``"estimate"`` first.
    comparison : xarray.Dataset
        :func:`~gvc_upgrading.scenarios.compare_runs` of the estimate's runs.
    bands : xarray.Dataset
        5/25/50/75/95% quantiles over the bootstrap members (empty without).
    case : str or None
        The calibrated case, or None for the model's defaults.
    start : float
        The year the levers switch on (a scenario may set its own).
    overrides : dict of str to float
        ``--set`` values laid over every run.
    scenarios : list of Scenario
    """

    ensemble: xr.Dataset
    comparison: xr.Dataset
    bands: xr.Dataset
    case: str | None
    start: float
    overrides: dict[str, float] = field(default_factory=dict)
    scenarios: list[Scenario] = field(default_factory=list)

    def setup_text(self, case_label: str | None = None) -> str:
        """Say which parameters, start year and ``--set`` values the comparison used.

        ``case_label`` is the case's name for readers (default: its id).
        """
        params = (
            f"the parameters calibrated to {case_label or self.case}"
            if self.case
            else DEFAULT_PARAMETERS
        )
        return setup_sentence(
            self.start,
            parameters=params,
            own_starts=own_start_labels(self.scenarios),
            overrides=self.overrides,
            members=self.ensemble.sizes.get("member", 1) - 1,
        )


def compare_scenarios(
    model: Any,
    scenarios: Sequence[Scenario],
    *,
    fit: StoredFit | None = None,
    start: float | None = None,
    overrides: Mapping[str, float] | None = None,
    outcomes: Sequence[str] = REPORT_OUTCOMES,
    replicates: int | None = None,
    horizon: float = 10.0,
    batch: Any = None,
) -> ScenarioComparison:
    """Run ``scenarios`` (baseline among them) under one setup and compare them.

    Parameters
    ----------
    model : Model
        The loaded model.
    scenarios : sequence of Scenario
        Checked scenarios; one must be ``baseline``.
    fit : StoredFit, optional
        A calibrated case: its estimate and bootstrap sets are the members.
        Without it, one member at the model's defaults.
    start : float, optional
        Year the levers switch on. Default: with a fit, the last observed
        year (leaving ``horizon`` years, :func:`~.ensemble.policy_start_year`);
        without, the model's INITIAL TIME (levers on from the start).
    overrides : mapping of str to float, optional
        ``--set`` values laid over every run (already checked).
    outcomes : sequence of str
        Variables to keep.
    replicates : int, optional
        Use only the first ``replicates`` bootstrap sets.
    horizon : float
        Years after the default start that must be simulated.
    batch : BatchModel, optional
        The compiled model.

    Raises
    ------
    ScenarioError
        If baseline is missing or ``start`` lies outside the simulated years.
    """
    names = [s.name for s in scenarios]
    if BASELINE not in names:
        raise ScenarioError(f"the comparison needs the {BASELINE!r} scenario")
    if start is None:
        start = (
            policy_start_year(fit, model, horizon=horizon)
            if fit is not None
            else float(model.initial_time)
        )
    check_starts(model, scenarios, start)
    overrides = dict(overrides or {})
    if fit is not None:
        ensemble = run_case_scenarios(
            model,
            fit,
            scenarios,
            start=float(start),
            outcomes=outcomes,
            batch=batch,
            overrides=overrides,
            replicates=replicates,
        )
    else:
        ensemble = run_members(
            model,
            [{}],
            scenarios,
            start=float(start),
            outcomes=outcomes,
            batch=batch,
            overrides=overrides,
        )
    comparison = compare_runs(ensemble.sel(member=ESTIMATE, drop=True), outcomes=list(outcomes))
    result = ScenarioComparison(
        ensemble=ensemble,
        comparison=comparison,
        bands=band_quantiles(ensemble),
        case=fit.case if fit is not None else None,
        start=float(start),
        overrides=overrides,
        scenarios=list(scenarios),
    )
    setup = result.setup_text()
    for dataset in (ensemble, comparison):
        dataset.attrs["setup"] = setup
        dataset.attrs["case"] = result.case or ""
        dataset.attrs["policy_start"] = result.start
    return result
