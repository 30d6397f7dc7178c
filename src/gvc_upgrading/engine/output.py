"""Assemble chunk results into an xarray Dataset, in memory or streamed to netCDF."""

from __future__ import annotations

import json
import mmap
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ..errors import SpecError

__all__ = ["Layout", "NetCDFWriter", "allocate", "assemble", "open_results"]

#: Global attribute listing the variables that are coordinates on ``run``.
RUN_COORDINATES_ATTR = "run_coordinates"
#: Global attribute holding the elements of each subscript range (JSON).
RANGES_ATTR = "subscript_ranges"


@dataclass(frozen=True)
class Layout:
    """Where each returned variable sits in a result block ``(time, row, run)``.

    Attributes
    ----------
    names : tuple of str
    dims : tuple of tuple of str
        Subscript ranges of each variable.
    ranges : dict
        Range name -> elements.
    """

    names: tuple[str, ...]
    dims: tuple[tuple[str, ...], ...]
    ranges: dict[str, list[str]]

    def sizes(self, index: int) -> tuple[int, ...]:
        return tuple(len(self.ranges[d]) for d in self.dims[index])

    @property
    def rows(self) -> int:
        return sum(int(np.prod(self.sizes(i), dtype=int)) for i in range(len(self.names)))

    def blocks(self, data: np.ndarray):
        """Yield ``(name, dims, values over (run, time, *sizes))`` views of ``data``."""
        row = 0
        for i, name in enumerate(self.names):
            sizes = self.sizes(i)
            size = int(np.prod(sizes, dtype=int))
            block = data[:, row : row + size, :]
            row += size
            values = np.moveaxis(block.reshape(block.shape[0], *sizes, block.shape[2]), -1, 0)
            yield name, ("run", "time", *self.dims[i]), values


def allocate(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised float array whose memory is mapped up front.

    Large result arrays are written once, page by page; asking the kernel to
    map all pages at allocation (``MAP_POPULATE``, Linux) is several times
    cheaper than faulting them in one at a time. Elsewhere this is ``np.empty``.
    """
    size = int(np.prod(shape, dtype=np.int64)) * 8
    populate = getattr(mmap, "MAP_POPULATE", 0)
    if not populate or size < (1 << 24):
        return np.empty(shape)
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate
    buffer = mmap.mmap(-1, size, flags=flags)
    return np.frombuffer(buffer, dtype=np.float64).reshape(shape)


def assemble(
    data: np.ndarray,
    layout: Layout,
    times: np.ndarray,
    coordinates: Mapping[str, np.ndarray],
    attrs: Mapping[str, object],
) -> xr.Dataset:
    """Build the result Dataset from values of shape ``(time, row, run)``."""
    n_runs = data.shape[2]
    variables = {name: (dims, values) for name, dims, values in layout.blocks(data)}
    coords: dict[str, object] = {"run": np.arange(n_runs), "time": times}
    used = {d for dims in layout.dims for d in dims}
    for dim in used:
        coords[dim] = list(layout.ranges[dim])
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
        layout: Layout,
        times: np.ndarray,
        n_runs: int,
        coordinates: Mapping[str, np.ndarray],
        attrs: Mapping[str, object],
    ) -> None:
        import h5netcdf

        self.path = Path(path)
        names = layout.names
        self.layout = layout
        for name in [*names, *coordinates]:
            if "/" in name:
                raise SpecError(f"cannot store {name!r} in netCDF: names may not contain '/'")
        self.temporary = self.path.with_name(f".{self.path.name}.partial")
        self.names = list(names)
        self.file = h5netcdf.File(self.temporary, "w")
        used = sorted({d for dims in layout.dims for d in dims})
        self.file.dimensions = {
            "run": n_runs,
            "time": len(times),
            **{d: len(layout.ranges[d]) for d in used},
        }
        self.file.create_variable("run", ("run",), "i8", data=np.arange(n_runs))
        self.file.create_variable("time", ("time",), "f8", data=np.asarray(times, float))
        coordinate_names = [c for c in coordinates if c not in self.names]
        for name in coordinate_names:
            self.file.create_variable(
                name, ("run",), "f8", data=np.asarray(coordinates[name], float)
            )
        for i, name in enumerate(self.names):
            sizes = layout.sizes(i)
            self.file.create_variable(
                name,
                ("run", "time", *layout.dims[i]),
                "f8",
                chunks=(min(n_runs, 4096), len(times), *sizes),
            )
        file_attrs = {
            **attrs,
            RUN_COORDINATES_ATTR: json.dumps(coordinate_names),
            RANGES_ATTR: json.dumps({d: layout.ranges[d] for d in used}),
        }
        for key, value in file_attrs.items():
            self.file.attrs[key] = value

    def write(self, first_run: int, block: np.ndarray) -> None:
        """Write a block of shape ``(time, variable, run)`` starting at ``first_run``."""
        stop = first_run + block.shape[2]
        for name, _, values in self.layout.blocks(block):
            self.file.variables[name][first_run:stop, ...] = values

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
    ranges = json.loads(dataset.attrs.get(RANGES_ATTR, "{}"))
    dataset = dataset.assign_coords({d: elements for d, elements in ranges.items()})
    return dataset.set_coords([n for n in names if n in dataset])
