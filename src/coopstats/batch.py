"""Batch execution of the parameterized notebooks: cached, parallel and fault-isolated.

``coopstats run`` expands the run matrix (``runs.yaml``, see :mod:`coopstats.runmatrix`),
skips every run whose cache key is unchanged (:mod:`coopstats.cache`) and executes the rest on
a pool of warm Jupyter kernels, one per core (:mod:`coopstats.kernelpool`), through papermill.

* **Atomic outputs.** A run writes ``.<name>.<pid>-<worker>.tmp.ipynb`` and renames it to
  ``<name>.ipynb`` only when papermill has finished; the cache record is written after the
  rename. An interrupted batch therefore leaves either the previous complete output or none.
* **Fault isolation.** A failing notebook, a dead kernel or a cell timeout fails that run only:
  its notebook is kept as ``<name>.failed.ipynb`` with the error, the out-of-date
  ``<name>.ipynb`` is removed, the kernel is replaced and the batch goes on. The summary names
  every failure with its first error line; the exit code is non-zero.
* **Logs.** Every executed run writes ``<log_dir>/<name>.log`` (parameters, why it ran, cell
  timings, printed output, the error); kernel start-up messages go to
  ``<log_dir>/kernel-<n>.log`` and the summary table to ``<log_dir>/batch.log``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm.auto import tqdm

from coopstats import cache
from coopstats.kernelpool import PoolOptions
from coopstats.runmatrix import (
    CONFIG_NAME,
    MatrixConfig,
    RowScope,
    RunMatrixError,
    RunSpec,
    default_jobs,
    expand,
    load_config,
    select,
)

if TYPE_CHECKING:
    from coopstats.kernelpool import WarmKernel
    from coopstats.registry import Registry

__all__ = [
    "BatchSettings",
    "RowScope",
    "RunMatrixError",
    "RunResult",
    "RunSpec",
    "build_run_matrix",
    "project_root",
    "run_batch",
    "run_one",
    "summary_lines",
]

BUILD_DIR = Path("_build")
NOTEBOOK_DIR = Path("notebooks")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class RunResult:
    """Outcome of one run.

    ``status`` is ``ok``, ``failed``, ``interrupted`` (stopped by Ctrl-C / SIGTERM) or
    ``not run`` (the batch was interrupted before it started). ``cached`` runs were skipped
    because their cache key was unchanged; ``reason`` says why a run was (not) executed.
    """

    spec: RunSpec
    status: str
    seconds: float
    error: str = ""
    cached: bool = False
    reason: str = ""
    log: Path | None = None
    failed_notebook: Path | None = None


@dataclass(frozen=True)
class BatchSettings:
    """How a batch runs: parallel kernels, kernel options, cache and logs."""

    jobs: int = field(default_factory=default_jobs)
    pool: PoolOptions = field(default_factory=PoolOptions)
    packages: tuple[str, ...] = ()
    log_dir: Path | None = None
    force: bool = False

    @classmethod
    def from_config(
        cls,
        config: MatrixConfig,
        *,
        jobs: int | None = None,
        force: bool = False,
        isolation: str | None = None,
    ) -> BatchSettings:
        """Settings from ``runs.yaml``; ``jobs``, ``force`` and ``isolation`` override it."""
        return cls(
            jobs=jobs or config.jobs,
            pool=PoolOptions(
                kernel_name=config.kernel,
                preload=config.preload,
                cell_timeout=config.cell_timeout,
                isolation=isolation or config.isolation,
            ),
            packages=config.packages,
            log_dir=config.log_dir,
            force=force,
        )


def project_root(start: Path | None = None) -> Path:
    """The nearest ancestor of ``start`` (default: cwd) with ``runs.yaml`` or the fylke notebook."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_NAME).is_file() or (
            candidate / NOTEBOOK_DIR / "fylke.ipynb"
        ).is_file():
            return candidate
    raise FileNotFoundError(
        f"fant ikke et coopstats-prosjekt fra {here}: forventet runs.yaml eller "
        "notebooks/fylke.ipynb i mappa eller en mappe over den."
    )


def build_run_matrix(
    root: Path,
    data_dir: Path,
    registry: Registry | None = None,
    *,
    only: Iterable[str] | None = None,
    min_count: int = 5,
    out_dir: Path | None = None,
    config: MatrixConfig | None = None,
) -> list[RunSpec]:
    """Expand the run matrix of ``root`` (``runs.yaml``) for one data directory.

    Parameters
    ----------
    root
        Project root (holds ``runs.yaml``, ``notebooks/`` and ``_build/``).
    data_dir
        Data directory passed to every notebook (made absolute).
    registry
        Registry to read trial units and models from; the packaged registry by default.
    only
        Run names, unit ids or aliases, model ids or participant scopes to keep.
    min_count
        Minimum cell size passed to the disclosure layer.
    out_dir
        Where executed notebooks go (default: ``output_dir`` of ``runs.yaml``).
    config
        An already loaded configuration (default: read ``<root>/runs.yaml``).
    """
    if registry is None:
        from coopstats.registry import load_registry

        registry = load_registry()
    config = config or load_config(Path(root))
    specs = expand(config, Path(data_dir), registry, min_count=min_count, out_dir=out_dir)
    if only:
        specs = select(specs, only, registry)
    return specs


# --------------------------------------------------------------------------- single runs


def _first_error_line(exc: BaseException) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:  # papermill.PapermillExecutionError carries the cell's exception
        first = str(evalue).strip().splitlines()[0] if str(evalue).strip() else ""
        return f"{ename}: {first}"[:200] if first else str(ename)
    for line in str(exc).strip().splitlines():
        line = _ANSI.sub("", line).strip()
        if line and not line.startswith("-") and "Traceback" not in line:
            return f"{type(exc).__name__}: {line}"[:200]
    return type(exc).__name__


def _tmp_path(output: Path, worker: int | str = 0) -> Path:
    return output.with_name(f".{output.stem}.{os.getpid()}-{worker}.tmp.ipynb")


def failed_path(output: Path) -> Path:
    """Where a failed run's notebook is kept: ``<name>.failed.ipynb``."""
    return output.with_name(f"{output.stem}.failed.ipynb")


def run_one(spec: RunSpec, *, kernel_name: str | None = None) -> RunResult:
    """Execute one notebook with plain papermill in a new kernel, writing atomically.

    This is what an Airflow task or a debugging session does; :func:`run_batch` uses warm
    kernels instead.
    """
    import papermill as pm

    spec.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_path(spec.output, "single")
    failed = failed_path(spec.output)
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
        cache.drop_record(spec.output)
        spec.output.unlink(missing_ok=True)  # it no longer matches its inputs
        return RunResult(
            spec,
            "failed",
            time.perf_counter() - start,
            _first_error_line(exc),
            failed_notebook=failed if failed.exists() else None,
        )
    cache.drop_record(spec.output)
    tmp.replace(spec.output)
    failed.unlink(missing_ok=True)
    return RunResult(spec, "ok", time.perf_counter() - start)


# --------------------------------------------------------------------------- logs


def _cell_label(cell: Any) -> str:
    tags = cell.get("metadata", {}).get("tags", [])
    for tag in ("injected-parameters", "parameters"):
        if tag in tags:
            return tag
    for line in cell.get("source", "").splitlines():
        if line.startswith("#| label:"):
            return line.split(":", 1)[1].strip()
    first = next((ln for ln in cell.get("source", "").splitlines() if ln.strip()), "")
    return first[:50]


def write_log(
    path: Path,
    spec: RunSpec,
    result: RunResult,
    nb: Any = None,
    kernel: tuple[int | None, int, dict[str, str]] | None = None,
    exc: BaseException | None = None,
) -> None:
    """Write the log of one executed run (header, cell timings, printed output, error).

    ``kernel`` is ``(pid, number of runs in that kernel, failed preload imports)``.
    """
    lines = [
        f"run:        {spec.name}",
        f"notebook:   {spec.notebook}",
        f"output:     {spec.output}",
        f"parameters: {spec.parameters}",
        f"rows:       {spec.rows.describe()} of {', '.join(spec.inputs) or '(no inputs)'}",
        f"why run:    {result.reason}",
        f"finished:   {datetime.now().isoformat(timespec='seconds')}",
        f"seconds:    {result.seconds:.2f}",
        f"status:     {result.status}" + (f" ({result.error})" if result.error else ""),
    ]
    if kernel is not None:
        pid, runs, preload_failures = kernel
        failures = ", ".join(f"{k} ({v})" for k, v in preload_failures.items())
        lines.append(
            f"kernel:     pid {pid}, run {runs} in this kernel"
            + (f"; preload failed: {failures}" if failures else "")
        )
    if result.failed_notebook:
        lines.append(f"failed notebook: {result.failed_notebook}")
    streams: list[str] = []
    errors: list[str] = []
    if nb is not None:
        lines.append("--- cells (index, seconds, status, label)")
        for i, cell in enumerate(nb.cells):
            if cell.get("cell_type") != "code":
                continue
            pm_meta = cell.get("metadata", {}).get("papermill", {})
            seconds = pm_meta.get("duration")
            status = pm_meta.get("status", "")
            shown = f"{seconds:6.2f}" if isinstance(seconds, int | float) else "     -"
            lines.append(f"[{i:3d}] {shown}  {status:9s} {_cell_label(cell)}")
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream":
                    text = out.get("text", "")
                    streams.append(f"[cell {i} {out.get('name')}]\n{text.rstrip()}")
                elif out.get("output_type") == "error":
                    errors.append(_ANSI.sub("", "\n".join(out.get("traceback", []))))
    if streams:
        lines += ["--- printed output", *streams]
    if errors:
        lines += ["--- error", *errors]
    elif exc is not None:
        lines += ["--- error", f"{type(exc).__name__}: {exc}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- the pool


@dataclass
class _Job:
    index: int
    spec: RunSpec
    parts: dict[str, Any] | None
    reason: str


class _Worker(threading.Thread):
    """One worker thread owning one warm kernel; takes jobs until none are left."""

    def __init__(
        self,
        number: int,
        jobs: deque[_Job],
        lock: threading.Lock,
        done: queue.Queue,
        stop: threading.Event,
        settings: BatchSettings,
    ) -> None:
        super().__init__(name=f"coopstats-worker-{number}", daemon=True)
        self.number = number
        self.jobs, self.lock, self.done, self.stop = jobs, lock, done, stop
        self.settings = settings
        self.kernel: WarmKernel | None = None
        self.current: _Job | None = None
        self._kernel_log: Any = None
        self._warmup: threading.Thread | None = None

    def warm_up(self) -> None:
        """Start this worker's kernel in the background, before its jobs are known."""
        self._warmup = threading.Thread(target=self._warm, name=f"{self.name}-warmup", daemon=True)
        self._warmup.start()

    def _warm(self) -> None:
        try:
            self._ensure_kernel()
        except Exception:  # noqa: BLE001 - the first job starts a kernel again and reports
            self._discard_kernel()

    def wait_warm(self) -> None:
        """Wait for a kernel started by :meth:`warm_up`."""
        if self._warmup is not None:
            self._warmup.join()
            self._warmup = None

    def _take(self) -> _Job | None:
        with self.lock:
            if self.stop.is_set() or not self.jobs:
                return None
            return self.jobs.popleft()

    def run(self) -> None:
        try:
            self.wait_warm()
            while (job := self._take()) is not None:
                self.current = job
                try:
                    result = self._execute(job)
                except Exception as exc:  # noqa: BLE001 - never lose a result
                    result = RunResult(job.spec, "failed", 0.0, _first_error_line(exc))
                    self._discard_kernel()
                self.current = None
                self.done.put((job.index, result))
        finally:
            self._discard_kernel()
            if self._kernel_log is not None:
                self._kernel_log.close()
            self.done.put((None, self.number))

    def _discard_kernel(self) -> None:
        if self.kernel is not None:
            self.kernel.shutdown()
            self.kernel = None

    def _ensure_kernel(self) -> WarmKernel:
        from coopstats.kernelpool import WarmKernel

        if self.kernel is None:
            if self._kernel_log is None and self.settings.log_dir is not None:
                self.settings.log_dir.mkdir(parents=True, exist_ok=True)
                path = self.settings.log_dir / f"kernel-{self.number}.log"
                self._kernel_log = open(path, "a", encoding="utf-8")  # noqa: SIM115
            kernel = WarmKernel(self.settings.pool, log=self._kernel_log)
            self.kernel = kernel
            kernel.start()
        return self.kernel

    def interrupt(self, hard: bool = False) -> None:
        kernel = self.kernel
        if kernel is not None:
            kernel.kill() if hard else kernel.interrupt()

    def _execute(self, job: _Job) -> RunResult:
        from coopstats.kernelpool import KernelSetupError, mark_failure

        spec = job.spec
        spec.output.parent.mkdir(parents=True, exist_ok=True)
        tmp = _tmp_path(spec.output, self.number)
        failed = failed_path(spec.output)
        log = self.settings.log_dir / f"{spec.name}.log" if self.settings.log_dir else None
        start = time.perf_counter()
        metadata = {
            "run": spec.name,
            "cache_key": cache.key_of(job.parts) if job.parts else None,
            "output_path": str(spec.output),
        }
        try:
            kernel = self._ensure_kernel()
            kernel.reset(spec.notebook.parent)
            exec_start = time.perf_counter()  # without kernel start: used to order later batches
        except KernelSetupError as exc:
            self._discard_kernel()
            result = RunResult(
                spec,
                "failed",
                time.perf_counter() - start,
                _first_error_line(exc),
                reason=job.reason,
            )
            if self.stop.is_set():  # Ctrl-C arrived while the kernel was being prepared
                result.status, result.error = "interrupted", "interrupted by the user"
            if log:
                write_log(log, spec, result, exc=exc)
                result.log = log
            return result
        nb, exc = kernel.execute(spec.notebook, tmp, spec.parameters, metadata)
        pid, runs = kernel.pid, kernel.runs
        seconds = time.perf_counter() - start
        result = RunResult(spec, "ok", seconds, reason=job.reason, log=log)
        if exc is None:
            cache.drop_record(spec.output)
            os.replace(tmp, spec.output)
            if job.parts is not None:
                cache.write_record(
                    spec.output,
                    job.parts,
                    {
                        "run": spec.name,
                        "seconds": round(seconds, 3),
                        "exec_seconds": round(time.perf_counter() - exec_start, 3),
                        "finished": time.time(),
                    },
                )
            failed.unlink(missing_ok=True)
        elif self.stop.is_set():
            tmp.unlink(missing_ok=True)
            result.status, result.error = "interrupted", "interrupted by the user"
            self._discard_kernel()
        else:
            result.status, result.error = "failed", _first_error_line(exc)
            if tmp.exists():  # papermill wrote the notebook with its error marker
                os.replace(tmp, failed)
            elif nb is not None:
                import nbformat

                nbformat.write(mark_failure(nb, result.error), str(failed))
            result.failed_notebook = failed if failed.exists() else None
            cache.drop_record(spec.output)
            spec.output.unlink(missing_ok=True)  # it no longer matches its inputs
            self._discard_kernel()  # a failed run may have left the kernel in any state
        if log:
            failures = kernel.preload_failures
            write_log(log, spec, result, nb, (pid, runs, failures), exc)
        if self.settings.pool.isolation == "fresh":
            self._discard_kernel()
        return result


@contextlib.contextmanager
def _locked(outputs: Iterable[Path]) -> Iterator[None]:
    """Hold an exclusive lock per output; remove temporary files a killed batch left behind.

    Locks are per run (``.coopstats/<name>.ipynb.lock``), so batches over different runs (e.g. one
    Airflow task per run) can share an output directory; a second batch over the same run
    fails at once instead of racing.
    """
    import fcntl

    handles = []
    try:
        for output in sorted(set(outputs)):
            cache.state_dir(output).mkdir(parents=True, exist_ok=True)
            fh = open(cache.state_dir(output) / f"{output.name}.lock", "w")  # noqa: SIM115
            handles.append(fh)
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RuntimeError(
                    f"en annen `coopstats run` kjører {output.stem}; vent til den er ferdig"
                ) from None
            stale = [
                *output.parent.glob(f".{glob.escape(output.stem)}.*.tmp.ipynb"),
                *cache.state_dir(output).glob(f"{glob.escape(output.name)}.cache.json.*.tmp"),
            ]
            for path in stale:
                path.unlink(missing_ok=True)  # left by a killed batch; never trusted
        yield
    finally:
        for fh in handles:
            fh.close()


def longest_first(jobs: list[_Job]) -> list[_Job]:
    """Order jobs by their last execution time, longest first (unknown ones keep their order).

    Starting the long runs first keeps the kernels equally busy to the end, which matters
    most for small batches (a few runs after one county's data changed).
    """

    def last_seconds(job: _Job) -> float:
        record = cache.read_record(job.spec.output)
        value = record.get("exec_seconds") if isinstance(record, dict) else None
        return float(value) if isinstance(value, int | float) else 0.0

    return sorted(jobs, key=last_seconds, reverse=True)


class _Pool:
    """The shared job queue and the workers, created before the jobs are all known."""

    def __init__(self, settings: BatchSettings, size: int) -> None:
        self.pending: deque[_Job] = deque()
        self.lock, self.stop, self.done = threading.Lock(), threading.Event(), queue.Queue()
        self.workers = [
            _Worker(n, self.pending, self.lock, self.done, self.stop, settings)
            for n in range(1, size + 1)
        ]

    def warm_up(self) -> None:
        """Start every kernel now, while the rest of the batch is still being planned."""
        for worker in self.workers:
            worker.warm_up()

    def discard(self) -> None:
        """Shut down kernels of workers that never ran (planning failed or was interrupted)."""
        for worker in self.workers:
            if not worker.is_alive():
                worker.wait_warm()
                worker._discard_kernel()


def _run_pool(
    jobs: list[_Job],
    settings: BatchSettings,
    results: list[RunResult | None],
    bar: Any,
    pool: _Pool | None = None,
) -> bool:
    """Execute ``jobs`` on warm kernels; return ``True`` when the batch was interrupted.

    ``pool`` is a pool whose kernels were started early (see :func:`run_batch`); otherwise
    one worker per job up to ``settings.jobs`` is created here.
    """
    from coopstats.kernelpool import register_engine

    register_engine()
    pool = pool or _Pool(settings, min(settings.jobs, len(jobs)))
    pool.pending.extend(jobs)
    workers, stop, done = pool.workers, pool.stop, pool.done
    for worker in workers:
        worker.start()
    alive = len(workers)
    interrupted_at: float | None = None
    while alive:
        try:
            index, payload = done.get(timeout=0.2)
        except queue.Empty:
            if interrupted_at is not None and time.monotonic() - interrupted_at > 10:
                for worker in workers:  # a cell ignored SIGINT: kill its kernel
                    worker.interrupt(hard=True)
            running = [w.current.spec.name for w in workers if w.current is not None]
            bar.set_postfix_str(", ".join(running)[:60], refresh=False)
            continue
        except KeyboardInterrupt:
            if interrupted_at is not None:
                for worker in workers:
                    worker.interrupt(hard=True)
                raise
            interrupted_at = time.monotonic()
            stop.set()
            for worker in workers:
                worker.interrupt()
            continue
        if index is None:
            alive -= 1
            continue
        results[index] = payload
        bar.update(1)
    for worker in workers:
        worker.join(timeout=30)
    return stop.is_set()


def run_batch(
    specs: list[RunSpec],
    settings: BatchSettings | None = None,
    *,
    runner: Callable[[RunSpec], RunResult] | None = None,
    progress: bool = True,
) -> list[RunResult]:
    """Run every spec that is not cached, continuing after failures, with a progress bar.

    With ``runner`` the specs are executed one after the other by that function (tests and
    custom executors); otherwise on ``settings.jobs`` warm kernels. Results are returned in
    the order of ``specs``.
    """
    settings = settings or BatchSettings()
    started = time.perf_counter()
    fingerprints = cache.Fingerprinter(settings.packages, settings.pool.kernel_name)
    results: list[RunResult | None] = [None] * len(specs)
    jobs: list[_Job] = []
    outputs = [s.output for s in specs] if runner is None else []
    bar = tqdm(total=len(specs), desc="coopstats run", unit="run", disable=not progress)
    interrupted = False
    pool: _Pool | None = None
    try:
        with _locked(outputs):
            for i, spec in enumerate(specs):
                try:
                    parts: dict[str, Any] | None = fingerprints.parts(spec)
                except (OSError, ValueError) as exc:
                    parts, reason = None, f"no cache key ({type(exc).__name__})"
                else:
                    reason = cache.stale_reason(spec.output, parts) or "unchanged"
                    if settings.force:
                        reason = "forced"
                    elif reason == "unchanged":
                        results[i] = RunResult(spec, "ok", 0.0, cached=True, reason=reason)
                        bar.update(1)
                        continue
                jobs.append(_Job(i, spec, parts, reason))
                if runner is None and pool is None:
                    # the first run to execute: start the kernels while planning the rest.
                    # Import papermill and jupyter_client here first: importing them for the
                    # first time in the warm-up threads and this thread at once can fail
                    # ("partially initialized module jupyter_client.manager").
                    from coopstats.kernelpool import register_engine

                    register_engine()
                    pool = _Pool(settings, min(settings.jobs, len(specs) - i))
                    pool.warm_up()
            if runner is not None:
                for job in jobs:
                    bar.set_postfix_str(job.spec.name, refresh=False)
                    result = runner(job.spec)
                    result.reason = result.reason or job.reason
                    if result.status == "ok" and job.parts and job.spec.output.exists():
                        cache.write_record(job.spec.output, job.parts, {"run": job.spec.name})
                    elif result.status != "ok":  # an older output is no longer trusted
                        cache.drop_record(job.spec.output)
                    results[job.index] = result
                    bar.update(1)
            elif jobs:
                interrupted = _run_pool(longest_first(jobs), settings, results, bar, pool)
    finally:
        bar.close()
        if pool is not None:
            pool.discard()
    final = [
        r if r is not None else RunResult(s, "not run", 0.0, "batch interrupted", reason="")
        for s, r in zip(specs, results, strict=True)
    ]
    if settings.log_dir is not None and runner is None:
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        elapsed = time.perf_counter() - started
        text = "\n".join(summary_lines(final, language="en")) + f"\nwall time {elapsed:.1f} s\n"
        (settings.log_dir / "batch.log").write_text(text, encoding="utf-8")
    if interrupted:
        raise BatchInterrupted(final)
    return final


class BatchInterrupted(KeyboardInterrupt):
    """Raised by :func:`run_batch` after Ctrl-C / SIGTERM; carries the results so far."""

    def __init__(self, results: list[RunResult]) -> None:
        super().__init__("batch interrupted")
        self.results = results


#: Texts of the summary: Norwegian for the terminal, English for ``batch.log``.
_SUMMARY_TEXT: dict[str, dict[str, str]] = {
    "nb": {
        "header": "{run:<{w}}  {status:<11}  sekunder  mellomlagret",
        "run": "kjøring",
        "status": "status",
        "yes": "ja",
        "no": "nei",
        "ok": "ok",
        "failed": "feilet",
        "interrupted": "avbrutt",
        "not run": "ikke kjørt",
        "counts": "{ok} ok, {failed} feilet",
        "stopped": ", {interrupted} avbrutt, {not_run} ikke kjørt",
        "tail": "; {cached} mellomlagret, {executed} kjørt",
        "failure": "FEILET {name}: {error}",
        "notebook": "  notatbok med feilen: {path}",
        "log": "  logg: {path}",
    },
    "en": {
        "header": "{run:<{w}}  {status:<11}  seconds  cached",
        "run": "run",
        "status": "status",
        "yes": "yes",
        "no": "no",
        "ok": "ok",
        "failed": "failed",
        "interrupted": "interrupted",
        "not run": "not run",
        "counts": "{ok} ok, {failed} failed",
        "stopped": ", {interrupted} interrupted, {not_run} not run",
        "tail": "; {cached} cached, {executed} executed",
        "failure": "FAILED {name}: {error}",
        "notebook": "  failed notebook: {path}",
        "log": "  log: {path}",
    },
}

#: Why a run was executed (:func:`coopstats.cache.stale_reason`), in Norwegian.
_REASONS_NB: dict[str, str] = {
    "new": "ny",
    "forced": "tvunget",
    "unchanged": "uendret",
    "no cache record": "ingen post i mellomlageret",
    "output missing": "resultatet mangler",
    "output differs from the recorded one": "resultatet er endret",
    "changed key": "endret nøkkel",
}
_CHANGED_NB: dict[str, str] = {
    "notebook": "notatbok",
    "parameters": "parametre",
    "package": "pakke",
    "environment": "miljø",
    "kernel": "kjerne",
    "format": "format",
}


def _reason_nb(reason: str) -> str:
    """The Norwegian text of a cache reason (unknown reasons are shown as they are)."""
    if reason in _REASONS_NB:
        return _REASONS_NB[reason]
    if reason.startswith("changed "):
        parts = []
        for part in reason.removeprefix("changed ").split("; "):
            if part.startswith("data: "):
                parts.append("data: " + part.removeprefix("data: "))
            else:
                parts.append(_CHANGED_NB.get(part, part))
        return "endret " + "; ".join(parts)
    if reason.startswith("no cache key"):
        return "ingen nøkkel til mellomlageret" + reason.removeprefix("no cache key")
    return reason


def summary_lines(results: list[RunResult], *, language: str = "nb") -> list[str]:
    """The summary table (run, status, seconds, cached) and the failures' first error lines.

    The count line counts as *executed* only the runs that were executed to the end (ok or
    failed, not cached); runs stopped midway and runs never started by an interrupted batch
    are counted separately. ``language`` is ``nb`` (the terminal) or ``en`` (``batch.log``).
    """
    t = _SUMMARY_TEXT[language]
    width = max((len(r.spec.name) for r in results), default=3)
    width = max(width, len(t["run"]))
    lines = [t["header"].format(run=t["run"], status=t["status"], w=width)]
    for r in results:
        reason = _reason_nb(r.reason) if language == "nb" else r.reason
        cached = t["yes"] if r.cached else f"{t['no']} ({reason})" if reason else t["no"]
        status = t.get(r.status, r.status)
        lines.append(f"{r.spec.name:<{width}}  {status:<11}  {r.seconds:7.1f}  {cached}")
    failed = [r for r in results if r.status == "failed"]
    interrupted = sum(r.status == "interrupted" for r in results)
    not_run = sum(r.status == "not run" for r in results)
    ok = sum(r.status == "ok" for r in results)
    n_cached = sum(r.cached for r in results)
    executed = sum(not r.cached and r.status in ("ok", "failed") for r in results)
    text = t["counts"].format(ok=ok, failed=len(failed))
    if interrupted or not_run:
        text += t["stopped"].format(interrupted=interrupted, not_run=not_run)
    text += t["tail"].format(cached=n_cached, executed=executed)
    lines.append(text)
    for r in failed:
        lines.append(t["failure"].format(name=r.spec.name, error=r.error))
        if r.failed_notebook:
            lines.append(t["notebook"].format(path=r.failed_notebook))
        if r.log:
            lines.append(t["log"].format(path=r.log))
    return lines
