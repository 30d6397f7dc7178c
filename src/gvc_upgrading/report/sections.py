"""The sections of ``report.html``, in reading order.

What was loaded and what computed; the model; the theory it encodes; the
scenarios; the findings (fan charts, difference and synergy tables);
calibration; sensitivity; the stock-and-flow diagram; provenance; the files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from ..scenarios import COMBINED
from . import html as page
from .findings import findings
from .sobol_study import SobolSource
from .stored import StoredFit
from .tables import Table

__all__ = ["calibration_summary", "report_sections", "sector_notes"]

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


def calibration_summary(fit: StoredFit) -> str:
    """Return one paragraph on how the fit was made (method, bootstrap, seed, hold-out)."""
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
) -> list[page.Section]:
    """Return the sections of the page, in reading order.

    ``tables`` are (summary, differences, synergy, fit statistics, fit
    parameters, leading Sobol'); ``figures`` are (fan charts, overview,
    calibration, Sobol', diagrams), as written by the report; ``root`` is the
    folder that holds them (their PNGs are embedded).
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
        page.paragraph(calibration_summary(fit))
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
