"""Refuse to resume work from checkpoints written for different work.

Checkpoint chunks are stored under a hash of everything that determines them,
so chunks of another study are never *used*; but a resume with a changed spec
would silently start the whole computation over beside the old chunks, which
is not what ``--resume`` promises. :func:`check_resume` records what the work
is (its *identity*: spec values, model checksum, sample size, seed ...) in
``<checkpoint folder>/resume.json`` on the first run and, when that record
exists, refuses a different identity with an error naming every value that
differs.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import SpecError
from .io import atomic_path
from .outdir import OutputFolder

__all__ = [
    "CHECKPOINT_FOLDER",
    "IDENTITY_FILE",
    "check_resume",
    "checkpoint_folder",
    "differences",
]

#: The sub-folder of a command's output folder that holds its checkpoints.
CHECKPOINT_FOLDER = "checkpoint"

#: The record of what a checkpoint folder holds.
IDENTITY_FILE = "resume.json"


def _plain(identity: Mapping[str, Any]) -> dict[str, Any]:
    """``identity`` as JSON values (what is recorded and compared)."""
    result: dict[str, Any] = json.loads(json.dumps(identity, sort_keys=True, default=str))
    return result


def _short(value: object) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 40 else text[:37] + "..."


def differences(recorded: object, current: object, where: str = "") -> list[str]:
    """Every difference between two JSON values, as ``path: old -> new`` lines.

    Tables are compared key by key, so a change deep inside a spec is named
    by its path.

    Examples
    --------
    >>> differences({"seed": 1, "parameters": {"a": {"upper": 1}}},
    ...             {"seed": 2, "parameters": {"a": {"upper": 2}, "b": {}}})
    ['parameters.a.upper: 1 -> 2', 'parameters.b: added', 'seed: 1 -> 2']
    """
    if isinstance(recorded, dict) and isinstance(current, dict):
        lines = []
        for key in sorted(recorded.keys() | current.keys()):
            at = f"{where}.{key}" if where else str(key)
            if key not in current:
                lines.append(f"{at}: removed")
            elif key not in recorded:
                lines.append(f"{at}: added")
            else:
                lines.extend(differences(recorded[key], current[key], at))
        return lines
    if json.dumps(recorded, sort_keys=True) == json.dumps(current, sort_keys=True):
        return []  # as text, so that NaN (an open bound) equals NaN
    return [f"{where or 'value'}: {_short(recorded)} -> {_short(current)}"]


def check_resume(
    directory: str | os.PathLike[str], identity: Mapping[str, Any], what: str
) -> None:
    """Record ``identity`` in ``directory``, or refuse if a different one is recorded there.

    Parameters
    ----------
    directory : path-like
        The checkpoint folder (created if its parent exists).
    identity : mapping
        Everything that determines the checkpointed work (JSON-able; other
        values are compared as text).
    what : str
        The work, for the message (``"sensitivity study 'default'"``).

    Raises
    ------
    SpecError
        If the folder holds checkpoints of different work, naming each value
        that differs; or its record cannot be read.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> check_resume(folder, {"seed": 1, "n": 64}, "study 's'")
    >>> check_resume(folder, {"seed": 1, "n": 64}, "study 's'")  # the same work: resume
    >>> check_resume(folder, {"seed": 2, "n": 64}, "study 's'")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gvc_upgrading.errors.SpecError: cannot resume study 's' ... (seed: 1 -> 2); ...
    """
    folder = Path(directory)
    current = _plain(identity)
    record = folder / IDENTITY_FILE
    if record.is_file():
        try:
            recorded = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SpecError(
                f"cannot resume {what}: the checkpoint record {record} is unreadable ({exc});"
                " run without --resume to start over"
            ) from exc
        changed = differences(recorded, current)
        if changed:
            shown = "; ".join(changed[:6]) + (
                f"; ... {len(changed) - 6} more" if changed[6:] else ""
            )
            raise SpecError(
                f"cannot resume {what} from {folder}: its checkpoints were written for different"
                f" work ({shown}); run without --resume to start over, or choose another --out"
            )
        return
    if not folder.exists():
        if not folder.absolute().parent.is_dir():
            raise SpecError(f"checkpoint directory {folder} cannot be created: no parent folder")
        folder.mkdir()
    with atomic_path(record) as temporary:
        temporary.write_text(json.dumps(current, indent=2, sort_keys=True), encoding="utf-8")


def _holds_chunks(directory: Path) -> bool:
    """Whether any finished chunk (``rows_*.npy``, :mod:`.sensitivity.checkpoint`) is stored."""
    return directory.is_dir() and any(directory.rglob("rows_*.npy"))


@contextlib.contextmanager
def checkpoint_folder(
    folder: OutputFolder, *, resume: bool, name: str = CHECKPOINT_FOLDER
) -> Iterator[Path]:
    """The checkpoint sub-folder of a command's output folder, for one run of the command.

    Without ``resume`` an earlier checkpoint folder is removed first (only if
    this tool made it). If the block fails before a single chunk was stored,
    the folder is removed again: there is nothing to resume from, and a
    failed first run must not leave folders behind.
    """
    if not resume:
        folder.remove_folder(name)  # only if this tool made it
    checkpoints = folder.own_folder(name)
    try:
        yield checkpoints
    except BaseException:
        if folder.owns_folder(name) and not _holds_chunks(checkpoints):
            folder.remove_folder(name)
        raise
