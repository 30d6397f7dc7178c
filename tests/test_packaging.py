"""Packaging: every package under src/ is listed in pyproject.toml, and every listed one exists."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setuptools_config() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["tool"]["setuptools"]


def _packages_under_src() -> set[str]:
    src = ROOT / "src"
    return {
        ".".join(init.parent.relative_to(src).parts)
        for init in src.rglob("__init__.py")
        if "egg-info" not in str(init) and "__pycache__" not in init.parts
    }


def test_every_package_under_src_is_listed() -> None:
    listed = set(_setuptools_config()["packages"])
    missing = sorted(_packages_under_src() - listed)
    assert missing == [], f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_every_listed_package_has_a_folder() -> None:
    config = _setuptools_config()
    package_dir = config.get("package-dir", {})
    for package in config["packages"]:
        if package in package_dir:
            folder = ROOT / package_dir[package]
        else:
            parent = package.rpartition(".")[0]
            while parent and parent not in package_dir:
                parent = parent.rpartition(".")[0]
            base = ROOT / package_dir.get(parent, package_dir.get("", "."))
            relative = package[len(parent) + 1 :] if parent else package
            folder = base.joinpath(*relative.split("."))
        assert folder.is_dir(), f"package {package!r} is listed but {folder} does not exist"
