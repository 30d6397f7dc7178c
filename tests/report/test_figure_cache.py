"""Figures drawn from files only are cached by content: reused while the inputs are the same."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from gvc_upgrading.report.figure_cache import FigureCache, figure_key
from gvc_upgrading.report.output import ReportWriter


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _drawing(calls: list[str]):
    def draw() -> Figure:
        calls.append("drawn")
        figure = Figure(figsize=(2, 1))
        figure.add_subplot().plot([0, 1], [1, 0])
        return figure

    return draw


def test_a_cached_figure_is_copied_not_drawn_again(tmp_path: Path) -> None:
    cache = FigureCache(tmp_path / "cache")
    source = tmp_path / "model.mdl"
    source.write_text("a = 1\n", "utf-8")
    key = figure_key([source], [__file__], "dpi 110")
    calls: list[str] = []
    first = ReportWriter(_folder(tmp_path / "first"), {}, svg=True, cache=cache)
    ref = first.figure(_drawing(calls), "view", "A view.", key=key)
    assert calls == ["drawn"]
    second = ReportWriter(_folder(tmp_path / "second"), {}, svg=True, cache=cache)
    again = second.figure(_drawing(calls), "view", "A view.", key=key)
    assert calls == ["drawn"], "the cached figure was drawn again"
    for relative in (ref.png, ref.svg):
        assert (tmp_path / "second" / relative).read_bytes() == (
            tmp_path / "first" / relative
        ).read_bytes()
    assert again.png in second.files and again.svg in second.files


def test_the_key_changes_with_the_input_bytes_and_the_settings(tmp_path: Path) -> None:
    source = tmp_path / "model.mdl"
    source.write_text("a = 1\n", "utf-8")
    key = figure_key([source], [__file__], "dpi 110")
    assert figure_key([source], [__file__], "dpi 110") == key
    assert figure_key([source], [__file__], "dpi 72") != key
    source.write_text("a = 2\n", "utf-8")
    assert figure_key([source], [__file__], "dpi 110") != key


def test_a_changed_input_draws_afresh(tmp_path: Path) -> None:
    cache = FigureCache(tmp_path / "cache")
    source = tmp_path / "model.mdl"
    calls: list[str] = []
    for index, text in enumerate(("a = 1\n", "a = 2\n")):
        source.write_text(text, "utf-8")
        writer = ReportWriter(_folder(tmp_path / f"out{index}"), {}, svg=False, cache=cache)
        writer.figure(_drawing(calls), "view", "A view.", key=figure_key([source], [__file__]))
    assert calls == ["drawn", "drawn"]


def test_without_a_key_or_a_cache_the_figure_is_drawn(tmp_path: Path) -> None:
    calls: list[str] = []
    writer = ReportWriter(_folder(tmp_path / "out"), {}, svg=False, cache=None)
    writer.figure(_drawing(calls), "a", "A.", key="k")
    writer.figure(_drawing(calls), "b", "B.")
    assert calls == ["drawn", "drawn"]


def test_the_cache_folder_follows_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GVC_UPGRADING_FIGURE_CACHE", str(tmp_path / "figs"))
    assert FigureCache().root == tmp_path / "figs"
    monkeypatch.delenv("GVC_UPGRADING_FIGURE_CACHE")
    monkeypatch.setenv("GVC_UPGRADING_CACHE", str(tmp_path / "cache"))
    assert FigureCache().root == tmp_path / "cache" / "figures"
