"""The examples in the docstrings of the model-side modules run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["validation", "provenance", "io", "scenarios", "model", "docs", "plotting"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"gvc_upgrading.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
