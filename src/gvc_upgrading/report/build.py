"""``build_report``: turn the model, a calibrated case and its studies into a report folder.

The folder holds ``report.html`` (self-contained), ``provenance.json``,
``figures/*.png`` and ``*.svg``, ``tables/*.csv``, ``*.md`` and ``*.tex`` and
``data/*.nc``. It is built in a temporary folder beside ``out`` and moved into
place only when complete, so an interrupted build leaves ``out`` as it was.

What is loaded and what is computed:

- the calibration fit of the case is read from ``calibration/fits/<case>/``.
  When it is missing, a quick report stops with a
  :class:`~gvc_upgrading.errors.CalibrationError` naming where it looked; a
  full report (``quick=False``) recomputes it (multi-start fit with a
  bootstrap; a few minutes);
- the Sobol' indices are read from ``sensitivity/results/default/sobol.nc``
  when stored; otherwise a study of governance levers around the calibrated
  case is computed (small in quick mode, larger in full mode);
- the scenario runs (every scenario at the estimate and at every bootstrap
  parameter set) are always computed, through the batch engine.

The report says which results were loaded and which were computed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr
from tqdm import tqdm

from ..calibration.case import load_case
from ..errors import CalibrationError, GvcError, SpecError
from ..model import load_model
from ..outdir import OutputFolder
from ..resources import SHIPPED_MODEL, shipped_path
from ..scenario_spec import collect_scenarios, parse_assignments, validate_scenario
from .comparison import compare_scenarios
from .diagram import view_drawers
from .ensemble import REPORT_OUTCOMES
from .fans import fan_chart, fan_overview
from .figure_cache import FigureCache
from .fit_figure import calibration_fit_figure
from .html import escape, figure_html, paragraph, render_page, simple_table, table_html
from .interactions import factorial_table, stored_behaviour_shares
from .limitations import limitations, readme_disagreements
from .loops import Loop, draw_loops, read_loops
from .output import ReportWriter, slug
from .plausibility import load_scope, plausibility_flags
from .prerender import (
    FigureWorker,
    draw_fan_job,
    draw_fit_job,
    draw_loops_job,
    draw_overview_job,
    draw_sobol_job,
    fan_keys,
    fit_key,
    loop_key,
    loops_json,
    sobol_figure,
    sobol_key,
    stored_fit_key,
    stored_sobol_key,
    submit_views,
    view_keys,
)
from .provenance import case_data_sources, model_check, report_provenance
from .sections import report_sections
from .sobol_study import SobolSource, case_sobol_study, load_stored_sobol
from .stored import StoredFit, choose_case, find_stored_fit, find_stored_sobol, load_stored_fit
from .summary import claims_frame, summary_claims
from .tables import (
    Table,
    difference_summary_table,
    difference_table,
    fit_parameters_table,
    fit_statistics_table,
    sobol_leading_table,
    synergy_decomposition_table,
)
from .words import scenario_name, signed

__all__ = ["HORIZONS", "ReportResult", "build_report", "recompute_fit", "slug"]

#: Evaluation horizons after the policy start: label -> years.
HORIZONS: dict[str, float] = {"+5": 5.0, "+10": 10.0}
#: Sobol' seed of the study computed when none is stored.
SOBOL_SEED = 20160101
#: Settings of a recomputed fit (full mode only).
RECOMPUTE_SETTINGS: dict[str, Any] = {"n_starts": 4, "bootstrap": 30, "seed": 0, "profile": False}
#: Bootstrap parameter sets a quick report runs (the first ones stored; all in full mode).
QUICK_REPLICATES = 40


@dataclass(frozen=True)
class ReportResult:
    """What :func:`build_report` made.

    Attributes
    ----------
    out : pathlib.Path
        The report folder.
    files : list of pathlib.Path
        Every file written, relative to ``out``.
    provenance : dict
        The provenance attributes (also in ``provenance.json`` and every ``.nc``).
    origins : dict
        Per result, whether it was loaded from storage or computed.
    """

    out: Path
    files: list[Path] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)


def _exploration_html(model_file: Path) -> tuple[str, str]:
    """The stored exploration study: (its answer for the summary, its own section).

    The study (``sensitivity/exploration/default.toml``) ran the shipped model;
    a report on another model file shows neither. Missing or stale stored
    findings are said, not hidden.
    """
    from ..exploration.classify import CLASSES
    from ..exploration.stored import STORED_RESULTS, stored_findings
    from ..resources import SHIPPED_MODEL

    if Path(model_file).resolve() != Path(shipped_path(*SHIPPED_MODEL)).resolve():
        return "", ""
    question = "Across plausible futures, when do both kinds of upgrading happen?"
    try:
        findings = stored_findings()
    except (FileNotFoundError, ValueError) as exc:
        said = f"The stored exploration study cannot be shown: {exc}."
        return (
            f'<div class="claim" id="claim-futures"><h3>{escape(question)}</h3>'
            f'<p class="answer">{escape(said)}</p></div>',
            paragraph(said),
        )
    source = (
        f"From the shipped exploration study ({'/'.join(STORED_RESULTS)}: "
        f"{findings.n:,} futures drawn over the parameter ranges × {len(findings.shares)} "
        f"policies = {findings.runs:,} runs of the shipped model, seed {findings.seed}; "
        "ranges around the model's defaults, not the calibrated case)."
    )
    summary = (
        f'<div class="claim" id="claim-futures"><h3>{escape(question)}</h3>'
        f'<p class="answer">{escape(findings.text())}</p>'
        f'<p class="setup">{escape(source)}</p></div>'
    )
    start, end = findings.horizon
    ranking = pd.DataFrame(
        [
            {
                "rank": rank,
                "policy": scenario_name(policy),
                **{
                    _class_label(cls): f"{findings.shares[policy].get(cls, 0.0):.0%}"
                    for cls in CLASSES
                },
                "median change, economic index": signed(findings.medians[policy]["economic"]),
                "median change, social index": signed(findings.medians[policy]["social"]),
            }
            for rank, policy in enumerate(findings.ranking, start=1)
        ]
    )
    section = paragraph(
        f"{source} Each future is classified by the change of the economic and social "
        f"upgrading indices from {start:g} to {end:g} (thresholds: economic "
        f"{findings.thresholds['economic']:g}, social {findings.thresholds['social']:g}). "
        "Policies are ranked by the share of futures in which both indices rise. Refresh "
        "with gvc-upgrading explore sensitivity/exploration/default.toml."
    ) + simple_table(ranking, "Share of futures in each outcome class, by policy")
    if findings.prim:
        box = pd.DataFrame(
            [
                {
                    "condition": limit["parameter"],
                    "from": f"{limit['lower']:.3g}",
                    "to": f"{limit['upper']:.3g}",
                }
                for limit in findings.prim["limits"]
            ]
        )
        section += paragraph(
            f"PRIM box of the futures where both upgrade: it holds "
            f"{findings.prim['coverage']:.0%} of them at a density of "
            f"{findings.prim['density']:.0%} (against {findings.prim['base_rate']:.0%} overall)."
        ) + simple_table(box, "Conditions under which both upgrade (PRIM box limits)")
    return summary, section


def _class_label(name: str) -> str:
    """Column header of an exploration outcome class (``economic_only`` -> ``economic only``)."""
    return "both upgrade" if name == "both" else name.replace("_", " ")


def _interactions_section(writer: ReportWriter, model: Any) -> str:
    """Behaviour shares (stored in models/README.md) and the factorial effects (computed)."""
    parts = []
    try:
        shares, intro = stored_behaviour_shares(shipped_path("models", "README.md"))
    except FileNotFoundError:
        shares, intro = None, ""
    if shares is not None and len(shares):
        shown = shares.assign(
            share=[f"{s:.0%}" for s in shares["share"]],
            meets_90pct=["yes" if m else "no" for m in shares["meets_90pct"]],
        )
        parts.append(
            "<h3>How robust the model's behaviours are</h3>"
            + paragraph(
                "Share of parameter draws in which each behaviour the model is built to show "
                f"holds: a stored result ({intro}; models/README.md, computed by "
                "gvc_upgrading.behaviour_shares). A behaviour that holds in fewer than 90% of "
                "draws depends on parameter values the data do not fix."
            )
            + simple_table(shown, "Behaviour shares over parameter draws")
        )
    factorial = factorial_table(model, year=float(model.final_time))
    if factorial is not None:
        stamped = writer.table(factorial)
        frame = stamped.frame
        inline = replace(
            stamped,
            frame=frame[(frame["order"] == 1) | (frame["reading"] == "synergy")],
            title=stamped.title + " (main effects and the synergistic pairs)",
        )
        others = frame[(frame["order"] == 2) & (frame["reading"] != "synergy")]
        parts.append(
            "<h3>Synergy as interaction</h3>"
            + table_html(inline)
            + paragraph(
                f"The other {len(others)} pairwise interactions on the social upgrading index "
                "are negative or zero (the paths substitute); the full table is in the files."
            )
        )
    return "".join(parts)


def _model_loops(model_file: Path, abstract: Any) -> list[Loop]:
    """The named feedback loops of ``models/README.md``, checked against the model (or none)."""
    try:
        readme = shipped_path("models", "README.md")
    except FileNotFoundError:
        return []
    return read_loops(readme, model_file, abstract=abstract)


def _loops_section(writer: ReportWriter, model_file: Path, loops: list[Loop]) -> str:
    """Draw the named feedback loops ``loops`` (:func:`_model_loops`) of ``model_file``."""
    if not loops:
        return ""
    figure = writer.figure(
        lambda: draw_loops(loops),
        "feedback_loops",
        "Main feedback loops of the model, as models/README.md names them; every link checked "
        "against the model's equations (dashed red: not found in them).",
        key=loop_key(model_file),
    )
    items = []
    for loop in loops:
        missing = [
            f"{loop.steps[i]} → {loop.steps[(i + 1) % len(loop.steps)]}"
            for i, ok in enumerate(loop.verified)
            if not ok
        ]
        kind = "reinforcing" if loop.polarity == "R" else "balancing"
        text = f"{loop.key} {loop.name} ({kind}): " + " → ".join(loop.steps) + " → back"
        text += (
            "; links not found in the equations: " + ", ".join(missing)
            if missing
            else "; every link found in the model's equations"
        )
        items.append(f"<li>{escape(text)}</li>")
    return (
        "<p>A reinforcing loop amplifies a change, a balancing loop counteracts it. "
        "Read from models/README.md and checked against the equations of "
        f"{escape(model_file.name)} each time the report is built.</p>"
        + figure_html(figure, writer.root)
        + "<ul>"
        + "".join(items)
        + "</ul>"
    )


def _start_stored(
    worker: FigureWorker,
    case: str,
    fits_dir: str | os.PathLike[str] | None,
    sobol_file: Path | None,
) -> None:
    """Have the worker draw the figures of the stored fit and Sobol' study (files alone)."""
    if sobol_file is not None:
        worker.submit(
            stored_sobol_key(sobol_file),
            lambda: sobol_figure(load_stored_sobol(sobol_file).indices),
            draw_sobol_job,
            str(sobol_file),
        )
    try:
        fit_file = find_stored_fit(case, fits_dir)
    except CalibrationError:  # reported when the fit is loaded
        return
    if fit_file is not None:
        worker.submit(
            stored_fit_key(fit_file, case),
            lambda: calibration_fit_figure(load_stored_fit(case, fits_dir)),
            draw_fit_job,
            case,
            None if fits_dir is None else str(fits_dir),
        )


def _start_views(model_path: str | os.PathLike[str] | None, worker: FigureWorker) -> None:
    """Have the worker draw the sector views (they depend on the model file alone).

    A model file that cannot be read is left for :func:`load_model` to report.
    """
    model_file = Path(model_path) if model_path is not None else shipped_path(*SHIPPED_MODEL)
    try:
        submit_views(worker, model_file)
    except (GvcError, OSError):
        return


def case_display_name(loaded_case: Any) -> str:
    """Return a case's name for readers: its description up to the first colon.

    Falls back on the case id with spaces (``bangladesh rmg``).
    """
    description = str(getattr(loaded_case, "description", "") or "")
    name = description.split(":", 1)[0].strip()
    return name or str(getattr(loaded_case, "name", "case")).replace("_", " ")


def recompute_fit(case: str, *, progress: bool = False) -> StoredFit:
    """Calibrate ``case`` now (settings :data:`RECOMPUTE_SETTINGS`) and wrap the result.

    A shipped case is fitted jointly with the other shipped cases, as the
    stored fits are (one case alone exceeds the parameter budget of one free
    parameter per three observations), and its part of the joint fit is kept.
    """
    from ..calibration import calibrate, calibrate_joint
    from ..calibration.case import shipped_cases

    cases = shipped_cases()
    if case in cases and len(cases) > 1:
        joint = calibrate_joint(list(cases), progress=progress, **RECOMPUTE_SETTINGS)
        result = joint.for_case(case)
    else:
        result = calibrate(case, progress=progress, **RECOMPUTE_SETTINGS)
    return StoredFit(case=case, dataset=result.to_dataset(), path=None, origin="recomputed")


def build_report(
    case: str | None = None,
    out: str | os.PathLike[str] = "report",
    *,
    quick: bool = True,
    fits_dir: str | os.PathLike[str] | None = None,
    sensitivity_dir: str | os.PathLike[str] | None = None,
    model_path: str | os.PathLike[str] | None = None,
    scenario_files: Sequence[str | os.PathLike[str]] = (),
    scenario_dirs: Sequence[str | os.PathLike[str]] = (),
    start: float | None = None,
    set_values: Sequence[str] | Mapping[str, float] = (),
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> ReportResult:
    """Build the report of a calibrated case into the folder ``out``.

    Parameters
    ----------
    case : str, optional
        Shipped case name (default: ``cambodia_garment`` when its fit is
        stored, else the first case with a stored fit).
    out : path-like
        Report folder; its parent must exist. An earlier report there is
        replaced; any other non-empty folder is refused.
    quick : bool
        Use stored results only (a missing stored fit is an error); with
        False, recompute a missing fit and compute a larger Sobol' study when
        none is stored.
    fits_dir, sensitivity_dir : path-like, optional
        Where stored fits (``<case>/ensemble.nc``) and Sobol' studies
        (``default/sobol.nc``) are looked up (default: the shipped
        ``calibration/fits`` and ``sensitivity/results``).
    model_path : path-like, optional
        The ``.mdl`` file (default: the shipped model).
    scenario_files, scenario_dirs : sequence of path-like
        The user's scenario files and folders, added to the shipped scenarios.
    start : float, optional
        Year the levers switch on (default: the case's last observed year).
    set_values : sequence of "NAME=VALUE" or mapping
        Parameter values laid over every run (``--set``).
    progress : bool
        Progress bars while recomputing.
    log : callable, optional
        Receives one line per stage.

    Returns
    -------
    ReportResult

    Raises
    ------
    CalibrationError
        In quick mode, when the case has no stored fit.
    OutputFolderError
        When ``out`` cannot be written: its parent is missing, or it is a
        non-empty folder this tool did not make (checked before any
        computing). Files in ``out`` that the tool did not write are never
        replaced or deleted; a failed first report leaves no folder.
    GvcError
        On any other bad input (unknown case, malformed stored result).
    """
    say = log or (lambda message: None)
    out = Path(out)
    OutputFolder.prepare(out, create=False)  # checks only: nothing written before computing
    case = case or choose_case(fits_dir)
    loaded_case = load_case(case)  # an unknown case fails here, naming the shipped ones
    # User scenario files fail here, before the model is loaded, naming the file.
    scenarios = collect_scenarios(scenario_files, scenario_dirs)
    mode = "quick" if quick else "full"
    say(f"report on {case} ({mode})")
    # a worker process draws the figures while the numbers are computed (see prerender):
    # the sector views at once, the others as soon as what they show is loaded
    figure_cache = FigureCache()
    worker = FigureWorker(figure_cache, svg=not quick)
    stored_sobol = find_stored_sobol("default", sensitivity_dir)
    _start_stored(worker, case, fits_dir, stored_sobol)  # the largest pictures first
    _start_views(model_path, worker)
    try:
        model = load_model(model_path) if model_path is not None else load_model()
        model_file = Path(model.path)
        loops = _model_loops(model_file, model.abstract_model)
        if loops:
            worker.submit(
                loop_key(model_file), partial(draw_loops, loops), draw_loops_job, loops_json(loops)
            )
        overrides = (
            dict(set_values)
            if isinstance(set_values, Mapping)
            else parse_assignments(list(set_values), model)
        )
        for scenario in scenarios:
            validate_scenario(scenario, model)
        if start is not None and not model.initial_time < start <= model.final_time - max(
            HORIZONS.values()
        ):
            raise SpecError(
                f"--start {start:g}: levers must switch on after {model.initial_time:g} and leave "
                f"{max(HORIZONS.values()):g} simulated years (the model ends in "
                f"{model.final_time:g})"
            )
        origins: dict[str, str] = {}

        try:
            fit = load_stored_fit(case, fits_dir)
            origins["calibration"] = f"loaded from storage ({fit.path})" + model_check(
                fit.dataset.attrs.get("model_sha256"), model.sha256
            )
        except CalibrationError:
            if quick:
                raise
            say(f"no stored fit of {case}: recomputing it")
            fit = recompute_fit(case, progress=progress)
            origins["calibration"] = (
                "recomputed in this run (no stored fit): multistart, "
                + ", ".join(f"{k}={v}" for k, v in RECOMPUTE_SETTINGS.items())
            )

        replicates = QUICK_REPLICATES if quick else None
        n_members = 1 + min(fit.n_replicates, replicates or fit.n_replicates)
        say(f"scenarios: {len(scenarios)} scenarios x {n_members} parameter sets")
        batch = model.compile()
        result = compare_scenarios(
            model,
            scenarios,
            fit=fit,
            start=start,
            overrides=overrides,
            outcomes=[o for o in REPORT_OUTCOMES if o in model.variables.index],
            replicates=replicates,
            horizon=max(HORIZONS.values()),
            batch=batch,
        )
        start = result.start
        horizons = {label: start + years for label, years in HORIZONS.items()}
        ensemble, bands, comparison = result.ensemble, result.bands, result.comparison
        case_label = case_display_name(loaded_case)
        ensemble.attrs["case_label"] = case_label
        origins["scenarios"] = (
            f"computed in this run: {len(scenarios)} scenarios at the estimate and "
            f"{n_members - 1} of the {fit.n_replicates} bootstrap parameter sets, batch engine. "
            + result.setup_text()
        )

        if stored_sobol is not None:
            sobol_source = load_stored_sobol(stored_sobol, model.sha256)
            origins["sobol"] = "loaded from storage: " + sobol_source.description
        else:
            say("no stored Sobol' study: computing one around the calibrated case")
            sobol_source = case_sobol_study(
                model, fit, start=start, quick=quick, seed=SOBOL_SEED, batch=batch
            )
            origins["sobol"] = (
                "computed in this run (no stored study): " + sobol_source.description
            )

        sources = case_data_sources(loaded_case.folder / "data.csv") if loaded_case.folder else []
        provenance = report_provenance(
            case=case,
            mode=mode,
            model=model,
            seeds={
                "calibration": fit.seed,
                "sobol": int(sobol_source.indices.attrs.get("seed", SOBOL_SEED)),
            },
            data_sources=sources,
            origins=origins,
        )

        with OutputFolder.writing(out) as folder, folder.staging() as staging:  # staged inside out
            files = _write_everything(
                staging,
                provenance,
                model=model,
                fit=fit,
                scenarios=scenarios,
                ensemble=ensemble,
                bands=bands,
                comparison=comparison,
                horizons=horizons,
                sobol_source=sobol_source,
                origins=origins,
                model_file=model_file,
                loops=loops,
                sobol_file=stored_sobol,
                say=say,
                setup=result.setup_text(case_label),
                quick=quick,
                progress=progress,
                figure_cache=figure_cache,
                worker=worker,
            )
            folder.adopt_tree(staging)  # file by file; never replaces a file of the user's
        say(f"report written to {out}")
        return ReportResult(out=out, files=files, provenance=provenance, origins=origins)
    finally:
        worker.close()


def _write_everything(
    root: Path,
    provenance: dict[str, Any],
    *,
    model: Any,
    fit: StoredFit,
    scenarios: list,
    ensemble: xr.Dataset,
    bands: xr.Dataset,
    comparison: xr.Dataset,
    horizons: dict[str, float],
    sobol_source: SobolSource,
    origins: dict[str, str],
    model_file: Path,
    say: Callable[[str], None],
    setup: str = "",
    quick: bool = False,
    progress: bool = False,
    figure_cache: FigureCache | None = None,
    worker: FigureWorker | None = None,
    loops: list[Loop] | None = None,
    sobol_file: Path | None = None,
) -> list[Path]:
    # Quick reports: PNG only, and fan charts of the headline indices only (the overview
    # shows every outcome); the full report draws every outcome in PNG and SVG.
    writer = ReportWriter(root, provenance, svg=not quick, cache=figure_cache or FigureCache())
    outcomes = [str(name) for name in ensemble.data_vars]
    fan_outcomes = [o for o in outcomes if "index" in o.lower()] if quick else None
    start = float(ensemble.attrs["policy_start"])
    last_year = max(horizons.values())
    charts = fan_outcomes or outcomes
    fan_chart_keys, overview_key = fan_keys(ensemble, bands, charts)
    say("data")
    ensemble_file = root / writer.netcdf(ensemble, "ensemble")
    bands_file = root / writer.netcdf(bands, "fans") if bands.data_vars else ""
    if worker is not None:  # the fan charts are drawn from these files meanwhile
        for outcome in charts:
            worker.submit(
                fan_chart_keys[outcome],
                partial(fan_chart, ensemble, bands, outcome),
                draw_fan_job,
                str(ensemble_file),
                str(bands_file),
                outcome,
            )
        worker.submit(
            overview_key,
            partial(fan_overview, ensemble, bands, outcomes),
            draw_overview_job,
            str(ensemble_file),
            str(bands_file),
            json.dumps(outcomes),
        )
    writer.netcdf(comparison, "comparison")
    writer.netcdf(fit.dataset, "calibration_fit")
    writer.netcdf(sobol_source.indices, "sobol")

    say("summary and limitations")
    scope = load_scope()
    flags = plausibility_flags(ensemble, start=start, year=last_year, scope=scope)
    claims = summary_claims(ensemble, start=start, year=last_year, flags=flags)
    try:
        disagreements = readme_disagreements(shipped_path("models", "README.md"))
    except FileNotFoundError:
        disagreements = []
    groups = limitations(
        fit, outcomes=outcomes, scope=scope, flags=flags, disagreements=disagreements
    )
    writer.table(
        Table(
            name="summary",
            title="Summary: the paper's three questions answered from the runs",
            frame=claims_frame(claims),
            note="value: the headline number of the answer; low_5pct, high_95pct: its 90% "
            "range over the bootstrap parameter sets; year: the year it refers to; flags: "
            "plausibility flags of the scenarios the answer names.",
        )
    )
    say("tables")
    differences = writer.table(difference_table(comparison, ensemble, horizons))
    summary = writer.table(difference_summary_table(differences, f"{list(horizons)[-1]} years"))
    synergy = writer.table(synergy_decomposition_table(comparison, horizons))
    label = str(ensemble.attrs.get("case_label", fit.case))
    statistics = writer.table(fit_statistics_table(fit, label))
    parameters = writer.table(fit_parameters_table(fit, label))
    leading = writer.table(sobol_leading_table(sobol_source.indices))
    say("robustness and factorial interactions")
    interactions_html = _interactions_section(writer, model)

    say("figures")
    drawers = view_drawers(model_file)
    bar = tqdm(
        total=(len(fan_outcomes or outcomes) + 4 + len(drawers)),
        desc="figures",
        unit="figure",
        disable=not progress,
    )
    writer.on_figure = lambda name: bar.update(1)
    case = str(ensemble.attrs.get("case_label", fit.case))
    if worker is not None:  # the worker's pictures are in the cache after this (or drawn below)
        with tqdm(
            total=worker.pending, desc="figure worker", unit="figure", disable=not progress
        ) as waiting:
            worker.finish(on_done=lambda: waiting.update(1))
    fans = [
        writer.figure(
            partial(fan_chart, ensemble, bands, outcome),
            f"fan_{slug(outcome)}",
            f"{outcome} under each scenario, {case}: estimate (black), median and 50% / 90% "
            "bands over the bootstrap parameter sets (blue), baseline (dashed).",
            key=fan_chart_keys[outcome],
        )
        for outcome in charts
    ]
    overview = writer.figure(
        partial(fan_overview, ensemble, bands, outcomes),
        "fan_overview",
        f"Key outcomes, {case}: baseline, synergistic and displacement with 50% / 90% bands.",
        key=overview_key,
    )
    calibration_figure = writer.figure(
        partial(calibration_fit_figure, fit),
        "calibration_fit",
        f"Calibration targets of {case}.",
        key=stored_fit_key(fit.path, fit.case) if fit.path is not None else fit_key(fit),
    )
    sobol_ref = writer.figure(
        partial(sobol_figure, sobol_source.indices),
        "sobol_indices",
        "First-order (S1) and total (ST) Sobol' indices with confidence intervals.",
        key=(
            stored_sobol_key(sobol_file)
            if sobol_file is not None
            else sobol_key(sobol_source.indices)
        ),
    )
    say("feedback loops")
    loops_html = _loops_section(
        writer,
        model_file,
        _model_loops(model_file, model.abstract_model) if loops is None else loops,
    )
    say("sector diagrams")
    keys = view_keys(model_file)
    diagrams = [
        writer.figure(
            draw,
            f"diagram_{slug(name)}",
            f"Stock-and-flow diagram, sector {name}.",
            key=keys[name],
        )
        for name, draw in drawers.items()
    ]

    bar.close()
    futures_summary, futures_section = _exploration_html(model_file)
    say("report.html")
    (root / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", "utf-8")
    writer.files.append(Path("provenance.json"))
    last = list(horizons)[-1]
    sections = report_sections(
        root,
        model=model,
        model_file=model_file,
        fit=fit,
        scenarios=scenarios,
        start=float(ensemble.attrs["policy_start"]),
        horizons=horizons,
        tables=(summary, differences, synergy, statistics, parameters, leading),
        figures=(fans, overview, calibration_figure, sobol_ref, diagrams),
        sobol_source=sobol_source,
        origins=origins,
        provenance=provenance,
        files=writer.files,
        horizon_label=f"{last} years",
        claims=claims,
        limitation_groups=groups,
        setup=setup,
        loops=loops_html,
        case_label=label,
        interactions=interactions_html,
        futures=futures_summary,
        exploration=futures_section,
    )
    html_text = render_page(
        f"Governance and upgrading: {case}",
        f"What governance does to economic and social upgrading, {start:g}–{last_year:g}: "
        f"scenarios of the gvc-upgrading model calibrated to {case} "
        f"({provenance['report_mode']} report, {provenance['report_created'][:10]}).",
        sections,
    )
    (root / "report.html").write_text(html_text, encoding="utf-8")
    writer.files.append(Path("report.html"))
    return writer.files
