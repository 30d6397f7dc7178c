"""Assemble chunk results into an xarray Dataset, in memory or streamed to netCDF."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import SpecError

__all__ = ["NetCDFWriter", "assemble"]

#: Global attribute listing the variables that are coordinates on ``run``.
RUN_COORDINATES_ATTR = "run_coordinates"


def assemble(
    data: np.ndarray,
    names: Sequence[str],
    times: np.ndarray,
    coordinates: Mapping[str, np.ndarray],
    attrs: Mapping[str, object],
) -> xr.Dataset:
    """Build the result Dataset from values of shape ``(time, variable, run)``."""
    n_runs = data.shape[2]
    variables = {
        name: (("run", "time"), data[:, j, :].T)  # a view: no copy of large ensembles
        for j, name in enumerate(names)
    }
    coords: dict[str, object] = {"run": np.arange(n_runs), "time": times}
    for name, values in coordinates.items():
        if name not in variables:
            coords[name] = ("run", np.asarray(values, dtype=float))
    return xr.Dataset(variables, coords=coords, attrs=dict(attrs))


class NetCDFWriter:
    """Write chunks of runs into a netCDF file as they arrive.

    The file is written under a temporary name and moved into place by
    :meth:`close`, so that a failed run never leaves a half-written file.
    Coordinates on ``run`` are stored as variables listed in the global
    attribute ``run_coordinates`` (JSON), because netCDF's own
    ``coordinates`` attribute cannot hold names with spaces.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        names: Sequence[str],
        times: np.ndarray,
        n_runs: int,
        coordinates: Mapping[str, np.ndarray],
        attrs: Mapping[str, object],
    ) -> None:
        import h5netcdf

        self.path = Path(path)
        for name in [*names, *coordinates]:
            if "/" in name:
                raise SpecError(f"cannot store {name!r} in netCDF: names may not contain '/'")
        self.temporary = self.path.with_name(f".{self.path.name}.partial")
        self.names = list(names)
        self.file = h5netcdf.File(self.temporary, "w")
        self.file.dimensions = {"run": n_runs, "time": len(times)}
        self.file.create_variable("run", ("run",), "i8", data=np.arange(n_runs))
        self.file.create_variable("time", ("time",), "f8", data=np.asarray(times, float))
        coordinate_names = [c for c in coordinates if c not in self.names]
        for name in coordinate_names:
            self.file.create_variable(
                name, ("run",), "f8", data=np.asarray(coordinates[name], float)
            )
        for name in self.names:
            self.file.create_variable(
                name, ("run", "time"), "f8", chunks=(min(n_runs, 4096), len(times))
            )
        file_attrs = {**attrs, RUN_COORDINATES_ATTR: json.dumps(coordinate_names)}
        for key, value in file_attrs.items():
            self.file.attrs[key] = value

    def write(self, first_run: int, block: np.ndarray) -> None:
        """Write a block of shape ``(time, variable, run)`` starting at ``first_run``."""
        stop = first_run + block.shape[2]
        for j, name in enumerate(self.names):
            self.file.variables[name][first_run:stop, :] = block[:, j, :].T

    def close(self) -> xr.Dataset:
        """Finish the file, move it into place and open it lazily."""
        self.file.close()
        os.replace(self.temporary, self.path)
        return open_results(self.path)

    def abort(self) -> None:
        """Discard the partial file."""
        try:
            self.file.close()
        finally:
            self.temporary.unlink(missing_ok=True)


def open_results(path: str | os.PathLike[str]) -> xr.Dataset:
    """Open a results file written by :class:`NetCDFWriter`, with its run coordinates."""
    dataset = xr.open_dataset(path, engine="h5netcdf")
    names = json.loads(dataset.attrs.get(RUN_COORDINATES_ATTR, "[]"))
    return dataset.set_coords([n for n in names if n in dataset])
