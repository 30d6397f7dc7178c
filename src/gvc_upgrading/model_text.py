"""Refuse model text that could become Python code when pysd translates a model.

pysd (3.14) writes each variable's documentation string raw between triple
quotes in the Python file it generates (``ElementBuilder.build_element_out``
in ``pysd/builders/python/python_model_builder.py``: ``f'\"\"\"\\n{doc}\\n\"\"\"'``)
and then imports that file. A documentation string that holds ``\"\"\"``
closes the docstring, and whatever follows runs as Python when the model is
loaded, e.g.::

    Growth = 0.1
    ~ 1/Year
    ~ Growth.\"\"\" ; open("INJECTED", "w").write("pwned") ; \"\"\"
    |

Names and units are written with ``repr`` and are safe from that, but quotes
(other than the pair that delimits a quoted Vensim name such as ``"$ euro"``),
backslashes and control characters in them have no place in a Vensim name or
unit and break files written later (``parameters.toml``, CSV headers), so they
are refused too. :func:`check_model_text` runs on pysd's parsed form of the
model, before any Python is generated, and names the variable and the line.

The upstream problem (pysd should escape documentation, e.g. with ``repr``)
is described in ``docs``-style terms in this module's docstring so that it can
be reported as it stands.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import ModelFileError

__all__ = ["ModelTextError", "check_model_text", "text_problem"]


class ModelTextError(ModelFileError):
    """Model text (a name, unit or documentation) that could escape pysd's generated code."""


_CONTROL = {chr(c) for c in range(32)} | {"\x7f"}


def text_problem(text: str, kind: str) -> str | None:
    """Return what is wrong with one piece of model text, or None if it is safe.

    Parameters
    ----------
    text : str
        A variable name, a unit or a documentation string.
    kind : {"name", "units", "documentation"}
        What the text is: documentation may hold single quotes and line
        breaks; names and units may not hold quotes or backslashes.

    Examples
    --------
    >>> text_problem("Buyer code intensity", "name") is None
    True
    >>> text_problem('Growth.\"\"\" ; import os ; \"\"\"', "documentation")
    'holds \"\"\" (it would close the docstring pysd generates and the rest would run as code)'
    """
    if kind == "documentation":
        doc = text.replace("\\", "\n")  # what pysd does with it
        if '"""' in doc:
            return (
                'holds """ (it would close the docstring pysd generates and the rest would'
                " run as code)"
            )
        bad = sorted({c for c in doc if c in _CONTROL and c not in "\n\t"})
    else:
        if kind == "name" and len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]  # a quoted Vensim name ("$ euro"): the quotes delimit it
        for mark in ('"', "\\"):
            if mark in text:
                return f"holds {mark!r}, which a Vensim {kind} may not contain"
        bad = sorted({c for c in text if c in _CONTROL})
    if bad:
        return "holds control character(s) " + ", ".join(repr(c) for c in bad)
    return None


def _texts(abstract_model: Any) -> Iterator[tuple[str, str, str]]:
    for section in abstract_model.sections:
        for element in section.elements:
            name = str(element.name)
            yield name, "name", name
            yield name, "units", str(element.units or "")
            yield name, "documentation", str(element.documentation or "")
        for subscript_range in section.subscripts:
            yield str(subscript_range.name), "name", str(subscript_range.name)
            members = subscript_range.subscripts
            if isinstance(members, list):
                for member in members:
                    yield str(subscript_range.name), "name", str(member)


def _line_of(lines: list[str], name: str, fragment: str) -> int | None:
    """The 1-based line of ``fragment`` (first line of it), preferring one after ``name``."""
    probe = next((part for part in fragment.splitlines() if part.strip()), fragment)[:40]
    start = next((i for i, line in enumerate(lines) if name and name in line), 0)
    for index in [*range(start, len(lines)), *range(start)]:
        if probe and probe in lines[index]:
            return index + 1
    return start + 1 if start else None


def check_model_text(abstract_model: Any, path: str | os.PathLike[str] | None = None) -> None:
    """Raise if a name, unit or documentation string of the model could become code.

    Parameters
    ----------
    abstract_model : pysd AbstractModel
        The parsed model (:func:`gvc_upgrading.translation.parse_abstract_model`).
    path : path-like, optional
        The ``.mdl`` file, to name it and the line in the message.

    Raises
    ------
    ModelTextError
        Naming the file, the line, the variable and the problem.
    """
    lines: list[str] = []
    if path is not None:
        try:
            lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            lines = []
    for variable, kind, text in _texts(abstract_model):
        problem = text_problem(text, kind)
        if problem is None:
            continue
        line = _line_of(lines, variable if kind != "name" else "", text)
        where = f"{path}" if path is not None else "model"
        if line is not None:
            where += f", line {line}"
        raise ModelTextError(
            f"{where}: the {kind} of variable {variable!r} {problem}; refusing to translate"
            " the model"
        )
