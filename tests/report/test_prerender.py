"""The worker that draws the sector diagrams into the figure cache while the report computes."""

from __future__ import annotations

from pathlib import Path

from gvc_upgrading.report.diagram import view_drawers
from gvc_upgrading.report.figure_cache import FigureCache
from gvc_upgrading.report.output import ReportWriter, figure_bytes
from gvc_upgrading.report.prerender import start_prerender, view_keys
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
    worker = start_prerender(model, svg=False, cache=cache)
    assert worker is not None
    worker.wait()
    drawn = figure_bytes(view_drawers(model)["Supply"](), svg=False)["png"]
    assert cache.get(keys["Supply"], "png") == drawn
    # now cached: nothing to start, and the report copies instead of drawing
    assert start_prerender(model, svg=False, cache=cache) is None
    out = tmp_path / "out"
    out.mkdir()
    writer = ReportWriter(out, {}, svg=False, cache=cache)

    def refuse():
        raise AssertionError("drawn although cached")

    ref = writer.figure(refuse, "diagram_supply", "Supply.", key=keys["Supply"])
    assert (out / ref.png).read_bytes() == drawn


def test_the_worker_draws_the_loop_figure_the_report_would_draw(tmp_path: Path) -> None:
    """The loop figure is drawn ahead too, under the key the report's loop section reads."""
    from gvc_upgrading.report.loops import draw_loops, read_loops
    from gvc_upgrading.report.prerender import LOOPS, loop_key, prerender_views
    from gvc_upgrading.resources import shipped_path

    model = _sectored_model(tmp_path)
    cache = FigureCache(tmp_path / "cache")
    assert LOOPS in prerender_views(str(model), False, str(cache.root))
    loops = read_loops(shipped_path("models", "README.md"), model)
    drawn = figure_bytes(draw_loops(loops), svg=False)["png"]
    assert cache.get(loop_key(model), "png") == drawn
    assert prerender_views(str(model), False, str(cache.root)) == []  # all cached now
