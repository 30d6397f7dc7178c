"""Results are identical whatever the chunking or scheduler, in memory or streamed to netCDF."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gvc_upgrading.engine import compile_model, open_results

from .reference import MODELS

N = 7


@pytest.fixture(scope="module")
def batch():
    return compile_model(MODELS / "delays.mdl")


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(11)
    return {"Delay time": rng.uniform(1, 4, N)}


@pytest.fixture(scope="module")
def in_process(batch, samples):
    return batch.run(samples)


def assert_identical(a: xr.Dataset, b: xr.Dataset) -> None:
    assert list(a.data_vars) == list(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    np.testing.assert_array_equal(a["Delay time"].values, b["Delay time"].values)


@pytest.mark.parametrize("chunk_size", [1, 3, N])
def test_chunking_does_not_change_results(batch, samples, in_process, chunk_size):
    assert_identical(in_process, batch.run(samples, chunk_size=chunk_size))


@pytest.mark.parametrize("scheduler", ["synchronous", "threads", "processes"])
def test_dask_schedulers_give_identical_results(batch, samples, in_process, scheduler):
    assert_identical(in_process, batch.run(samples, chunk_size=3, scheduler=scheduler))


def test_local_cluster_gives_identical_results(batch, samples, in_process):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        result = batch.run(samples, chunk_size=2, scheduler=cluster.scheduler_address)
    assert_identical(in_process, result)


def test_out_streams_to_netcdf(batch, samples, in_process, tmp_path):
    target = tmp_path / "runs.nc"
    streamed = batch.run(samples, chunk_size=3, out=target)
    try:
        assert target.exists()
        assert not list(tmp_path.glob(".*partial"))
        assert "Delay time" in streamed.coords
        assert streamed.attrs["model_sha256"] == in_process.attrs["model_sha256"]
        assert_identical(in_process, streamed)
        reopened = open_results(target)
        assert_identical(in_process, reopened)
        reopened.close()
    finally:
        streamed.close()


def test_failed_run_leaves_no_file(tmp_path):
    from gvc_upgrading.errors import SimulationError

    from .reference import write_model

    path = write_model(
        tmp_path, "Blow up = 1 / (Time - Pole) ~ dmnl ~ |\nPole = 5 ~ Year [0, 20] ~ |"
    )
    target = tmp_path / "runs.nc"
    with pytest.raises(SimulationError):
        compile_model(path).run({"Pole": [20, 5]}, chunk_size=1, out=target)
    assert not target.exists()
    assert not list(tmp_path.glob(".*partial"))


def test_a_connected_client_can_be_passed(batch, samples, in_process):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        result = batch.run(samples, chunk_size=1, scheduler=client)
    assert_identical(in_process, result)
