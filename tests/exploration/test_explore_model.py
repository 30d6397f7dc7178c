"""Exploration of the shipped model: runs, classes, analysis, findings and resuming."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from gvc_upgrading import load_model
from gvc_upgrading.errors import SpecError
from gvc_upgrading.exploration import (
    CLASSES,
    analyse,
    classify,
    explore,
    load_findings,
    save_findings,
    summarise,
    write_exploration,
)
from gvc_upgrading.scenarios import load_scenario

SPEC = {
    "name": "small",
    "n": 24,
    "seed": 3,
    "chunk_size": 32,
    "policies": ["baseline", "csr", "labour", "synergistic"],
    "outcomes": ["Average wage"],
    "classes": {"reference": "baseline"},
    "uncertainties": [
        {"name": "World demand growth", "lower": 0.0, "upper": 0.1},
        {"name": "Frontier productivity growth", "lower": 0.01, "upper": 0.05},
        {"name": "Living cost growth", "lower": 0.02, "upper": 0.06},
    ],
    "prim": {"max_runs": 200, "min_coverage": 0.5},
    "feature_scoring": {"max_runs": 200, "trees": 20},
}


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture(scope="module")
def result(model) -> xr.Dataset:
    return explore(SPEC, model)


def test_every_policy_runs_in_the_same_futures(result: xr.Dataset) -> None:
    assert result.sizes["run"] == 4 * 24
    assert list(result["time"].values) == [1995, 2000, 2005, 2010, 2015, 2020, 2025, 2030, 2035]
    policies = result["policy"].values
    for policy in SPEC["policies"]:
        runs = result.sel(run=policies == policy)
        assert sorted(runs["draw"].values) == list(range(24))
    baseline, csr = (result.sel(run=policies == p) for p in ("baseline", "csr"))
    for u in SPEC["uncertainties"]:
        assert np.array_equal(baseline[u["name"]].values, csr[u["name"]].values)
    assert (csr["Audit frequency"].values == 3.0).all()
    assert (baseline["Audit frequency"].values == 0.5).all()


def test_a_run_matches_the_scenario_run_alone(model, result: xr.Dataset) -> None:
    """Policy 'labour' in one future is the labour scenario with that future's values."""
    run = result.sel(run=(result["policy"].values == "labour") & (result["draw"].values == 5))
    future = {u["name"]: float(run[u["name"]].values[0]) for u in SPEC["uncertainties"]}
    alone = model.compile().run(
        future,
        scenario=load_scenario("labour"),
        return_columns=["Social upgrading index"],
        return_timestamps=list(result["time"].values),
    )
    assert np.allclose(
        alone["Social upgrading index"].values.ravel(),
        run["Social upgrading index"].values.ravel(),
        rtol=1e-12,
    )


def test_classes_are_those_of_the_kept_trajectories(result: xr.Dataset) -> None:
    """Changes run from baseline's start in the same future to each policy's end."""
    economic = result["Economic upgrading index"].values
    social = result["Social upgrading index"].values
    policies, draws = result["policy"].values, result["draw"].values
    baseline = policies == "baseline"
    start_e = dict(zip(draws[baseline], economic[baseline, 0], strict=True))
    start_s = dict(zip(draws[baseline], social[baseline, 0], strict=True))
    delta_e = economic[:, -1] - np.array([start_e[d] for d in draws])
    delta_s = social[:, -1] - np.array([start_s[d] for d in draws])
    assert np.allclose(result["delta_economic"], delta_e)
    assert np.allclose(result["delta_social"], delta_s)
    codes = classify(delta_e, delta_s, 0.05, 0.05)
    assert np.array_equal(result["outcome_class"].values, codes)
    assert result["outcome_class"].attrs["flag_meanings"].split() == list(CLASSES)


def test_analysis_and_findings_agree_with_the_runs(result: xr.Dataset, tmp_path: Path) -> None:
    analysis = analyse(result)
    findings = summarise(result, analysis)
    codes, policies = result["outcome_class"].values, result["policy"].values
    for policy in SPEC["policies"]:
        mine = codes[policies == policy]
        for code, name in enumerate(CLASSES):
            assert findings.share(policy, name) == pytest.approx(np.mean(mine == code))
        assert sum(findings.shares[policy].values()) == pytest.approx(1.0)
    assert findings.ranking[0] == analysis.robustness.index[0]
    best = max(findings.shares, key=lambda p: findings.shares[p]["both"])
    assert findings.share(findings.ranking[0]) == findings.share(best)
    syn, csr = findings.share("synergistic"), findings.share("csr")
    assert (
        f"{100 * syn:.0f}% of 24 plausible futures under the synergistic path" in findings.text()
    )
    assert f"against {100 * csr:.0f}% under CSR alone" in findings.text()
    saved = save_findings(findings, tmp_path / "findings.json")
    assert load_findings(saved) == findings
    assert load_findings(tmp_path) == findings

    written = write_exploration(result, analysis, findings, tmp_path / "out")
    names = {p.relative_to(tmp_path / "out").as_posix() for p in written}
    assert {"exploration.nc", "tables/robustness.csv", "findings.json"} <= names
    with xr.open_dataset(tmp_path / "out" / "exploration.nc", engine="h5netcdf") as stored:
        again = analyse(stored.load())
    assert again.robustness.equals(analysis.robustness)


def test_resuming_from_checkpoints_gives_the_same_runs(model, result, tmp_path: Path) -> None:
    first = explore(SPEC, model, checkpoint_dir=tmp_path)
    chunks = sorted(tmp_path.glob("*/rows_*.npy"))
    assert len(chunks) == 3  # 96 runs in chunks of 32
    chunks[1].unlink()  # as if interrupted in the second chunk
    stamp = chunks[0].stat().st_mtime_ns
    second = explore(SPEC, model, checkpoint_dir=tmp_path)
    assert chunks[0].stat().st_mtime_ns == stamp, "a finished chunk was run again"
    assert chunks[1].exists()
    for name in ("Social upgrading index", "outcome_class"):
        assert np.array_equal(first[name].values, second[name].values)
        assert np.array_equal(first[name].values, result[name].values)
    # other work is refused, naming what differs, instead of starting over beside the chunks
    with pytest.raises(SpecError, match=r"cannot resume .*seed: 3 -> 4"):
        explore(SPEC, model, seed=4, checkpoint_dir=tmp_path)
    wider = {**SPEC, "uncertainties": [{**SPEC["uncertainties"][0], "upper": 0.2}]}
    with pytest.raises(SpecError, match=r"spec\.uncertainties"):
        explore(wider, model, checkpoint_dir=tmp_path)
    assert sorted(tmp_path.glob("*/rows_*.npy")) == chunks


def test_bad_specs_fail_before_any_run(model) -> None:
    wrong = {**SPEC, "uncertainties": [{"name": "Wrold demand growth", "lower": 0, "upper": 1}]}
    with pytest.raises(SpecError, match="did you mean 'World demand growth'"):
        explore(wrong, model)
    lever = {**SPEC, "uncertainties": [{"name": "Audit frequency", "lower": 0, "upper": 1}]}
    with pytest.raises(SpecError, match="uncertainties and levers that policies set"):
        explore(lever, model)


def test_load_findings_refuses_other_files(tmp_path: Path) -> None:
    path = tmp_path / "findings.json"
    path.write_text(json.dumps({"study": "x"}))
    with pytest.raises(SpecError, match="missing key"):
        load_findings(path)
    path.write_text("{")
    with pytest.raises(SpecError, match="not a JSON findings file"):
        load_findings(path)


def test_a_dask_scheduler_gives_the_same_runs(model, result: xr.Dataset) -> None:
    threaded = explore(SPEC, model, scheduler="threads")
    assert np.array_equal(
        threaded["Social upgrading index"].values, result["Social upgrading index"].values
    )
    assert np.array_equal(threaded["outcome_class"].values, result["outcome_class"].values)


def test_a_policy_with_a_start_year_follows_baseline_until_then(model) -> None:
    spec = {
        **SPEC,
        "n": 6,
        "policies": ["baseline", "csr", {"name": "late csr", "scenarios": ["csr"], "start": 2012}],
    }
    late = explore(spec, model)
    policies = late["policy"].values
    social = {p: late["Social upgrading index"].values[policies == p] for p in set(policies)}
    years = late["time"].values
    before, after = years <= 2010, years >= 2015
    assert np.allclose(social["late csr"][:, before], social["baseline"][:, before])
    assert not np.allclose(social["late csr"][:, after], social["baseline"][:, after])
    assert not np.allclose(social["late csr"][:, after], social["csr"][:, after])
    assert set(late["Policy start year"].values[policies == "late csr"]) == {2012.0}
    assert "Policy start year" in json.loads(late.attrs["levers"])


def test_lever_series_switch_at_each_run_start() -> None:
    from gvc_upgrading.exploration.runs import lever_series

    tables = lever_series(
        np.array([[3.0], [3.0]]), np.array([0.5]), np.array([1995.0, 2010.0]), 1995, 2035, ["a"]
    )
    table = tables["a"]
    assert list(table[0]) == [3.0] * len(table), "a policy in force from the start"
    assert list(table.index[:3]) == [1995.0, pytest.approx(2010.0), 2010.0]
    assert table.iloc[1, 1] == 0.5, "the late run keeps the default until its start"
    assert table.loc[2010.0, 1] == 3.0 and table.loc[2035.0, 1] == 3.0


def test_changes_start_from_the_reference_policy_in_the_same_future() -> None:
    """Unit check of the starting points, on a design whose policies start apart."""
    import pandas as pd

    from gvc_upgrading.exploration.design import Design
    from gvc_upgrading.exploration.runs import _starting_points
    from gvc_upgrading.exploration.spec import ClassRules

    design = Design(
        futures=pd.DataFrame({"u": [0.1, 0.2, 0.3]}),
        levers=pd.DataFrame({"x": [0.0, 1.0]}, index=["baseline", "policy"]),
    )
    series = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [10.0, 5.0], [20.0, 5.0], [30.0, 5.0]])
    own = _starting_points(series, design, ClassRules())
    shared = _starting_points(series, design, ClassRules(reference="baseline"))
    assert list(own) == [1.0, 2.0, 3.0, 10.0, 20.0, 30.0]
    assert list(shared) == [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]
