"""The assumptions register (models/ASSUMPTIONS.md) covers every model variable, and only those.

Issue 9, point 7: every equation and parameter value is classified as a claim
of Gereffi & Lee (2016), wider literature, a modelling choice, a definition or
an exogenous input, with its source. A source is specific to its row (no
boilerplate), cites the paper only with a table or section, and a constant's
"Treatment" (fitted, varied, set by scenarios, or fixed) matches the project.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from gvc_upgrading import Model
from gvc_upgrading.robustness import uncertain_parameters

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "models" / "ASSUMPTIONS.md"
CLASSES = {"paper", "literature", "modelling choice", "definition", "input"}
CONTROL = {"INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER"}

#: Generic text that once stood in for a reason; a row must say why *its* form or value.
BOILERPLATE = (
    "the simplest form (linear, saturating x/(1+x) or first-order goal seeking)",
    "illustrative default",
    "assumed default",
    "Value: governance lever; default = weak baseline governance",
    "the paper gives the direction of the link, not its functional form",
    "Accounting identity, unit conversion or reference value of other variables",
    "Exogenous input (constant or time series); calibration cases drive it",
)

#: Where in Gereffi & Lee (2016) a claim sits (docs/design/theory.md restates them).
PAPER_LOCATORS = (
    "Table 1",
    "Table 2",
    "note 5",
    'section "Economic and Social Upgrading in GVCs and Industrial Clusters"',
    'section "An Integrated Framework"',
    "Conclusions",
)


def register_rows(text: str) -> dict[str, tuple[str, str, str]]:
    """Return {variable: (kind, class, source)} from the register's table."""
    rows: dict[str, tuple[str, str, str]] = {}
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith("| variable |"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) != 4:
            raise ValueError(f"register row without four cells: {line!r}")
        name, kind, cls, source = cells
        if name in rows:
            raise ValueError(f"variable {name!r} appears twice in the register")
        rows[name] = (kind, cls, source)
    return rows


@pytest.fixture(scope="module")
def rows() -> dict[str, tuple[str, str, str]]:
    return register_rows(REGISTER.read_text("utf-8"))


def test_every_variable_has_a_row_and_every_row_a_variable(
    shipped_model: Model, rows: dict[str, tuple[str, str, str]]
) -> None:
    """The register and the model name the same variables."""
    names = set(shipped_model.variables.index)
    assert sorted(names - set(rows)) == [], "model variables missing from ASSUMPTIONS.md"
    assert sorted(set(rows) - names) == [], "ASSUMPTIONS.md rows that name no model variable"


def test_rows_are_classified_with_a_source(
    shipped_model: Model, rows: dict[str, tuple[str, str, str]]
) -> None:
    """Each row has the variable's kind, known classes and a non-empty source."""
    kinds = shipped_model.variables["kind"]
    for name, (kind, cls, source) in rows.items():
        assert kind == kinds[name], name
        parts = {part.split(" (")[0].strip() for part in cls.split(" + ")}
        assert parts <= CLASSES, (name, cls)
        assert len(source) > 20, name
        if "paper" in parts:
            assert "Gereffi & Lee" in source, name


def test_no_row_carries_boilerplate(rows: dict[str, tuple[str, str, str]]) -> None:
    """Every row gives the reason for its own form or value, not a stock phrase."""
    stale = {
        name: text
        for name, (_, _, source) in rows.items()
        for text in BOILERPLATE
        if text in source
    }
    assert stale == {}


def paper_citations(text: str) -> list[str]:
    """Return each sentence of ``text`` that cites Gereffi & Lee."""
    sentences = re.split(r"(?<=\.) (?=[A-Z])", text)
    return [s for s in sentences if "Gereffi & Lee" in s or "Gereffi and Lee" in s]


def test_paper_rows_name_a_table_or_section(rows: dict[str, tuple[str, str, str]]) -> None:
    """A "paper" row cites Gereffi & Lee with a table or section; so does any other citation of
    the paper in the register; no "Form:" cites the paper."""
    missing = []
    for name, (_, cls, source) in rows.items():
        citations = paper_citations(source)
        if "paper" in cls and not any(loc in c for c in citations for loc in PAPER_LOCATORS):
            missing.append(name)
        if any(not any(loc in c for loc in PAPER_LOCATORS) for c in citations):
            missing.append(name)
        forms = [p for p in source.split("Form:")[1:] if "Gereffi" in p.split("Paper:")[0]]
        assert forms == [], f"{name}: a functional form attributed to the paper"
    assert missing == []


def test_model_documentation_cites_the_paper_with_a_table_or_section(shipped_model: Model) -> None:
    """Each documentation string that cites Gereffi & Lee names where in the paper."""
    vague = [
        name
        for name, doc in shipped_model.variables["description"].items()
        for c in paper_citations(str(doc))
        if not any(loc in c for loc in PAPER_LOCATORS)
    ]
    assert vague == []


def stated_treatment(source: str) -> set[str]:
    """Return the treatments a constant's row claims (its "Treatment:" sentence)."""
    assert source.count("Treatment:") == 1, source
    found = re.search(r"Treatment: (.*?)\.(?: |$)", source)
    assert found, source
    text = found.group(1)
    if text.startswith("fixed"):
        return set()
    claims = set()
    for part in text.split("; "):
        if part == "varied in the robustness draws":
            claims.add("robustness")
        elif part == "varied in the default Sobol' study":
            claims.add("sobol")
        elif part.startswith("fitted per case ("):
            claims |= {f"case:{c}" for c in part[len("fitted per case (") : -1].split(", ")}
        elif part.startswith("set by scenarios ("):
            claims |= {f"scenario:{c}" for c in part[len("set by scenarios (") : -1].split(", ")}
        else:
            raise AssertionError(f"unknown treatment {part!r}")
    return claims


def actual_treatment(shipped_model: Model) -> dict[str, set[str]]:
    """Return, for each constant, how the project varies, fits or sets it."""
    found: dict[str, set[str]] = {name: set() for name in shipped_model.variables.index}
    for name in uncertain_parameters(shipped_model).index:
        found[name].add("robustness")
    study = tomllib.loads((ROOT / "sensitivity" / "studies" / "default.toml").read_text("utf-8"))
    for parameter in study.get("parameters", []):
        found[parameter["name"]].add("sobol")
    for case in sorted((ROOT / "calibration" / "cases").glob("*/case.toml")):
        for name in tomllib.loads(case.read_text("utf-8")).get("free", {}):
            if name in found:
                found[name].add(f"case:{case.parent.name}")
    for scenario in sorted((ROOT / "models" / "scenarios").glob("*.toml")):
        for name in tomllib.loads(scenario.read_text("utf-8")).get("parameters", {}):
            found[name].add(f"scenario:{scenario.stem}")
    return found


def test_constant_treatment_matches_the_project(
    shipped_model: Model, rows: dict[str, tuple[str, str, str]]
) -> None:
    """A constant's row says truly whether it is varied, fitted, set by scenarios, or fixed."""
    actual = actual_treatment(shipped_model)
    wrong = {}
    for name, (kind, cls, source) in rows.items():
        if kind != "constant" or name in CONTROL or cls == "input":
            continue
        claimed = stated_treatment(source)
        if claimed != actual[name]:
            wrong[name] = (sorted(claimed), sorted(actual[name]))
    assert wrong == {}


def test_register_parser_rejects_duplicates() -> None:
    """A variable listed twice is an error, so a stale copy cannot hide a missing row."""
    table = "| variable | kind | class | source |\n|---|---|---|---|\n"
    row = "| X | constant | modelling choice | Value: assumed default, see range. |\n"
    with pytest.raises(ValueError, match="twice"):
        register_rows(table + row + row)
