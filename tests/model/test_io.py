"""Atomic writers and the output-folder check."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest
import xarray as xr

from gvc_upgrading.io import (
    AtomicFiles,
    OutputPathError,
    atomic_path,
    check_output_dir,
    to_toml,
    write_csv,
    write_netcdf,
    write_toml,
)


def test_atomic_path_publishes_on_success(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    with atomic_path(target) as temporary:
        temporary.write_text("new")
        assert not target.exists()
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_path_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_files_publish_together_or_not_at_all(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), AtomicFiles(tmp_path) as staged:
        staged.path("one.csv").write_text("1")
        staged.path("two.csv").write_text("2")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with AtomicFiles(tmp_path) as staged:
        staged.path("one.csv").write_text("1")
        staged.path("two.csv").write_text("2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.csv", "two.csv"]
    assert staged.targets == [tmp_path / "one.csv", tmp_path / "two.csv"]


def test_writers_round_trip(tmp_path: Path) -> None:
    dataset = xr.Dataset(
        {"x": ("time", [1.0, 2.0])}, coords={"time": [1995.0, 1996.0]}, attrs={"note": "n"}
    )
    write_netcdf(dataset, tmp_path / "d.nc")
    with xr.open_dataset(tmp_path / "d.nc", engine="h5netcdf") as loaded:
        assert loaded.identical(dataset)
    frame = pd.DataFrame({"a": [1, 2]})
    write_csv(frame, tmp_path / "f.csv")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "f.csv"), frame)
    assert (tmp_path / "f.csv").stat().st_mode & 0o044  # readable by others, like open()


def test_toml_round_trip(tmp_path: Path) -> None:
    data = {
        "name": 'a "quoted" name',
        "n": 3,
        "flag": True,
        "values": [1.5, 2.0],
        "parameters": {"Buyer code intensity": 0.8},
        "series": {"Public disclosure": {"years": [1995, 2006], "values": [1.0, 0.0]}},
    }
    write_toml(data, tmp_path / "s.toml")
    with (tmp_path / "s.toml").open("rb") as handle:
        assert tomllib.load(handle) == data
    with pytest.raises(TypeError, match="cannot write"):
        to_toml({"x": object()})


def test_check_output_dir(tmp_path: Path) -> None:
    assert check_output_dir(tmp_path / "new").is_dir()
    with pytest.raises(OutputPathError, match="parent"):
        check_output_dir(tmp_path / "no" / "such")
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputPathError, match="not a directory"):
        check_output_dir(tmp_path / "file")
