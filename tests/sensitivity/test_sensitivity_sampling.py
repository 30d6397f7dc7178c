"""The vectorised Saltelli design equals SALib's ``sobol.sample`` row for row."""

from __future__ import annotations

import numpy as np
import pytest
from SALib.sample import sobol as salib_sample

from gvc_upgrading.sensitivity.sampling import SaltelliDesign

PLAIN = {
    "num_vars": 5,
    "names": ["a", "b", "c", "d", "e"],
    "bounds": [[0.0, 1.0], [1.0, 3.0], [-2.0, 2.0], [0.0, 5.0], [0.0, 1.0]],
}
GROUPED = {**PLAIN, "groups": ["x", "y", "x", "z", "y"]}
DISTRIBUTED = {
    **PLAIN,
    "dists": ["unif", "norm", "unif", "triang", "lognorm"],
    "bounds": [[0.0, 1.0], [2.0, 0.5], [-2.0, 2.0], [0.0, 5.0, 0.3], [0.0, 0.4]],
}


@pytest.mark.parametrize(
    "problem", [PLAIN, GROUPED, DISTRIBUTED], ids=["plain", "groups", "dists"]
)
@pytest.mark.parametrize("second_order", [True, False])
def test_design_equals_salib(problem, second_order):
    problem = dict(problem)
    design = SaltelliDesign(problem, 64, second_order=second_order, seed=3)
    ours = design.sample()
    assert "sample_scaled" not in problem  # SALib's scaling did not touch the caller's dict
    reference = salib_sample.sample(problem, 64, calc_second_order=second_order, seed=3)
    assert design.rows == reference.shape[0]
    np.testing.assert_array_equal(ours, reference)
    # any range of rows, including ranges that cut through a base point
    np.testing.assert_array_equal(design.rows_between(7, 333), reference[7:333])
    np.testing.assert_array_equal(design.rows_between(0, 1), reference[:1])


def test_smaller_design_is_a_prefix_and_seed_matters():
    small = SaltelliDesign(PLAIN, 32, second_order=True, seed=3).sample()
    large = SaltelliDesign(PLAIN, 64, second_order=True, seed=3).sample()
    np.testing.assert_array_equal(large[: small.shape[0]], small)
    other = SaltelliDesign(PLAIN, 32, second_order=True, seed=4).sample()
    assert not np.array_equal(small, other)


def test_chunked_evaluation_builds_rows_on_demand():
    from gvc_upgrading.sensitivity.checkpoint import evaluate_in_chunks

    design = SaltelliDesign(PLAIN, 64, second_order=True, seed=3)
    seen = []

    def function(x):
        seen.append(x.shape[0])
        return np.column_stack([x.sum(axis=1), x[:, 0]])

    streamed = evaluate_in_chunks(function, design, chunk_size=100, first_row=30)
    whole = design.sample()
    np.testing.assert_array_equal(streamed, function(whole)[30:])
    assert max(seen[:-1]) <= 100 and sum(seen[:-1]) == design.rows - 30
