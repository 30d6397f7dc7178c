"""pysd reference runs and the comparison used by the batch-engine tests."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pysd
import xarray as xr

from gvc_upgrading.translation import translate

MODELS = Path(__file__).parent / "models"


def pysd_model(path: Path):
    """Load the pysd translation of ``path`` (translated in the isolated cache)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pysd.load(str(translate(path).python_file))


def pysd_run(path: Path, params: dict | None = None, **kwargs) -> pd.DataFrame:
    """Run ``path`` once with pysd (warnings about extrapolated lookups silenced)."""
    model = pysd_model(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.run(params=params or {}, **kwargs)


def assert_matches_pysd(result: xr.Dataset, frame: pd.DataFrame, run: int = 0) -> int:
    """Assert every variable both return agrees to rel 1e-9 / abs 1e-12; return the count."""
    np.testing.assert_allclose(result["time"].values, frame.index.values, rtol=0, atol=1e-12)
    compared = 0
    for name in result.data_vars:
        values = result[name].isel(run=run)
        columns = pysd_columns(result, name)
        if not all(label in frame.columns for label in columns):
            continue
        for label, index in columns.items():
            expected = frame[label].to_numpy(dtype=float)
            actual = values.values[(slice(None), *index)]
            np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12, err_msg=label)
        compared += 1
    assert compared > 0
    return compared


def pysd_columns(result: xr.Dataset, name: str) -> dict[str, tuple[int, ...]]:
    """pysd's column label for each element of a variable (``"x[North,Farm]"``)."""
    dims = result[name].dims[2:]
    if not dims:
        return {name: ()}
    labels = {}
    for index in itertools.product(*(range(result.sizes[d]) for d in dims)):
        elements = ",".join(str(result[d].values[i]) for d, i in zip(dims, index, strict=True))
        labels[f"{name}[{elements}]"] = index
    return labels


CONTROLS = """INITIAL TIME = 0 ~ Year ~ |
FINAL TIME = {final} ~ Year ~ |
TIME STEP = {step} ~ Year [0,?] ~ |
SAVEPER = {saveper} ~ Year [0,?] ~ |
"""


def write_model(
    folder: Path, equations: str, *, final=10, step=0.25, saveper="TIME STEP", name: str = "model"
) -> Path:
    """Write a small Vensim model (``equations`` plus control variables) into ``folder``."""
    path = folder / f"{name}.mdl"
    text = (
        "{UTF-8}\n"
        + equations.strip()
        + "\n"
        + CONTROLS.format(final=final, step=step, saveper=saveper)
    )
    path.write_text(text, encoding="utf-8")
    return path
