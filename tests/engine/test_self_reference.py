"""Elements of one variable defined from each other (``x[a2] = x[a1] + 1``).

pysd 3.14 cannot simulate such a variable (its Python function calls itself
without end), so the engine is compared with pysd on the same model written
without self-reference (``self_reference_unrolled.mdl``: the elements as
their own variables): equal values of ``x`` and ``total``.
"""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.engine import compile_model
from gvc_upgrading.errors import ModelFileError

from .reference import MODELS, pysd_run, write_model

MODEL = MODELS / "self_reference.mdl"
UNROLLED = MODELS / "self_reference_unrolled.mdl"


def test_self_reference_equals_pysd_on_the_unrolled_model():
    result = compile_model(MODEL).run({"k": [2.0, 1.3]}, return_columns=["x", "total"])
    for run, k in enumerate((2.0, 1.3)):
        frame = pysd_run(UNROLLED, {"k": k})
        for name in ("total", "x[a1]", "x[a2]", "x[a3]", "x[a4]"):
            base, _, element = name.partition("[")
            values = result[base].isel(run=run).values
            if element:
                values = result[base].isel(run=run).sel(A=element.rstrip("]")).values
            np.testing.assert_allclose(values, frame[name].to_numpy(), rtol=1e-9, atol=1e-12)


def test_pysd_cannot_simulate_it():
    with pytest.raises(RecursionError):
        pysd_run(MODEL)


def test_an_element_that_needs_itself_is_an_algebraic_loop(tmp_path):
    equations = "A: a1, a2 ~~|\ny[a1] = 1 ~~|\ny[a2] = y[a2] + y[a1] ~ dmnl ~ |"
    with pytest.raises(ModelFileError, match="circular definition through 'y"):
        compile_model(write_model(tmp_path, equations))
