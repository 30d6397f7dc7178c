"""The stored findings of the shipped default exploration study, for the report."""

from __future__ import annotations

from ..resources import SHIPPED_MODEL, shipped_path
from ..translation import file_sha256
from .findings import Findings, load_findings

__all__ = ["REFRESH", "STORED_RESULTS", "stored_findings"]

#: Where the default study's results are stored (below the repository top level).
STORED_RESULTS = ("sensitivity", "exploration", "results", "default")

#: The command that refreshes them.
REFRESH = (
    "gvc-upgrading explore sensitivity/exploration/default.toml "
    "--out sensitivity/exploration/results/default --no-netcdf"
)


def stored_findings(*, check_model: bool = True) -> Findings:
    """Return the findings of the shipped default study.

    Parameters
    ----------
    check_model : bool
        Refuse findings made with another model file than the shipped one.

    Raises
    ------
    FileNotFoundError
        If no findings are stored.
    ValueError
        If ``check_model`` and the findings are stale (the message says how
        to refresh them).
    """
    findings = load_findings(shipped_path(*STORED_RESULTS, "findings.json"))
    if check_model:
        current = file_sha256(shipped_path(*SHIPPED_MODEL))
        if findings.model_sha256 != current:
            raise ValueError(
                "the stored exploration findings were made with another model file; "
                f"refresh them with `{REFRESH}`"
            )
    return findings
