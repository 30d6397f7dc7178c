"""Atomic writers for results: netCDF, CSV, PNG and TOML.

Every writer writes to a temporary file beside the target and moves it into
place with :func:`os.replace`, so a reader never sees a half-written file and
an interrupted write leaves the previous file (or none) behind.
:class:`AtomicFiles` extends this to a group of files: they appear together
when the block succeeds, and none of them appears when it fails.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .errors import GvcError

if TYPE_CHECKING:  # only annotations: the writers call the objects' own methods
    import pandas as pd
    import xarray as xr

__all__ = [
    "AtomicFiles",
    "OutputPathError",
    "atomic_path",
    "check_output_dir",
    "to_toml",
    "write_csv",
    "write_figure",
    "write_netcdf",
    "write_toml",
]


class OutputPathError(GvcError, FileNotFoundError):
    """An output location that cannot be written (missing parent folder, not a folder)."""


def check_output_dir(directory: str | os.PathLike[str], *, create: bool = True) -> Path:
    """Check that ``directory`` can hold output files, creating it if its parent exists.

    Raises
    ------
    OutputPathError
        If the parent folder does not exist, or the path exists and is not a
        folder.
    """
    directory = Path(directory)
    if directory.exists():
        if not directory.is_dir():
            raise OutputPathError(f"output path {directory} exists and is not a directory")
        return directory
    parent = directory.absolute().parent
    if not parent.is_dir():
        raise OutputPathError(
            f"cannot create output directory {directory}: its parent {parent} does not exist"
        )
    if create:
        directory.mkdir()
    return directory


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# mkstemp makes files readable by the owner only; published files follow the umask.
_FILE_MODE = 0o666 & ~_current_umask()


def _temporary_sibling(path: Path) -> Path:
    if not path.parent.is_dir():
        raise OutputPathError(f"cannot write {path}: directory {path.parent} does not exist")
    handle, name = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".part{path.suffix}", dir=path.parent
    )
    os.close(handle)
    os.chmod(name, _FILE_MODE)
    return Path(name)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; move it onto ``path`` when the block succeeds.

    On an exception (including ``KeyboardInterrupt``) the temporary file is
    removed and ``path`` is left as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(path)
    temporary = _temporary_sibling(target)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


class AtomicFiles:
    """Stage several files and publish them together.

    Use as a context manager: :meth:`path` returns a temporary path for each
    target; when the block exits normally every staged file is moved onto its
    target, and when it raises none is and the temporaries are deleted.

    Parameters
    ----------
    directory : path-like
        Folder of the targets; it must exist.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._staged: dict[Path, Path] = {}

    def path(self, name: str) -> Path:
        """Return the temporary path standing for ``directory / name``."""
        target = self.directory / name
        if target not in self._staged:
            self._staged[target] = _temporary_sibling(target)
        return self._staged[target]

    @property
    def targets(self) -> list[Path]:
        """The final paths of the staged files, in staging order."""
        return list(self._staged)

    def __enter__(self) -> AtomicFiles:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                for target, temporary in self._staged.items():
                    os.replace(temporary, target)
        finally:
            for temporary in self._staged.values():
                temporary.unlink(missing_ok=True)


def _write(path: str | os.PathLike[str], writer: Callable[[Path], Any], atomic: bool) -> Path:
    if atomic:
        with atomic_path(path) as temporary:
            writer(temporary)
    else:
        writer(Path(path))
    return Path(path)


def write_netcdf(
    dataset: xr.Dataset, path: str | os.PathLike[str], *, atomic: bool = True
) -> Path:
    """Write ``dataset`` to a netCDF file (h5netcdf engine), atomically.

    Attribute values must already be strings, numbers or lists (serialise
    mappings as JSON).
    """
    return _write(path, lambda target: dataset.to_netcdf(target, engine="h5netcdf"), atomic)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, atomic: bool = True) -> Path:
    """Write ``frame`` to a CSV file (index included when it is named), atomically."""
    index = any(name is not None for name in frame.index.names)
    return _write(path, lambda target: frame.to_csv(target, index=index), atomic)


def write_figure(
    figure: Any, path: str | os.PathLike[str], *, atomic: bool = True, dpi: int = 150
) -> Path:
    """Save a matplotlib figure (format from the suffix, e.g. PNG or SVG), atomically."""
    name = Path(path).name
    if name.endswith(".part"):  # a ``<name>.<pid>.part`` staging file (see outdir)
        name = name.rsplit(".", 2)[0]
    fmt = Path(name).suffix.lstrip(".").lower() or "png"
    return _write(
        path,
        lambda target: figure.savefig(target, format=fmt, dpi=dpi, bbox_inches="tight"),
        atomic,
    )


def _toml_key(key: str) -> str:
    if key and all(c.isalnum() or c in "-_" for c in key):
        return key
    return _toml_string(key)


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{escaped}"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if hasattr(value, "item"):  # numpy scalar
        return _toml_value(value.item())
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as TOML")


def to_toml(data: Mapping[str, Any]) -> str:
    """Serialise nested mappings of strings, numbers, booleans and lists as TOML.

    Examples
    --------
    >>> print(to_toml({"name": "csr", "parameters": {"Buyer code intensity": 0.8}}), end="")
    name = "csr"
    <BLANKLINE>
    [parameters]
    "Buyer code intensity" = 0.8
    """
    lines: list[str] = []
    _emit_table(data, (), lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _emit_table(table: Mapping[str, Any], prefix: tuple[str, ...], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    if prefix and (scalars or not tables):
        lines.append("")
        lines.append("[" + ".".join(_toml_key(part) for part in prefix) + "]")
    for key, value in scalars.items():
        lines.append(f"{_toml_key(str(key))} = {_toml_value(value)}")
    for key, value in tables.items():
        _emit_table(value, (*prefix, str(key)), lines)


def write_toml(
    data: Mapping[str, Any], path: str | os.PathLike[str], *, atomic: bool = True
) -> Path:
    """Write nested mappings as a TOML file, atomically (see :func:`to_toml`)."""
    text = to_toml(data)
    return _write(path, lambda target: target.write_text(text, encoding="utf-8"), atomic)
