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

import numpy as np
from tqdm import tqdm

from ..errors import SpecError
from ..io import atomic_path

__all__ = ["ChunkStore", "evaluate_in_chunks", "progress_enabled"]


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

    def load(self, start: int, stop: int) -> np.ndarray | None:
        """Return the stored chunk for rows ``[start, stop)``, or None if there is none.

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
            data = path.read_bytes()
            recorded = digest_path.read_text(encoding="ascii").strip()
        except OSError as exc:
            raise SpecError(f"{damaged} ({exc}){advice}") from exc
        if hashlib.sha256(data).hexdigest() != recorded:
            raise SpecError(f"{damaged} (its sha256 differs from the one recorded){advice}")
        try:
            values = np.load(io.BytesIO(data), allow_pickle=False)
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


def _chunks(first: int, rows: int, size: int) -> Iterator[tuple[int, int]]:
    start = first
    while start < rows:
        stop = min((start // size + 1) * size, rows)
        yield start, stop
        start = stop


def evaluate_in_chunks(
    evaluate: Callable[[np.ndarray], np.ndarray],
    samples: np.ndarray,
    *,
    chunk_size: int,
    store: ChunkStore | None = None,
    first_row: int = 0,
    progress: bool | None = None,
    description: str = "runs",
) -> np.ndarray:
    """Evaluate ``samples[first_row:]`` chunk by chunk; return their ``(m, K)`` outputs.

    Parameters
    ----------
    evaluate : callable
        Maps an ``(m, D)`` array to ``(m, K)``.
    samples : numpy.ndarray
        The whole design, ``(rows, D)``; chunk boundaries are multiples of
        ``chunk_size`` counted from row 0, so designs that share a prefix share
        chunks.
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
    """
    rows = samples.shape[0]
    pieces: list[np.ndarray] = []
    with tqdm(
        total=rows - first_row,
        desc=description,
        unit="run",
        unit_scale=True,
        disable=not progress_enabled(progress),
        leave=False,
    ) as bar:
        for start, stop in _chunks(first_row, rows, chunk_size):
            values = store.load(start, stop) if store is not None else None
            if values is None:
                values = np.asarray(evaluate(samples[start:stop]), dtype=float)
                if store is not None:
                    store.save(start, stop, values)
            pieces.append(values)
            bar.update(stop - start)
    if not pieces:
        return np.empty((0, 0))
    widths = {p.shape[1] for p in pieces}
    if len(widths) != 1:
        raise SpecError(
            "stored checkpoint chunks disagree in their number of output columns;"
            " delete the checkpoint directory and run again"
        )
    return np.concatenate(pieces, axis=0)
