"""The figure worker's process, started before the report imports its own modules.

The worker (:class:`~.prerender.FigureWorker`) needs a second or so to start
Python and import matplotlib and the drawing code; so does the report
itself. :func:`start` (called by ``gvc-upgrading report`` before it imports
the report) starts the process at once, importing the drawing code, so both
imports run side by side; :func:`take` hands it to the worker (or starts
one). Only the standard library is imported here.
"""

from __future__ import annotations

import importlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

__all__ = ["discard", "start", "take"]

#: The module the worker process imports as soon as it starts.
DRAWING_CODE = "gvc_upgrading.report.prerender"

_started: list[ProcessPoolExecutor] = []  # at most one, not yet taken


def start() -> None:
    """Start the worker process now (once); it imports the drawing code meanwhile."""
    if _started:
        return
    try:
        executor = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=importlib.import_module,
            initargs=(DRAWING_CODE,),
        )
        executor.submit(int)  # the process starts with its first job
    except (OSError, RuntimeError):  # no second process: the report draws everything
        return
    _started.append(executor)


def take() -> ProcessPoolExecutor | None:
    """Return the started worker process (starting one if none); None if none can start."""
    start()
    return _started.pop() if _started else None


def discard() -> None:
    """Stop a started worker process nobody took (the report failed or needed none).

    The process has no job of anyone's yet: it is ended at once rather than
    left to finish its imports, which would delay the exit after an error.
    """
    while _started:
        executor = _started.pop()
        # ProcessPoolExecutor has no public way to end its processes (before 3.14)
        processes = list(getattr(executor, "_processes", None) or {})
        workers = [executor._processes[pid] for pid in processes]
        executor.shutdown(wait=False, cancel_futures=True)
        for process in workers:
            process.terminate()
