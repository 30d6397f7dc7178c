"""One small, strict reader for the TOML specs (scenario, study, case, fit).

:func:`read_toml` reads a spec file and turns every way it can be wrong
(missing, a folder, too large, not UTF-8, not TOML, control characters in a
key or string) into one error of the caller's class naming the file.
:func:`check_keys` and :func:`expect` give the same shape of message for an
unknown key or a value of the wrong type, naming the file and the key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import GvcError, SpecError

__all__ = ["MAX_SPEC_BYTES", "check_keys", "expect", "read_toml"]

#: Largest spec file read (a spec is a few kilobytes; this stops a wrong file early).
MAX_SPEC_BYTES = 4_000_000

_TYPE_NAMES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a table",
}


def _control_characters(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        bad = sorted({c for c in value if (ord(c) < 32 and c not in "\n\t") or c == "\x7f"})
        return f"{where} holds control character(s) {bad}" if bad else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            problem = _control_characters(key, f"key {where}.{key!r}") or _control_characters(
                item, f"{where}.{key}"
            )
            if problem:
                return problem
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = _control_characters(item, f"{where}[{index}]")
            if problem:
                return problem
    return None


def read_toml(
    path: str | os.PathLike[str], error: type[GvcError] = SpecError, what: str = "spec"
) -> dict[str, Any]:
    """Read a TOML spec strictly; raise ``error`` naming the file on any problem.

    Parameters
    ----------
    path : path-like
        The spec file.
    error : type, default SpecError
        The exception class to raise (e.g. ``ScenarioError``).
    what : str
        What the file is, for the message ("scenario file", "study file", ...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> spec = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = spec.write_text('name = "csr"\\n')
    >>> read_toml(spec)
    {'name': 'csr'}
    >>> _ = spec.write_text('name = "csr\\n')
    >>> read_toml(spec)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    gvc_upgrading.errors.SpecError: spec .../s.toml is not valid TOML (TOML syntax error: ...
    """
    path = Path(path)
    if not path.exists():
        raise error(f"{what} {path} does not exist")
    if not path.is_file():
        raise error(f"{what} {path} is not a file")
    try:
        size = path.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise error(
                f"{what} {path} is {size} bytes, more than a spec can be ({MAX_SPEC_BYTES})"
            )
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} {path} is not UTF-8 text ({exc})") from exc
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{what} {path} is not valid TOML (TOML syntax error: {exc})") from exc
    problem = _control_characters(data, "")
    if problem:
        raise error(f"{what} {path}: {problem.replace('key .', 'key ').lstrip('.')}")
    return data


def check_keys(
    table: Mapping[str, Any],
    allowed: Iterable[str],
    where: str,
    error: type[GvcError] = SpecError,
) -> None:
    """Raise ``error`` naming ``where`` and each key of ``table`` not in ``allowed``.

    Examples
    --------
    >>> check_keys({"name": "x", "nmae": 1}, {"name", "description"}, "case.toml")
    Traceback (most recent call last):
    ...
    gvc_upgrading.errors.SpecError: case.toml: unknown key(s) 'nmae'; allowed: description, name
    """
    allowed = set(allowed)
    unknown = sorted(str(key) for key in table if key not in allowed)
    if unknown:
        raise error(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))};"
            f" allowed: {', '.join(sorted(allowed))}"
        )


def expect(
    value: Any,
    kind: type | tuple[type, ...],
    where: str,
    error: type[GvcError] = SpecError,
) -> Any:
    """Return ``value`` if it is of ``kind`` (booleans are never numbers); else raise.

    Examples
    --------
    >>> expect(3, (int, float), "study.toml: n")
    3
    >>> expect(True, int, "study.toml: n")
    Traceback (most recent call last):
    ...
    gvc_upgrading.errors.SpecError: study.toml: n must be an integer, got bool True
    """
    kinds = kind if isinstance(kind, tuple) else (kind,)
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    if not ok:
        wanted = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
        raise error(f"{where} must be {wanted}, got {type(value).__name__} {value!r}")
    return value
