"""Euler is pysd's scheme, RK4 and solve_ivp approach the exact solution, failures are located."""

from __future__ import annotations

import numpy as np
import pytest

from gvc_upgrading.engine import compile_model
from gvc_upgrading.errors import SimulationError

from .reference import write_model

DECAY = """
Amount= INTEG (-Amount * Decay rate, 8)
	~	kg
	~	|
Decay rate = 0.3
	~	1/Year [0.1, 1]
	~	|
"""


@pytest.fixture(scope="module")
def decay_path(tmp_path_factory):
    return write_model(tmp_path_factory.mktemp("decay"), DECAY, final=10, step=0.25, saveper=1)


def test_euler_is_the_discrete_scheme(decay_path):
    result = compile_model(decay_path).run({"Decay rate": [0.3, 0.6]})
    steps = (result.time.values / 0.25).round()
    for run, k in enumerate((0.3, 0.6)):
        np.testing.assert_allclose(
            result["Amount"].values[run], 8 * (1 - k * 0.25) ** steps, rtol=1e-13
        )


@pytest.mark.parametrize(("integration", "tolerance"), [("rk4", 1e-4), ("solve_ivp", 1e-9)])
def test_higher_order_integrators_approach_the_exact_solution(decay_path, integration, tolerance):
    result = compile_model(decay_path, integration=integration).run({"Decay rate": [0.3, 0.6]})
    assert result.attrs["integration"] == integration
    for run, k in enumerate((0.3, 0.6)):
        exact = 8 * np.exp(-k * result.time.values)
        np.testing.assert_allclose(result["Amount"].values[run], exact, rtol=tolerance)
    euler = compile_model(decay_path).run({"Decay rate": [0.6]})
    exact = 8 * np.exp(-0.6 * result.time.values)
    euler_error = np.max(np.abs(euler["Amount"].values[0] - exact))
    assert np.max(np.abs(result["Amount"].values[1] - exact)) < euler_error / 100


def test_non_finite_value_names_variable_run_and_time(tmp_path):
    path = write_model(
        tmp_path,
        """
Blow up = 1 / (Time - Pole) ~ dmnl ~ |
Pole = 5 ~ Year [0, 20] ~ |
Level = INTEG(Blow up, 0) ~ dmnl ~ |
""",
    )
    batch = compile_model(path)
    with pytest.raises(SimulationError, match=r"'Blow up' in run 2 at time 5\b"):
        batch.run({"Pole": [20, 15, 5, 7]})
    with pytest.raises(SimulationError, match=r"'Blow up' in run 3 at time 7\b"):
        batch.run({"Pole": [20, 15, 5.1, 7]}, chunk_size=2)


def test_non_finite_initial_value_is_reported(tmp_path):
    path = write_model(tmp_path, "Level = INTEG(1, LN(Start)) ~ dmnl ~ |\nStart = 1 ~ dmnl ~ |")
    with pytest.raises(SimulationError, match=r"initial value of 'Level' in run 1 at time 0"):
        compile_model(path).run({"Start": [1.0, 0.0]})
