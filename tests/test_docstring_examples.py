"""Every docstring example in ``src/gvc_upgrading`` runs and shows what it claims.

Each module of the package is imported and its examples run with
:mod:`doctest` (the same as ``pytest --doctest-modules src``). Modules whose
examples were written for this purpose must hold at least one, so that a
module cannot pass by losing its examples.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import gvc_upgrading

#: Run by tests/model/test_doctests.py already (the model runs take ~20 s).
ELSEWHERE = {
    f"gvc_upgrading.{name}"
    for name in ("validation", "provenance", "io", "scenarios", "model", "docs", "plotting")
}

ALL_MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(gvc_upgrading.__path__, prefix="gvc_upgrading.")
    if ".shipped" not in info.name
)
MODULES = [name for name in ALL_MODULES if name not in ELSEWHERE]

#: Modules whose behaviour is shown by examples (they must keep at least one).
WITH_EXAMPLES = {
    "gvc_upgrading.outdir",
    "gvc_upgrading.limits",
    "gvc_upgrading.model_text",
    "gvc_upgrading.run_checks",
    "gvc_upgrading.spec_checks",
}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"
    if name in WITH_EXAMPLES:
        assert result.attempted > 0, f"{name} lost its docstring examples"


def test_every_module_is_listed() -> None:
    assert len(ALL_MODULES) > 40
    assert set(MODULES) >= WITH_EXAMPLES
    assert set(MODULES) | ELSEWHERE == set(ALL_MODULES)
