"""The ``gvc-upgrading sensitivity`` command: files, numbers, errors, interruptions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gvc_upgrading.cli import main
from gvc_upgrading.outdir import MARKER
from gvc_upgrading.sensitivity import study_run

STUDY = """
name = "cli"
n = 8
seed = 5
grouped = true
scenario = "baseline"

[[parameters]]
name = "Audit frequency"
lower = 0.0
upper = 4.0

[[parameters]]
name = "Buyer code intensity"

[[parameters]]
name = "Freedom of association"

[[parameters]]
name = "Enforcement budget"

[[outputs]]
name = "Social upgrading 2035"
variable = "Social upgrading index"
year = 2035

[[outputs]]
variable = "True compliance less visible"
reducer = "trajectory"
"""


@pytest.fixture()
def study_file(tmp_path):
    path = tmp_path / "cli.toml"
    path.write_text(STUDY, encoding="utf-8")
    return path


FIGURES = (
    "figures/indices.png",
    "figures/st_over_time.png",
    "figures/group_interactions.png",
    "figures/group_indices.png",
    "figures/second_order_social_upgrading_2035.png",
)


def test_cli_writes_netcdf_tables_and_figures_on_request(study_file, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sensitivity", str(study_file), "--out", str(out), "--no-progress"]) == 0
    assert not (out / "figures").exists()  # figures are drawn only on request
    for name in (
        "sobol.nc",
        "sobol_groups.nc",
        "interactions.nc",
        "tables/indices.csv",
        "tables/second_order.csv",
        "tables/indices_over_time.csv",
        "tables/group_indices.csv",
        "tables/group_interactions.csv",
        "tables/scenario_synergy.csv",
    ):
        assert (out / name).is_file(), name
    assert not (out / "checkpoint").exists()
    assert not list(out.rglob("*.part"))
    printed = capsys.readouterr().out
    assert "N=8, 80 runs, 4 parameters" in printed

    with xr.open_dataset(out / "sobol.nc", engine="h5netcdf") as stored:
        result = stored.load()
    table = pd.read_csv(out / "tables" / "indices.csv")
    for row in table.itertuples():
        cell = result.sel(output=row.output, parameter=row.parameter)
        assert float(cell["ST"]) == pytest.approx(row.ST, rel=1e-12)
        assert float(cell["S1_conf"]) == pytest.approx(row.S1_conf, rel=1e-12)
        assert row.group == str(cell["parameter_group"].values)
    over_time = pd.read_csv(out / "tables" / "indices_over_time.csv")
    assert len(over_time) == 4 * 41
    interactions = pd.read_csv(out / "tables" / "group_interactions.csv")
    assert set(interactions["reading"]) <= {"synergy", "displacement", "additive", "negligible"}
    assert len(interactions) == 3  # three groups -> three pairs
    assert result.attrs["n"] == 8 and result.attrs["study"] == "cli"
    synergy = pd.read_csv(out / "tables" / "scenario_synergy.csv", index_col="outcome")
    with xr.open_dataset(out / "interactions.nc", engine="h5netcdf") as stored:
        excess = stored["scenario_synergy_excess"].to_series()
        np.testing.assert_allclose(excess[synergy.index], synergy["synergy_excess"], rtol=1e-12)
        assert np.isfinite(
            stored["interaction_contrast"].sel(group="private_gvc", group_2="social_cluster")
        ).all()

    netcdf = (out / "sobol.nc").stat().st_mtime_ns
    assert main(["sensitivity", str(study_file), "--out", str(out), "--figures-only"]) == 0
    for name in FIGURES:
        assert (out / name).stat().st_size > 0, name
    assert (out / "sobol.nc").stat().st_mtime_ns == netcdf  # the study was not run again


def test_figures_only_needs_results_of_the_same_study(study_file, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    arguments = ["sensitivity", str(study_file), "--figures-only", "--out"]
    assert main([*arguments, str(empty)]) == 2
    assert "holds no sobol.nc" in capsys.readouterr().err
    assert main([*arguments, str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    xr.Dataset(attrs={"study": "another"}).to_netcdf(empty / "sobol.nc", engine="h5netcdf")
    assert main([*arguments, str(empty)]) == 2
    assert "'another', not 'cli'" in capsys.readouterr().err
    assert not (empty / "figures").exists()


def test_cli_figures_flag_draws_with_the_study(study_file, tmp_path):
    text = study_file.read_text(encoding="utf-8").replace("grouped = true", "grouped = false")
    study_file.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    arguments = ["sensitivity", str(study_file), "--out", str(out), "--no-progress"]
    assert main([*arguments, "--figures"]) == 0
    for name in ("figures/indices.png", "figures/st_over_time.png"):
        assert (out / name).stat().st_size > 0, name


def test_cli_reports_bad_specs(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(STUDY.replace("n = 8", "n = 12"), encoding="utf-8")
    assert main(["sensitivity", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "N must be a power of two" in capsys.readouterr().err
    assert main(["sensitivity", str(tmp_path / "missing.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sensitivity", str(bad), "--n", "100"])


def test_interrupted_cli_run_leaves_no_result_files(study_file, tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(study_run, "plot_interaction_map", interrupted)
    out = tmp_path / "out"
    arguments = ["--out", str(out), "--no-progress", "--no-scenario-contrast", "--figures"]
    assert main(["sensitivity", str(study_file), *arguments]) == 130
    written = [p for p in out.rglob("*") if p.is_file() and "checkpoint" not in p.parts]
    assert [p.name for p in written] == [MARKER]  # the folder's marker, no result file


def test_cli_convergence_writes_the_table(study_file, tmp_path):
    text = study_file.read_text(encoding="utf-8").replace("grouped = true", "grouped = false")
    study_file.write_text(text + "\n[convergence]\nstart = 4\ncap = 16\n", encoding="utf-8")
    out = tmp_path / "out"
    arguments = ["sensitivity", str(study_file), "--out", str(out), "--no-progress"]
    assert main([*arguments, "--convergence"]) == 0
    table = pd.read_csv(out / "tables" / "convergence.csv")
    assert list(table["n"]) == [4, 8, 16][: len(table)]
    assert list(table.columns) == [
        "n",
        "runs",
        "widest_st_conf",
        "widest_at",
        "ranking",
        "ranking_stable",
        "converged",
    ]
    with xr.open_dataset(out / "sobol.nc", engine="h5netcdf") as stored:
        assert stored.attrs["n"] == table["n"].iloc[-1]


def test_cli_resume_continues_an_interrupted_study(study_file, tmp_path, monkeypatch):
    from gvc_upgrading.sensitivity import targets

    study_file.write_text(
        study_file.read_text(encoding="utf-8").replace("grouped = true", "chunk_size = 16"),
        encoding="utf-8",
    )
    reference_out = tmp_path / "reference"
    arguments = ["sensitivity", str(study_file), "--no-progress"]
    assert main([*arguments, "--out", str(reference_out)]) == 0

    original = targets.ModelTarget.evaluate
    evaluated = []

    def dies_on_third_chunk(self, samples):
        if len(evaluated) == 2:
            raise KeyboardInterrupt
        evaluated.append(len(samples))
        return original(self, samples)

    out = tmp_path / "out"
    monkeypatch.setattr(targets.ModelTarget, "evaluate", dies_on_third_chunk)
    assert main([*arguments, "--out", str(out)]) == 130
    assert not (out / "sobol.nc").exists()
    assert len(list((out / "checkpoint").rglob("rows_*.npy"))) == 2

    def counting(self, samples):
        evaluated.append(len(samples))
        return original(self, samples)

    monkeypatch.setattr(targets.ModelTarget, "evaluate", counting)
    assert main([*arguments, "--out", str(out), "--resume"]) == 0
    assert sum(evaluated) == 80  # every run evaluated exactly once over both attempts
    with (
        xr.open_dataset(out / "sobol.nc", engine="h5netcdf") as resumed,
        xr.open_dataset(reference_out / "sobol.nc", engine="h5netcdf") as reference,
    ):
        xr.testing.assert_identical(resumed.drop_attrs(), reference.drop_attrs())
