"""The branch-free exp, log and pow of ``benchmarks/vector_math.py`` against NumPy.

They stand in for NumPy's functions in the experimental numba kernels
(``benchmarks/compiled_kernel.py``, ``math="vector"``), so they must give
NumPy's values to within an ulp or two, its special cases exactly, and
compile to SIMD instructions in a loop. Skipped without numba.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
from pathlib import Path

import numpy as np
import pytest

numba = pytest.importorskip("numba")

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "vector_math.py"


@pytest.fixture(scope="module")
def loops():
    """Loops over arrays calling vexp, vlog and vpow (compiled once for the module)."""
    spec = importlib.util.spec_from_file_location("_vector_math_under_test", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    vexp, vlog, vpow = module.vexp, module.vlog, module.vpow

    @numba.njit(error_model="numpy")
    def exp_loop(x, out):
        for i in range(x.size):
            out[i] = vexp(x[i])

    @numba.njit(error_model="numpy")
    def log_loop(x, out):
        for i in range(x.size):
            out[i] = vlog(x[i])

    @numba.njit(error_model="numpy")
    def pow_loop(x, y, out):
        for i in range(x.size):
            out[i] = vpow(x[i], y[i])

    def exp(x):
        out = np.empty_like(x)
        exp_loop(x, out)
        return out

    def log(x):
        out = np.empty_like(x)
        log_loop(x, out)
        return out

    def power(x, y):
        out = np.empty_like(x)
        pow_loop(x, y, out)
        return out

    return {"exp": exp, "log": log, "power": power, "jitted": (exp_loop, log_loop, pow_loop)}


def _ulps(values: np.ndarray, expected: np.ndarray) -> np.ndarray:
    return np.abs(values - expected) / np.spacing(np.abs(expected))


def test_exp_within_one_ulp_over_the_whole_range(loops):
    rng = np.random.default_rng(1)
    x = np.concatenate(
        [rng.uniform(-708, 709.7, 200_000), rng.uniform(-1, 1, 50_000), [0.0, -0.0, 1e-300]]
    )
    assert np.max(_ulps(loops["exp"](x), np.exp(x))) <= 1.0


def test_exp_special_values_and_subnormal_results_as_numpy(loops):
    x = np.array([np.nan, np.inf, -np.inf, 709.78, 709.79, 710.0, 1e300, -1e300, -745.0, -740.0])
    with np.errstate(over="ignore"):
        expected = np.exp(x)
    np.testing.assert_array_equal(loops["exp"](x), expected)


def test_log_within_one_ulp_from_subnormals_to_the_largest_number(loops):
    rng = np.random.default_rng(2)
    x = np.concatenate(
        [
            np.exp(rng.uniform(-744, 709, 200_000)),
            rng.uniform(0.5, 2.0, 50_000),
            [5e-324, 1e-310, np.finfo(float).tiny, np.finfo(float).max, 2.0],
        ]
    )
    expected = np.log(x)
    nonzero = expected != 0
    assert np.max(_ulps(loops["log"](x)[nonzero], expected[nonzero])) <= 1.0


def test_log_special_values_as_numpy(loops):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, -1e-310, 1.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.log(x)
    np.testing.assert_array_equal(loops["log"](x), expected)


def test_power_special_cases_as_numpy_exactly(loops):
    values = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0, 2.5, -2.5]
    values += [np.inf, -np.inf, np.nan, 1e-310, -1e-310, 7.0, -7.0]
    x, y = (np.array(v) for v in zip(*itertools.product(values, values), strict=True))
    with np.errstate(all="ignore"):
        expected = np.power(x, y)
    result = loops["power"](x, y)
    special = ~np.isfinite(expected) | (expected == 0) | (np.abs(expected) == 1)
    np.testing.assert_array_equal(result[special], expected[special])
    number = ~np.isnan(expected)  # the sign of a NaN is not specified
    np.testing.assert_array_equal(np.signbit(result[number]), np.signbit(expected[number]))
    finite = ~special
    with np.errstate(all="ignore"):  # see the next test
        bound = np.finfo(float).eps * (2 + np.abs(y * np.log(np.abs(x))))
    relative = np.abs(result[finite] - expected[finite]) / np.abs(expected[finite])
    assert np.all(relative <= bound[finite])


def test_power_error_grows_only_with_y_log_x(loops):
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(0, 10, 100_000), np.exp(rng.uniform(-30, 30, 100_000))])
    y = np.concatenate([rng.uniform(-5, 5, 100_000), rng.uniform(-10, 10, 100_000)])
    expected = np.power(x, y)
    ok = np.isfinite(expected) & (expected != 0)
    # exp(y log x): log's rounding error of up to half an ulp of log x, times y
    bound = np.finfo(float).eps * (2 + np.abs(y * np.log(x)))
    relative = np.abs(loops["power"](x, y) - expected) / np.abs(expected)
    assert np.all(relative[ok] <= bound[ok])


def test_loops_are_vectorized_without_library_calls(loops):
    for jitted in loops["jitted"]:
        code = jitted.inspect_llvm(jitted.signatures[0])  # LLVM IR after optimisation
        assert re.search(r"<\d+ x double>", code), jitted.__name__  # SIMD vectors of doubles
        assert not re.search(r"@(llvm\.)?(exp|log|pow)(\.f64)?\(", code), jitted.__name__
