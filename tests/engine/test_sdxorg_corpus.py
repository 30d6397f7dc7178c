"""The engine against pysd on the SDXorg test-models corpus (slow; needs a local copy).

Not part of the default run: the corpus is not shipped (CI has no network).
Point ``GVC_TEST_MODELS`` at a checkout of https://github.com/SDXorg/test-models
(MIT licence) and run ``pytest -m slow tests/engine/test_sdxorg_corpus.py``.
Each model pysd runs is either reproduced by the engine on every variable
(``return_columns="all"``, ``on_nonfinite="ignore"``) or refused with
:class:`~gvc_upgrading.errors.UnsupportedConstructError`; the test fails on a
wrong number or any other error. A model with RANDOM functions is run with
two seeds: the variables the draws do not reach must equal pysd.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from gvc_upgrading.engine import compile_model
from gvc_upgrading.errors import UnsupportedConstructError

from .reference import assert_matches_pysd, pysd_model

ROOT = Path(os.environ.get("GVC_TEST_MODELS", "/nonexistent"))
MODELS = sorted(ROOT.glob("*/*/*.mdl")) if ROOT.is_dir() else []


@pytest.mark.slow
@pytest.mark.skipif(not MODELS, reason="set GVC_TEST_MODELS to a test-models checkout")
@pytest.mark.parametrize("path", MODELS, ids=[f"{p.parent.name}/{p.stem}" for p in MODELS])
def test_engine_equals_pysd_or_refuses(path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pysd_model(path).run()
    except Exception as exc:  # pysd itself cannot run it: nothing to compare
        pytest.skip(f"pysd cannot run it: {type(exc).__name__}")
    try:
        batch = compile_model(path)
    except UnsupportedConstructError as exc:
        pytest.skip(f"refused: {exc}")
    if not batch._graph.random_sites:
        assert_matches_pysd(batch.run(return_columns="all", on_nonfinite="ignore"), frame)
        return
    # RANDOM functions: the variables that two seeds leave unchanged must equal pysd
    runs = [batch.run(return_columns="all", on_nonfinite="ignore", seed=s) for s in (1, 2)]
    fixed = [v for v in runs[0].data_vars if runs[0][v].equals(runs[1][v])]
    assert len(fixed) < len(runs[0].data_vars)  # some variable follows the draws
    if fixed:
        assert_matches_pysd(runs[0][fixed], frame)
