"""A content-keyed cache of the report's figures that depend on files only, not on runs.

The sector diagrams and the feedback-loop figure are drawn from the model
file (and ``models/README.md``) alone, yet drawing them is a third of a quick
report's time. They are kept in ``<translation cache>/figures/<key>/``, where
the key is the sha256 of everything the picture depends on: the bytes of the
input files, the source code of the modules that draw it, the matplotlib
version, the resolution and the format. Any change to one of these gives a new
key, so a cached picture is never stale; a cache entry is written through a
temporary file and renamed into place, so a concurrent or interrupted report
never reads half a file. Nothing is pickled: the cache holds the PNG and SVG
files themselves.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import matplotlib
import numpy as np
import xarray as xr

from ..translation import cache_root

__all__ = ["FIGURE_CACHE_ENV", "FigureCache", "dataset_digest", "figure_key"]

#: Environment variable naming another figure cache folder (the benchmark's cold runs).
FIGURE_CACHE_ENV = "GVC_UPGRADING_FIGURE_CACHE"


def dataset_digest(dataset: xr.Dataset) -> str:
    """Return the sha256 of a dataset's content: names, dimensions, values and attributes.

    Figures drawn from computed results (fan charts, the calibration and
    Sobol' figures) are keyed on the digest of what they are drawn from, so a
    cached picture is reused only for the same numbers.

    Examples
    --------
    >>> import xarray as xr
    >>> a = xr.Dataset({"x": ("t", [1.0, 2.0])})
    >>> dataset_digest(a) == dataset_digest(a.copy(deep=True))
    True
    >>> dataset_digest(a) == dataset_digest(a + 1e-12)
    False
    """
    digest = hashlib.sha256()
    for group in (dataset.coords, dataset.data_vars):
        for name in sorted(group, key=str):
            array = group[name]
            digest.update(f"{name}|{array.dims}|{array.dtype}|{array.shape}|".encode())
            values = np.asarray(array.values)
            if values.dtype.kind == "O":
                digest.update(repr(values.tolist()).encode())
            else:
                digest.update(np.ascontiguousarray(values).tobytes())
            digest.update(json.dumps(array.attrs, sort_keys=True, default=str).encode())
    digest.update(json.dumps(dataset.attrs, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def figure_key(files: Iterable[str | os.PathLike[str]], code: Iterable[str], *extra: str) -> str:
    """Return the cache key of a figure drawn from ``files`` by the modules ``code``.

    Parameters
    ----------
    files : iterable of path-like
        Input files whose bytes the figure depends on.
    code : iterable of str
        Python source files (``module.__file__``) that draw it.
    *extra : str
        Anything else it depends on (resolution, a figure name).

    Examples
    --------
    >>> import gvc_upgrading.report.figure_cache as m
    >>> files = [m.__file__]
    >>> figure_key(files, files, "110") == figure_key(files, files, "110")
    True
    >>> figure_key(files, files, "110") == figure_key(files, files, "72")
    False
    """
    digest = hashlib.sha256(f"matplotlib {matplotlib.__version__}\n".encode())
    for path in (*files, *code):
        content = Path(path).read_bytes()
        digest.update(f"{len(content)}\n".encode())
        digest.update(content)
    for item in extra:
        digest.update(f"\n{item}".encode())
    return digest.hexdigest()[:32]


class FigureCache:
    """The figures folder of the translation cache (``$GVC_UPGRADING_CACHE/figures``).

    Parameters
    ----------
    root : path-like, optional
        Cache folder (default: ``$GVC_UPGRADING_FIGURE_CACHE`` when set, else
        ``cache_root() / "figures"``).
    """

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        if root is None and os.environ.get(FIGURE_CACHE_ENV):
            root = Path(os.environ[FIGURE_CACHE_ENV]).expanduser()
        self.root = Path(root) if root is not None else cache_root() / "figures"
        # what this process put, kept in memory too: found even where the folder is read-only
        self._kept: dict[tuple[str, str], bytes] = {}

    def path(self, key: str, suffix: str) -> Path:
        """Where the figure of ``key`` in format ``suffix`` (``png``, ``svg``) is kept."""
        return self.root / key / f"figure.{suffix}"

    def get(self, key: str, suffix: str) -> bytes | None:
        """Return the cached bytes, or None when not cached."""
        if (key, suffix) in self._kept:
            return self._kept[key, suffix]
        try:
            return self.path(key, suffix).read_bytes()
        except OSError:
            return None

    def put(self, key: str, suffix: str, data: bytes) -> None:
        """Keep ``data``; a cache that cannot be written is skipped, not an error."""
        self._kept[key, suffix] = data
        target = self.path(key, suffix)
        temporary = None
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, target)
        except OSError:
            return
        finally:
            if temporary is not None and os.path.exists(temporary):
                os.unlink(temporary)
