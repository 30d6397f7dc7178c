"""Stored results (calibration fits, the default Sobol' study) belong to the shipped model.

The report loads them with ``--quick``; a model edit without re-running them
would put stale numbers in front of readers. Each file records the sha256 of
the model file it was made with.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import xarray as xr

from gvc_upgrading.resources import SHIPPED_MODEL, shipped_path
from gvc_upgrading.translation import file_sha256

ROOT = Path(__file__).resolve().parents[1]
STORED = sorted(
    [*ROOT.glob("calibration/fits/*/ensemble.nc"), *ROOT.glob("sensitivity/results/*/*.nc")]
)
REFRESH = {
    "calibration": "gvc-upgrading calibrate calibration/cases --joint --out calibration/fits",
    "sensitivity": "gvc-upgrading sensitivity sensitivity/studies/default.toml "
    "--out sensitivity/results/default --figures",
}


def test_stored_results_exist() -> None:
    """Both shipped cases have a stored fit and the default study has stored indices."""
    names = {path.relative_to(ROOT).as_posix() for path in STORED}
    assert "calibration/fits/cambodia_garment/ensemble.nc" in names
    assert "calibration/fits/bangladesh_rmg/ensemble.nc" in names
    assert "sensitivity/results/default/sobol.nc" in names


@pytest.mark.parametrize("path", STORED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_stored_result_was_made_with_the_shipped_model(path: Path) -> None:
    """The file's ``model_sha256`` is the sha256 of ``models/gvc_upgrading.mdl``."""
    with xr.open_dataset(path, engine="h5netcdf") as stored:
        recorded = stored.attrs.get("model_sha256")
    current = file_sha256(shipped_path(*SHIPPED_MODEL))
    area = path.relative_to(ROOT).parts[0]
    assert recorded == current, f"{path} is stale: re-run `{REFRESH[area]}`"
