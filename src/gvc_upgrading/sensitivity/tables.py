"""Tidy tables (pandas DataFrames) of sensitivity results, for CSV files and reports."""

from __future__ import annotations

import pandas as pd
import xarray as xr

__all__ = ["indices_table", "interaction_table", "second_order_table", "time_indices_table"]


def _factor_dim(result: xr.Dataset) -> str:
    return str(result.attrs.get("factor_dim", "parameter"))


def indices_table(result: xr.Dataset) -> pd.DataFrame:
    """First-order and total indices of the scalar outputs, one row per (output, factor).

    Rows are sorted by output (study order) and descending ST; a ``group`` (or
    ``members``) column says where each factor belongs and ``constant`` flags
    outputs that did not vary.

    Examples
    --------
    >>> from gvc_upgrading.sensitivity import sobol
    >>> spec = {"parameters": [{"name": "a", "lower": 0, "upper": 1},
    ...                        {"name": "b", "lower": 0, "upper": 1}]}
    >>> table = indices_table(sobol(spec, lambda x: x[:, 0], n=64, seed=1))
    >>> list(table.columns)
    ['output', 'parameter', 'S1', 'S1_conf', 'ST', 'ST_conf', 'constant']
    """
    if "ST" not in result:
        return pd.DataFrame()
    factor = _factor_dim(result)
    frame = result[["S1", "S1_conf", "ST", "ST_conf"]].to_dataframe().reset_index()
    keep = ["output", factor, "S1", "S1_conf", "ST", "ST_conf"]
    extra = [c for c in ("parameter_group", "members") if c in frame.columns]
    frame = frame[keep[:2] + extra + keep[2:]]
    frame = frame.rename(columns={"parameter_group": "group"})
    frame["constant"] = frame["output"].map(result["constant"].to_series())
    order = {name: i for i, name in enumerate(result["output"].values)}
    frame = frame.sort_values(
        ["output", "ST"], key=lambda s: s.map(order) if s.name == "output" else -s
    )
    return frame.reset_index(drop=True)


def second_order_table(result: xr.Dataset) -> pd.DataFrame:
    """Second-order indices, one row per output and unordered pair of factors."""
    if "S2" not in result:
        return pd.DataFrame()
    factor = _factor_dim(result)
    names = list(result[factor].values)
    rows = []
    for output in result["output"].values:
        s2 = result["S2"].sel(output=output).values
        conf = result["S2_conf"].sel(output=output).values
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                rows.append(
                    {
                        "output": output,
                        factor: names[i],
                        f"{factor}_2": names[j],
                        "S2": s2[i, j],
                        "S2_conf": conf[i, j],
                    }
                )
    columns = ["output", factor, f"{factor}_2", "S2", "S2_conf"]
    frame = pd.DataFrame(rows, columns=columns)  # no pairs (one factor): the header only
    return frame.sort_values(["output", "S2"], ascending=[True, False], kind="stable").reset_index(
        drop=True
    )


def time_indices_table(result: xr.Dataset) -> pd.DataFrame:
    """Time-resolved indices of the trajectory outputs, one row per (output, factor, year)."""
    if "ST_time" not in result:
        return pd.DataFrame()
    factor = _factor_dim(result)
    names = ["S1_time", "S1_time_conf", "ST_time", "ST_time_conf"]
    frame = result[names].to_dataframe().reset_index()
    frame = frame[["trajectory", factor, "time", *names]]
    frame.columns = ["output", factor, "time", "S1", "S1_conf", "ST", "ST_conf"]
    constant = result["constant_time"].to_series()
    keys = pd.MultiIndex.from_arrays([frame["output"], frame["time"]])
    frame["constant"] = constant.reindex(keys).to_numpy(dtype=bool)
    return frame


def interaction_table(interactions: xr.Dataset) -> pd.DataFrame:
    """The group interaction map, one row per output and unordered pair of groups."""
    rows = []
    groups = list(interactions["group"].values)
    has_contrast = "interaction_contrast" in interactions
    for output in interactions["output"].values:
        selected = interactions.sel(output=output)
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                pair = selected.isel(group=i, group_2=j)
                row = {
                    "output": output,
                    "group": groups[i],
                    "group_2": groups[j],
                    "S2": float(pair["S2"]),
                    "S2_conf": float(pair["S2_conf"]),
                }
                if has_contrast:
                    row["interaction_contrast"] = float(pair["interaction_contrast"])
                row["reading"] = str(pair["reading"].values)
                rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    return frame.sort_values(
        ["output", "S2"], ascending=[True, False], kind="stable", na_position="last"
    ).reset_index(drop=True)
