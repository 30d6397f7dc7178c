"""The ``gvc-upgrading calibrate`` command on a small Vensim model (batch engine end to end)."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gvc_upgrading.calibration import calibrate
from gvc_upgrading.cli import main
from gvc_upgrading.model import load_model
from gvc_upgrading.translation import file_sha256

from .conftest import CASE_TOML, LOGISTIC_MDL, TRUTH, AnalyticSimulator, synthetic_rows, write_case


@pytest.fixture
def case_folder(tmp_path):
    rows = synthetic_rows(AnalyticSimulator(), TRUTH, np.random.default_rng(7), noise=0.03)
    return write_case(tmp_path / "cases" / "synthetic", rows)


def test_calibrate_command_writes_every_file(case_folder, tmp_path, capsys):
    out = tmp_path / "fits"
    code = main(
        [
            "calibrate",
            str(case_folder),
            "--out",
            str(out),
            "--holdout-from",
            "2020",
            "--bootstrap",
            "20",
            "--seed",
            "3",
            "--n-starts",
            "2",
            "--no-progress",
        ]
    )
    assert code == 0
    folder = out / "synthetic"
    assert sorted(p.name for p in folder.iterdir()) == [
        "ensemble.nc",
        "fit.png",
        "fit_statistics.csv",
        "parameters.toml",
    ]
    stats = pd.read_csv(folder / "fit_statistics.csv")
    assert list(stats.columns) == [
        "series",
        "sample",
        "n",
        "rmse",
        "mae",
        "mape",
        "r2",
        "um",
        "us",
        "uc",
        "lag1",
        "mape_rw",
        "mape_trend",
        "mape_ratio",
        "u2",
        "coverage",
    ]
    assert set(zip(stats["series"], stats["sample"], strict=True)) == {
        ("exports", "in"),
        ("exports", "holdout"),
        ("wage", "in"),
        ("wage", "holdout"),
    }
    document = tomllib.loads((folder / "parameters.toml").read_text())
    assert document["estimates"]["Growth rate"] == pytest.approx(TRUTH["Growth rate"], rel=0.1)
    assert document["holdout_from"] == 2020
    with xr.open_dataset(folder / "ensemble.nc", engine="h5netcdf") as ensemble:
        assert ensemble.sizes["replicate"] == 20
        assert "trajectory" in ensemble and "profile_deviance" in ensemble
        assert ensemble.attrs["model_sha256"] == file_sha256(LOGISTIC_MDL)
        assert ensemble.attrs["seed"] == 3
        assert ensemble.attrs["pysd_version"]
    assert "synthetic: exports (holdout)" in capsys.readouterr().out


def test_batch_engine_fit_is_reproduced_by_model_run(case_folder):
    result = calibrate(case_folder, n_starts=2, seed=0, profile=False)
    run = load_model(LOGISTIC_MDL).run(params=result.params)
    j = result.trajectory_names.index("Exports")
    np.testing.assert_allclose(
        run["Exports"].sel(time=result.times).to_numpy(), result.trajectories[j], rtol=1e-9
    )
    # Same seed, same answer, bit for bit.
    again = calibrate(case_folder, n_starts=2, seed=0, profile=False)
    assert np.array_equal(again.estimate, result.estimate)


def test_a_bad_case_writes_nothing(case_folder, tmp_path, capsys):
    text = CASE_TOML.replace('model = "Wage"', 'model = "Wages"')
    write_case(case_folder, pd.read_csv(case_folder / "data.csv"), text)
    out = tmp_path / "fits"
    code = main(["calibrate", str(case_folder), "--out", str(out), "--no-progress"])
    assert code == 2
    assert "model variable 'Wages'" in capsys.readouterr().err
    assert not out.exists()


def test_a_folder_of_cases_is_checked_before_anything_runs(case_folder, tmp_path, capsys):
    broken = case_folder.parent / "broken"
    broken.mkdir()
    (broken / "case.toml").write_text("[time]\nstart = 2000\nend = 1990\n")
    (broken / "data.csv").write_text(
        "variable,year,value,unit,verified,source\nx,2000,1,u,yes,s\n"
    )
    out = tmp_path / "fits"
    assert main(["calibrate", str(case_folder.parent), "--out", str(out)]) == 2
    assert "start 2000 must be before end 1990" in capsys.readouterr().err
    assert not out.exists()


def test_missing_output_parent(case_folder, tmp_path, capsys):
    code = main(["calibrate", str(case_folder), "--out", str(tmp_path / "no" / "such")])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err


def test_batch_engine_and_pysd_give_the_same_predictions(case_folder):
    from gvc_upgrading.calibration import BatchSimulator, Objective, PysdSimulator, load_case

    write_case(case_folder.parent / "plain", pd.read_csv(case_folder / "data.csv"))
    text = CASE_TOML + (
        '\n[[inputs.events]]\nname = "shock"\nyear = 2005\nduration = 2\nsize = 0.5\n'
        'input = "Shock"\n'
    )
    case = load_case(write_case(case_folder, pd.read_csv(case_folder / "data.csv"), text))
    theta = np.array([[0.2, 40.0, 0.05], [0.4, 60.0, 0.02], [0.1, 20.0, 0.1]])
    batch = Objective(case, BatchSimulator(LOGISTIC_MDL)).predict_levels(theta)
    reference = Objective(case, PysdSimulator(LOGISTIC_MDL)).predict_levels(theta)
    np.testing.assert_allclose(batch, reference, rtol=1e-9)
    # The shock input reached the model: growth slows in 2005-2007 only.
    shocked = Objective(case, BatchSimulator(LOGISTIC_MDL)).trajectories(theta[:1])[2][0, 0]
    plain = Objective(load_case(case_folder.parent / "plain"), BatchSimulator(LOGISTIC_MDL))
    free = plain.trajectories(theta[:1])[2][0, 0]
    np.testing.assert_array_equal(shocked[:11], free[:11])  # 1995-2005
    assert shocked[12] < 0.95 * free[12]


def test_scheduler_does_not_change_the_fit(case_folder):
    plain = calibrate(case_folder, n_starts=1, seed=0, profile=False, bootstrap=5)
    threaded = calibrate(
        case_folder, n_starts=1, seed=0, profile=False, bootstrap=5, scheduler="threads"
    )
    np.testing.assert_array_equal(plain.estimate, threaded.estimate)
    np.testing.assert_array_equal(plain.bootstrap, threaded.bootstrap)


def test_calibrate_command_joint_writes_each_cases_part(tmp_path, capsys):
    for number in range(2):
        rows = synthetic_rows(
            AnalyticSimulator(), TRUTH, np.random.default_rng(number), noise=0.03
        )
        text = CASE_TOML.replace('name = "synthetic"', f'name = "c{number}"') + (
            '\n[joint]\nshared = ["Growth rate"]\n[fit]\nholdout_from = 2020\nbootstrap = 4\n'
        )
        write_case(tmp_path / "cases" / f"c{number}", rows, text)
    out = tmp_path / "fits"
    arguments = ["calibrate", str(tmp_path / "cases"), "--joint", "--out", str(out)]
    code = main([*arguments, "--n-starts", "2", "--no-profile", "--no-progress"])
    assert code == 0
    for number in range(2):
        document = tomllib.loads((out / f"c{number}" / "parameters.toml").read_text())
        assert document["joint_fit"] == "c0+c1"
        with xr.open_dataset(out / f"c{number}" / "ensemble.nc") as stored:
            assert stored.attrs["model_sha256"] == file_sha256(LOGISTIC_MDL)
        assert document["holdout_from"] == 2020 and document["bootstrap"] == 4
        assert set(document["estimates"]) == {"Growth rate", "Capacity", "Wage growth"}
        stats = pd.read_csv(out / f"c{number}" / "fit_statistics.csv")
        assert set(stats["series"]) == {"exports", "wage"}
        assert stats.loc[stats["sample"] == "holdout", "mape_rw"].notna().all()
    printed = capsys.readouterr().out
    assert "random walk MAPE" in printed and "band coverage" in printed
