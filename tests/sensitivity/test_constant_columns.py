"""Constant columns are found in one pass, column for column as :func:`is_constant` finds them."""

from __future__ import annotations

import numpy as np

from gvc_upgrading.sensitivity.design import CONSTANT_RTOL, constant_columns, is_constant


def test_constant_columns_agree_with_is_constant():
    rng = np.random.default_rng(7)
    rows = 50
    columns = [
        rng.normal(size=rows),  # varies
        np.full(rows, 3.25),  # constant
        np.full(rows, -2.0) * (1 + rng.uniform(-0.2, 0.2, rows) * CONSTANT_RTOL),  # round-off
        np.full(rows, -2.0) * (1 + rng.uniform(-1, 1, rows) * 10 * CONSTANT_RTOL),  # signal
        np.zeros(rows),  # constant zero
        np.r_[np.ones(rows - 1), np.nan],  # NaN: not constant
        np.r_[np.ones(rows - 1), -np.inf],  # infinite spread
        -np.abs(rng.normal(size=rows)) * 1e-300,  # tiny negative numbers
    ]
    block = np.column_stack(columns)
    expected = [is_constant(column) for column in columns]
    assert expected[:5] == [False, True, True, False, True]  # the cases are what they say
    assert constant_columns(block).tolist() == expected
    # a non-contiguous block (every other column) gives the same answers
    assert constant_columns(block[:, ::2]).tolist() == expected[::2]
