"""Chunked evaluation of a sample design, with on-disk checkpoints and a progress bar.

The rows of a design are evaluated in chunks aligned on multiples of the
chunk size. With a checkpoint directory, each finished chunk is written to
``<checkpoint_dir>/<key>/rows_<start>_<stop>.npy`` (atomically) where the key
is a hash of everything that determines the evaluations; a re-run with the same
key loads the finished chunks and evaluates only the rest, so an interrupted
study resumes and gives identical results.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import numpy as np
from tqdm import tqdm

from ..errors import SpecError
from ..io import atomic_path

__all__ = [
    "ChunkStore",
    "RowSource",
    "StoredValues",
    "column_block",
    "evaluate_in_chunks",
    "progress_enabled",
]


def progress_enabled(progress: bool | None) -> bool:
    """Resolve a ``progress`` argument: ``None`` means "when stderr is a terminal"."""
    if progress is None:
        return sys.stderr.isatty()
    return bool(progress)


class ChunkStore:
    """Finished evaluation chunks of one design, stored as ``.npy`` files.

    Parameters
    ----------
    root : path-like
        The checkpoint directory (created if its parent exists).
    key : str
        Hash identifying the design and target (see :meth:`Study.spec_hash`).
    manifest : dict, optional
        Human-readable description written to ``manifest.json`` beside the chunks.
    """

    def __init__(self, root: str | os.PathLike[str], key: str, manifest: dict | None = None):
        root = Path(root)
        if not root.exists():
            if not root.absolute().parent.is_dir():
                raise SpecError(f"checkpoint directory {root} cannot be created: no parent folder")
            root.mkdir()
        self.directory = root / key[:32]
        self.directory.mkdir(exist_ok=True)
        manifest_path = self.directory / "manifest.json"
        if manifest is not None and not manifest_path.exists():
            with atomic_path(manifest_path) as temporary:
                temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str))

    def _path(self, start: int, stop: int) -> Path:
        return self.directory / f"rows_{start:010d}_{stop:010d}.npy"

    def load(self, start: int, stop: int, verify: bool = True) -> np.ndarray | None:
        """Return the stored chunk for rows ``[start, stop)``, or None if there is none.

        ``verify=False`` skips the sha256 check, for a chunk this process has
        already checked (its values are still checked to be finite).

        Raises
        ------
        SpecError
            If the chunk is damaged: unreadable, its sha256 differs from the
            one recorded beside it, or it holds non-finite values.
        """
        path = self._path(start, stop)
        if not path.exists():
            return None
        digest_path = path.with_suffix(".sha256")
        damaged = f"checkpoint chunk {path} is damaged"
        advice = "; delete the checkpoint folder or run without --resume"
        try:
            if verify:
                data = path.read_bytes()
                recorded = digest_path.read_text(encoding="ascii").strip()
        except OSError as exc:
            raise SpecError(f"{damaged} ({exc}){advice}") from exc
        if verify and hashlib.sha256(data).hexdigest() != recorded:
            raise SpecError(f"{damaged} (its sha256 differs from the one recorded){advice}")
        try:
            values = np.load(io.BytesIO(data) if verify else path, allow_pickle=False)
        except (ValueError, EOFError, OSError) as exc:
            raise SpecError(f"{damaged} ({exc}){advice}") from exc
        if values.ndim != 2 or values.shape[0] != stop - start:
            return None  # not ours: evaluate again
        if not np.all(np.isfinite(values)):
            raise SpecError(f"{damaged} (it holds non-finite values){advice}")
        return values

    def save(self, start: int, stop: int, values: np.ndarray) -> None:
        """Store the chunk for rows ``[start, stop)`` atomically, with its sha256 beside it."""
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(values, dtype=float), allow_pickle=False)
        data = buffer.getvalue()
        path = self._path(start, stop)
        with atomic_path(path.with_suffix(".sha256")) as temporary:
            temporary.write_text(hashlib.sha256(data).hexdigest() + "\n", encoding="ascii")
        with atomic_path(path) as temporary:
            temporary.write_bytes(data)


class StoredValues:
    """The outputs of a design left in its :class:`ChunkStore`, read a block of columns at a time.

    The estimators need whole columns (every run of an output), never the
    whole ``(rows, K)`` array at once; reading column blocks back from the
    chunk files keeps the memory of a large study to one block.

    Parameters
    ----------
    store : ChunkStore
        Where the chunks are.
    bounds : list of (int, int)
        Row ranges of the chunks, in order, covering rows ``0`` to ``rows``.
    width : int
        Number of output columns.
    """

    def __init__(self, store: ChunkStore, bounds: list[tuple[int, int]], width: int) -> None:
        self.store = store
        self.bounds = bounds
        self.shape = (bounds[-1][1] if bounds else 0, width)
        # The estimators read every chunk once per block of columns: its
        # sha256 is checked on the first read only.
        self._verified: set[tuple[int, int]] = set()

    def columns(self, chosen: slice | list[int]) -> np.ndarray:
        """Rows of every chunk, columns ``chosen``: ``(rows, len(chosen))``."""
        count = (
            len(range(*chosen.indices(self.shape[1])))
            if isinstance(chosen, slice)
            else len(chosen)
        )
        out = np.empty((self.shape[0], count))
        for start, stop in self.bounds:
            chunk = self.store.load(start, stop, verify=(start, stop) not in self._verified)
            self._verified.add((start, stop))
            if chunk is None:
                raise SpecError(
                    f"checkpoint chunk of rows {start}-{stop} disappeared from"
                    f" {self.store.directory} while the study was being estimated"
                )
            out[start:stop] = chunk[:, chosen]
        return out


def column_block(values: np.ndarray | StoredValues, chosen: slice | list[int]) -> np.ndarray:
    """Columns ``chosen`` of in-memory or stored outputs, as an ``(rows, k)`` array."""
    if isinstance(values, StoredValues):
        return values.columns(chosen)
    return values[:, chosen]


def _chunks(first: int, rows: int, size: int) -> Iterator[tuple[int, int]]:
    start = first
    while start < rows:
        stop = min((start // size + 1) * size, rows)
        yield start, stop
        start = stop


class RowSource(Protocol):
    """A design whose rows are built on demand (see :class:`.sampling.SaltelliDesign`)."""

    @property
    def rows(self) -> int:
        """Number of rows."""
        ...

    def rows_between(self, start: int, stop: int) -> np.ndarray:
        """Rows ``[start, stop)``."""
        ...


def _row_count(samples: np.ndarray | RowSource) -> int:
    return samples.shape[0] if isinstance(samples, np.ndarray) else samples.rows


def _rows(samples: np.ndarray | RowSource, start: int, stop: int) -> np.ndarray:
    if isinstance(samples, np.ndarray):
        return samples[start:stop]
    return samples.rows_between(start, stop)


def evaluate_in_chunks(
    evaluate: Callable[[np.ndarray], np.ndarray],
    samples: np.ndarray | RowSource,
    *,
    chunk_size: int,
    store: ChunkStore | None = None,
    first_row: int = 0,
    progress: bool | None = None,
    description: str = "runs",
    in_memory: bool = True,
) -> np.ndarray | StoredValues:
    """Evaluate ``samples[first_row:]`` chunk by chunk; return their ``(m, K)`` outputs.

    Parameters
    ----------
    evaluate : callable
        Maps an ``(m, D)`` array to ``(m, K)``.
    samples : numpy.ndarray or RowSource
        The whole design, ``(rows, D)``, or a design that builds its rows
        chunk by chunk (so that the design is never held in memory at once);
        chunk boundaries are multiples of ``chunk_size`` counted from row 0,
        so designs that share a prefix share chunks.
    chunk_size : int
        Rows per chunk.
    store : ChunkStore, optional
        Where finished chunks are read from and written to.
    first_row : int, default 0
        Evaluate from this row on (rows before it are known to the caller).
    progress : bool, optional
        Show a tqdm bar (default: when stderr is a terminal).
    description : str
        Label of the bar.
    in_memory : bool, default True
        Return the outputs as one array. ``False`` (needs a ``store`` and
        ``first_row`` 0) leaves them in the store and returns a
        :class:`StoredValues`, so that memory does not grow with the design.

    Notes
    -----
    Each chunk's outputs go straight into one preallocated result array (no
    list of pieces concatenated at the end, which held every output twice).
    """
    rows = _row_count(samples)
    if not in_memory and (store is None or first_row):
        raise SpecError("outputs can stay on disk only with a checkpoint store, from row 0")
    values: np.ndarray | None = None
    bounds: list[tuple[int, int]] = []
    width: int | None = None
    with tqdm(
        total=rows - first_row,
        desc=description,
        unit="run",
        unit_scale=True,
        disable=not progress_enabled(progress),
        leave=False,
    ) as bar:
        for start, stop in _chunks(first_row, rows, chunk_size):
            chunk = store.load(start, stop) if store is not None else None
            if chunk is None:
                chunk = np.asarray(evaluate(_rows(samples, start, stop)), dtype=float)
                if store is not None:
                    store.save(start, stop, chunk)
            if width is None:
                width = chunk.shape[1]
            elif chunk.shape[1] != width:
                raise SpecError(
                    "stored checkpoint chunks disagree in their number of output columns;"
                    " delete the checkpoint directory and run again"
                )
            if in_memory:
                if values is None:
                    values = np.empty((rows - first_row, width))
                values[start - first_row : stop - first_row] = chunk
            bounds.append((start, stop))
            bar.update(stop - start)
    if width is None:
        return np.empty((0, 0))
    if not in_memory:
        assert store is not None  # checked above
        return StoredValues(store, bounds, width)
    assert values is not None  # allocated with the first chunk (width is known)
    return values
