"""The package's type hints hold: mypy finds no error in ``src`` (configured in pyproject.toml).

``py.typed`` ships with the package, so users' type checkers read these
hints. No module of the package is exempt: pyproject.toml may relax mypy only
for third-party packages without type information.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

api = pytest.importorskip("mypy.api")

ROOT = Path(__file__).resolve().parents[1]


def test_py_typed_ships_with_the_package() -> None:
    assert (ROOT / "src" / "gvc_upgrading" / "py.typed").is_file()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["gvc_upgrading"]


def test_no_module_of_the_package_is_exempt_from_mypy() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for override in config["tool"]["mypy"].get("overrides", []):
        modules = (
            override["module"] if isinstance(override["module"], list) else [override["module"]]
        )
        ours = [m for m in modules if m.startswith("gvc_upgrading")]
        assert not ours, f"exempt from mypy: {ours}"
        assert not override.get("ignore_errors"), override


def test_mypy_finds_no_error_in_src_and_catches_a_wrong_type(tmp_path: Path) -> None:
    """One mypy run: ``src`` is clean, and a caller passing a string for a count is caught.

    The caller shows the hints are real (a broken or missing annotation would
    let it through).
    """
    caller = tmp_path / "caller.py"
    caller.write_text(
        "from gvc_upgrading.limits import check_batch_memory\n"
        "check_batch_memory('10', 1, 1, 1, to_disk=False)\n",
        encoding="utf-8",
    )
    stdout, stderr, status = api.run(
        [
            str(ROOT / "src" / "gvc_upgrading"),
            str(caller),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "--no-error-summary",
        ]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    in_src = [line for line in errors if "caller.py" not in line]
    assert in_src == [], "\n".join(in_src) + stderr
    assert status == 1
    assert any("check_batch_memory" in line and '"str"' in line for line in errors), stdout
