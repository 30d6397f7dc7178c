"""One small model per Vensim construct: the engine equals pysd on every variable.

Each model in ``tests/engine/models/constructs`` exercises one construct
(listed in ``docs/engine-constructs.md``). Every variable pysd returns,
constants included (``return_columns="all"``), is compared at every saved
time, for the model's defaults and for one run whose bounded constants are
drawn at random (seeded), both in the same batch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gvc_upgrading.engine import compile_model

from .reference import MODELS, assert_matches_pysd

CONSTRUCTS = Path(MODELS) / "constructs"
NAMES = sorted(p.stem for p in CONSTRUCTS.glob("*.mdl"))


def test_there_is_a_model_per_construct():
    assert len(NAMES) >= 35


@pytest.mark.parametrize("name", NAMES)
def test_construct_matches_pysd(name, pysd_cache):
    path = CONSTRUCTS / f"{name}.mdl"
    batch = compile_model(path)
    table = batch.parameters.dropna(subset=["lower", "upper"])
    table = table[[p in batch._constants for p in table.index]]
    rng = np.random.default_rng(20261203)
    drawn = {p: float(rng.uniform(row.lower, row.upper)) for p, row in table.iterrows()}
    samples = {p: [batch._constants[p], value] for p, value in drawn.items()}
    result = batch.run(
        samples or None, n=None if samples else 1, return_columns="all", on_nonfinite="ignore"
    )
    frame = pysd_cache(path)
    compared = assert_matches_pysd(result, frame, run=0)
    # every variable the engine returns is a column pysd returns, and is compared
    assert compared == len(result.data_vars)
    if drawn:
        assert_matches_pysd(result, pysd_cache(path, drawn), run=1)


SUBSCRIPTED = [
    "subscripts_2d",
    "element_wise_stock",
    "subrange",
    "range_copy",
    "subscript_mapping",
    "repeated_range",
]


@pytest.mark.parametrize("name", SUBSCRIPTED)
def test_model_run_returns_every_variable_the_engine_returns(name):
    """``Model.run`` (pysd) gives constants and subscripted variables with their dimensions."""
    from gvc_upgrading import load_model

    path = CONSTRUCTS / f"{name}.mdl"
    model = load_model(path)
    run = model.run(on_nonfinite="keep")
    batch = compile_model(path).run(n=1, return_columns="all", on_nonfinite="ignore")
    assert set(run.data_vars) == set(batch.data_vars)
    assert any(len(run[v].dims) > 1 for v in run.data_vars)  # some keep their subscripts
    for variable in batch.data_vars:
        expected = batch[variable].isel(run=0, drop=True).broadcast_like(run[variable])
        np.testing.assert_allclose(
            run[variable].transpose(*expected.dims).values, expected.values, rtol=1e-9
        )
    picked = model.run(return_columns=[variable], on_nonfinite="keep")
    assert list(picked.data_vars) == [variable]
