"""Draw the report's figures in a second process while the report computes.

Drawing the report's pictures (text-heavy matplotlib figures) takes as long
as computing its numbers. :class:`FigureWorker` runs one worker process,
started at the beginning of :func:`~.build.build_report`, and the report
hands it each figure as soon as what it is drawn from is known: the sector
views and the Sobol' and calibration figures (stored files) at once, the
loop figure once the model is parsed. The worker draws each into the
figure cache (:mod:`.figure_cache`) under the key the report computed.

When the report reaches its figures it calls :meth:`FigureWorker.finish`:
the jobs the worker has not started are drawn in the report's own process
(from the last one submitted back, while the worker works forward from the
first), then it waits for the ones under way; every picture is then
copied from the cache. The worker writes nothing but cache entries and is
given file names and JSON, never objects, so if it fails or is missing the
report draws the pictures itself.

The keys are defined once here (:func:`view_keys`, :func:`loop_key`,
:func:`sobol_key`, :func:`fit_key`) and the pictures by the drawing
functions the report itself calls (:func:`sobol_figure`, ...), so a
picture drawn by the worker is the one the report would draw.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import functools
import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..resources import shipped_path
from ..sensitivity import figures as sobol_figures_module
from . import diagram as diagram_module
from . import fans as fans_module
from . import fit_figure as fit_figure_module
from . import loops as loops_module
from . import pool
from . import words as words_module
from .figure_cache import FigureCache, dataset_digest, figure_key
from .output import FIGURE_DPI, figure_bytes

__all__ = [
    "FigureWorker",
    "draw_fan_job",
    "draw_fit_job",
    "draw_loops_job",
    "draw_overview_job",
    "draw_sobol_job",
    "draw_view_job",
    "fan_keys",
    "fit_key",
    "loop_key",
    "loops_json",
    "sobol_figure",
    "sobol_key",
    "stored_fit_key",
    "stored_sobol_key",
    "view_keys",
]

#: Bars per panel of the Sobol' figure.
SOBOL_TOP = 10


# ----------------------------------------------------------------------------- keys
def view_keys(model_file: str | os.PathLike[str]) -> dict[str, str]:
    """Return the figure cache key of each sector view of ``model_file``, by view name."""
    code = [diagram_module.__file__, *diagram_module.LAYOUT_CODE]
    return {
        name: figure_key([model_file], code, f"dpi {FIGURE_DPI}", f"view {name}")
        for name in diagram_module.view_drawers(model_file)
    }


def loop_key(model_file: str | os.PathLike[str]) -> str | None:
    """Return the figure cache key of the loop figure (None without ``models/README.md``)."""
    try:
        readme = shipped_path("models", "README.md")
    except FileNotFoundError:
        return None
    code = [loops_module.__file__]
    return figure_key([readme, model_file], code, f"dpi {FIGURE_DPI}", "loop")


def sobol_key(indices: Any) -> str:
    """Return the figure cache key of the Sobol' figure of ``indices`` (an xarray Dataset)."""
    code = [sobol_figures_module.__file__, __file__]
    return figure_key([], code, f"dpi {FIGURE_DPI}", dataset_digest(indices))


def stored_sobol_key(path: str | os.PathLike[str]) -> str:
    """Return the figure cache key of the Sobol' figure of the stored study ``path``.

    Keyed on the file's bytes and the code that reads and draws it, so it is
    known before the study is read (the worker can start on it at once).
    """
    from . import sobol_study

    code = [sobol_figures_module.__file__, __file__, sobol_study.__file__]
    return figure_key([path], code, f"dpi {FIGURE_DPI}", "stored sobol")


def stored_fit_key(path: str | os.PathLike[str], case: str) -> str:
    """Return the figure cache key of the calibration figure of the stored fit file ``path``."""
    from . import stored

    code = [fit_figure_module.__file__, stored.__file__]
    return figure_key([path], code, f"dpi {FIGURE_DPI}", "stored fit", case)


def fit_key(fit: Any) -> str:
    """Return the figure cache key of the calibration figure of ``fit`` (a StoredFit)."""
    code = [fit_figure_module.__file__]
    return figure_key([], code, f"dpi {FIGURE_DPI}", fit.case, dataset_digest(fit.dataset))


def fan_keys(ensemble: Any, bands: Any, charts: Sequence[str]) -> tuple[dict[str, str], str]:
    """Return the cache keys of the fan charts of ``charts`` and of the overview.

    Keyed on the numbers drawn, the case's name and the drawing code: a
    rebuild with the same results copies the pictures.
    """
    code = [fans_module.__file__, words_module.__file__]
    case = str(ensemble.attrs.get("case_label", ensemble.attrs.get("case", "")))
    drawn_from = (dataset_digest(ensemble), dataset_digest(bands), case)
    dpi = f"dpi {FIGURE_DPI}"
    outcomes = [str(name) for name in ensemble.data_vars]
    return (
        {name: figure_key([], code, dpi, "fan", name, *drawn_from) for name in charts},
        figure_key([], code, dpi, "overview", *outcomes, *drawn_from),
    )


# ----------------------------------------------------------------------------- pictures
def sobol_figure(indices: Any) -> Any:
    """The report's Sobol' figure: the leading :data:`SOBOL_TOP` parameters per output."""
    return sobol_figures_module.plot_indices(indices, top=SOBOL_TOP)


def loops_json(loops: Sequence[loops_module.Loop]) -> str:
    """Return the loops as JSON (what the worker is given instead of parsing the model)."""
    return json.dumps([dataclasses.asdict(loop) for loop in loops])


def _store(figure: Any, key: str, svg: bool, cache_root: str) -> None:
    cache = FigureCache(cache_root)
    for suffix, data in figure_bytes(figure, svg=svg).items():
        cache.put(key, suffix, data)


# ----------------------------------------------------------------------------- jobs
# Run in the worker process: arguments are strings, numbers and JSON; each draws
# one picture and stores it in the cache under the key the report computed.
def draw_view_job(model_file: str, name: str, key: str, svg: bool, cache_root: str) -> None:
    """Draw the sector view ``name`` of ``model_file`` into the cache."""
    _store(diagram_module.view_drawers(model_file)[name](), key, svg, cache_root)


def draw_loops_job(loops: str, key: str, svg: bool, cache_root: str) -> None:
    """Draw the loop figure of ``loops`` (:func:`loops_json`) into the cache."""
    parsed = [loops_module.Loop(**loop) for loop in json.loads(loops)]
    _store(loops_module.draw_loops(parsed), key, svg, cache_root)


def draw_sobol_job(path: str, key: str, svg: bool, cache_root: str) -> None:
    """Draw the Sobol' figure of the stored study ``path`` into the cache."""
    from .sobol_study import load_stored_sobol

    _store(sobol_figure(load_stored_sobol(path).indices), key, svg, cache_root)


@functools.lru_cache(maxsize=1)
def _fan_data(ensemble_file: str, bands_file: str) -> tuple[Any, Any]:
    """The report's ensemble and bands, read once per worker for all its fan charts.

    The worker serves one report, whose data files do not change once written.
    """
    import xarray as xr

    ensemble = xr.load_dataset(ensemble_file, engine="h5netcdf")
    bands = xr.load_dataset(bands_file, engine="h5netcdf") if bands_file else xr.Dataset()
    return ensemble, bands


def draw_fan_job(
    ensemble_file: str, bands_file: str, outcome: str, key: str, svg: bool, cache_root: str
) -> None:
    """Draw the fan chart of ``outcome`` from the report's data files into the cache.

    ``ensemble_file`` and ``bands_file`` are the report's ``data/ensemble.nc``
    and ``data/fans.nc`` (``""``: no bootstrap, no bands).
    """
    ensemble, bands = _fan_data(ensemble_file, bands_file)
    _store(fans_module.fan_chart(ensemble, bands, outcome), key, svg, cache_root)


def draw_overview_job(
    ensemble_file: str, bands_file: str, outcomes: str, key: str, svg: bool, cache_root: str
) -> None:
    """Draw the overview of ``outcomes`` (a JSON list) from the report's data files."""
    ensemble, bands = _fan_data(ensemble_file, bands_file)
    figure = fans_module.fan_overview(ensemble, bands, json.loads(outcomes))
    _store(figure, key, svg, cache_root)


def draw_fit_job(case: str, fits_dir: str | None, key: str, svg: bool, cache_root: str) -> None:
    """Draw the calibration figure of the stored fit of ``case`` into the cache."""
    from .stored import load_stored_fit

    fit = load_stored_fit(case, fits_dir)
    _store(fit_figure_module.calibration_fit_figure(fit), key, svg, cache_root)


# ----------------------------------------------------------------------------- the worker
@dataclass
class _Job:
    key: str
    draw_here: Callable[[], Any]
    call: tuple[Any, ...]  # the job function and its arguments
    future: Future | None = None  # once handed to the process


class FigureWorker:
    """One worker process drawing the report's figures into the figure cache.

    Jobs wait in this process's queue and are handed to the worker one at a
    time (the next when the last is done), so that every job the worker has
    not begun can still be drawn here instead (:meth:`finish`).

    Parameters
    ----------
    cache : FigureCache
        Where the pictures go (the worker is given its folder).
    svg : bool
        Draw SVG as well as PNG (full reports).
    """

    def __init__(self, cache: FigureCache, *, svg: bool) -> None:
        self.cache = cache
        self.svg = svg
        self._executor: ProcessPoolExecutor | None = None
        self._broken = False
        self._lock = threading.Lock()
        self._waiting: collections.deque[_Job] = collections.deque()  # not handed over yet
        self._handed: list[_Job] = []
        #: How many jobs :meth:`finish` drew in this process (the rest the worker drew).
        self.drawn_here = 0

    @property
    def started(self) -> bool:
        """Whether a worker process was started (only when some picture was not cached)."""
        return self._executor is not None

    def cached(self, key: str) -> bool:
        """Whether the picture of ``key`` is in the cache in every format the report writes."""
        suffixes = ("png", "svg") if self.svg else ("png",)
        return all(self.cache.path(key, suffix).is_file() for suffix in suffixes)

    def submit(
        self, key: str | None, draw_here: Callable[[], Any], job: Callable[..., None], *args: Any
    ) -> None:
        """Have the worker draw the picture of ``key`` with ``job(*args, key, svg, cache)``.

        Nothing happens when it is cached. ``draw_here`` draws the same picture
        in this process (used for the jobs the worker has not begun when the
        report needs them). The worker process starts with the first job.
        """
        if key is None or self._broken or self.cached(key):
            return
        if self._executor is None:
            self._executor = pool.take()  # started early by the CLI, or now
            if self._executor is None:  # no worker process: the report draws everything
                self._broken = True
                return
        call = (job, *args, key, self.svg, str(self.cache.root))
        with self._lock:
            self._waiting.append(_Job(key, draw_here, call))
        self._hand_over()

    def _hand_over(self, done: Future | None = None) -> None:
        """Give the worker the next waiting job when it has none (also its done-callback)."""
        with self._lock:
            if self._executor is None or not self._waiting:
                return
            if any(job.future is not None and not job.future.done() for job in self._handed):
                return
            job = self._waiting.popleft()
            try:
                job.future = self._executor.submit(*job.call)
            except (OSError, RuntimeError):  # the worker is gone: the report draws it
                return
            self._handed.append(job)
        job.future.add_done_callback(self._hand_over)

    @property
    def pending(self) -> int:
        """Jobs not finished yet: waiting, or handed to the worker and not done."""
        with self._lock:
            handed = sum(1 for job in self._handed if job.future is None or not job.future.done())
            return len(self._waiting) + handed

    def finish(self, on_done: Callable[[], None] | None = None) -> None:
        """Make every submitted picture available: draw here what the worker has not begun.

        Waiting jobs are taken from the last one back while the worker takes
        them from the first on; then the worker's are awaited. A failed job is
        ignored: the report draws that picture when it finds it missing.
        ``on_done`` is called once for every job that was still pending when
        this was called, as it completes (a progress bar's update).
        """
        tick = on_done or (lambda: None)
        try:
            while True:
                with self._lock:
                    job = self._waiting.pop() if self._waiting else None
                if job is None:
                    break
                data = figure_bytes(job.draw_here(), svg=self.svg)
                for suffix, content in data.items():
                    self.cache.put(job.key, suffix, content)
                self.drawn_here += 1
                tick()
            for job in list(self._handed):
                # any failure: the report draws that picture itself
                if job.future is not None:
                    already = job.future.done()
                    with contextlib.suppress(Exception):
                        job.future.result()
                    if not already:
                        tick()
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker without waiting (an interrupted report)."""
        with self._lock:
            self._waiting.clear()
            handed, self._handed = self._handed, []
            executor, self._executor = self._executor, None
        for job in handed:
            if job.future is not None:
                job.future.cancel()
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        pool.discard()


def submit_views(worker: FigureWorker, model_file: Path) -> None:
    """Give the worker every sector view of ``model_file`` (in the sketch's order)."""
    drawers = diagram_module.view_drawers(model_file)
    for name, key in view_keys(model_file).items():
        worker.submit(key, drawers[name], draw_view_job, str(model_file.resolve()), name)
