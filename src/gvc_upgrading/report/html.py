"""Assemble the self-contained ``report.html``.

The page needs nothing from the network: figures are embedded as base64
``data:`` URIs (each also links to its PNG and SVG files beside the report),
the style sheet is inline, and every link is a relative path to a file of the
report folder.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..scenarios import Scenario
from .tables import Table, to_html
from .words import scenario_name

__all__ = ["CITATION", "FigureRef", "Section", "figure_html", "render_page", "theory_section"]

#: The paper whose framework the model encodes.
CITATION = (
    "Gereffi, G. and Lee, J. (2016). Economic and Social Upgrading in Global Value Chains "
    "and Industrial Clusters: Why Governance Matters. Journal of Business Ethics, 133(1), "
    "25–38. doi:10.1007/s10551-014-2373-7"
)

_STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 70rem; margin: 2rem auto;
       padding: 0 1rem; color: #1a202c; line-height: 1.45; }
h1, h2, h3 { font-family: Helvetica, Arial, sans-serif; color: #2a4365; }
h2 { border-bottom: 1px solid #cbd5e0; padding-bottom: .2rem; margin-top: 2.2rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .85rem;
        font-family: Helvetica, Arial, sans-serif; }
caption { text-align: left; font-weight: bold; padding-bottom: .3rem; }
th, td { border-bottom: 1px solid #e2e8f0; padding: .2rem .5rem; vertical-align: top; }
th { background: #edf2f7; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
p.note { font-size: .8rem; color: #4a5568; margin-top: -.5rem; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; border: 1px solid #e2e8f0; }
figcaption { font-size: .85rem; color: #4a5568; }
.files a { margin-right: .6rem; }
.origin { background: #fefcbf; padding: .5rem .8rem; border-left: 4px solid #d69e2e; }
dl.provenance dt { font-weight: bold; font-family: Helvetica, Arial, sans-serif; }
dl.provenance dd { margin: 0 0 .4rem 1.2rem; word-break: break-all; }
.summary { background: #f7fafc; border-left: 4px solid #2a4365; padding: .3rem 1rem .6rem; }
.summary h3 { margin: .8rem 0 .2rem; font-size: 1.05rem; }
.summary p.answer { margin: .2rem 0; font-size: 1.05rem; }
p.setup { font-size: .9rem; color: #4a5568; }
ul.flags { margin: .2rem 0 .4rem; padding-left: 1.2rem; font-size: .85rem; color: #975a16; }
ul.flags li { list-style: none; }
ul.flags li::before { content: "⚠︎ "; }
.limitations h3 { font-size: 1rem; margin: .9rem 0 .2rem; }
.limitations li { margin-bottom: .2rem; }
p.download { font-family: Helvetica, Arial, sans-serif; font-size: .9rem; }
nav ol { columns: 2; font-family: Helvetica, Arial, sans-serif; font-size: .9rem; }
table { max-width: 100%; }
td { overflow-wrap: anywhere; }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  nav, .files, p.download a { display: none; }
  section { break-before: page; }
  section#summary, section#limitations { break-before: auto; }
  h2, h3 { break-after: avoid; }
  figure, table, .claim { break-inside: avoid; }
  figure img { max-width: 100%; max-height: 235mm; border: none; }
  a { color: inherit; text-decoration: none; }
  .summary, .origin { background: none; }
}
"""


@dataclass(frozen=True)
class FigureRef:
    """A figure of the report: its PNG (embedded) and SVG (linked) files.

    Attributes
    ----------
    png, svg : pathlib.Path
        Paths relative to the report folder (``svg`` None: not written, quick mode).
    caption : str
    """

    png: Path
    svg: Path | None
    caption: str


@dataclass(frozen=True)
class Section:
    """A titled part of the page; ``body`` is trusted HTML built by this package."""

    anchor: str
    title: str
    body: str


def escape(text: object) -> str:
    """Escape text for HTML."""
    return html.escape(str(text))


def paragraph(text: str) -> str:
    """Return an escaped paragraph."""
    return f"<p>{escape(text)}</p>"


def figure_html(figure: FigureRef, root: Path) -> str:
    """Return a ``<figure>`` embedding the PNG (read from ``root``) and linking both files."""
    data = base64.b64encode((root / figure.png).read_bytes()).decode("ascii")
    png = figure.png.as_posix()
    svg = f' <a href="{escape(figure.svg.as_posix())}">SVG</a>' if figure.svg is not None else ""
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(figure.caption)}">'
        f"<figcaption>{escape(figure.caption)} "
        f'<span class="files">(<a href="{escape(png)}">PNG</a>'
        f"{svg})</span></figcaption></figure>"
    )


def table_html(table: Table) -> str:
    """Return the table with links to its CSV, Markdown, LaTeX and netCDF files."""
    links = " ".join(
        f'<a href="{path}">{label}</a>'
        for label, path in (
            ("CSV", f"tables/{table.name}.csv"),
            ("Markdown", f"tables/{table.name}.md"),
            ("LaTeX", f"tables/{table.name}.tex"),
            ("netCDF", f"data/{table.name}.nc"),
        )
    )
    return to_html(table) + f'<p class="files">Files: {links}</p>'


def download_html(table: Table, rows_shown: str = "") -> str:
    """Return a line linking a long table's files, with its size, instead of the table."""
    links = " ".join(
        f'<a href="{path}">{label}</a>'
        for label, path in (
            ("CSV", f"tables/{table.name}.csv"),
            ("Markdown", f"tables/{table.name}.md"),
            ("LaTeX", f"tables/{table.name}.tex"),
            ("netCDF", f"data/{table.name}.nc"),
        )
    )
    return (
        f'<p class="download"><b>{escape(table.title)}</b> ({len(table.frame)} rows{rows_shown}): '
        f"{links}. {escape(table.note)}</p>"
    )


def simple_table(frame: pd.DataFrame, caption: str = "") -> str:
    """Return a small text table (every cell escaped)."""
    head = "".join(f"<th>{escape(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


_GOVERNANCE = pd.DataFrame(
    {
        "actor \\ scope": ["private", "social", "public"],
        "horizontal (cluster)": [
            "collective efficiency: industry associations, joint action, collective monitoring",
            "local civil society: workers, unions, NGOs",
            "local and national regulation: labour law, minimum wages, inspection",
        ],
        "vertical (GVC)": [
            "lead-firm governance: buyers' codes of conduct, audits, sourcing",
            "global campaigns and multi-stakeholder initiatives",
            "international organisations and trade agreements with social clauses",
        ],
    }
)


def theory_section() -> str:
    """Return the HTML of the theory the model encodes."""
    return "".join(
        [
            paragraph(
                "The model encodes the governance framework of Gereffi & Lee (2016). Economic "
                "upgrading (moving to higher-value activities, technology and skills) does not "
                "by itself bring social upgrading (better wages, conditions and rights: "
                "measurable standards and enabling rights). Whether it does depends on "
                "governance by three kinds of actor - private, social and public - acting on "
                "the cluster (horizontal) and along the value chain (vertical)."
            ),
            simple_table(_GOVERNANCE, "Governance: three actors by two scopes (Table 1)"),
            paragraph(
                "The paper distinguishes six paths of social upgrading - market-driven, "
                "CSR-driven, multi-stakeholder, labour-centred, cluster-centred and public "
                "governance (Table 2) - and two ways in which they interact: displacement, "
                "where private audits crowd out public enforcement and local labour "
                "institutions, and synergistic governance, where private, social and public "
                "governance layered together give more than any of them alone. Buyer codes "
                "reach mainly visible first-tier suppliers ('regulatory enclaves'), so the "
                "model keeps compliance of visible and less-visible firms apart, and "
                "reported compliance apart from true compliance."
            ),
            f'<p class="citation">Cite: {escape(CITATION)}</p>',
        ]
    )


def scenarios_html(scenarios: Sequence[Scenario]) -> str:
    """Return the table of scenarios (name, description, the theory it encodes, levers)."""
    frame = pd.DataFrame(
        {
            "scenario": [
                scenario_name(s.name) + (f" ({s.path.name})" if s.path is not None else "")
                for s in scenarios
            ],
            "description": [s.description for s in scenarios],
            "theory": [s.theory for s in scenarios],
            "starts": [f"{s.start:g}" if s.start is not None else "" for s in scenarios],
            "levers": [
                ", ".join(f"{k} = {v:g}" for k, v in s.parameters.items())
                + (" (series: " + ", ".join(s.series) + ")" if s.series else "")
                or "model defaults"
                for s in scenarios
            ],
        }
    )
    if not frame["starts"].any():
        frame = frame.drop(columns="starts")
    return simple_table(
        frame, "Scenarios (shipped: models/scenarios/*.toml; yours: the files named)"
    )


def provenance_html(provenance: Mapping[str, object]) -> str:
    """Return the provenance block as a definition list (JSON values pretty-printed)."""
    items = []
    for key, value in provenance.items():
        text = str(value)
        try:
            parsed = json.loads(text) if text[:1] in "[{" else None
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            shown = "<ul>" + "".join(f"<li>{escape(v)}</li>" for v in parsed) + "</ul>"
            if len(parsed) > 8:
                shown = f"<details><summary>{len(parsed)} entries</summary>{shown}</details>"
        elif isinstance(parsed, dict):
            shown = (
                "<ul>"
                + "".join(f"<li>{escape(k)}: {escape(v)}</li>" for k, v in parsed.items())
                + "</ul>"
            )
        else:
            shown = escape(text)
        items.append(f"<dt>{escape(key)}</dt><dd>{shown}</dd>")
    return f'<dl class="provenance">{"".join(items)}</dl>'


def render_page(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """Return the whole HTML document: title, subtitle, a contents list and the sections."""
    return _page(title, subtitle, sections)


def _page(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    toc = "".join(f'<li><a href="#{s.anchor}">{escape(s.title)}</a></li>' for s in sections)
    body = "".join(
        f'<section id="{s.anchor}"><h2>{escape(s.title)}</h2>{s.body}</section>' for s in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(subtitle)}</p>"
        f"<nav><ol>{toc}</ol></nav>{body}</body></html>\n"
    )
