"""Lazy public names of a package: imported from their module on first use.

A package ``__init__`` that imported every public name eagerly would load
numpy, pandas, xarray, pysd, scipy and matplotlib for ``gvc-upgrading
--help`` and for every module that only needs one light submodule (~2 s).
:func:`lazy_exports` gives a package a module ``__getattr__`` (PEP 562) that
imports a name's module the first time the name is looked up, so
``from gvc_upgrading import load_model`` still works and costs the same, but
only when it is used.

A name that is also the name of its module (``sensitivity.sobol``, the
function, in ``sensitivity/sobol.py``) stays the function once that module is
imported, as with an eager ``from .sobol import sobol``: the package's module
object refuses to have such a name replaced by the submodule.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


class _LazyPackage(types.ModuleType):
    """A package module whose public names are not replaced by same-named submodules."""

    def __setattr__(self, name: str, value: Any) -> None:
        # the import system sets ``package.<submodule>`` after importing a submodule
        if isinstance(value, types.ModuleType) and name in self.__dict__.get(
            "_public_shadows", ()
        ):
            return  # the public name stays (or is imported on first use)
        super().__setattr__(name, value)


def lazy_exports(
    package: str, namespace: dict[str, Any], modules: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of ``package`` for its lazy names.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    namespace : dict
        The package's ``globals()``: a name, once imported, is stored there so
        later look-ups do not come back here.
    modules : mapping of str to tuple of str
        Submodule (relative to ``package``) -> the public names it defines.

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("gvc_upgrading", {}, {"resources": ("shipped_path",)})
    >>> getattr_("shipped_path").__name__
    'shipped_path'
    >>> "shipped_path" in dir_()
    True
    """
    owners = {name: module for module, names in modules.items() for name in names}
    namespace["_public_shadows"] = frozenset(name for name in owners if name == owners[name])
    if namespace["_public_shadows"] and package in sys.modules:
        sys.modules[package].__class__ = _LazyPackage

    def __getattr__(name: str) -> Any:
        module = owners.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *owners})

    return __getattr__, __dir__
