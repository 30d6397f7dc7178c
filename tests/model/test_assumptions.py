"""The assumptions register (models/ASSUMPTIONS.md) covers every model variable, and only those.

Issue 9, point 7: every equation and parameter value is classified as a claim
of Gereffi & Lee (2016), wider literature, a modelling choice, a definition or
an exogenous input, with its source.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gvc_upgrading import Model

REGISTER = Path(__file__).resolve().parents[2] / "models" / "ASSUMPTIONS.md"
CLASSES = {"paper", "literature", "modelling choice", "definition", "input"}


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


def test_register_parser_rejects_duplicates() -> None:
    """A variable listed twice is an error, so a stale copy cannot hide a missing row."""
    table = "| variable | kind | class | source |\n|---|---|---|---|\n"
    row = "| X | constant | modelling choice | Value: assumed default, see range. |\n"
    with pytest.raises(ValueError, match="twice"):
        register_rows(table + row + row)
