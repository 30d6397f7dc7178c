"""One guard for every folder the command line writes into.

:class:`OutputFolder` is the only way the commands write results:

- the folder is checked before any computing: it exists or its parent does,
  it is a folder, it is writable, and it is either empty or was made by this
  tool (it holds the marker file :data:`MARKER`);
- names of the files written are plain relative paths of slugs (no absolute
  path, no ``..``, no control characters), so nothing lands outside it;
- each file is written to ``<name>.<pid>.part`` and renamed onto its name
  only when complete, so a reader (or a kill) never leaves half a file under
  the final name;
- a file that exists in the folder but is not recorded in the marker (the
  user's own) is never replaced;
- ``.part`` files of processes that are no longer alive are removed the next
  time the folder is prepared.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from .errors import GvcError

__all__ = ["MARKER", "OutputFolder", "OutputFolderError", "check_slug", "part_path"]

#: The file that marks a folder this tool made; it lists the files written there.
MARKER = ".gvc-upgrading-output.json"

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_PART = re.compile(r"^(?P<name>.+)\.(?P<pid>\d+)\.part$")


class OutputFolderError(GvcError, PermissionError):
    """An output folder that may not, or cannot, receive the results."""


def check_slug(name: object, what: str = "name") -> str:
    """Return ``name`` if it is a plain slug usable as a file or folder name.

    A slug starts with a letter or digit and holds only letters, digits,
    ``.``, ``_`` and ``-`` (at most 100 characters); it cannot be ``..``,
    hold a path separator or a control character.

    Raises
    ------
    OutputFolderError
        Naming ``what`` and the offending value.

    Examples
    --------
    >>> check_slug("vietnam_apparel")
    'vietnam_apparel'
    >>> check_slug("../etc", "case name")
    Traceback (most recent call last):
    ...
    gvc_upgrading.outdir.OutputFolderError: case name '../etc' is not a plain name (letters, digits, '.', '_' and '-', starting with a letter or digit)
    """  # noqa: E501
    if not isinstance(name, str) or not _SLUG.match(name) or name.endswith(".part"):
        raise OutputFolderError(
            f"{what} {name!r} is not a plain name (letters, digits, '.', '_' and '-',"
            " starting with a letter or digit)"
        )
    return name


def _relative(name: str | os.PathLike[str]) -> PurePosixPath:
    text = os.fspath(name)
    if not text or os.path.isabs(text) or "\\" in text:
        raise OutputFolderError(f"output file name {text!r} must be a relative path")
    parts = PurePosixPath(text).parts
    for part in parts:
        check_slug(part, "output file name part")
    if parts[-1] == MARKER:
        raise OutputFolderError(f"output file name {text!r} is reserved")
    return PurePosixPath(*parts)


def part_path(target: Path, pid: int | None = None) -> Path:
    """The temporary path ``<name>.<pid>.part`` that stands for ``target`` while written."""
    return target.with_name(f"{target.name}.{os.getpid() if pid is None else pid}.part")


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    except OverflowError:
        return False
    return True


class OutputFolder:
    """A checked output folder that records, in :data:`MARKER`, every file it wrote.

    Create it with :meth:`prepare`; write with :meth:`open` (a context
    manager yielding the ``.part`` path to write) or :meth:`write_text`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp()) / "results"
    >>> folder = OutputFolder.prepare(root)
    >>> with folder.open("tables/summary.csv") as part:
    ...     _ = part.write_text("a,b\\n1,2\\n")
    >>> sorted(p.name for p in root.rglob("*"))
    ['.gvc-upgrading-output.json', 'summary.csv', 'tables']
    >>> folder.owns("tables/summary.csv")
    True
    """

    def __init__(self, path: Path, files: set[str]) -> None:
        self.path = path
        self._files = files

    # -- preparing -----------------------------------------------------------------

    @classmethod
    def prepare(cls, path: str | os.PathLike[str] | None, *, create: bool = True) -> OutputFolder:
        """Check ``path`` as an output folder, make it and mark it as ours.

        Parameters
        ----------
        path : path-like
            The folder (``--out``).
        create : bool, default True
            Create the folder and its marker now. With False only the checks
            run (nothing is written); call again with True to write.

        Raises
        ------
        OutputFolderError
            If ``path`` is not a folder, its parent is missing, it is not
            writable, or it is a non-empty folder this tool did not make.
        """
        if path is None or not isinstance(path, str | os.PathLike) or not os.fspath(path):
            raise OutputFolderError(f"output folder must be a path, got {path!r}")
        folder = Path(path)
        if any(ord(c) < 32 for c in os.fspath(folder)):
            raise OutputFolderError(
                f"output folder {os.fspath(folder)!r} holds control characters"
            )
        if folder.is_symlink():
            raise OutputFolderError(
                f"output folder {folder} is a symbolic link; give a real folder"
            )
        files: set[str] = set()
        if folder.exists():
            if not folder.is_dir():
                raise OutputFolderError(f"output path {folder} exists and is not a folder")
            marker = folder / MARKER
            if marker.is_file():
                files = cls._read_marker(marker)
            elif any(folder.iterdir()):
                raise OutputFolderError(
                    f"output folder {folder} is not empty and was not made by gvc-upgrading"
                    f" (no {MARKER}); choose a new or empty folder"
                )
            if not os.access(folder, os.W_OK | os.X_OK):
                raise OutputFolderError(f"output folder {folder} is not writable")
        else:
            parent = folder.absolute().parent
            if not parent.is_dir():
                raise OutputFolderError(
                    f"cannot create output folder {folder}: its parent {parent} does not exist"
                )
            if not os.access(parent, os.W_OK | os.X_OK):
                raise OutputFolderError(
                    f"cannot create output folder {folder}: {parent} is not writable"
                )
        result = cls(folder, files)
        if create:
            try:
                folder.mkdir(exist_ok=True)
                result._save_marker()
            except OSError as exc:
                raise OutputFolderError(f"cannot write to output folder {folder}: {exc}") from exc
            result.clean_stale_parts()
        return result

    @staticmethod
    def _read_marker(marker: Path) -> set[str]:
        try:
            document = json.loads(marker.read_text(encoding="utf-8"))
            files = document["files"]
            if document.get("tool") != "gvc-upgrading" or not isinstance(files, list):
                raise ValueError("not a gvc-upgrading marker")
            return {_marker_entry(name) for name in files}
        except (OSError, ValueError, KeyError, TypeError, GvcError) as exc:
            raise OutputFolderError(
                f"{marker} is damaged ({exc}); remove it only if this folder holds nothing"
                " of yours"
            ) from exc

    def _save_marker(self) -> None:
        document = {
            "tool": "gvc-upgrading",
            "note": "written by gvc-upgrading; it replaces only the files listed here",
            "files": sorted(self._files),
        }
        marker = self.path / MARKER
        part = part_path(marker)
        part.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        os.replace(part, marker)

    def clean_stale_parts(self) -> list[Path]:
        """Remove ``<name>.<pid>.part`` files (or folders) left by processes no longer alive."""
        removed = []
        for candidate in sorted(self.path.rglob("*.part")):
            match = _PART.match(candidate.name)
            if match is None or candidate.is_symlink() or _pid_alive(int(match["pid"])):
                continue
            with contextlib.suppress(OSError):
                if candidate.is_dir():
                    _remove_tree(candidate)
                else:
                    candidate.unlink()
                removed.append(candidate)
        return removed

    @classmethod
    @contextlib.contextmanager
    def writing(cls, path: str | os.PathLike[str]) -> Iterator[OutputFolder]:
        """Prepare ``path`` (:meth:`prepare`) for a block that writes into it.

        If the block fails and the folder did not exist before, the folder is
        removed again when it holds nothing (:meth:`discard_if_unused`).
        """
        existed = Path(path).exists()
        folder = cls.prepare(path)
        try:
            yield folder
        except BaseException:
            if not existed:
                folder.discard_if_unused()  # a failed first run leaves no empty folder behind
            raise

    def discard_if_unused(self) -> bool:
        """Remove the folder again if it holds nothing but an empty marker.

        For a command that made its output folder and then failed before
        writing anything: the user is left with no empty folder of ours.
        Returns whether the folder was removed.
        """
        marker = self.path / MARKER
        if self._files or any(p != marker for p in self.path.iterdir()):
            return False
        with contextlib.suppress(OSError):
            marker.unlink()
            self.path.rmdir()
            return True
        return False

    # -- writing -------------------------------------------------------------------

    def owns(self, name: str | os.PathLike[str]) -> bool:
        """Whether ``name`` (relative to the folder) was written by this tool."""
        return str(_relative(name)) in self._files

    def target(self, name: str | os.PathLike[str]) -> Path:
        """Return the final path of ``name``, checking that it may be written.

        Raises
        ------
        OutputFolderError
            If the name is not a relative path of slugs, or a file or folder of
            that name exists and was not written by this tool.
        """
        relative = _relative(name)
        target = self.path.joinpath(*relative.parts)
        for depth in range(1, len(relative.parts)):
            parent = self.path.joinpath(*relative.parts[:depth])
            if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
                raise OutputFolderError(f"cannot write {target}: {parent} is not a folder")
        if target.is_symlink() or target.is_dir():
            raise OutputFolderError(
                f"refusing to replace {target}: not a file gvc-upgrading wrote"
            )
        if target.exists() and str(relative) not in self._files:
            raise OutputFolderError(
                f"refusing to replace {target}: it was not written by gvc-upgrading"
            )
        return target

    @contextlib.contextmanager
    def open(self, name: str | os.PathLike[str]) -> Iterator[Path]:
        """Yield the ``.part`` path to write ``name`` to; rename it into place on success.

        On an exception the ``.part`` file is removed and any earlier file of
        that name is left as it was.
        """
        with self.staged([name]) as (part,):
            yield part

    @contextlib.contextmanager
    def staged(self, names: Sequence[str | os.PathLike[str]]) -> Iterator[list[Path]]:
        """Yield ``.part`` paths for several files; publish them all when the block succeeds."""
        targets = [self.target(name) for name in names]
        if len(set(targets)) != len(targets):
            raise OutputFolderError(f"the same output file is named twice in {list(names)}")
        parts = [part_path(target) for target in targets]
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
        try:
            yield parts
            for name in names:
                self._files.add(str(_relative(name)))
            self._save_marker()  # record before publishing: a kill leaves no unowned file
            for part, target in zip(parts, targets, strict=True):
                if not part.exists():
                    raise OutputFolderError(f"{target.name} was staged but not written")
                os.replace(part, target)
        finally:
            for part in parts:
                with contextlib.suppress(OSError):
                    part.unlink()

    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` to ``name`` atomically; return the final path."""
        with self.open(name) as part:
            part.write_text(text, encoding="utf-8")
        return self.target(name)

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """Yield a fresh folder ``staging.<pid>.part`` inside this one; remove it afterwards.

        Code that writes a whole tree of files (a report, a study) writes it
        here; :meth:`adopt_tree` then moves the files into place.
        """
        stage = self.path / f"staging.{os.getpid()}.part"
        if stage.exists():
            _remove_tree(stage)
        stage.mkdir()
        try:
            yield stage
        finally:
            if stage.exists():
                _remove_tree(stage)

    def adopt_tree(self, source: Path, prefix: str = "") -> list[Path]:
        """Move every file of the folder ``source`` to ``prefix/<its relative path>``.

        Every target is checked by :meth:`target` before any file moves, so a
        file of the user's is never replaced; each move is an atomic rename.
        """
        files = sorted(p for p in source.rglob("*") if p.is_file() and not p.is_symlink())
        relatives = [
            "/".join(filter(None, [prefix, p.relative_to(source).as_posix()])) for p in files
        ]
        targets = [self.target(name) for name in relatives]
        for name in relatives:
            self._files.add(str(_relative(name)))
        self._save_marker()
        for path, target in zip(files, targets, strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
        return targets

    def owns_folder(self, name: str) -> bool:
        """Whether the sub-folder ``name`` exists and was made by this tool."""
        folder = self.path / name
        made = str(_relative(name)) + "/" in self._files
        return made and folder.is_dir() and not folder.is_symlink()

    def own_folder(self, name: str) -> Path:
        """Create (or reuse, if this tool made it) the sub-folder ``name`` and record it."""
        relative = str(_relative(name)) + "/"
        folder = self.path / name
        if folder.is_symlink() or (folder.exists() and relative not in self._files):
            raise OutputFolderError(f"refusing to use {folder}: it was not made by gvc-upgrading")
        folder.mkdir(parents=True, exist_ok=True)
        self._files.add(relative)
        self._save_marker()
        return folder

    def remove_folder(self, name: str) -> None:
        """Remove the sub-folder ``name`` if (and only if) this tool made it."""
        relative = str(_relative(name)) + "/"
        folder = self.path / name
        if relative not in self._files or folder.is_symlink():
            return
        if folder.is_dir():
            _remove_tree(folder)
        self._files.discard(relative)
        self._save_marker()


def _marker_entry(name: object) -> str:
    text = str(name)
    folder = text.endswith("/")
    entry = str(_relative(text.rstrip("/")))
    return entry + "/" if folder else entry


def _remove_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            else:
                path.unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()
