"""The report folder: staged in a temporary folder, written file by file, published at once.

:class:`ReportWriter` writes figures (PNG and SVG), tables (CSV, Markdown,
LaTeX and netCDF) and data (netCDF, stamped with the report's provenance)
into a staging folder; :func:`publish` moves the finished folder onto the
report's place in one rename (an earlier report there is replaced), so a
reader never sees half a report.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import xarray as xr

from ..io import write_netcdf
from .figure_cache import FigureCache
from .html import FigureRef
from .tables import Table, write_table

__all__ = ["FIGURE_DPI", "ReportWriter", "figure_bytes", "slug"]

#: Resolution of the PNG figures.
FIGURE_DPI = 110


def slug(text: str) -> str:
    """Return a file-name-safe lower-case version of ``text``.

    Examples
    --------
    >>> slug("True compliance less visible")
    'true_compliance_less_visible'
    """
    cleaned = "".join(c.lower() if c.isalnum() else "_" for c in text)
    return "_".join(part for part in cleaned.split("_") if part)


def figure_bytes(figure: Any, *, svg: bool) -> dict[str, bytes]:
    """Render a figure as the report stores it: PNG at :data:`FIGURE_DPI` (and SVG).

    A figure with a layout engine is laid out once, so both formats share the layout
    (PNG alone: laid out while it is drawn, one pass instead of two).
    """
    if svg and figure.get_layout_engine() is not None:
        figure.draw_without_rendering()
        figure.set_layout_engine("none")
    out = {}
    for suffix in ("png", "svg") if svg else ("png",):
        stream = io.BytesIO()
        figure.savefig(stream, format=suffix, dpi=FIGURE_DPI)
        out[suffix] = stream.getvalue()
    return out


class ReportWriter:
    """Write the report's files into the staging folder ``root`` and remember them.

    Parameters
    ----------
    root : pathlib.Path
        The staging folder (``figures/``, ``tables/`` and ``data/`` are made in it).
    provenance : dict
        Attributes added to every netCDF file.
    svg : bool
        Write every figure as SVG too (PNG only when False: quick reports).
    cache : FigureCache, optional
        Where figures given a ``key`` are looked up and kept (None: no cache).
    """

    def __init__(
        self,
        root: Path,
        provenance: dict[str, Any],
        *,
        svg: bool = True,
        cache: FigureCache | None = None,
    ) -> None:
        self.root = root
        self.svg = svg
        self.cache = cache
        #: Called with each figure's name once it is written (a progress bar's update).
        self.on_figure: Callable[[str], None] = lambda name: None
        self.provenance = provenance
        self.files: list[Path] = []
        for folder in ("figures", "tables", "data"):
            (root / folder).mkdir()

    def netcdf(self, dataset: xr.Dataset, name: str) -> Path:
        """Write ``data/<name>.nc`` with the provenance attributes added."""
        stamped = dataset.copy()
        stamped.attrs = {**dataset.attrs, **self.provenance}
        relative = Path("data") / f"{name}.nc"
        write_netcdf(stamped, self.root / relative, atomic=False)
        self.files.append(relative)
        return relative

    def figure(self, figure: Any, name: str, caption: str, *, key: str | None = None) -> FigureRef:
        """Write ``figures/<name>.png`` (and ``.svg``); return its reference.

        Parameters
        ----------
        figure : matplotlib.figure.Figure or callable
            The figure, or a function drawing it (called only when the
            figure is not cached).
        name, caption : str
        key : str, optional
            The figure's :func:`~gvc_upgrading.report.figure_cache.figure_key`:
            with a cache, a figure cached under it is copied instead of drawn,
            and a drawn one is kept.
        """
        ref = FigureRef(
            png=Path("figures") / f"{name}.png",
            svg=Path("figures") / f"{name}.svg" if self.svg else None,
            caption=caption,
        )
        formats = {"png": ref.png, **({"svg": ref.svg} if ref.svg is not None else {})}
        if key is not None and self.cache is not None:
            cached = {suffix: self.cache.get(key, suffix) for suffix in formats}
            if all(data is not None for data in cached.values()):
                for suffix, relative in formats.items():
                    (self.root / relative).write_bytes(cached[suffix])  # type: ignore[arg-type]
                    self.files.append(relative)
                self.on_figure(name)
                return ref
        rendered = figure_bytes(figure() if callable(figure) else figure, svg=self.svg)
        for suffix, relative in formats.items():
            (self.root / relative).write_bytes(rendered[suffix])
            self.files.append(relative)
            if key is not None and self.cache is not None:
                self.cache.put(key, suffix, rendered[suffix])
        self.on_figure(name)
        return ref

    def table(self, table: Table) -> Table:
        """Write the table's CSV, Markdown, LaTeX and netCDF files; return it as stamped."""
        stamped = Table(
            name=table.name,
            title=table.title,
            frame=table.frame,
            note=table.note,
            digits=table.digits,
            attrs={**table.attrs, **self.provenance},
        )
        for path in write_table(stamped, self.root / "tables", data_directory=self.root / "data"):
            self.files.append(path.relative_to(self.root))
        return stamped
