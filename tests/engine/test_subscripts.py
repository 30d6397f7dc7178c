"""Subscripted variables come back with their ranges as dimensions, in memory and in netCDF."""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.engine import compile_model

from .reference import MODELS


@pytest.fixture(scope="module")
def batch():
    return compile_model(MODELS / "subscripts.mdl")


def test_dimensions_and_coordinates(batch):
    result = batch.run({"Scale": [1.0, 2.0]})
    assert result["Stock"].dims == ("run", "time", "Region")
    assert result["Transposed"].dims == ("run", "time", "Sector", "Region")
    assert result["Coastal part"].dims == ("run", "time", "Coast")
    assert list(result["Region"].values) == ["North", "South", "East"]
    assert result["Total"].dims == ("run", "time")
    np.testing.assert_allclose(result["Total"], result["Stock"].sum("Region"), rtol=1e-14)
    np.testing.assert_allclose(
        result["Coastal part"].values, 2 * result["Stock"].sel(Region=["North", "East"]).values
    )
    # a sampled subscripted constant scales every element of its run
    assert (
        result["Stock"].isel(run=1, time=-1).values.sum()
        > result["Stock"].isel(run=0, time=-1).values.sum()
    )


def test_netcdf_round_trip(batch, tmp_path):
    in_memory = batch.run({"Scale": [1.0, 2.0, 0.5]})
    streamed = batch.run({"Scale": [1.0, 2.0, 0.5]}, chunk_size=2, out=tmp_path / "s.nc")
    try:
        for name in in_memory.data_vars:
            assert streamed[name].dims == in_memory[name].dims
            np.testing.assert_array_equal(streamed[name].values, in_memory[name].values)
        assert list(streamed["Sector"].values) == ["Farm", "Mill"]
    finally:
        streamed.close()


@pytest.mark.parametrize("integration", ["rk4", "solve_ivp"])
def test_other_integrators_handle_subscripted_states(batch, integration):
    euler = batch.run(time_step=0.01, return_columns=["Stock"])
    other = compile_model(MODELS / "subscripts.mdl", integration=integration).run(
        return_columns=["Stock"]
    )
    np.testing.assert_allclose(other["Stock"].values, euler["Stock"].values, rtol=2e-3)
