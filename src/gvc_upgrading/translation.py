"""Translate a Vensim model with pysd, once, into a user cache directory.

pysd writes its Python translation next to the ``.mdl`` file. An installed
package must never write into its own folder, and a second load of the same
file should be fast, so the file is copied into a cache directory keyed on its
sha256 and the pysd version and translated there. pysd's parse of the file
(its ``AbstractModel``, which the engine and the model's tables are built
from) is kept there too, as JSON (:mod:`.abstract_json`), so that a model is
parsed once, not at every command.

External data (``GET XLS``/``GET DIRECT`` constants, data, lookups and
subscript ranges) are read from files named relative to the model. Before the
translation is built, those names are made absolute (relative to the model's
own folder), so the cached translation and the batch engine find them from
any working directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import pysd
from pysd.translators.structures import abstract_expressions as ae
from pysd.translators.structures.abstract_model import AbstractModel
from pysd.translators.vensim.vensim_file import VensimFile

from . import abstract_json
from .errors import ModelFileError
from .model_text import check_model_text

__all__ = ["Translation", "cache_root", "file_sha256", "parse_abstract_model", "translate"]

_CACHE_ENV = "GVC_UPGRADING_CACHE"
_STAGED_NAME = "model"


def cache_root() -> Path:
    """Return the folder that holds cached translations.

    ``$GVC_UPGRADING_CACHE`` when set, else ``$XDG_CACHE_HOME/gvc-upgrading``,
    else ``~/.cache/gvc-upgrading``.
    """
    if os.environ.get(_CACHE_ENV):
        return Path(os.environ[_CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "gvc-upgrading"


def file_sha256(path: Path) -> str:
    """Return the hex sha256 digest of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Translation:
    """A Vensim file and its cached pysd translation.

    Attributes
    ----------
    source : pathlib.Path
        The ``.mdl`` file as given.
    sha256 : str
        Digest of the file's bytes.
    python_file : pathlib.Path
        The pysd translation in the cache.
    abstract_model : AbstractModel
        pysd's parsed intermediate form of the model.
    """

    source: Path
    sha256: str
    python_file: Path
    abstract_model: AbstractModel


def _check_model_file(path: Path) -> None:
    if not path.exists():
        raise ModelFileError(f"model file not found: {path}")
    if not path.is_file():
        raise ModelFileError(f"model path is not a file: {path}")
    if path.suffix.lower() != ".mdl":
        raise ModelFileError(f"model file must be a Vensim .mdl file, got {path.name!r}")


_EXTERNAL = (ae.GetConstantsStructure, ae.GetDataStructure, ae.GetLookupsStructure)


def _absolute(name: str, folder: Path) -> str:
    """``name`` resolved against ``folder`` (Vensim's ``?alias`` names are left as they are)."""
    if not name or name.startswith("?"):
        return name
    return str((folder / name).resolve())


def _make_paths_absolute(node: object, folder: Path, seen: set[int]) -> None:
    """Rewrite, in place, every external file name below ``node`` to an absolute path."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, _EXTERNAL):
        node.file = _absolute(node.file, folder)
    if isinstance(node, list | tuple):
        for item in node:
            _make_paths_absolute(item, folder, seen)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            _make_paths_absolute(getattr(node, field.name), folder, seen)


def absolute_data_paths(model: AbstractModel, folder: Path) -> AbstractModel:
    """Make the external data files of ``model`` absolute, relative to ``folder``.

    Covers ``GET`` constants, data and lookups in every section and
    subscript ranges read from a file (``GET XLS SUBSCRIPT``).
    """
    for section in model.sections:
        for subscript_range in section.subscripts:
            spec = subscript_range.subscripts
            if isinstance(spec, dict) and "file" in spec:
                spec["file"] = _absolute(spec["file"], folder)
        _make_paths_absolute(list(section.elements), folder, set())
    return model


def _parse_file(path: Path):
    """pysd's parse of ``path`` (external data names as written in the file)."""
    try:
        with warnings.catch_warnings():
            # pysd announces what it does anyway: read a file without {UTF-8}
            # as UTF-8, ignore reality checks (:CONSTRAINT:, :TEST INPUT:)
            warnings.filterwarnings("ignore", message="No encoding specified")
            warnings.filterwarnings("ignore", message="':(CONSTRAINT|TEST INPUT):' detected")
            # element-list mappings: the engine names what pysd makes of them
            warnings.filterwarnings("ignore", message="\nSubscript mapping detected")
            vensim_file = VensimFile(path)
            vensim_file.parse()
            return vensim_file.get_abstract_model()
    except Exception as exc:  # pysd raises bare exceptions of many kinds
        raise ModelFileError(f"cannot parse Vensim model {path}: {exc}") from exc


def _parsed_path(path: Path) -> Path:
    """Where the parse of ``path`` is kept (see :mod:`.abstract_json`).

    pysd records the file's path, as given, in the parse: the entry is keyed
    on the file's bytes, that path and where it resolves to, and on the pysd
    version.
    """
    digest = file_sha256(path)
    place = hashlib.sha256(f"{path}\n{path.resolve()}".encode()).hexdigest()
    return cache_root() / "parsed" / f"{digest[:32]}-{place[:16]}-pysd{pysd.__version__}.json"


def _read_parsed(stored: Path) -> AbstractModel | None:
    try:
        return abstract_json.decode(stored.read_text(encoding="utf-8"), pysd.__version__)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, ImportError):
        return None  # missing, damaged or of another version: parse again


def _write_parsed(stored: Path, model: AbstractModel) -> None:
    """Keep the parse (written whole or not at all); a model JSON cannot hold is not kept."""
    try:
        text = abstract_json.encode(model, pysd.__version__)
    except abstract_json.NotEncodable:
        return
    try:
        stored.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".parsed-", dir=stored.parent)
    except OSError:
        return  # a cache that cannot be written is only slower
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, stored)
    except OSError:
        pass
    finally:
        temporary.unlink(missing_ok=True)


def parse_abstract_model(path: str | os.PathLike[str]) -> AbstractModel:
    """Parse a Vensim file into pysd's ``AbstractModel``.

    The parse is kept in the translation cache, keyed on the file's sha256,
    its path and the pysd version (as JSON, :mod:`.abstract_json`); a file
    parsed before is read from there. Each call returns new objects.

    Raises
    ------
    ModelFileError
        If the file is missing or pysd cannot parse it.
    """
    path = Path(path)
    _check_model_file(path)
    stored = _parsed_path(path)
    model = _read_parsed(stored)
    if model is None:
        model = _parse_file(path)
        _write_parsed(stored, model)
    return absolute_data_paths(model, path.resolve().parent)


def _build(model: AbstractModel, folder: Path) -> Path:
    """Write pysd's Python translation of ``model`` into ``folder``; return the main file."""
    # pysd's builder imports scipy.optimize (~1 s): only a first translation needs it
    from pysd.builders.python.python_model_builder import ModelBuilder

    for section in model.sections:
        # the main file is always _STAGED_NAME.py (the cache entry depends on the bytes only)
        name = _STAGED_NAME + ".py" if section.type == "main" else Path(section.path).name
        section.path = folder / name
        for subscript_range in section.subscripts:
            # pysd's builder appends to these lists, and every range copy
            # (B <-> A) shares one default list (a mutable default argument of
            # pysd's SubscriptRange): give each its own, so that no model parsed
            # later in this process inherits this one's mappings
            subscript_range.mapping = list(subscript_range.mapping)
    with warnings.catch_warnings():
        # the builder's notes (e.g. "Adding new subscript range" for m[A, dim])
        # describe a valid translation: not errors, even under -W error
        warnings.simplefilter("ignore", UserWarning)
        return ModelBuilder(model).build_model()


def translate(path: str | os.PathLike[str]) -> Translation:
    """Translate ``path`` with pysd, reusing a cached translation when one exists.

    Parameters
    ----------
    path : path-like
        A Vensim ``.mdl`` file.

    Returns
    -------
    Translation

    Raises
    ------
    ModelFileError
        If the file is missing, not a ``.mdl`` file, or not valid Vensim.
    """
    path = Path(path).resolve()
    _check_model_file(path)
    digest = file_sha256(path)
    abstract_model = parse_abstract_model(path)
    check_model_text(abstract_model, path)  # before pysd generates any Python from it
    # The entry depends on the bytes only: the staged copy always has the same name, so
    # two files with the same content (under different names) share one complete entry.
    key = f"{digest[:20]}-pysd{pysd.__version__}-v2"
    target = cache_root() / key
    python_file = target / (_STAGED_NAME + ".py")
    if not python_file.exists():
        cache_root().mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=cache_root()))
        try:
            staged_mdl = staging / (_STAGED_NAME + ".mdl")
            shutil.copyfile(path, staged_mdl)
            try:
                _build(parse_abstract_model(path), staging)
            except Exception as exc:
                raise ModelFileError(f"pysd cannot translate {path}: {exc}") from exc
            try:
                os.replace(staging, target)
            except OSError:
                # Another process finished the same translation first; keep theirs.
                if not python_file.exists():
                    raise
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return Translation(
        source=path, sha256=digest, python_file=python_file, abstract_model=abstract_model
    )
