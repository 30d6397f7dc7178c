"""The fused Euler step equals the generated ``euler_save`` function bit for bit.

The fused step (``engine/fusion.py``) rewrites every array operation of a
step as a ufunc call into buffers that are reused as soon as their value is
dead. Both functions are walked side by side along the plain trajectory, for
every construct model and the shipped model, with the bounded constants
sampled (so that per-run arrays and numbers both occur), and every next
state and saved value must be identical, NaN for NaN.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from gvc_upgrading.engine import compile_model
from gvc_upgrading.engine.functions import xidz, zidz
from gvc_upgrading.engine.fusion import xidz_into
from gvc_upgrading.resources import shipped_path

from .reference import MODELS

CONSTRUCTS = sorted((Path(MODELS) / "constructs").glob("*.mdl"))
SHIPPED = shipped_path("models", "gvc_upgrading.mdl")
STEPS = 48  # every construct model's run; the first six years of the shipped model


def _chunk(batch, runs: int, seed: int):
    """Program, graph, inputs, timeline and initial state of one chunk of sampled runs."""
    table = batch.parameters.dropna(subset=["lower", "upper"])
    table = table[[p in batch._constants for p in table.index]]
    rng = np.random.default_rng(seed)
    samples = {p: rng.uniform(row.lower, row.upper, runs) for p, row in table.iterrows()}
    program, _, inputs, timeline, state, constants = batch._chunk_start(
        samples, runs, "all", strict=False
    )
    return program, inputs.values, timeline, state, constants


def _identical(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def _walk(
    path: Path, runs: int = 3, seed: int = 20261203, direct: bool = False, written=None
) -> int:
    """Compare the fused and plain steps along the plain trajectory; return steps compared.

    With ``direct`` the saving step writes its values of one number per run
    into result rows it is given, as the integrator asks it to (their
    indices are appended to ``written``).
    """
    written = [] if written is None else written
    batch = compile_model(path)
    with np.errstate(all="ignore"):
        program, K, timeline, state, C = _chunk(batch, runs, seed)
        fuser = program.fuser()
        if fuser is None:
            return 0
        dt = timeline.time_step
        fused = fuser.fused(
            np.float64(timeline.initial_time), state, K, C, dt, runs=runs if direct else None
        )
        assert direct or not fused.written
        written.extend(fused.written)
        buffers, save_buffers = fused.buffers(save=False), fused.buffers(save=True)
        following = [np.empty_like(s) for s in state]
        compared = 0
        for time in timeline.step_times[:STEPS]:
            t = np.float64(time)
            expected_state, expected_saved = program.euler_save(t, state, K, C, dt)
            rows = [None] * len(expected_saved)
            for j in fused.written:
                rows[j] = np.full((2, runs), np.nan)[0]  # a row of a larger block
            saved = fused.step_save(t, state, K, C, dt, following, save_buffers, rows)
            assert len(saved) == len(expected_saved)
            for j in fused.written:
                assert saved[j] is rows[j]
            for got, want in zip(saved, expected_saved, strict=True):
                assert _identical(np.broadcast_to(got, np.shape(want)), want)
            for got, want in zip(following, expected_state, strict=True):
                assert _identical(got, np.broadcast_to(want, got.shape))
            # the step without saving writes the same next state
            following_plain = [np.full_like(s, np.nan) for s in state]
            fused.step(t, state, K, C, dt, following_plain, buffers)
            for got, want in zip(following_plain, expected_state, strict=True):
                assert _identical(got, np.broadcast_to(want, got.shape))
            state = [
                np.array(np.broadcast_to(value, s.shape))
                for value, s in zip(expected_state, state, strict=True)
            ]
            compared += 1
    return compared


@pytest.mark.parametrize("path", CONSTRUCTS, ids=[p.stem for p in CONSTRUCTS])
def test_fused_step_equals_the_plain_step(path):
    _walk(path)


def test_fused_step_equals_the_plain_step_on_the_shipped_model():
    assert _walk(SHIPPED, runs=5) == STEPS


@pytest.mark.parametrize(
    "path",
    [SHIPPED, *[p for p in CONSTRUCTS if "delay_fixed" not in p.stem][:8]],
    ids=lambda p: p.stem,
)
def test_saved_values_written_into_result_rows_equal_the_plain_step(path):
    written: list[int] = []
    assert _walk(path, runs=5, direct=True, written=written) > 0
    if path == SHIPPED:  # most of its saved values are one number per run
        batch = compile_model(path)
        _, program = batch._program(frozenset(), batch._requested("all"))
        assert len(written) > len(program.saved_nodes) / 2


def test_most_construct_models_are_fused():
    """Only DELAY FIXED pipelines keep the plain step (they are not one Euler update)."""
    unfused = []
    for path in CONSTRUCTS:
        batch = compile_model(path)
        _, program = batch._program(frozenset(), batch._requested("all"))
        if program.fuser() is None:
            unfused.append(path.stem)
    assert len(unfused) <= 3, unfused
    assert all("delay_fixed" in name for name in unfused), unfused


def test_buffers_are_reused_across_the_step():
    """The shipped model's step holds a few dozen buffers for hundreds of array operations."""
    batch = compile_model(SHIPPED)
    with np.errstate(all="ignore"):
        program, K, timeline, state, C = _chunk(batch, 64, seed=1)
        fused = program.fuser().fused(
            np.float64(timeline.initial_time), state, K, C, timeline.time_step
        )
    assert fused.fused >= 0.9 * fused.total
    assert len(fused.buffer_specs) * 4 < fused.fused
    # saving keeps the saved values to the end of the step, so needs more
    assert len(fused.save_buffer_specs) > len(fused.buffer_specs)


@pytest.mark.parametrize("value_if_zero", [-1.0, np.array([7.0, 8.0, 9.0, 10.0])])
def test_xidz_into_equals_xidz(value_if_zero):
    numerator = np.array([1.0, 2.0, -3.0, np.inf])
    denominator = np.array([0.0, 5e-7, -2.0, 4.0])
    out = np.empty(4)
    with np.errstate(all="ignore"):
        xidz_into(numerator, denominator, value_if_zero, out)
        assert _identical(out, xidz(numerator, denominator, value_if_zero))
        xidz_into(numerator, denominator, 0.0, out)
        assert _identical(out, zidz(numerator, denominator))


IDENTITY_MODEL = """{{UTF-8}}
rate = 0.1 ~ 1/Year [0.05, 0.2] ~ Modelling choice: a sampled growth rate. |
weight = {weight} ~ dmnl ~ Modelling choice: a weight, 1 or not. |
Stock = INTEG(Inflow, 1) ~ dmnl ~ Grows. |
Inflow = weight * (Stock * rate * weight) / weight + (0 - Stock * weight) * 0.01
    ~ 1/Year ~ Uses the weight. |
Level = Stock * weight ~ dmnl ~ Saved. |
switch = 0 ~ dmnl ~ Modelling choice: a switch, off. |
Chosen = IF THEN ELSE(switch, Stock * rate, Stock) ~ dmnl ~ The stock while the switch is off. |
INITIAL TIME = 0 ~ Year ~ |
FINAL TIME = 4 ~ Year ~ |
TIME STEP = 0.25 ~ Year [0,?] ~ |
SAVEPER = 1 ~ Year [0,?] ~ |
"""


def _identity_step(folder: Path, weight: str):
    path = folder / f"identity_{weight}.mdl"
    path.write_text(IDENTITY_MODEL.format(weight=weight), encoding="utf-8")
    assert _walk(path, runs=4) > 0  # fused and plain steps equal, NaN for NaN
    batch = compile_model(path)
    with np.errstate(all="ignore"):
        program, K, timeline, state, C = _chunk(batch, 4, seed=2)
        return program.fuser().fused(
            np.float64(timeline.initial_time), state, K, C, timeline.time_step
        )


def _operations(function) -> int:
    """Statements of a fused step function other than unpacking its buffers."""
    return sum(
        isinstance(s, ast.Expr)
        or (isinstance(s, ast.Assign) and not isinstance(s.targets[0], ast.Tuple))
        for s in function.body
    )


def test_operations_whose_result_is_an_operand_are_left_out_with_the_same_bits(tmp_path):
    """A constant equal to 1.0 drops its products and quotients, a constant condition
    its IF THEN ELSE; the step keeps its bits."""
    one, other = _identity_step(tmp_path, "1"), _identity_step(tmp_path, "1.5")
    assert other.identities == 1  # the IF THEN ELSE on the switch
    # and weight * (..), (..) * weight, / weight, Stock * weight: at least four more
    assert one.identities >= 5
    for a, b in zip(one.source.body, other.source.body, strict=True):
        assert _operations(b) - _operations(a) == one.identities - other.identities
        assert "if_then_else" not in ast.unparse(a) + ast.unparse(b)
