"""Sobol' variance-based sensitivity indices (SALib's sampler and estimators, labelled results).

:func:`sobol` samples the study's parameters with SALib's scrambled Sobol'
sequence in Saltelli's scheme, evaluates the target in chunks (optionally
checkpointed), and estimates first-order, total and second-order indices with
SALib's estimators, computed for all output columns at once by
:mod:`.estimation` (equal to ``SALib.analyze.sobol.analyze`` to round-off),
returning them as a labelled :class:`xarray.Dataset`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr
from tqdm import tqdm

from ..errors import SpecError
from .checkpoint import (
    ChunkStore,
    StoredValues,
    column_block,
    evaluate_in_chunks,
    progress_enabled,
)
from .design import (
    analysis_seed,
    common_attrs,
    constant_columns,
    empty_dataset,
    factor_names,
    resolve_groups,
    result_coords,
)
from .estimation import READ_BYTES, estimate_sobol
from .sampling import SaltelliDesign
from .spec import Study, load_study
from .targets import FunctionTarget, OutputColumns, Target, make_target

__all__ = ["SobolDesign", "analyse_sobol", "prepare_sobol", "sobol"]

_INDEX_NAMES = ("S1", "S1_conf", "ST", "ST_conf")


@dataclass(frozen=True)
class SobolDesign:
    """A Sobol' study ready to sample: the resolved study, its target and its factors.

    Attributes
    ----------
    study : Study
        Resolved study (N, seed and second order already applied).
    target : Target
        What is evaluated.
    groups : dict or None
        ``{group: parameters}`` for a grouped design, None for one factor per
        parameter.
    """

    study: Study
    target: Target
    groups: dict[str, tuple[str, ...]] | None

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem definition."""
        return self.study.problem(self.groups)

    @property
    def num_factors(self) -> int:
        """Number of factors (parameters, or groups)."""
        return len(self.groups) if self.groups is not None else len(self.study.parameters)

    def rows(self, n: int) -> int:
        """Number of model runs for base sample size ``n``."""
        per_point = 2 * self.num_factors + 2 if self.study.second_order else self.num_factors + 2
        return n * per_point

    def saltelli(self, n: int) -> SaltelliDesign:
        """The Saltelli design for ``n``, whose rows can be built range by range."""
        return SaltelliDesign(
            self.problem, n, second_order=self.study.second_order, seed=self.study.seed
        )

    def sample(self, n: int) -> np.ndarray:
        """Return the Saltelli design for ``n`` (scrambled Sobol', the study's seed).

        Equal to SALib's ``sobol.sample`` with the same settings (built by
        :class:`.sampling.SaltelliDesign`). The design for ``n`` is the first
        ``rows(n)`` rows of the design for any larger power of two.
        """
        return self.saltelli(n).sample()

    def checkpoint_key(self) -> str:
        """Hash of everything that determines the evaluations (N excluded)."""
        return self.study.spec_hash(
            "sobol", sorted((self.groups or {}).items()), self.target.fingerprint()
        )

    def evaluate(
        self,
        samples: np.ndarray | SaltelliDesign,
        *,
        first_row: int = 0,
        progress: bool | None = None,
        checkpoint_dir: str | os.PathLike[str] | None = None,
        in_memory: bool = True,
    ) -> np.ndarray | StoredValues:
        """Evaluate the design from ``first_row`` on, chunk by chunk (checkpointed if asked).

        ``samples`` is the design's array, or its :class:`SaltelliDesign`
        (then each chunk's rows are built only when it is evaluated). With
        ``in_memory=False`` (needs ``checkpoint_dir``) the outputs stay in the
        checkpoint chunks and are read back a block of columns at a time.
        """
        store = None
        if checkpoint_dir is not None:
            store = ChunkStore(
                checkpoint_dir,
                self.checkpoint_key(),
                manifest={
                    "study": self.study.name,
                    "source": self.study.source,
                    "method": "sobol",
                },
            )
        values = evaluate_in_chunks(
            self.target.evaluate,
            samples,
            chunk_size=self.study.chunk_size,
            store=store,
            first_row=first_row,
            progress=progress,
            description=f"sobol {self.study.name}",
            in_memory=in_memory,
        )
        if isinstance(self.target, FunctionTarget) and values.shape[0]:
            self.target.settle_layout(values.shape[1])
        return values


def prepare_sobol(
    study: str | os.PathLike[str] | Mapping[str, Any] | Study,
    target: Any,
    *,
    n: int | None = None,
    seed: int | None = None,
    second_order: bool | None = None,
    groups: Mapping[str, Sequence[str]] | bool | None = None,
    scheduler: Any = None,
) -> SobolDesign:
    """Load and resolve the study, apply the overrides, and wrap the target."""
    loaded = load_study(study)
    changes: dict[str, Any] = {}
    if n is not None:
        changes["n"] = n
    if seed is not None:
        changes["seed"] = seed
    if second_order is not None:
        changes["second_order"] = bool(second_order)
    if changes:
        loaded = loaded.with_options(**changes)
    resolved, wrapped = make_target(loaded, target, scheduler=scheduler)
    return SobolDesign(study=resolved, target=wrapped, groups=resolve_groups(resolved, groups))


def sobol(
    study: str | os.PathLike[str] | Mapping[str, Any] | Study,
    target: Any,
    *,
    n: int | None = None,
    seed: int | None = None,
    second_order: bool | None = None,
    groups: Mapping[str, Sequence[str]] | bool | None = None,
    scheduler: Any = None,
    progress: bool | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
) -> xr.Dataset:
    """Estimate Sobol' sensitivity indices of a model or function.

    Parameters
    ----------
    study : path-like, mapping or Study
        The study spec (TOML path or mapping of the same structure). For a
        function target it needs only ``parameters`` (each with ``name``,
        ``lower``, ``upper``).
    target : Model or callable
        A :class:`gvc_upgrading.model.Model` (run through its batch engine),
        or a vectorised function taking an ``(n, D)`` array (columns in the
        study's parameter order) and returning ``(n,)`` or ``(n, k)``.
    n : int, optional
        Base sample size N, a power of two (default: the study's). The target
        is run ``N(2D+2)`` times with second order, ``N(D+2)`` without, where
        D is the number of factors.
    seed : int, optional
        Seed of the scrambled Sobol' sequence; the bootstrap seed is derived
        from it (default: the study's).
    second_order : bool, optional
        Estimate second-order indices (default: the study's).
    groups : True or mapping of group name to parameter names, optional
        Estimate indices per group of parameters instead of per parameter:
        ``True`` uses the study's groups (from the spec, or the model's
        parameter table), a mapping gives them explicitly.
    scheduler : optional
        Passed on to ``BatchModel.run`` for a model target (``"threads"``,
        ``"processes"``, ``"synchronous"`` or a dask.distributed address);
        each evaluation chunk is then split into one engine chunk per core.
        Refused for a function target, where it would have no effect.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    checkpoint_dir : path-like, optional
        Write finished chunks of evaluations here; a re-run with the same
        study resumes from them and gives identical indices.

    Returns
    -------
    xarray.Dataset
        Factor dimension ``parameter`` (or ``group`` for a grouped design,
        with a ``members`` coordinate). For scalar outputs (dimension
        ``output``): ``S1, S1_conf, ST, ST_conf`` over ``(output, parameter)``
        and, with second order, ``S2, S2_conf`` over ``(output, parameter,
        parameter_2)`` (symmetric, NaN on the diagonal). For trajectory outputs
        (dimension ``trajectory``): ``S1_time, S1_time_conf, ST_time,
        ST_time_conf`` over ``(trajectory, parameter, time)``. ``constant`` /
        ``constant_time`` flag outputs that do not vary at all (their indices
        are reported as 0, not as NaN); ``variance`` / ``variance_time`` hold
        the output variances. Confidence values are half-widths of the
        ``conf_level`` bootstrap interval, as SALib reports them. Provenance
        in ``attrs``.

    Raises
    ------
    SpecError
        If the study is malformed or does not fit the target.
    SimulationError
        If the target returns non-finite values.

    Notes
    -----
    Sampling equals SALib's ``sobol.sample`` (scrambled Sobol' sequence seeded
    with ``seed``, Saltelli's cross-sampling; built chunk by chunk by
    :class:`.sampling.SaltelliDesign`); estimation is SALib's
    ``sobol.analyze`` (computed by :func:`.estimation.estimate_sobol`, which
    equals it to round-off, for all columns at once) with a bootstrap seeded
    from ``seed``. S1 and ST are
    estimated from the A, B and AB_j runs (calling SALib without second
    order), S2 from the whole design; so a trajectory output's indices in a
    year equal those of the same value taken as a scalar output.

    Examples
    --------
    >>> spec = {"parameters": [{"name": "a", "lower": 0, "upper": 1},
    ...                        {"name": "b", "lower": 0, "upper": 1}]}
    >>> result = sobol(spec, lambda x: x[:, 0] + 0.1 * x[:, 1], n=512, seed=1,
    ...                second_order=False)
    >>> result["ST"].sel(output="y").round(2).values.tolist()
    [0.99, 0.01]
    """
    design = prepare_sobol(
        study,
        target,
        n=n,
        seed=seed,
        second_order=second_order,
        groups=groups,
        scheduler=scheduler,
    )
    # rows are built chunk by chunk: the whole design is never held in memory;
    # large outputs stay in the checkpoint chunks (see IN_MEMORY_BYTES)
    values = design.evaluate(
        design.saltelli(design.study.n),
        progress=progress,
        checkpoint_dir=checkpoint_dir,
        in_memory=checkpoint_dir is None or _fits_in_memory(design),
    )
    return analyse_sobol(design, values, progress=progress)


#: Outputs of a design up to this size are kept in memory; larger ones (with a
#: checkpoint folder) stay in the checkpoint chunks and are read back by column.
IN_MEMORY_BYTES = 64 * 2**20


def _fits_in_memory(design: SobolDesign) -> bool:
    try:
        width = sum(c.width for c in design.target.layout)
    except SpecError:  # a function whose outputs are not known yet
        return True
    return 8 * design.rows(design.study.n) * width <= IN_MEMORY_BYTES


def _column_summaries(values: np.ndarray | StoredValues) -> tuple[np.ndarray, np.ndarray]:
    """Whether each column is constant, and its variance (read a block at a time)."""
    rows, columns = values.shape
    width = columns if isinstance(values, np.ndarray) else max(1, READ_BYTES // (8 * rows))
    constant, variance = np.empty(columns, dtype=bool), np.empty(columns)
    for start in range(0, columns, width):
        block = column_block(values, slice(start, start + width))
        constant[start : start + block.shape[1]] = constant_columns(block)
        variance[start : start + block.shape[1]] = block.var(axis=0)
    return constant, variance


def _symmetric(upper: np.ndarray) -> np.ndarray:
    """Mirror SALib's upper-triangle S2 layout ``(..., D, D)``; NaN on the diagonal."""
    mirrored = np.where(np.isnan(upper), np.swapaxes(upper, -1, -2), upper)
    diagonal = np.arange(upper.shape[-1])
    mirrored[..., diagonal, diagonal] = np.nan
    return mirrored


def _estimate_columns(
    design: SobolDesign, values: np.ndarray | StoredValues, pair_columns: list[int]
) -> dict[str, np.ndarray]:
    """Indices of every column at once (see :mod:`.estimation`); constant columns get 0.

    S1 and ST always come from the A, AB_j and B runs alone (the BA_j runs of a
    second-order design only serve S2), so a trajectory output's indices in a
    year equal those of the same value taken as a scalar output.
    """
    study = design.study
    constant, variance = _column_summaries(values)
    estimate = estimate_sobol(
        values,
        design.num_factors,
        second_order_design=study.second_order,
        second_order_columns=pair_columns,
        num_resamples=study.num_resamples,
        conf_level=study.conf_level,
        seed=analysis_seed(study.seed),
    )
    result = {name: getattr(estimate, name).copy() for name in _INDEX_NAMES}
    for name in _INDEX_NAMES:
        result[name][constant] = 0.0
    if pair_columns:
        for name in ("S2", "S2_conf"):
            pairs = _symmetric(getattr(estimate, name))
            zeros = np.zeros((design.num_factors, design.num_factors))
            np.fill_diagonal(zeros, np.nan)
            pairs[constant[pair_columns]] = zeros
            result[name] = pairs
    result["constant"] = constant
    result["variance"] = variance
    return result


def analyse_sobol(
    design: SobolDesign,
    values: np.ndarray | StoredValues,
    *,
    second_order: bool | None = None,
    progress: bool | None = False,
) -> xr.Dataset:
    """Estimate the indices from the evaluations of a design (see :func:`sobol`).

    Parameters
    ----------
    design : SobolDesign
        The design the values come from.
    values : numpy.ndarray or StoredValues
        ``(rows, K)`` evaluations of ``design.sample(n)`` (in memory, or left
        in the checkpoint chunks).
    second_order : bool, optional
        Estimate S2 (default: when the design allows it). ``False`` on a
        second-order design skips the costly S2 bootstrap.
    progress : bool, optional
        Show a progress bar over output columns (None: when stderr is a
        terminal).
    """
    study = design.study
    with_s2 = study.second_order if second_order is None else second_order and study.second_order
    n = values.shape[0] // (design.rows(1))
    layout: Sequence[OutputColumns] = design.target.layout
    factor_dim, coords = result_coords(study, design.groups, layout)
    attrs = common_attrs(
        study,
        method="sobol",
        n=n,
        seed=study.seed,
        runs=values.shape[0],
        groups=design.groups,
        target_attrs=design.target.provenance(),
    )
    attrs.update(
        {
            "second_order": int(with_s2),
            "sampler": "SALib.sample.sobol.sample (scrambled Sobol', Saltelli scheme)",
            "estimator": (
                "gvc_upgrading.sensitivity.estimation, vectorised; equal to"
                " SALib.analyze.sobol.analyze (Saltelli 2010, Jansen; Saltelli 2002 S2)"
            ),
            "bootstrap_seed": analysis_seed(study.seed),
            "factor_dim": factor_dim,
        }
    )
    dataset = empty_dataset(coords, attrs)
    factors = factor_names(study, design.groups)
    pair_dim = f"{factor_dim}_2"
    scalars = [c for c in layout if c.times is None]
    trajectories = [c for c in layout if c.times is not None]
    scalar_columns = [c.start for c in scalars]
    with tqdm(
        total=1,
        desc="estimating indices",
        unit="pass",
        disable=not progress_enabled(progress),
        leave=False,
    ) as bar:
        estimates = _estimate_columns(design, values, scalar_columns if with_s2 else [])
        bar.update()
    constant = estimates["constant"]
    variance = estimates["variance"]
    if scalars:
        for name in _INDEX_NAMES:
            dataset[name] = (("output", factor_dim), estimates[name][scalar_columns])
        if with_s2:
            dataset = dataset.assign_coords({pair_dim: factors})
            for name in ("S2", "S2_conf"):
                dataset[name] = (("output", factor_dim, pair_dim), estimates[name])
        dataset["constant"] = ("output", constant[scalar_columns])
        dataset["variance"] = ("output", variance[scalar_columns])
    if trajectories:
        for name in _INDEX_NAMES:
            label = name.replace("S1", "S1_time").replace("ST", "ST_time")
            stacked = np.stack([estimates[name][c.columns].T for c in trajectories])
            dataset[label] = (("trajectory", factor_dim, "time"), stacked)
        dataset["constant_time"] = (
            ("trajectory", "time"),
            np.stack([constant[c.columns] for c in trajectories]),
        )
        dataset["variance_time"] = (
            ("trajectory", "time"),
            np.stack([variance[c.columns] for c in trajectories]),
        )
    _describe(dataset)
    return dataset


_DESCRIPTIONS = {
    "S1": "first-order Sobol' index (share of output variance from the factor alone)",
    "ST": "total Sobol' index (share of variance involving the factor, interactions included)",
    "S2": "second-order Sobol' index (share of variance from the pair's interaction)",
    "constant": "the output did not vary over the sample; its indices are reported as 0",
    "variance": "variance of the output over the sample",
}


def _describe(dataset: xr.Dataset) -> None:
    for name, variable in dataset.data_vars.items():
        base = str(name).replace("_time", "")
        if base.endswith("_conf"):
            key = base.removesuffix("_conf")
            variable.attrs["description"] = (
                f"half-width of the {dataset.attrs['conf_level']:g} bootstrap confidence"
                f" interval of {key}"
            )
        elif base in _DESCRIPTIONS:
            variable.attrs["description"] = _DESCRIPTIONS[base]
