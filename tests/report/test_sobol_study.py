"""The Sobol' indices of the report: a stored study, or a study around the case computed now."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gvc_upgrading.errors import DataError
from gvc_upgrading.report import build
from gvc_upgrading.report.build import build_report
from gvc_upgrading.report.sobol_study import QUICK_LEVERS, case_sobol_study, load_stored_sobol
from gvc_upgrading.report.stored import StoredFit
from gvc_upgrading.sensitivity import sobol

from .conftest import CASE, synthetic_fit


@pytest.fixture(scope="module")
def fit(model) -> StoredFit:
    return StoredFit(case=CASE, dataset=synthetic_fit(model), origin="loaded")


def test_case_study_varies_the_quick_levers(model, fit):
    first = case_sobol_study(model, fit, start=2020.0, quick=True, seed=3)
    indices = first.indices
    assert first.origin == "recomputed" and "Computed now" in first.description
    assert sorted(str(p) for p in indices["parameter"].values) == sorted(QUICK_LEVERS)
    assert [str(o) for o in indices["output"].values] == [
        "Economic upgrading 2035",
        "Social upgrading 2035",
        "Less-visible compliance 2035",
    ]
    assert indices.attrs["n"] == 512 and indices.attrs["seed"] == 3
    st = indices["ST"].values
    assert np.all(st > -0.05) and np.all(st < 1.2)
    # the levers matter: some lever explains a real share of every output's variance
    assert np.all(st.max(axis=1) > 0.1)


def test_a_stored_study_of_another_model_is_flagged(tmp_path):
    spec = {"parameters": [{"name": "a", "lower": 0, "upper": 1}], "n": 64, "seed": 1}
    indices = sobol(spec, lambda x: x[:, 0], second_order=False)
    indices.attrs["model_sha256"] = "0" * 64
    path = tmp_path / "sobol.nc"
    indices.to_netcdf(path, engine="h5netcdf")
    stored = load_stored_sobol(path, model_sha256="f" * 64)
    assert stored.origin == "loaded"
    assert "another version of the model file" in stored.description
    assert "another version" not in load_stored_sobol(path, "0" * 64).description
    xr.Dataset({"x": ("a", [1.0])}).to_netcdf(tmp_path / "bad.nc", engine="h5netcdf")
    with pytest.raises(DataError, match="holds no Sobol' indices"):
        load_stored_sobol(tmp_path / "bad.nc")


def test_without_a_stored_study_the_report_computes_one(tmp_path, monkeypatch, fits_dir):
    calls = []
    real = build.case_sobol_study

    def spy(*args, **kwargs):
        calls.append(kwargs["quick"])
        return real(*args, **kwargs)

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "case_sobol_study", spy)
    monkeypatch.setattr(build, "view_drawers", stop)  # the figures stage: after the study
    monkeypatch.setenv("GVC_UPGRADING_FIGURE_CACHE", str(tmp_path / "figures"))
    with pytest.raises(KeyboardInterrupt):
        build_report(
            CASE, tmp_path / "report", quick=True, fits_dir=fits_dir, sensitivity_dir=tmp_path
        )
    assert calls == [True]
