"""Draw the sector diagrams in a second process while the report computes its runs.

The sector views depend on the model file alone, and drawing them (text-heavy
pictures) is the slowest part of a first report. :func:`start_prerender`
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

from . import diagram as diagram_module
from .diagram import view_drawers
from .figure_cache import FigureCache, figure_key
from .output import FIGURE_DPI, figure_bytes

__all__ = ["Prerender", "prerender_views", "start_prerender", "view_keys"]


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
    """Draw the views of ``model_file`` missing from the cache at ``cache_root``; store them.

    Returns the names of the views drawn.
    """
    cache = FigureCache(cache_root)
    keys = view_keys(model_file)
    drawers = view_drawers(model_file)
    drawn = []
    for name in _missing(cache, keys, svg):
        for suffix, data in figure_bytes(drawers[name](), svg=svg).items():
            cache.put(keys[name], suffix, data)
        drawn.append(name)
    return drawn


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
    """Start drawing the uncached views of ``model_file`` in a worker process.

    Returns None (nothing started) when every view is cached or no worker
    process can be started.
    """
    keys = view_keys(model_file)
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
