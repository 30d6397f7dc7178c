"""The worker that draws the report's figures into the figure cache while the report computes."""

from __future__ import annotations

from pathlib import Path

from gvc_upgrading.report.diagram import view_drawers
from gvc_upgrading.report.figure_cache import FigureCache
from gvc_upgrading.report.output import ReportWriter, figure_bytes
from gvc_upgrading.report.prerender import FigureWorker, draw_view_job, submit_views, view_keys
from gvc_upgrading.sketch import write_sketch

TINY_MODEL = Path(__file__).parents[1] / "model" / "data" / "tiny.mdl"


def _sectored_model(folder: Path) -> Path:
    """The tiny test model under one group header, with a sketch laid out by write_sketch."""
    text = TINY_MODEL.read_text("utf-8")
    equations, _, control = text.partition("\n********")
    header = "\n".join(["*" * 56, "\t.Supply", "*" * 56 + "~", "\t\tThe supply side.", "\t|", ""])
    path = folder / "sectored.mdl"
    path.write_text(
        equations.replace("{UTF-8}\n", "{UTF-8}\n" + header + "\n", 1) + "\n********" + control,
        "utf-8",
    )
    write_sketch(path)
    return path


def test_the_worker_fills_the_cache_with_what_the_report_would_draw(tmp_path: Path) -> None:
    model = _sectored_model(tmp_path)
    cache = FigureCache(tmp_path / "cache")
    keys = view_keys(model)
    assert list(keys) == ["Supply"]
    worker = FigureWorker(FigureCache(cache.root), svg=False)
    submit_views(worker, model)
    assert worker.started
    worker.finish()
    drawn = figure_bytes(view_drawers(model)["Supply"](), svg=False)["png"]
    assert cache.get(keys["Supply"], "png") == drawn
    # now cached: no worker is started, and the report copies instead of drawing
    again = FigureWorker(cache, svg=False)
    submit_views(again, model)
    assert not again.started
    out = tmp_path / "out"
    out.mkdir()
    writer = ReportWriter(out, {}, svg=False, cache=cache)

    def refuse():
        raise AssertionError("drawn although cached")

    ref = writer.figure(refuse, "diagram_supply", "Supply.", key=keys["Supply"])
    assert (out / ref.png).read_bytes() == drawn


def test_jobs_the_worker_has_not_started_are_drawn_by_the_report(tmp_path: Path) -> None:
    """finish() draws the queued jobs itself, from the last back: the same pictures."""
    model = _sectored_model(tmp_path)
    drawer = view_drawers(model)["Supply"]
    worker = FigureWorker(FigureCache(tmp_path / "cache"), svg=False)
    keys = [f"key{i}" for i in range(4)]
    drawn_here = []

    def here() -> object:
        drawn_here.append(True)
        return drawer()

    for key in keys:
        worker.submit(key, here, draw_view_job, str(model), "Supply")
    pending = worker.pending
    assert pending == len(keys)
    ticks = []
    worker.finish(on_done=lambda: ticks.append(1))  # at once: the worker has not even started
    assert 1 <= len(drawn_here) < len(keys)  # the last ones here, the first by the worker
    assert worker.drawn_here == len(drawn_here)
    # the progress callback counts every job drawn here, and the worker's still running
    assert len(drawn_here) <= len(ticks) <= pending
    assert worker.pending == 0
    expected = figure_bytes(drawer(), svg=False)["png"]
    on_disk = FigureCache(tmp_path / "cache")  # a fresh reader: what the files hold
    assert [on_disk.get(key, "png") == expected for key in keys] == [True] * len(keys)


def test_a_failing_worker_job_is_left_for_the_report(tmp_path: Path) -> None:
    cache = FigureCache(tmp_path / "cache")
    worker = FigureWorker(cache, svg=False)

    def refuse() -> None:
        raise AssertionError("a job handed to the worker is not drawn here")

    worker.submit("first", refuse, draw_view_job, str(tmp_path / "missing.mdl"), "Supply")
    worker.finish()  # the job fails in the worker: no error here, the report draws it later
    assert worker.drawn_here == 0
    assert cache.get("first", "png") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_worker_draws_the_loop_figure_the_report_would_draw(tmp_path: Path) -> None:
    """The loop figure is drawn from the loops the report read, given to the worker as JSON."""
    from gvc_upgrading.report.loops import draw_loops, read_loops
    from gvc_upgrading.report.prerender import draw_loops_job, loop_key, loops_json
    from gvc_upgrading.resources import shipped_path

    model = _sectored_model(tmp_path)
    cache = FigureCache(tmp_path / "cache")
    loops = read_loops(shipped_path("models", "README.md"), model)
    assert loops
    key = loop_key(model)
    assert key is not None
    draw_loops_job(loops_json(loops), key, False, str(cache.root))
    drawn = figure_bytes(draw_loops(loops), svg=False)["png"]
    assert cache.get(key, "png") == drawn


def test_fan_charts_drawn_from_the_data_files_are_the_reports(tmp_path: Path) -> None:
    """The worker draws fans from data/ensemble.nc and fans.nc: the same picture as in memory."""
    import json

    import numpy as np
    import xarray as xr

    from gvc_upgrading.report.ensemble import band_quantiles
    from gvc_upgrading.report.fans import fan_chart, fan_overview
    from gvc_upgrading.report.prerender import draw_fan_job, draw_overview_job, fan_keys

    rng = np.random.default_rng(7)
    outcomes = ["Social upgrading index", "Average wage"]
    shape = (3, 4, 11)  # scenario, member, time
    ensemble = xr.Dataset(
        {name: (("scenario", "member", "time"), rng.random(shape)) for name in outcomes},
        coords={
            "scenario": ["baseline", "csr", "synergistic"],
            "member": ["estimate", "replicate_1", "replicate_2", "replicate_3"],
            "time": np.arange(2000.0, 2011.0),
        },
        attrs={"policy_start": 2005.0, "case_label": "Test case"},
    )
    ensemble["Average wage"].attrs["units"] = "USD/month"
    bands = band_quantiles(ensemble)
    out = tmp_path / "out"
    out.mkdir()
    writer = ReportWriter(out, {"mode": "quick"}, svg=False)
    files = [
        str(out / writer.netcdf(data, name)) for data, name in [(ensemble, "e"), (bands, "b")]
    ]
    charts, overview = fan_keys(ensemble, bands, outcomes[:1])
    cache = FigureCache(tmp_path / "cache")
    draw_fan_job(*files, outcomes[0], charts[outcomes[0]], False, str(cache.root))
    draw_overview_job(*files, json.dumps(outcomes), overview, False, str(cache.root))
    expected = figure_bytes(fan_chart(ensemble, bands, outcomes[0]), svg=False)["png"]
    assert cache.get(charts[outcomes[0]], "png") == expected
    expected = figure_bytes(fan_overview(ensemble, bands, outcomes), svg=False)["png"]
    assert cache.get(overview, "png") == expected
