"""The ``run`` and ``scenarios`` sub-commands: outputs, errors, atomic writing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import xarray as xr

from gvc_upgrading.cli import main
from gvc_upgrading.outdir import MARKER

from .paths import TINY_MODEL, TINY_SCENARIOS

FIXTURE_ARGS = ["--model", str(TINY_MODEL), "--scenario-dir", str(TINY_SCENARIOS)]
OUTPUTS = {"scenarios.nc", "scenarios.csv", "synergy.csv", "key_outcomes.png"}


def run_cli(*args: str) -> int:
    return main(["run", *FIXTURE_ARGS, "--no-progress", *args])


@pytest.mark.parametrize("command", [[], ["run"], ["scenarios"]])
def test_help_everywhere(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    assert "usage: gvc-upgrading" in capsys.readouterr().out


def test_run_all_writes_netcdf_csv_and_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    assert run_cli("--all", "--out", str(out)) == 0
    assert {p.name for p in out.iterdir()} == {*OUTPUTS, MARKER}
    with xr.open_dataset(out / "scenarios.nc", engine="h5netcdf") as results:
        assert list(results["scenario"].values) == [
            "baseline", "market", "csr", "multi_stakeholder", "labour", "cluster", "public",
            "synergistic",
        ]  # fmt: skip
        assert results["Supplier capability"].dims == ("scenario", "time")
        assert results["difference"].dims == ("scenario", "outcome", "time")
        assert "synergy_excess" in results
        assert len(results.attrs["model_sha256"]) == 64
    tidy = pd.read_csv(out / "scenarios.csv")
    assert list(tidy.columns) == ["scenario", "variable", "unit", "time", "value"]
    row = tidy.query("scenario == 'csr' and variable == 'Buyer support' and time == 2000")
    assert row["value"].tolist() == [0.35]
    assert (out / "key_outcomes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "ran 8 scenario(s)" in capsys.readouterr().out


def test_run_selected_scenarios_adds_baseline(tmp_path: Path) -> None:
    args = ("--scenario", "csr", "labour", "-s", "public", "--out", str(tmp_path))
    assert run_cli(*args) == 0
    with xr.open_dataset(tmp_path / "scenarios.nc", engine="h5netcdf") as results:
        assert list(results["scenario"].values) == ["baseline", "csr", "labour", "public"]
    assert not (tmp_path / "synergy.csv").exists()  # no combined scenario, no synergy table


def test_unknown_output_parent_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "results"
    assert run_cli("--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "parent" in err and str(tmp_path / "missing") in err
    assert not (tmp_path / "missing").exists()


def test_unknown_scenario_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("--scenario", "nope", "--out", str(tmp_path)) == 2
    assert "unknown scenario 'nope'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_interrupted_run_leaves_no_half_written_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    """The figure is written last; when it fails, no output, temporary or empty folder is left."""
    import gvc_upgrading.cli.run as run_module

    def half_write_then_fail(figure, path, **kwargs):
        Path(path).write_bytes(b"\x89PNG half")
        raise failure

    monkeypatch.setattr(run_module, "write_figure", half_write_then_fail)
    out = tmp_path / "results"
    if isinstance(failure, KeyboardInterrupt):
        assert run_cli("--out", str(out)) == 130
    else:
        with pytest.raises(RuntimeError, match="disk full"):
            run_cli("--out", str(out))
    assert not out.exists()  # a first run: the folder it made goes again (it would hold a file)


def test_interrupted_rerun_keeps_the_previous_complete_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gvc_upgrading.cli.run as run_module

    assert run_cli("--scenario", "csr", "--out", str(tmp_path)) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "write_figure", fail)
    assert run_cli("--all", "--out", str(tmp_path)) == 130
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_scenarios_lists_names_and_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "--scenario-dir", str(TINY_SCENARIOS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["baseline", "Weak", "buyer", "support."]
    assert [line.split()[0] for line in lines] == [
        "baseline", "market", "csr", "multi_stakeholder", "labour", "cluster", "public",
        "synergistic",
    ]  # fmt: skip


def test_scenarios_check_against_a_model(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["scenarios", "--scenario-dir", str(TINY_SCENARIOS), "--model", str(TINY_MODEL), "-v"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "all 8 scenarios fit the model" in out
    assert "Demand growth = series(1995: 0.02, 2000: 0.06, 2005: 0.04)" in out


def test_scenarios_with_a_malformed_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.toml").write_text("name = \n")
    assert main(["scenarios", "--scenario-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "broken.toml" in err and "TOML syntax error" in err


def test_run_with_the_batch_engine_matches_pysd(tmp_path: Path) -> None:
    assert run_cli("-s", "synergistic", "--out", str(tmp_path / "pysd")) == 0
    assert run_cli("-s", "synergistic", "--engine", "batch", "--out", str(tmp_path / "b")) == 0
    with (
        xr.open_dataset(tmp_path / "pysd" / "scenarios.nc", engine="h5netcdf") as reference,
        xr.open_dataset(tmp_path / "b" / "scenarios.nc", engine="h5netcdf") as batch,
    ):
        assert batch.attrs["engine"] == "batch"
        xr.testing.assert_allclose(batch["difference"], reference["difference"])


def test_failed_run_creates_no_output_folder(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert run_cli("--scenario", "nope", "--out", str(out)) == 2
    assert not out.exists()
