"""Batch execution of the parameterized notebooks with papermill.

The run matrix is derived from the registry: one run of ``notebooks/fylke.ipynb`` per trial
unit. Every run writes to a temporary file next to its target and is renamed into place only
when papermill has finished, so an interrupted batch never leaves a truncated notebook that a
later step would trust. A failing run does not stop the others; its partial notebook is kept
as ``<name>.failed.ipynb`` for inspection.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

if TYPE_CHECKING:
    from coopstats.registry import Registry

BUILD_DIR = Path("_build")
NOTEBOOK_DIR = Path("notebooks")


@dataclass(frozen=True)
class RunSpec:
    """One notebook execution: a source notebook, its parameters and the executed output path."""

    name: str
    notebook: Path
    output: Path
    parameters: dict = field(default_factory=dict)


@dataclass
class RunResult:
    """Outcome of one run."""

    spec: RunSpec
    status: str  # "ok" or "failed"
    seconds: float
    error: str = ""


def project_root(start: Path | None = None) -> Path:
    """Return the nearest ancestor of ``start`` (default: cwd) holding ``notebooks/fylke.ipynb``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / NOTEBOOK_DIR / "fylke.ipynb").is_file():
            return candidate
    raise FileNotFoundError(
        f"No coopstats project found from {here}: expected notebooks/fylke.ipynb in it or a parent."
    )


def build_run_matrix(
    root: Path,
    data_dir: Path,
    registry: Registry | None = None,
    *,
    only: Iterable[str] | None = None,
    min_count: int = 5,
) -> list[RunSpec]:
    """Derive the run matrix from the registry: one ``fylke`` run per trial unit.

    Parameters
    ----------
    root
        Project root (holds ``notebooks/`` and ``_build/``).
    data_dir
        Data directory passed to every notebook (made absolute).
    registry
        Registry to read trial units from; the packaged registry by default.
    only
        Unit ids or aliases to restrict the matrix to.
    min_count
        Minimum cell size passed to the disclosure layer.
    """
    if registry is None:
        from coopstats.registry import load_registry

        registry = load_registry()
    units = registry.trial_units()
    if only:
        wanted = {registry.resolve_unit(u).id for u in only}
        units = [u for u in units if u in wanted]
    out_dir = root / BUILD_DIR / "notebooks"
    return [
        RunSpec(
            name=f"fylke-{unit}",
            notebook=root / NOTEBOOK_DIR / "fylke.ipynb",
            output=out_dir / f"fylke-{unit}.ipynb",
            parameters={
                "unit": unit,
                "data_dir": str(Path(data_dir).resolve()),
                "min_count": min_count,
            },
        )
        for unit in units
    ]


def _first_error_line(exc: BaseException) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:  # papermill.PapermillExecutionError carries the cell's exception
        return f"{ename}: {evalue}"[:200]
    text = str(exc).strip().splitlines()
    for line in text:
        line = line.strip()
        if line and not line.startswith("-") and "Traceback" not in line:
            return line[:200]
    return type(exc).__name__


def run_one(spec: RunSpec, *, kernel_name: str | None = None) -> RunResult:
    """Execute one notebook with papermill, writing atomically to ``spec.output``."""
    import papermill as pm

    spec.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = spec.output.with_name(f".{spec.output.stem}.{os.getpid()}.tmp.ipynb")
    failed = spec.output.with_name(f"{spec.output.stem}.failed.ipynb")
    start = time.perf_counter()
    try:
        pm.execute_notebook(
            str(spec.notebook),
            str(tmp),
            parameters=spec.parameters,
            kernel_name=kernel_name,
            cwd=str(spec.notebook.parent),
            progress_bar=False,
            log_output=False,
        )
    except Exception as exc:  # noqa: BLE001 - any failure of one run is reported, not raised
        if tmp.exists():
            tmp.replace(failed)
        return RunResult(spec, "failed", time.perf_counter() - start, _first_error_line(exc))
    tmp.replace(spec.output)
    if failed.exists():
        failed.unlink()
    return RunResult(spec, "ok", time.perf_counter() - start)


def run_batch(
    specs: list[RunSpec],
    *,
    runner: Callable[[RunSpec], RunResult] = run_one,
    progress: bool = True,
) -> list[RunResult]:
    """Run every spec, continuing after failures, with a progress bar."""
    results: list[RunResult] = []
    bar = tqdm(specs, desc="coopstats run", unit="notebook", disable=not progress)
    for spec in bar:
        bar.set_postfix_str(spec.name)
        results.append(runner(spec))
    bar.close()
    return results


def summary_lines(results: list[RunResult]) -> list[str]:
    """A plain-text summary table: run, status, seconds, and the first error line of failures."""
    width = max((len(r.spec.name) for r in results), default=3)
    lines = [f"{'run':<{width}}  status  seconds"]
    for r in results:
        lines.append(f"{r.spec.name:<{width}}  {r.status:<6}  {r.seconds:7.1f}")
    failed = [r for r in results if r.status != "ok"]
    ok = len(results) - len(failed)
    lines.append(f"{ok} ok, {len(failed)} failed")
    for r in failed:
        lines.append(f"FAILED {r.spec.name}: {r.error}")
        lines.append(f"  partial notebook kept at {r.spec.output.with_suffix('')}.failed.ipynb")
    return lines
