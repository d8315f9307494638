"""The run matrix: which notebook runs with which parameters, read from ``runs.yaml``.

``runs.yaml`` lists notebook entries. There is one copy of it, shipped with the package
(``coopstats/definitions/runs.yaml``); a project root may hold its own ``runs.yaml`` that
replaces it (so may ``COOPSTATS_DEFINITIONS_DIR``, see :mod:`coopstats.yamlio`).
Each entry says which notebook to execute, what to iterate over (``each``), how to name the
output, which parameters to pass, which data files the notebook reads (``inputs``) and which
of their rows a run depends on (``rows``; used by the cache, see :mod:`coopstats.cache`). The
values iterated over come from the registry (trial units, models with trials) or the data
(participant scopes), so a new trial in the registry adds its runs without editing the file.
See ``docs/batch.md``.

This module only needs the standard library, PyYAML and the registry (and
:mod:`coopstats.yamlio` to read the packaged file), so that a batch where everything is cached
starts and finishes quickly.
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from coopstats.registry import Registry

CONFIG_NAME = "runs.yaml"
#: Iteration kinds: the placeholder each one fills and the default row scope of its runs.
EACH_KINDS: dict[str, str] = {"unit": "unit", "model": "model", "scope": "scope"}
ROW_KINDS = ("unit", "model", "scope", "all")
#: The participant scope covering every unit of a model (``deltakere-<model>-alle``).
ALL_SCOPE = "alle"


class RunMatrixError(ValueError):
    """The run-matrix configuration is invalid; the message names file, key and expectation."""


@dataclass(frozen=True)
class RowScope:
    """Which rows of the input files one run depends on (see :mod:`coopstats.cache`).

    ``kind`` is ``"unit"`` (rows of these units, their trials, model-wide rows of their models
    and the spells of their participants), ``"model"`` (rows of the model, its trials, its
    units' unit-only rows and its participants' spells) or ``"all"`` (whole files).
    """

    kind: str = "all"
    units: frozenset[str] = frozenset()
    trials: frozenset[str] = frozenset()
    models: frozenset[str] = frozenset()

    def describe(self) -> str:
        """Short text for logs, e.g. ``unit nav-oslo``."""
        if self.kind == "all":
            return "all rows"
        ids = sorted(self.units if self.kind == "unit" else self.models)
        return f"{self.kind} {', '.join(ids)}"


@dataclass(frozen=True)
class RunSpec:
    """One notebook execution: a source notebook, its parameters and the executed output path.

    ``inputs`` (data file names without ``.csv``), ``rows`` and ``data_dir`` tell the cache what
    the run reads; ``tags`` are the ids ``--only`` matches (unit, model or scope).
    """

    name: str
    notebook: Path
    output: Path
    parameters: dict = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    rows: RowScope = field(default_factory=RowScope)
    data_dir: Path | None = None
    tags: tuple[str, ...] = ()
    entry: str = ""


@dataclass(frozen=True)
class NotebookEntry:
    """One ``notebooks:`` item of ``runs.yaml``."""

    name: str
    notebook: str
    each: str | dict[str, list[str]]
    output: str
    parameters: dict[str, Any]
    inputs: tuple[str, ...]
    rows: str
    optional: bool = False
    #: A ``.qmd`` (relative to the project root) whose front-matter values are placeholders.
    metadata: str | None = None


@dataclass(frozen=True)
class MatrixConfig:
    """The parsed ``runs.yaml``."""

    root: Path
    source: str
    output_dir: Path
    log_dir: Path
    kernel: str
    jobs: int
    isolation: str
    cell_timeout: int | None
    preload: tuple[str, ...]
    packages: tuple[str, ...]
    notebooks: tuple[NotebookEntry, ...]


def default_jobs() -> int:
    """Cores available to this process (one kernel each)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _fail(source: str, path: str, expected: str, got: Any) -> RunMatrixError:
    return RunMatrixError(f"{source}: {path}: expected {expected}, got {got!r}")


def _str_list(raw: Any, source: str, path: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        raise _fail(source, path, "a list of non-empty strings", raw)
    return tuple(raw)


def _entry(raw: Any, source: str, i: int) -> NotebookEntry:
    path = f"notebooks[{i}]"
    if not isinstance(raw, dict):
        raise _fail(source, path, "a mapping", raw)
    known = {
        "name",
        "notebook",
        "each",
        "output",
        "parameters",
        "inputs",
        "rows",
        "optional",
        "metadata",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _fail(source, f"{path}.{unknown[0]}", f"one of {sorted(known)}", unknown[0])
    for key in ("name", "notebook", "output"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _fail(source, f"{path}.{key}", "a non-empty string", raw.get(key))
    each = raw.get("each")
    if isinstance(each, dict):
        if len(each) != 1:
            raise _fail(source, f"{path}.each", "one placeholder name mapped to a list", each)
        ((var, values),) = each.items()
        each = {str(var): list(_str_list(values, source, f"{path}.each.{var}"))}
    elif each not in EACH_KINDS:
        raise _fail(
            source, f"{path}.each", f"one of {sorted(EACH_KINDS)} or {{name: [values]}}", each
        )
    default_rows = "all" if isinstance(each, dict) else EACH_KINDS[each]
    rows = raw.get("rows", default_rows)
    if rows not in ROW_KINDS:
        raise _fail(source, f"{path}.rows", f"one of {list(ROW_KINDS)}", rows)
    params = raw.get("parameters", {})
    if not isinstance(params, dict):
        raise _fail(source, f"{path}.parameters", "a mapping", params)
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        raise _fail(source, f"{path}.optional", "true or false", optional)
    metadata = raw.get("metadata")
    if metadata is not None and (not isinstance(metadata, str) or not metadata.endswith(".qmd")):
        raise _fail(source, f"{path}.metadata", "the path of a .qmd file", metadata)
    return NotebookEntry(
        name=raw["name"],
        notebook=raw["notebook"],
        each=each,
        output=raw["output"],
        parameters=dict(params),
        inputs=_str_list(raw.get("inputs", []), source, f"{path}.inputs"),
        rows=rows,
        optional=optional,
        metadata=metadata,
    )


def parse_config(raw: Mapping[str, Any], root: Path, source: str = CONFIG_NAME) -> MatrixConfig:
    """Validate a loaded ``runs.yaml`` mapping; raise :class:`RunMatrixError` on problems."""
    if not isinstance(raw, Mapping):
        raise _fail(source, "(top)", "a mapping", raw)
    known = {
        "output_dir",
        "log_dir",
        "kernel",
        "jobs",
        "isolation",
        "cell_timeout",
        "preload",
        "cache",
        "notebooks",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise _fail(source, unknown[0], f"one of {sorted(known)}", unknown[0])
    jobs = raw.get("jobs", "auto")
    if jobs == "auto":
        jobs = default_jobs()
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise _fail(source, "jobs", "'auto' or a positive integer", jobs)
    isolation = raw.get("isolation", "warm")
    if isolation not in ("warm", "fresh"):
        raise _fail(source, "isolation", "'warm' or 'fresh'", isolation)
    timeout = raw.get("cell_timeout", 600)
    if timeout is not None and (not isinstance(timeout, int) or timeout < 1):
        raise _fail(source, "cell_timeout", "a positive number of seconds or null", timeout)
    cache = raw.get("cache", {}) or {}
    if not isinstance(cache, dict):
        raise _fail(source, "cache", "a mapping", cache)
    entries = raw.get("notebooks")
    if not isinstance(entries, list) or not entries:
        raise _fail(source, "notebooks", "a non-empty list", entries)
    parsed = tuple(_entry(e, source, i) for i, e in enumerate(entries))
    names = [e.name for e in parsed]
    if len(set(names)) != len(names):
        raise _fail(source, "notebooks", "unique names", names)
    for key in ("output_dir", "log_dir", "kernel"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key]):
            raise _fail(source, key, "a non-empty string", raw[key])
    return MatrixConfig(
        root=root,
        source=source,
        output_dir=root / raw.get("output_dir", "_build/notebooks"),
        log_dir=root / raw.get("log_dir", "_build/logs"),
        kernel=raw.get("kernel", "python3"),
        jobs=jobs,
        isolation=isolation,
        cell_timeout=timeout,
        preload=_str_list(raw.get("preload", []), source, "preload"),
        packages=_str_list(cache.get("packages", []), source, "cache.packages"),
        notebooks=parsed,
    )


def load_config(root: Path, path: Path | None = None) -> MatrixConfig:
    """Read the run matrix of the project at ``root``.

    ``path`` when given, else ``<root>/runs.yaml`` when the project has one, else the packaged
    ``coopstats/definitions/runs.yaml`` (or the ``runs.yaml`` of ``COOPSTATS_DEFINITIONS_DIR``);
    notebook paths are relative to ``root`` (to the file's folder for ``path``).
    """
    if path is None:
        if (root / CONFIG_NAME).is_file():
            path = root / CONFIG_NAME
        else:
            raw, shown = packaged_config()
            return parse_config(raw, root, shown)
    path = Path(path)
    if not path.is_file():
        raise RunMatrixError(f"{path}: run-matrix file not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RunMatrixError(f"{path}: not valid YAML: {exc}") from None
    return parse_config(raw, path.parent, str(path))


def packaged_config() -> tuple[dict[str, Any], str]:
    """The shipped run matrix (or the one of ``COOPSTATS_DEFINITIONS_DIR``) and its path."""
    from coopstats.yamlio import read_mapping, shown_definitions_file

    shown = shown_definitions_file(CONFIG_NAME)
    _, raw = read_mapping(
        None, CONFIG_NAME, package_dir="definitions", error=RunMatrixError, name=shown
    )
    return raw, shown


def participant_scopes(data_dir: Path, registry: Registry | None = None) -> list[tuple[str, str]]:
    """(model, scope) of every participant page: per model with participants in the delivery
    (by their trials), ``alle`` and then every unit of that model with participants.

    Participants whose trial is not in the registry belong to no page.
    """
    if registry is None:
        from coopstats.registry import load_registry

        registry = load_registry()
    units: dict[str, set[str]] = {}
    path = Path(data_dir) / "participants.csv"
    if path.is_file():
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                trial = registry.trials.get((row.get("trial_id") or "").strip())
                unit = (row.get("unit_id") or "").strip()
                if trial is not None and unit:
                    units.setdefault(trial.model, set()).add(unit)
    return [
        (model, scope)
        for model in registry.models
        if model in units
        for scope in (ALL_SCOPE, *sorted(units[model]))
    ]


def _values(
    entry: NotebookEntry, registry: Registry, data_dir: Path
) -> list[tuple[str, dict[str, str]]]:
    """(the run's row-scope value, its placeholder values) for every run of an entry."""
    if isinstance(entry.each, dict):
        ((var, values),) = entry.each.items()
        return [(v, {var: v}) for v in values]
    if entry.each == "unit":
        return [(u, {"unit": u}) for u in registry.trial_units()]
    if entry.each == "model":
        with_trials = {t.model for t in registry.trials.values()}
        return [(m, {"model": m}) for m in registry.models if m in with_trials]
    return [(s, {"model": m, "scope": s}) for m, s in participant_scopes(data_dir, registry)]


def row_scope(kind: str, value: str, registry: Registry | None) -> RowScope:
    """The row scope of one run: ``kind`` from ``rows:``, ``value`` the iterated id."""
    if kind == "all" or (kind == "scope" and value == ALL_SCOPE):
        return RowScope("all")
    trials = list(registry.trials.values()) if registry is not None else []
    if kind in ("unit", "scope"):
        mine = [t for t in trials if t.unit == value]
        return RowScope(
            "unit",
            units=frozenset({value}),
            trials=frozenset(t.id for t in mine),
            models=frozenset(t.model for t in mine),
        )
    mine = [t for t in trials if t.model == value]
    return RowScope(
        "model",
        units=frozenset(t.unit for t in mine),
        trials=frozenset(t.id for t in mine),
        models=frozenset({value}),
    )


def report_metadata(path: Path) -> dict[str, str]:
    """Scalar front-matter values of a ``.qmd`` as placeholder values (dates as ISO text).

    A run entry with ``metadata: reports/midtveisnotat.qmd`` can pass ``{siden}`` to its
    notebook, so the report's front matter stays the one place where its period is set.
    """
    from coopstats.quarto_sources import front_matter

    if not path.is_file():
        raise RunMatrixError(f"{path}: the report named under metadata: does not exist")
    try:
        data = yaml.safe_load(front_matter(path.read_text(encoding="utf-8"))) or {}
    except yaml.YAMLError as exc:
        raise RunMatrixError(f"{path}: the front matter is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RunMatrixError(f"{path}: the front matter is not a YAML mapping")
    return {
        str(k): v.isoformat() if hasattr(v, "isoformat") else str(v)
        for k, v in data.items()
        if isinstance(v, (str, int, float)) or hasattr(v, "isoformat")
    }


def _fill(template: Any, values: Mapping[str, Any]) -> Any:
    """Fill ``{name}`` placeholders; a string that is exactly one placeholder keeps its type."""
    if isinstance(template, str):
        for name, value in values.items():
            if template == "{" + name + "}":
                return value
        try:
            return template.format_map(values)
        except KeyError as exc:
            raise RunMatrixError(f"unknown placeholder {exc} in {template!r}") from None
    if isinstance(template, list):
        return [_fill(t, values) for t in template]
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    return template


def expand(
    config: MatrixConfig,
    data_dir: Path,
    registry: Registry | None = None,
    *,
    min_count: int = 5,
    out_dir: Path | None = None,
) -> list[RunSpec]:
    """Expand the configuration into run specs (optional notebooks only when they exist)."""
    if registry is None:
        from coopstats.registry import load_registry

        registry = load_registry()
    data_dir = Path(data_dir).resolve()
    out_dir = Path(out_dir) if out_dir is not None else config.output_dir
    specs: list[RunSpec] = []
    for entry in config.notebooks:
        notebook = (config.root / entry.notebook).resolve()
        if not notebook.is_file():
            if entry.optional:
                continue
            raise RunMatrixError(f"{config.source}: notebook {entry.notebook} does not exist")
        meta = report_metadata(config.root / entry.metadata) if entry.metadata else {}
        for value, own in _values(entry, registry, data_dir):
            fill = {**meta, **own, "data_dir": str(data_dir), "min_count": min_count}
            output = str(_fill(entry.output, fill))
            specs.append(
                RunSpec(
                    name=Path(output).stem,
                    notebook=notebook,
                    output=out_dir / output,
                    parameters=_fill(entry.parameters, fill),
                    inputs=entry.inputs,
                    rows=row_scope(entry.rows, value, registry),
                    data_dir=data_dir,
                    tags=tuple(dict.fromkeys(own.values())),
                    entry=entry.name,
                )
            )
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RunMatrixError(f"{config.source}: two runs write the same output: {duplicates}")
    return specs


def stale_outputs(output_dir: Path, specs: Iterable[RunSpec]) -> list[Path]:
    """Executed notebooks in ``output_dir`` that no run of the matrix writes any more.

    They are left from an older matrix or another delivery (a renamed run, a unit that left the
    registry). Publishing them beside the current ones would mix deliveries and let the privacy
    audit read figures that were protected in another system; ``coopstats run`` removes them.
    """
    wanted = {Path(s.output).name for s in specs}
    return sorted(p for p in Path(output_dir).glob("*.ipynb") if p.name not in wanted)


def select(specs: list[RunSpec], only: Iterable[str], registry: Registry | None) -> list[RunSpec]:
    """Keep the runs ``--only`` names: a run name, or a unit (id or alias), model or scope id.

    Raises :class:`RunMatrixError` naming any value that matches no run.
    """
    wanted: list[tuple[str, set[str]]] = []
    for value in only:
        keys = {value}
        if registry is not None:
            with contextlib.suppress(Exception):  # not a unit: a model, scope or run name
                keys.add(registry.resolve_unit(value).id)
        wanted.append((value, keys))
    chosen = [s for s in specs if any(keys & {s.name, *s.tags} for _, keys in wanted)]
    unmatched = [v for v, keys in wanted if not any(keys & {s.name, *s.tags} for s in specs)]
    if unmatched:
        raise RunMatrixError(
            f"--only {', '.join(unmatched)}: matches no run; runs are "
            + ", ".join(s.name for s in specs)
        )
    return chosen
