"""The sections of ``report.html``, in reading order.

The summary (the paper's three questions answered from the runs) and the
limitations first; then the findings (overview, short tables, fan charts, the
long table as a download), the scenarios, the model, the theory, the main
feedback loops, calibration, sensitivity, the stock-and-flow diagram; what
was loaded and computed, provenance and the files last.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..scenarios import COMBINED
from . import html as page
from .findings import findings
from .limitations import Limitation
from .sobol_study import SobolSource
from .stored import StoredFit
from .summary import Claim
from .tables import Table
from .words import scenario_name, unit_label

__all__ = [
    "calibration_summary",
    "display_table",
    "limitations_html",
    "report_sections",
    "sector_notes",
    "summary_html",
]

# A Vensim group header: a line of asterisks, ".Name", a line of asterisks.
_GROUP_RE = re.compile(r"^\*{8,}\s*\n\s*\.([^\n]+?)\s*\n\*{8,}", re.MULTILINE)


def sector_notes(path: Path) -> dict[str, str]:
    """Return each Vensim group (sector) of a model file with the comment under its header."""
    text = path.read_text("utf-8")
    notes = {}
    for match in _GROUP_RE.finditer(text):
        rest = text[match.end() :].lstrip("~").split("|", 1)[0]
        notes[match.group(1).strip()] = " ".join(rest.split())
    return notes


def calibration_summary(fit: StoredFit, label: str | None = None) -> str:
    """Return one paragraph on how the fit was made (method, bootstrap, seed, hold-out)."""
    attrs = fit.dataset.attrs
    try:
        diagnostics = json.loads(attrs.get("diagnostics", "{}"))
    except json.JSONDecodeError:
        diagnostics = {}
    text = (
        f"Calibration of {label or fit.case} ({fit.origin}): method {attrs.get('method', '?')}, "
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


def summary_html(claims: Sequence[Claim], setup: str, futures: str = "") -> str:
    """Return the first page: each question, its answer and its plausibility flags.

    ``futures`` is the HTML of the exploration study's answer (across plausible
    futures), shown after the three questions.
    """
    parts = []
    for claim in claims:
        flags = (
            '<ul class="flags">'
            + "".join(f"<li>{page.escape(_capital(flag))}</li>" for flag in claim.flags)
            + "</ul>"
            if claim.flags
            else ""
        )
        parts.append(
            f'<div class="claim" id="claim-{claim.key}"><h3>{page.escape(claim.question)}</h3>'
            f'<p class="answer">{page.escape(claim.answer)}</p>{flags}</div>'
        )
    note = (
        "Ranges are the 5% and 95% quantiles over the calibration's bootstrap parameter sets; "
        "flags mark projections outside the ranges the model declares plausible "
        "(see Limitations)."
    )
    return (
        f'<div class="summary">{"".join(parts)}{futures}</div>'
        f'<p class="setup">{page.escape(setup)} {page.escape(note)}</p>'
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def limitations_html(groups: Sequence[Limitation]) -> str:
    """Return the limitations, one heading and list per group."""
    return (
        '<div class="limitations">'
        + "".join(
            f"<h3>{page.escape(group.heading)}</h3><ul>"
            + "".join(f"<li>{page.escape(item)}</li>" for item in group.items)
            + "</ul>"
            for group in groups
        )
        + "</div>"
    )


def display_table(table: Table) -> Table:
    """Return ``table`` with scenario ids shown as display names (the files keep the ids)."""
    frame = table.frame.copy()
    if "scenario" in frame:
        frame["scenario"] = [scenario_name(str(s)) for s in frame["scenario"]]
    return replace(table, frame=frame)


def report_sections(
    root: Path,
    *,
    model: Any,
    model_file: Path,
    fit: StoredFit,
    scenarios: list,
    start: float,
    horizons: dict[str, float],
    tables: tuple[Table, ...],
    figures: tuple,
    sobol_source: SobolSource,
    origins: dict[str, str],
    provenance: dict[str, Any],
    files: list[Path],
    horizon_label: str,
    claims: Sequence[Claim] = (),
    limitation_groups: Sequence[Limitation] = (),
    setup: str = "",
    loops: str = "",
    case_label: str | None = None,
    interactions: str = "",
    futures: str = "",
    exploration: str = "",
) -> list[page.Section]:
    """Return the sections of the page, in reading order.

    ``tables`` are (summary, differences, synergy, fit statistics, fit
    parameters, leading Sobol'); ``figures`` are (fan charts, overview,
    calibration, Sobol', diagrams), as written by the report; ``root`` is the
    folder that holds them (their PNGs are embedded). ``claims``,
    ``limitation_groups`` and ``setup`` make the first page; ``loops`` is the
    HTML of the causal-loop section.
    """
    summary, differences, synergy, statistics, parameters, leading = tables
    fans, overview, calibration_figure, sobol_figure, diagrams = figures
    stocks = model.variables.loc[list(model.stocks)]
    notes = sector_notes(model_file)

    model_body = "".join(
        [
            page.paragraph(
                f"gvc-upgrading is a system-dynamics model of one supplier cluster linked to "
                f"a global value chain, {model.initial_time:g}-{model.final_time:g} in annual "
                f"time (Euler step {model.time_step:g} year). It has {len(model.stocks)} stocks "
                f"and {len(model.variables)} variables in all, written in Vensim syntax "
                f"({model_file.name}) and run with pysd and the package's batch engine. "
                "Its sectors:"
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
                        "unit": [unit_label(str(u)) for u in stocks["unit"].values],
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
        page.paragraph(f"{setup} Differences from baseline are read at {when}.")
        + page.figure_html(overview, root)
        + page.table_html(display_table(summary))
        + "<details><summary>More findings, read off the tables</summary><ul>"
        + "".join(f"<li>{page.escape(line)}</li>" for line in findings_list)
        + "</ul></details>"
        + page.table_html(synergy)
        + page.download_html(differences, "; every scenario, outcome and horizon")
        + "".join(page.figure_html(figure, root) for figure in fans)
    )
    calibration_body = (
        page.paragraph(calibration_summary(fit, case_label))
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
        "One view per sector of the model file's sketch, laid out in layers: each stock (box) "
        "with its flows (pipes with valves) on top, and every variable below what it changes, "
        "so causal links run upwards from causes to effects; links from a stock or a flow "
        "down to what it drives (in the sector's colour) close the feedback loops. A constant "
        "that sets one variable is written small beside it. Rows are ordered to keep crossings "
        "few. Variables of other sectors, and second copies of a constant used in several "
        "places, are grey, in angle brackets. The Vensim sketch holds the same layout."
    ) + "".join(page.figure_html(figure, root) for figure in diagrams)
    file_list = (
        "<ul>"
        + "".join(
            f'<li><a href="{page.escape(p.as_posix())}">{page.escape(p.as_posix())}</a></li>'
            for p in sorted(files)
        )
        + '<li><a href="report.html">report.html</a></li></ul>'
    )
    sections = [
        page.Section(
            "summary", "Summary: the paper's three questions", summary_html(claims, setup, futures)
        ),
        page.Section("limitations", "Limitations", limitations_html(limitation_groups)),
        page.Section("findings", "Findings", findings_body),
    ]
    if interactions:
        sections.append(
            page.Section("robustness", "Robustness and synergy as interaction", interactions)
        )
    if exploration:
        sections.append(
            page.Section("futures", "Plausible futures: when both upgrade", exploration)
        )
    sections += [
        page.Section("scenarios", "The scenarios", page.scenarios_html(scenarios)),
        page.Section("model", "The model", model_body),
        page.Section("theory", "The governance theory it encodes", page.theory_section()),
    ]
    if loops:
        sections.append(page.Section("loops", "Main feedback loops", loops))
    sections += [
        page.Section("calibration", "Calibration", calibration_body),
        page.Section("sensitivity", "Sensitivity", sensitivity_body),
        page.Section("diagram", "Stock-and-flow diagram", diagram_body),
        page.Section(
            "origin",
            "What was loaded and what was computed",
            f'<div class="origin"><ul>{origin_list}</ul></div>',
        ),
        page.Section("provenance", "Provenance", page.provenance_html(provenance)),
        page.Section("files", "Files", file_list),
    ]
    return sections
