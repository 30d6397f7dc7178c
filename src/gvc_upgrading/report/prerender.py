"""Draw the sector diagrams and the loop figure in a second process while the report runs.

The sector views depend on the model file alone, and the loop figure on the
model file and ``models/README.md``; drawing them (text-heavy pictures) is
the slowest part of a first report. :func:`start_prerender`
starts one worker process at the beginning of :func:`~.build.build_report`
that draws every view not yet in the figure cache and stores it there
(:mod:`.figure_cache`); when the report reaches its diagrams it waits for the
worker and copies the cached pictures. The worker writes nothing but cache
entries, so if it fails the report draws the views itself.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from ..resources import shipped_path
from . import diagram as diagram_module
from . import loops as loops_module
from .diagram import view_drawers
from .figure_cache import FigureCache, figure_key
from .loops import draw_loops, read_loops
from .output import FIGURE_DPI, figure_bytes

__all__ = ["Prerender", "loop_key", "prerender_views", "start_prerender", "view_keys"]

#: Name of the loop figure among the pictures the worker draws.
LOOPS = "feedback loops"


def loop_key(model_file: str | os.PathLike[str]) -> str | None:
    """Return the figure cache key of the loop figure (None without ``models/README.md``)."""
    try:
        readme = shipped_path("models", "README.md")
    except FileNotFoundError:
        return None
    code = [loops_module.__file__]
    return figure_key([readme, model_file], code, f"dpi {FIGURE_DPI}", "loop")


def _keys(model_file: str | os.PathLike[str]) -> dict[str, str]:
    """Cache keys of every picture the worker draws: the views, then the loop figure."""
    keys = view_keys(model_file)
    loops = loop_key(model_file)
    if loops is not None:
        keys[LOOPS] = loops
    return keys


def view_keys(model_file: str | os.PathLike[str]) -> dict[str, str]:
    """Return the figure cache key of each sector view of ``model_file``, by view name."""
    code = [diagram_module.__file__, *diagram_module.LAYOUT_CODE]
    return {
        name: figure_key([model_file], code, f"dpi {FIGURE_DPI}", f"view {name}")
        for name in view_drawers(model_file)
    }


def _missing(cache: FigureCache, keys: dict[str, str], svg: bool) -> list[str]:
    suffixes = ("png", "svg") if svg else ("png",)
    return [
        name
        for name, key in keys.items()
        if any(not cache.path(key, suffix).is_file() for suffix in suffixes)
    ]


def prerender_views(model_file: str, svg: bool, cache_root: str) -> list[str]:
    """Draw the views and loop figure of ``model_file`` missing from the cache; store them.

    Returns the names of the pictures drawn.
    """
    cache = FigureCache(cache_root)
    keys = _keys(model_file)
    missing = _missing(cache, keys, svg)
    loops = read_loops(shipped_path("models", "README.md"), model_file) if LOOPS in missing else []
    if LOOPS in missing and not loops:
        missing.remove(LOOPS)  # no loops named: the report draws no loop figure
    drawers = view_drawers(model_file) if set(missing) - {LOOPS} else {}
    for name in missing:
        figure = draw_loops(loops) if name == LOOPS else drawers[name]()
        for suffix, data in figure_bytes(figure, svg=svg).items():
            cache.put(keys[name], suffix, data)
    return missing


class Prerender:
    """A worker process drawing sector views into the figure cache (:func:`start_prerender`)."""

    def __init__(self, executor: ProcessPoolExecutor, future: Future) -> None:
        self._executor = executor
        self._future = future

    def wait(self) -> None:
        """Wait for the worker; a failed worker is ignored (the report draws the views)."""
        try:
            self._future.result()
        except Exception:  # any failure: the report draws the views itself
            pass
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker without waiting (an interrupted report)."""
        self._future.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)


def start_prerender(
    model_file: str | os.PathLike[str], *, svg: bool, cache: FigureCache
) -> Prerender | None:
    """Start drawing the uncached views and loop figure of ``model_file`` in a worker process.

    Returns None (nothing started) when every picture is cached or no worker
    process can be started.
    """
    keys = _keys(model_file)
    if not _missing(cache, keys, svg):
        return None
    try:
        executor = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )
        future = executor.submit(
            prerender_views, str(Path(model_file).resolve()), svg, str(cache.root)
        )
    except (OSError, RuntimeError):
        return None
    return Prerender(executor, future)
