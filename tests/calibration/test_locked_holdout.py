"""The locked hold-out: the fit never sees hold-out values, and scores them once afterwards."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gvc_upgrading.calibration import calibrate
from gvc_upgrading.calibration.data import read_case_data

from .conftest import AnalyticSimulator, write_case

HOLDOUT = 2018


def _fit(folder):
    return calibrate(
        folder,
        simulator=AnalyticSimulator(),
        holdout_from=HOLDOUT,
        n_starts=3,
        bootstrap=8,
        profile=True,
        profile_points=5,
        seed=4,
    )


def test_fit_is_bitwise_identical_whatever_the_holdout_values(tmp_path, synthetic_case):
    rows = pd.read_csv(synthetic_case / "data.csv")
    changed = rows.copy()
    held = changed["year"] >= HOLDOUT
    # wild hold-out values: 50 times larger, and a different pattern per row
    changed.loc[held, "value"] *= 50.0 * (1 + np.arange(held.sum()))
    other = write_case(tmp_path / "changed", changed)
    first, second = _fit(synthetic_case), _fit(other)
    # everything the fit produced is identical to the bit ...
    assert first.estimate.tobytes() == second.estimate.tobytes()
    assert first.bootstrap.tobytes() == second.bootstrap.tobytes()
    assert first.interval.tobytes() == second.interval.tobytes()
    assert first.objective == second.objective
    for a, b in zip(first.profiles, second.profiles, strict=True):
        assert a.deviance.tobytes() == b.deviance.tobytes()
    assert first.trajectories.tobytes() == second.trajectories.tobytes()
    assert first.status == second.status
    # ... while the hold-out really was read once, by the scoring
    one = first.statistics.set_index(["series", "sample"])
    two = second.statistics.set_index(["series", "sample"])
    assert one.loc[("wage", "in"), "rmse"] == two.loc[("wage", "in"), "rmse"]
    assert one.loc[("wage", "holdout"), "rmse"] < two.loc[("wage", "holdout"), "rmse"]
    assert one.loc[("exports", "holdout"), "mape_rw"] != two.loc[("exports", "holdout"), "mape_rw"]


def test_holdout_rows_are_not_in_the_fitting_arrays(synthetic_case):
    from gvc_upgrading.calibration import Objective, load_case

    objective = Objective(load_case(synthetic_case), AnalyticSimulator(), holdout_from=HOLDOUT)
    held = ~objective.observations.in_sample
    assert held.sum() == 2 * (2024 - HOLDOUT + 1)
    assert np.isnan(objective.y[held]).all() and np.isnan(objective.factor[held]).all()
    assert np.isfinite(objective.y[~held]).all()
    # the scoring copy keeps the values
    data = read_case_data(synthetic_case / "data.csv")
    assert (objective.observations.level[held] > 0).all() and len(data) > 0


def test_holdout_from_is_read_from_the_fit_table(tmp_path, synthetic_case):
    text = (synthetic_case / "case.toml").read_text() + f"\n[fit]\nholdout_from = {HOLDOUT}\n"
    (synthetic_case / "case.toml").write_text(text)
    result = calibrate(
        synthetic_case, simulator=AnalyticSimulator(), n_starts=2, profile=False, seed=1
    )
    assert result.diagnostics["holdout_from"] == HOLDOUT
    assert not result.observations.loc[result.observations["year"] >= HOLDOUT, "in_sample"].any()
