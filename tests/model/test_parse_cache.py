"""pysd's parse of a model is kept as JSON in the translation cache and read back equal."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pysd
import pytest
from pysd.translators.structures import abstract_expressions as ae

from gvc_upgrading import abstract_json, translation
from gvc_upgrading.translation import parse_abstract_model

from .paths import TINY_MODEL

CONSTRUCTS = Path(__file__).parents[1] / "engine" / "models" / "constructs"
#: Subscripts and mappings, external data, lookups, macros, delays, tuples of floats.
MODELS = [
    TINY_MODEL,
    CONSTRUCTS / "subscript_mapping.mdl",
    CONSTRUCTS / "get_direct_lookups_subscripted.mdl",
    CONSTRUCTS / "get_mixed_definitions.mdl",
    CONSTRUCTS / "macro.mdl",
    CONSTRUCTS / "delay_fixed_subscripted.mdl",
    CONSTRUCTS / "lookup.mdl",
]


def _same(a, b, where="model") -> None:
    """Equal values of the same types all the way down (``==`` alone would let 1 == 1.0)."""
    assert type(a) is type(b), where
    if dataclasses.is_dataclass(a):
        for field in dataclasses.fields(a):
            _same(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=True), where
    else:
        assert a == b or (a != a and b != b), where


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_round_trip_gives_equal_objects_of_the_same_types(path: Path) -> None:
    parsed = translation._parse_file(path)
    text = abstract_json.encode(parsed, pysd.__version__)
    _same(abstract_json.decode(text, pysd.__version__), parsed)


def test_second_parse_reads_the_cache(tmp_path, monkeypatch) -> None:
    model = tmp_path / "model.mdl"
    shutil.copyfile(CONSTRUCTS / "get_direct_lookups_subscripted.mdl", model)
    for data in CONSTRUCTS.glob("*.csv"):
        shutil.copyfile(data, tmp_path / data.name)
    first = parse_abstract_model(model)
    stored = translation._parsed_path(model)
    assert stored.is_file()

    def no_parse(path):
        raise AssertionError("parsed again")

    monkeypatch.setattr(translation, "_parse_file", no_parse)
    second = parse_abstract_model(model)
    _same(second, first)
    assert second is not first and second.sections[0] is not first.sections[0]


def _external_files(node, found: list) -> list:
    if isinstance(node, ae.GetLookupsStructure):
        found.append(node.file)
    if dataclasses.is_dataclass(node):
        for field in dataclasses.fields(node):
            _external_files(getattr(node, field.name), found)
    elif isinstance(node, list | tuple):
        for item in node:
            _external_files(item, found)
    return found


def test_each_copy_resolves_its_own_files(tmp_path) -> None:
    """Copies in two folders: each parse names its own file and finds its own data."""
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
        shutil.copyfile(CONSTRUCTS / "get_direct_lookups.mdl", folder / "model.mdl")
    for _ in range(2):  # parsed and stored, then read from the store
        for folder in folders:
            parsed = parse_abstract_model(folder / "model.mdl")
            assert Path(parsed.original_path) == folder / "model.mdl"
            files = _external_files(parsed, [])
            assert files and all(Path(f).parent == folder.resolve() for f in files)
    stored = [translation._parsed_path(folder / "model.mdl") for folder in folders]
    assert stored[0] != stored[1] and all(entry.is_file() for entry in stored)


def test_damaged_or_foreign_entry_is_parsed_again(tmp_path) -> None:
    model = tmp_path / "model.mdl"
    shutil.copyfile(TINY_MODEL, model)
    expected = parse_abstract_model(model)
    stored = translation._parsed_path(model)
    for text in (
        "{not json",
        json.dumps({"format": 1, "pysd": "0.0", "model": None}),
        json.dumps(
            {
                "format": 1,
                "pysd": pysd.__version__,
                "model": {"t": "class", "c": "os:system", "v": {}},
            }
        ),
    ):
        stored.write_text(text, encoding="utf-8")
        _same(parse_abstract_model(model), expected)
        _same(abstract_json.decode(stored.read_text(encoding="utf-8"), pysd.__version__), expected)


def test_classes_outside_pysd_structures_are_refused() -> None:
    for name in (
        "os:system",
        "builtins:dict",
        "pysd.translators.structures.abstract_model:os.path",
    ):
        node = {"format": 1, "pysd": "x", "model": {"t": "class", "c": name, "v": {}}}
        with pytest.raises(ValueError, match="names the class"):
            abstract_json.decode(json.dumps(node), "x")


def test_values_json_cannot_hold_exactly_are_not_written(tmp_path) -> None:
    parsed = translation._parse_file(TINY_MODEL)
    parsed.sections[0].elements[0].units = np.array(["a"])  # not numbers
    with pytest.raises(abstract_json.NotEncodable):
        abstract_json.encode(parsed, pysd.__version__)
    stored = tmp_path / "parsed.json"
    translation._write_parsed(stored, parsed)
    assert not stored.exists()
