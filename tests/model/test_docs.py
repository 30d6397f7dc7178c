"""The variable table of models/README.md is generated from the .mdl and kept current."""

from __future__ import annotations

from pathlib import Path

import pytest

from gvc_upgrading import GvcError, Model, resources
from gvc_upgrading.docs import (
    END_MARKER,
    START_MARKER,
    main,
    render_variable_table,
    replace_table,
    update_readme,
)

from .paths import TINY_MODEL

README = (
    f"# Model\n\nHand-written text.\n\n{START_MARKER}\nold table\n{END_MARKER}\n\nMore text.\n"
)


def test_committed_variable_table_is_current() -> None:
    readme = resources.shipped_path("models", "README.md")
    assert update_readme(readme, check=True), (
        "models/README.md is stale: run python -m gvc_upgrading.docs"
    )


def test_table_lists_every_variable_with_unit_range_and_group(tiny_model: Model) -> None:
    lines = render_variable_table(tiny_model.variables).splitlines()
    assert lines[0] == "| name | kind | unit | range | group | description |"
    rows = {line.split(" | ")[0].lstrip("| "): line for line in lines[2:]}
    assert set(rows) == set(tiny_model.variables.index) - {
        "INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER",
    }  # fmt: skip
    assert rows["Buyer support"] == (
        "| Buyer support | constant | Dmnl | [0, 1] | private_gvc |"
        " Intensity of buyer learning support. |"
    )
    assert lines[2].startswith("| Supplier capability | stock |")  # stocks first


def test_update_rewrites_only_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(README)
    assert update_readme(readme, TINY_MODEL) is False
    text = readme.read_text()
    assert text.startswith("# Model\n\nHand-written text.\n\n")
    assert text.endswith(f"{END_MARKER}\n\nMore text.\n")
    assert "| Export orders | stock | USD bn/Year |" in text
    assert update_readme(readme, TINY_MODEL, check=True) is True


def test_check_mode_reports_a_stale_table_without_writing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(README)
    assert main(["--readme", str(readme), "--model", str(TINY_MODEL), "--check"]) == 1
    assert readme.read_text() == README
    assert "stale" in capsys.readouterr().err
    assert main(["--readme", str(readme), "--model", str(TINY_MODEL)]) == 0
    assert main(["--readme", str(readme), "--model", str(TINY_MODEL), "--check"]) == 0


@pytest.mark.parametrize(
    "text",
    [
        "no markers",
        f"{START_MARKER}\n{START_MARKER}\n{END_MARKER}",
        f"{END_MARKER}\n{START_MARKER}",
    ],
)
def test_missing_or_misplaced_markers(text: str) -> None:
    with pytest.raises(GvcError, match="variables:"):
        replace_table(text, "table\n")


def test_pipes_in_descriptions_are_escaped(tiny_model: Model) -> None:
    table = tiny_model.variables.copy()
    table.loc["Buyer support", "description"] = "a | b"
    assert "a \\| b" in render_variable_table(table)
