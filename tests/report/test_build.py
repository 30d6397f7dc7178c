"""The built report: its files, its HTML, its numbers against its data, its provenance."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from html.parser import HTMLParser
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gvc_upgrading.calibration import load_case
from gvc_upgrading.errors import CalibrationError, SpecError
from gvc_upgrading.outdir import MARKER, OutputFolder, OutputFolderError
from gvc_upgrading.report import REPORT_OUTCOMES, build
from gvc_upgrading.report.build import build_report, slug
from gvc_upgrading.report.provenance import PROVENANCE_KEYS, case_data_sources
from gvc_upgrading.report.words import scenario_name, synergy_reading
from gvc_upgrading.scenarios import BASELINE, COMBINED, SINGLE_PATHS
from gvc_upgrading.sketch import read_sketch

from .conftest import CASE, synthetic_fit

TABLES = (
    "summary",
    "difference_summary",
    "differences",
    "synergy",
    "fit_statistics",
    "fit_parameters",
    "sobol_leading",
)


class _References(HTMLParser):
    """Collect every src and href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.references.extend(v for k, v in attrs if k in ("src", "href") and v is not None)


def _parse(report) -> _References:
    parser = _References()
    parser.feed((report.out / "report.html").read_text("utf-8"))
    parser.close()
    return parser


def _csv(report, name: str) -> pd.DataFrame:
    return pd.read_csv(report.out / "tables" / f"{name}.csv", keep_default_na=True)


def _nc(report, name: str) -> xr.Dataset:
    with xr.open_dataset(report.out / "data" / f"{name}.nc", engine="h5netcdf") as ds:
        return ds.load()


# --------------------------------------------------------------------------- files
def test_report_writes_every_kind_of_file(report):
    out = report.out
    assert (out / "report.html").is_file()
    assert (out / "provenance.json").is_file()
    for name in TABLES:
        for suffix in ("csv", "md", "tex"):
            assert (out / "tables" / f"{name}.{suffix}").stat().st_size > 0
        assert (out / "data" / f"{name}.nc").is_file()
    for name in ("ensemble", "fans", "comparison", "calibration_fit", "sobol"):
        assert (out / "data" / f"{name}.nc").is_file()
    # a quick report draws the headline indices' fan charts, PNG only
    headline = [o for o in REPORT_OUTCOMES if "index" in o.lower()]
    stems = [f"fan_{slug(o)}" for o in headline] + ["fan_overview", "calibration_fit"]
    for stem in [*stems, "feedback_loops"]:
        assert (out / "figures" / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not (out / "figures" / f"{stem}.svg").exists()
    listed = {p.as_posix() for p in report.files}
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert listed | {MARKER} == on_disk  # and the marker that lists them


def test_no_staging_folder_is_left_beside_the_report(report):
    assert [p.name for p in report.out.parent.iterdir()] == ["report"]


# --------------------------------------------------------------------------- html
def test_html_parses_and_every_reference_resolves(report):
    parser = _parse(report)
    assert {"html", "head", "body", "table", "figure", "img"} <= set(parser.tags)
    embedded = [r for r in parser.references if r.startswith("data:")]
    relative = [r for r in parser.references if not r.startswith(("data:", "#"))]
    assert embedded and relative
    for reference in embedded:
        header, payload = reference.split(",", 1)
        assert header == "data:image/png;base64"
        assert base64.b64decode(payload, validate=True)[:8] == b"\x89PNG\r\n\x1a\n"
    for reference in relative:
        assert "://" not in reference, f"network asset {reference}"
        assert (report.out / reference).is_file(), reference
    anchors = {r[1:] for r in parser.references if r.startswith("#")}
    text = (report.out / "report.html").read_text("utf-8")
    assert all(f'id="{anchor}"' in text for anchor in anchors)


def test_html_says_what_the_model_is_and_cites_the_theory(report):
    text = (report.out / "report.html").read_text("utf-8")
    assert "Gereffi" in text and "2016" in text and "Journal of Business Ethics" in text
    for scenario in (BASELINE, *SINGLE_PATHS, COMBINED, "displacement", "strong_public"):
        assert f"<td>{html.escape(scenario_name(scenario))} ({scenario}.toml)</td>" in text
    assert "Findings" in text and "Supplier capability" in text
    # the words a reader sees (embedded images are base64, where any letters may occur)
    shown = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text).split('id="origin"')[0]
    assert "cambodia_garment" not in shown  # no raw ids before the end
    assert "Dmnl" not in shown
    for origin in report.origins.values():
        assert html.escape(origin) in text


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("name", TABLES)
def test_every_table_number_equals_its_netcdf(report, name):
    table, data = _csv(report, name), _nc(report, name)
    assert list(table.columns) == [str(v) for v in data.data_vars]
    assert len(table) == data.sizes["row"]
    for column in table.columns:
        values = data[column].values
        if np.issubdtype(values.dtype, np.number) or values.dtype == bool:
            shown = table[column].to_numpy(dtype=float)
            np.testing.assert_array_equal(shown, values.astype(float))
        else:
            assert table[column].astype(str).tolist() == values.astype(str).tolist()


def test_differences_match_the_runs(report):
    table, runs = _csv(report, "differences"), _nc(report, "ensemble")
    assert set(table["scenario"]) == set(runs["scenario"].values) - {BASELINE}
    assert set(table["outcome"]) == set(REPORT_OUTCOMES)
    start = float(runs.attrs["policy_start"])
    assert sorted(set(table["year"])) == [start + 5, start + 10]
    replicates = runs.sel(member=runs["member"] != "estimate")
    for row in table.itertuples():
        at = {"time": row.year}
        value = float(runs[row.outcome].sel(scenario=row.scenario, member="estimate", **at))
        base = float(runs[row.outcome].sel(scenario=BASELINE, member="estimate", **at))
        assert row.value == value and row.baseline == base
        assert row.difference == pytest.approx(value - base, rel=1e-12, abs=1e-15)
        assert row.difference_pct == pytest.approx(100 * (value - base) / abs(base), rel=1e-12)
        paired = (
            replicates[row.outcome].sel(scenario=row.scenario, **at)
            - replicates[row.outcome].sel(scenario=BASELINE, **at)
        ).values
        low, high = np.quantile(paired, [0.05, 0.95])
        assert row.difference_p05 == pytest.approx(low)
        assert row.difference_p95 == pytest.approx(high)


def test_summary_is_the_last_horizon_of_the_differences(report):
    summary, differences = _csv(report, "difference_summary"), _csv(report, "differences")
    last = differences[differences["year"] == differences["year"].max()]
    assert summary["scenario"].tolist() == list(dict.fromkeys(last["scenario"]))
    for row in last.itertuples():
        shown = summary.loc[summary["scenario"] == row.scenario, row.outcome].item()
        assert shown == row.difference


def test_levers_start_at_the_policy_start(report):
    runs = _nc(report, "ensemble")
    start = float(runs.attrs["policy_start"])
    history = runs.sel(time=runs["time"] < start)
    for outcome in REPORT_OUTCOMES:
        spread = history[outcome] - history[outcome].sel(scenario=BASELINE)
        np.testing.assert_allclose(spread.values, 0.0, atol=1e-12)


def test_synergy_matches_the_runs(report):
    table, runs = _csv(report, "synergy"), _nc(report, "ensemble")
    estimate = runs.sel(member="estimate")
    for row in table.itertuples():
        series = estimate[row.outcome].sel(time=row.year)
        gain = series - series.sel(scenario=BASELINE)
        combined = float(gain.sel(scenario=COMBINED))
        singles = float(gain.sel(scenario=list(SINGLE_PATHS)).sum())
        assert row.combined_gain == pytest.approx(combined, rel=1e-12, abs=1e-14)
        assert row.sum_single_gains == pytest.approx(singles, rel=1e-12, abs=1e-14)
        assert row.synergy_excess == pytest.approx(combined - singles, rel=1e-9, abs=1e-12)
        assert row.reading == synergy_reading(combined, singles)
        if combined < 0 and row.synergy_excess > 0:  # a smaller loss is not called synergy
            assert "synergy" not in row.reading


def test_fit_statistics_match_the_stored_fit(report):
    table, fit = _csv(report, "fit_statistics"), _nc(report, "calibration_fit")
    assert table["series"].tolist() == fit["stat_series"].values.astype(str).tolist()
    for column in ("n", "rmse", "mape", "r2", "uc"):
        np.testing.assert_array_equal(table[column].to_numpy(float), fit[f"stat_{column}"].values)


def test_sobol_table_holds_the_leading_indices(report):
    table, indices = _csv(report, "sobol_leading"), _nc(report, "sobol")
    for output, rows in table.groupby("output"):
        st = indices["ST"].sel(output=output)
        leading = st.sortby(st, ascending=False)["parameter"].values[: len(rows)]
        assert rows["parameter"].tolist() == [str(p) for p in leading]
        for row in rows.itertuples():
            at = {"output": output, "parameter": row.parameter}
            assert float(indices["ST"].sel(**at)) == row.ST
            assert row.ST_conf == float(indices["ST_conf"].sel(**at))
            assert float(indices["S1"].sel(**at)) == row.S1


def test_markdown_and_latex_show_the_csv_numbers(report):
    table = _csv(report, "synergy")
    markdown = (report.out / "tables" / "synergy.md").read_text("utf-8")
    latex = (report.out / "tables" / "synergy.tex").read_text("utf-8")
    for value in table["combined_gain"]:
        shown = f"{value:.4g}"
        assert f"| {shown} |" in markdown
        assert f" {shown} &" in latex
    assert latex.count(r"\\") == len(table) + 1


# --------------------------------------------------------------------------- provenance
def test_every_data_file_carries_the_provenance(report, model):
    sha = hashlib.sha256(Path(model.path).read_bytes()).hexdigest()
    sources = case_data_sources(load_case(CASE).folder / "data.csv")
    assert sources
    for path in (report.out / "data").glob("*.nc"):
        with xr.open_dataset(path, engine="h5netcdf") as data:
            attrs = dict(data.attrs)
        missing = [key for key in PROVENANCE_KEYS if key not in attrs]
        assert not missing, f"{path.name} lacks {missing}"
        assert attrs["model_sha256"] == sha
        assert attrs["salib_version"] == version("SALib")
        assert attrs["pysd_version"] == version("pysd")
        assert json.loads(attrs["data_sources"]) == sources
        seeds = json.loads(attrs["seeds"])
        assert set(seeds) == {"calibration", "sobol"} and isinstance(seeds["sobol"], int)
        assert set(json.loads(attrs["results_origin"])) == {"calibration", "scenarios", "sobol"}
    stored = json.loads((report.out / "provenance.json").read_text("utf-8"))
    assert stored == report.provenance
    text = (report.out / "report.html").read_text("utf-8")
    assert sha in text and report.provenance["report_created"] in text


def test_a_diagram_is_drawn_for_every_view(report, model):
    for view in read_sketch(model.path).views:
        assert (report.out / "figures" / f"diagram_{slug(view.name)}.png").is_file()


# --------------------------------------------------------------------------- failures
def test_quick_report_without_a_stored_fit_is_a_clear_error(tmp_path):
    empty = tmp_path / "no-fits"
    empty.mkdir()
    out = tmp_path / "report"
    message = r"no stored fit of case 'cambodia_garment'.*without --quick"
    with pytest.raises(CalibrationError, match=message):
        build_report(CASE, out, quick=True, fits_dir=empty)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-fits"]


def test_an_unknown_case_is_named(tmp_path):
    with pytest.raises(SpecError, match=r"'nowhere'.*shipped: .*cambodia_garment"):
        build_report("nowhere", tmp_path / "report", quick=False)
    assert list(tmp_path.iterdir()) == []


def test_full_report_recomputes_a_missing_fit(tmp_path, monkeypatch, model):
    calls = []

    def fake_recompute(case, *, progress=False):
        calls.append(case)
        return build.StoredFit(case=case, dataset=synthetic_fit(model), origin="recomputed")

    def stop(*args, **kwargs):
        raise KeyboardInterrupt  # stop once the recomputed fit is in use

    monkeypatch.setattr(build, "recompute_fit", fake_recompute)
    monkeypatch.setattr(build, "compare_scenarios", stop)
    empty = tmp_path / "no-fits"
    empty.mkdir()
    with pytest.raises(KeyboardInterrupt):
        build_report(CASE, tmp_path / "report", quick=False, fits_dir=empty)
    assert calls == [CASE]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no-fits"]


def test_an_interrupted_report_leaves_the_earlier_one_untouched(
    tmp_path, tmp_path_factory, monkeypatch, fits_dir
):
    monkeypatch.setenv("GVC_UPGRADING_FIGURE_CACHE", str(tmp_path_factory.mktemp("figures")))
    out = tmp_path / "report"
    OutputFolder.prepare(out).write_text("report.html", "earlier report")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    # the figures stage begins by reading the views: after tables and data are staged
    monkeypatch.setattr(build, "view_drawers", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_report(CASE, out, quick=True, fits_dir=fits_dir)
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "report.html"]
    assert (out / "report.html").read_text() == "earlier report"


def test_a_folder_the_tool_did_not_make_is_refused_before_computing(
    tmp_path, monkeypatch, fits_dir
):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")

    def never(*args, **kwargs):
        raise AssertionError("computed before checking the output folder")

    monkeypatch.setattr(build, "compare_scenarios", never)
    with pytest.raises(OutputFolderError, match="not made by gvc-upgrading"):
        build_report(CASE, out, quick=True, fits_dir=fits_dir)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_a_rebuild_keeps_the_users_own_files(tmp_path, fits_dir):
    """A report folder the tool made may hold files of the user's: a rebuild never touches them."""
    out = tmp_path / "report"
    folder = OutputFolder.prepare(out)
    folder.write_text("report.html", "earlier report")
    (out / "my_notes.txt").write_text("keep me")
    (out / "figures").mkdir()
    (out / "figures" / "my_chart.png").write_bytes(b"mine")
    build_report(CASE, out, quick=True, fits_dir=fits_dir)
    assert (out / "my_notes.txt").read_text() == "keep me"
    assert (out / "figures" / "my_chart.png").read_bytes() == b"mine"
    assert (out / "report.html").read_text("utf-8") != "earlier report"
    assert [p.name for p in tmp_path.iterdir()] == ["report"]  # nothing written beside it


def test_cli_reports_a_missing_fit_in_one_line(tmp_path, capsys):
    from gvc_upgrading.cli import main

    empty = tmp_path / "no-fits"
    empty.mkdir()
    code = main(
        [
            "report",
            "--quick",
            "--fits-dir",
            str(empty),
            "--out",
            str(tmp_path / "r"),
            "--no-progress",
        ]
    )
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("gvc-upgrading report: error: no stored fit of case")
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_full_report_really_recalibrates_a_missing_fit(tmp_path):
    empty = tmp_path / "no-fits"
    empty.mkdir()
    result = build_report(CASE, tmp_path / "report", quick=False, fits_dir=empty)
    assert result.origins["calibration"].startswith("recomputed in this run")
    with xr.open_dataset(tmp_path / "report" / "data" / "calibration_fit.nc") as fit:
        assert fit.sizes["replicate"] == build.RECOMPUTE_SETTINGS["bootstrap"]
    assert "recomputed in this run" in (tmp_path / "report" / "report.html").read_text("utf-8")
