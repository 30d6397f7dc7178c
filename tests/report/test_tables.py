"""Table rendering: Markdown, LaTeX, HTML and the netCDF form hold the same numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gvc_upgrading.report.tables import (
    Table,
    format_number,
    latex_escape,
    to_html,
    to_latex,
    to_markdown,
    write_table,
)


def _table() -> Table:
    frame = pd.DataFrame(
        {
            "scenario": ["csr", "a|b"],
            "value_%": [0.123456789, float("nan")],
            "n": [3, 4],
            "flag": [True, False],
        }
    )
    return Table(name="demo", title="A & B", frame=frame, note="50% band")


def test_cells_are_rounded_for_reading_only():
    assert format_number(1234567.0) == "1,234,567"  # no scientific notation
    assert format_number(-2.5e-7, 3) == "-0.000"
    assert format_number(np.float64(0.5)) == "0.5"
    assert format_number(np.int64(7)) == "7"
    assert format_number(np.bool_(False)) == "no"


def test_markdown_escapes_pipes_and_shows_every_row():
    text = to_markdown(_table())
    assert "| csr | 0.1235 | 3 | yes |" in text
    assert "| a\\|b | – | 4 | no |" in text
    assert text.startswith("**A & B**")


def test_latex_escapes_specials():
    text = to_latex(_table())
    assert r"\caption{A \& B}" in text
    assert r"scenario & value\_\% & n & flag \\" in text
    assert r"a|b & -- & 4 & no \\" in text
    assert r"\begin{tabular}{lrrr}" in text
    assert latex_escape("~^#$") == r"\textasciitilde{}\textasciicircum{}\#\$"


def test_html_escapes_cells():
    frame = pd.DataFrame({"name": ["<script>"]})
    text = to_html(Table(name="x", title="<t>", frame=frame))
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_written_files_round_trip(tmp_path):
    import xarray as xr

    (tmp_path / "tables").mkdir()
    (tmp_path / "data").mkdir()
    table = _table()
    written = write_table(table, tmp_path / "tables", data_directory=tmp_path / "data")
    assert sorted(p.name for p in written) == ["demo.csv", "demo.md", "demo.nc", "demo.tex"]
    csv = pd.read_csv(tmp_path / "tables" / "demo.csv")
    with xr.open_dataset(tmp_path / "data" / "demo.nc", engine="h5netcdf") as data:
        np.testing.assert_array_equal(csv["value_%"].to_numpy(), data["value_%"].values)
        assert data["scenario"].values.tolist() == ["csr", "a|b"]
        assert data["flag"].values.tolist() == [True, False]
        assert data.attrs["title"] == "A & B"
