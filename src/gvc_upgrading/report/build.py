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
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from ..errors import CalibrationError
from ..io import OutputPathError, write_netcdf
from ..model import load_model
from ..scenarios import COMBINED, compare_runs, list_scenarios, load_scenario
from ..sensitivity.figures import plot_indices
from . import html as page
from .diagram import draw_diagram
from .ensemble import (
    ESTIMATE,
    REPORT_OUTCOMES,
    band_quantiles,
    policy_start_year,
    run_case_scenarios,
)
from .fans import fan_chart, fan_overview
from .findings import findings
from .provenance import case_data_sources, report_provenance
from .sobol_study import SobolSource, case_sobol_study, load_stored_sobol
from .stored import StoredFit, choose_case, find_stored_sobol, load_stored_fit
from .tables import (
    Table,
    difference_summary_table,
    difference_table,
    fit_parameters_table,
    fit_statistics_table,
    sobol_leading_table,
    synergy_decomposition_table,
    write_table,
)

__all__ = ["HORIZONS", "ReportResult", "build_report", "recompute_fit", "slug"]

#: Evaluation horizons after the policy start: label -> years.
HORIZONS: dict[str, float] = {"+5": 5.0, "+10": 10.0}
#: Resolution of the PNG figures.
FIGURE_DPI = 110
#: Sobol' seed of the study computed when none is stored.
SOBOL_SEED = 20160101
# A Vensim group header: a line of asterisks, ".Name", a line of asterisks.
_GROUP_RE = re.compile(r"^\*{8,}\s*\n\s*\.([^\n]+?)\s*\n\*{8,}", re.MULTILINE)
#: Settings of a recomputed fit (full mode only).
RECOMPUTE_SETTINGS: dict[str, Any] = {"n_starts": 4, "bootstrap": 30, "seed": 0, "profile": False}


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


def slug(text: str) -> str:
    """Return a file-name-safe lower-case version of ``text``.

    Examples
    --------
    >>> slug("True compliance less visible")
    'true_compliance_less_visible'
    """
    cleaned = "".join(c.lower() if c.isalnum() else "_" for c in text)
    return "_".join(part for part in cleaned.split("_") if part)


def recompute_fit(case: str, *, progress: bool = False) -> StoredFit:
    """Calibrate ``case`` now (settings :data:`RECOMPUTE_SETTINGS`) and wrap the result."""
    from ..calibration import calibrate

    result = calibrate(case, progress=progress, **RECOMPUTE_SETTINGS)
    return StoredFit(case=case, dataset=result.to_dataset(), path=None, origin="recomputed")


def _check_out(out: Path) -> None:
    parent = out.absolute().parent
    if not parent.is_dir():
        raise OutputPathError(f"cannot write the report to {out}: {parent} does not exist")
    if out.exists():
        if not out.is_dir():
            raise OutputPathError(f"report output {out} exists and is not a folder")
        if any(out.iterdir()) and not (out / "report.html").is_file():
            raise OutputPathError(
                f"report output {out} is a non-empty folder that holds no report; "
                "choose another --out (an earlier report folder is replaced)"
            )


def _publish(staging: Path, out: Path) -> None:
    """Move the finished staging folder onto ``out`` (replacing an earlier report)."""
    if out.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.absolute().parent))
        retired.rmdir()
        os.replace(out, retired)
        try:
            os.replace(staging, out)
        except BaseException:
            os.replace(retired, out)
            raise
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, out)


def _sector_notes(path: Path) -> dict[str, str]:
    text = path.read_text("utf-8")
    notes = {}
    for match in _GROUP_RE.finditer(text):
        rest = text[match.end() :].lstrip("~").split("|", 1)[0]
        notes[match.group(1).strip()] = " ".join(rest.split())
    return notes


class _Writer:
    """Writes the report's files into the staging folder and remembers them."""

    def __init__(self, root: Path, provenance: dict[str, Any]) -> None:
        self.root = root
        self.provenance = provenance
        self.files: list[Path] = []
        for folder in ("figures", "tables", "data"):
            (root / folder).mkdir()

    def netcdf(self, dataset: xr.Dataset, name: str) -> Path:
        stamped = dataset.copy()
        stamped.attrs = {**dataset.attrs, **self.provenance}
        relative = Path("data") / f"{name}.nc"
        write_netcdf(stamped, self.root / relative, atomic=False)
        self.files.append(relative)
        return relative

    def figure(self, figure: Any, name: str, caption: str) -> page.FigureRef:
        ref = page.FigureRef(
            png=Path("figures") / f"{name}.png",
            svg=Path("figures") / f"{name}.svg",
            caption=caption,
        )
        # lay the figure out once, then save both formats with that layout
        figure.draw_without_rendering()
        figure.set_layout_engine("none")
        figure.savefig(self.root / ref.png, format="png", dpi=FIGURE_DPI)
        figure.savefig(self.root / ref.svg, format="svg")
        self.files.extend([ref.png, ref.svg])
        return ref

    def table(self, table: Table) -> Table:
        stamped = Table(
            name=table.name,
            title=table.title,
            frame=table.frame,
            note=table.note,
            digits=table.digits,
            attrs={**table.attrs, **self.provenance},
        )
        for path in write_table(stamped, self.root / "tables", data_directory=self.root / "data"):
            self.files.append(path.relative_to(self.root))
        return stamped


def _calibration_figure(fit: StoredFit):
    from matplotlib.figure import Figure

    data = fit.dataset
    targets = list(dict.fromkeys(str(t) for t in data["obs_target"].values))
    figure = Figure(figsize=(3.6 * len(targets), 2.8), layout="constrained")
    axes = figure.subplots(1, len(targets), squeeze=False)[0]
    for ax, target in zip(axes, targets, strict=True):
        mask = data["obs_target"].values.astype(str) == target
        time = data["obs_time"].values[mask]
        order = time.argsort()
        ax.plot(
            time[order],
            data["obs_fitted"].values[mask][order],
            color="#2b6cb0",
            label="model at the estimate",
        )
        ax.scatter(
            time, data["obs_level"].values[mask], s=12, color="black", zorder=3, label="observed"
        )
        ax.set_title(target, fontsize="medium")
        ax.tick_params(labelsize="small")
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2)
    figure.suptitle(f"Calibration of {fit.case}: observed and fitted")
    return figure


def _calibration_summary(fit: StoredFit) -> str:
    attrs = fit.dataset.attrs
    try:
        diagnostics = json.loads(attrs.get("diagnostics", "{}"))
    except json.JSONDecodeError:
        diagnostics = {}
    text = (
        f"Calibration of {fit.case} ({fit.origin}): method {attrs.get('method', '?')}, "
        f"{fit.n_replicates} bootstrap refits ({diagnostics.get('bootstrap_kind', 'residual')}), "
        f"seed {fit.seed}; objective {float(attrs.get('objective', float('nan'))):.4g}; "
        f"intervals: {attrs.get('interval_method', '?')} at "
        f"{float(attrs.get('level', float('nan'))):.0%}."
    )
    holdout = diagnostics.get("holdout_from")
    if isinstance(holdout, int | float) and holdout == holdout:  # not None, not NaN
        text += (
            f" Fitted to the observations before {holdout:g}; later ones are scored as "
            "hold-out (sample 'holdout' in the statistics)."
        )
    return text


def build_report(
    case: str | None = None,
    out: str | os.PathLike[str] = "report",
    *,
    quick: bool = True,
    fits_dir: str | os.PathLike[str] | None = None,
    sensitivity_dir: str | os.PathLike[str] | None = None,
    model_path: str | os.PathLike[str] | None = None,
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
        Where stored fits (``<case>/fit.nc``) and Sobol' studies
        (``default/sobol.nc``) are looked up (default: the shipped
        ``calibration/fits`` and ``sensitivity/results``).
    model_path : path-like, optional
        The ``.mdl`` file (default: the shipped model).
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
    OutputPathError
        When ``out`` cannot be written.
    GvcError
        On any other bad input (unknown case, malformed stored result).
    """
    say = log or (lambda message: None)
    out = Path(out)
    _check_out(out)
    case = case or choose_case(fits_dir)
    mode = "quick" if quick else "full"
    say(f"report on {case} ({mode})")
    model = load_model(model_path) if model_path is not None else load_model()
    origins: dict[str, str] = {}

    try:
        fit = load_stored_fit(case, fits_dir)
        origins["calibration"] = f"loaded from storage ({fit.path})"
    except CalibrationError:
        if quick:
            raise
        say(f"no stored fit of {case}: recomputing it")
        fit = recompute_fit(case, progress=progress)
        origins["calibration"] = (
            "recomputed in this run (no stored fit): multistart, "
            + ", ".join(f"{k}={v}" for k, v in RECOMPUTE_SETTINGS.items())
        )

    scenarios = [load_scenario(s.name, model) for s in list_scenarios()]
    start = policy_start_year(fit, model, horizon=max(HORIZONS.values()))
    horizons = {label: start + years for label, years in HORIZONS.items()}
    say(f"scenarios from {start:g}: {len(scenarios)} scenarios x {1 + fit.n_replicates} runs")
    batch = model.compile()
    ensemble = run_case_scenarios(model, fit, scenarios, start=start, batch=batch)
    bands = band_quantiles(ensemble)
    comparison = compare_runs(ensemble.sel(member=ESTIMATE, drop=True), outcomes=REPORT_OUTCOMES)
    origins["scenarios"] = (
        f"computed in this run: {len(scenarios)} scenarios at the estimate and "
        f"{fit.n_replicates} bootstrap parameter sets, batch engine"
    )

    stored_sobol = find_stored_sobol("default", sensitivity_dir)
    if stored_sobol is not None:
        sobol_source = load_stored_sobol(stored_sobol, model.sha256)
        origins["sobol"] = "loaded from storage: " + sobol_source.description
    else:
        say("no stored Sobol' study: computing one around the calibrated case")
        sobol_source = case_sobol_study(
            model, fit, start=start, quick=quick, seed=SOBOL_SEED, batch=batch
        )
        origins["sobol"] = "computed in this run (no stored study): " + sobol_source.description

    folder = model.path if model_path is None else Path(model_path)
    from ..calibration import load_case

    loaded_case = load_case(case)
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

    staging = Path(
        tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.absolute().parent)
    )
    try:
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
            model_file=folder,
            say=say,
        )
        _publish(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    say(f"report written to {out}")
    return ReportResult(out=out, files=files, provenance=provenance, origins=origins)


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
) -> list[Path]:
    writer = _Writer(root, provenance)
    say("tables")
    differences = writer.table(difference_table(comparison, ensemble, horizons))
    summary = writer.table(difference_summary_table(differences, f"{list(horizons)[-1]} years"))
    synergy = writer.table(synergy_decomposition_table(comparison, horizons))
    statistics = writer.table(fit_statistics_table(fit))
    parameters = writer.table(fit_parameters_table(fit))
    leading = writer.table(sobol_leading_table(sobol_source.indices))

    say("data")
    writer.netcdf(ensemble, "ensemble")
    if bands.data_vars:
        writer.netcdf(bands, "fans")
    writer.netcdf(comparison, "comparison")
    writer.netcdf(fit.dataset, "calibration_fit")
    writer.netcdf(sobol_source.indices, "sobol")

    say("figures")
    case = fit.case
    fans = [
        writer.figure(
            fan_chart(ensemble, bands, outcome),
            f"fan_{slug(outcome)}",
            f"{outcome} under each scenario, {case}: estimate (black), median and 50% / 90% "
            "bands over the bootstrap parameter sets (blue), baseline (dashed).",
        )
        for outcome in REPORT_OUTCOMES
    ]
    overview = writer.figure(
        fan_overview(ensemble, bands, REPORT_OUTCOMES),
        "fan_overview",
        f"Key outcomes, {case}: baseline, synergistic and displacement with 50% / 90% bands.",
    )
    calibration_figure = writer.figure(
        _calibration_figure(fit), "calibration_fit", f"Calibration targets of {case}."
    )
    sobol_figure = writer.figure(
        plot_indices(sobol_source.indices, top=10),
        "sobol_indices",
        "First-order (S1) and total (ST) Sobol' indices with confidence intervals.",
    )
    diagrams = [
        writer.figure(figure, f"diagram_{slug(name)}", f"Stock-and-flow diagram, sector {name}.")
        for name, figure in draw_diagram(model_file).items()
    ]

    say("report.html")
    (root / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", "utf-8")
    writer.files.append(Path("provenance.json"))
    last = list(horizons)[-1]
    sections = _sections(
        root,
        model=model,
        model_file=model_file,
        fit=fit,
        scenarios=scenarios,
        horizons=horizons,
        tables=(summary, differences, synergy, statistics, parameters, leading),
        figures=(fans, overview, calibration_figure, sobol_figure, diagrams),
        sobol_source=sobol_source,
        origins=origins,
        provenance=provenance,
        files=writer.files,
        horizon_label=f"{last} years",
    )
    start = float(ensemble.attrs["policy_start"])
    html_text = page.render_page(
        f"Governance and upgrading: {case}",
        f"Scenario report from the gvc-upgrading model (levers from {start:g}), made "
        f"{provenance['report_created']} in {provenance['report_mode']} mode.",
        sections,
    )
    (root / "report.html").write_text(html_text, encoding="utf-8")
    writer.files.append(Path("report.html"))
    return writer.files


def _sections(
    root: Path,
    *,
    model: Any,
    model_file: Path,
    fit: StoredFit,
    scenarios: list,
    horizons: dict[str, float],
    tables: tuple[Table, ...],
    figures: tuple,
    sobol_source: SobolSource,
    origins: dict[str, str],
    provenance: dict[str, Any],
    files: list[Path],
    horizon_label: str,
) -> list[page.Section]:
    summary, differences, synergy, statistics, parameters, leading = tables
    fans, overview, calibration_figure, sobol_figure, diagrams = figures
    stocks = model.variables.loc[list(model.stocks)]
    notes = _sector_notes(model_file)
    start = min(horizons.values()) - HORIZONS[next(iter(HORIZONS))]

    model_body = "".join(
        [
            page.paragraph(
                f"gvc-upgrading is a system-dynamics model of one supplier cluster linked to "
                f"a global value chain, {model.initial_time:g}-{model.final_time:g} in annual "
                f"time (Euler step {model.time_step:g} year). It has {len(model.stocks)} stocks "
                f"and {len(model.variables)} variables in all, written in Vensim syntax "
                f"({model_file.name}, sha256 {model.sha256[:12]}...) and run with pysd and the "
                "package's batch engine. Its sectors:"
            ),
            "<ul>"
            + "".join(
                f"<li><b>{page.escape(name)}</b>: {page.escape(text)}</li>"
                for name, text in notes.items()
                if name.lower() != "control"
            )
            + "</ul>",
            page.simple_table(
                pd.DataFrame(
                    {
                        "stock": stocks.index,
                        "unit": stocks["unit"].values,
                        "meaning": stocks["description"].values,
                    }
                ),
                "Stocks",
            ),
        ]
    )
    origin_list = "".join(
        f"<li><b>{page.escape(k)}</b>: {page.escape(v)}</li>" for k, v in origins.items()
    )
    findings_list = findings(
        differences.frame, synergy.frame, leading.frame, horizon=horizon_label, combined=COMBINED
    )
    when = ", ".join(f"{k} years ({v:g})" for k, v in horizons.items())
    findings_body = (
        page.paragraph(
            f"Each scenario's levers are applied from {start:g} on top of the parameters "
            f"calibrated to {fit.case}; before {start:g} every run follows the case's history. "
            f"Differences are read at {when}."
        )
        + "<ul>"
        + "".join(f"<li>{page.escape(line)}</li>" for line in findings_list)
        + "</ul>"
        + page.figure_html(overview, root)
        + page.table_html(summary)
        + "".join(page.figure_html(figure, root) for figure in fans)
        + page.table_html(differences)
        + page.table_html(synergy)
    )
    calibration_body = (
        page.paragraph(_calibration_summary(fit))
        + page.figure_html(calibration_figure, root)
        + page.table_html(statistics)
        + page.table_html(parameters)
    )
    sensitivity_body = (
        page.paragraph(sobol_source.description)
        + page.table_html(leading)
        + page.figure_html(sobol_figure, root)
    )
    diagram_body = page.paragraph(
        "Drawn from the sketch of the model file: stocks as boxes, flows as pipes with valves, "
        "auxiliaries and constants as text, causal links as thin arrows; each sector has its "
        "colour and shadow copies of variables from other sectors are grey, in angle brackets."
    ) + "".join(page.figure_html(figure, root) for figure in diagrams)
    file_list = (
        "<ul>"
        + "".join(
            f'<li><a href="{page.escape(p.as_posix())}">{page.escape(p.as_posix())}</a></li>'
            for p in sorted(files)
        )
        + '<li><a href="report.html">report.html</a></li></ul>'
    )
    return [
        page.Section(
            "origin",
            "What was loaded and what was computed",
            f'<div class="origin"><ul>{origin_list}</ul></div>',
        ),
        page.Section("model", "The model", model_body),
        page.Section("theory", "The governance theory it encodes", page.theory_section()),
        page.Section("scenarios", "The scenarios", page.scenarios_html(scenarios)),
        page.Section("findings", "Findings", findings_body),
        page.Section("calibration", "Calibration", calibration_body),
        page.Section("sensitivity", "Sensitivity", sensitivity_body),
        page.Section("diagram", "Stock-and-flow diagram", diagram_body),
        page.Section("provenance", "Provenance", page.provenance_html(provenance)),
        page.Section("files", "Files", file_list),
    ]
