"""Cache keys for notebook runs: skip a run when nothing it depends on changed.

A run's key is the SHA-256 of a canonical JSON document with five parts:

``notebook``
    The source notebook without outputs: each cell's type, source and tags, and the kernel
    name. Re-executing or clearing outputs does not change it; editing a cell does.
``parameters``
    The parameters papermill injects (including the absolute data directory).
``data``
    For every input file the run reads (``inputs`` in ``runs.yaml``), a digest of the header
    and of the rows the run depends on (``rows``), in file order:

    * ``unit`` scope: rows whose ``unit_id`` is the unit, rows whose ``trial_id`` is one of
      the unit's trials, rows with a ``model_id`` of one of those trials' models and no
      ``unit_id`` (model-wide figures), and rows whose ``person_id`` belongs to a participant
      of the unit (their spells);
    * ``model`` scope: rows with the model's ``model_id`` (whatever their unit), rows of its
      trials, rows of its units that name neither a trial nor a model, and spells of its
      participants;
    * ``all``: the whole file, byte for byte.

    Rows whose key columns are all empty belong to every scope; a file without any of the
    key columns counts whole; a missing file counts as "missing".
``package``
    Every file of the installed ``coopstats`` package (code, registry, definitions,
    templates).
``environment``
    The Python version and the versions of the key packages listed in ``runs.yaml``.

The key and its parts are stored in a sidecar ``.coopstats/<output>.cache.json`` in the output
folder, together with the notebook's size and SHA-256. A run is cached only when the sidecar
exists, its key equals the current key and the output file is byte-identical to what the
runner wrote, so a truncated, edited or foreign file is never trusted.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from coopstats.runmatrix import RowScope, RunSpec

CACHE_FORMAT = 1
UNIT, TRIAL, MODEL, PERSON = "unit_id", "trial_id", "model_id", "person_id"
KEY_COLUMNS = (UNIT, TRIAL, MODEL, PERSON)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, no whitespace) of ``obj``."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str).encode()


def notebook_digest(path: Path) -> str:
    """Digest of a notebook's cells (type, source, tags) and kernel name, ignoring outputs."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = []
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        tags = sorted(cell.get("metadata", {}).get("tags", []))
        cells.append([cell.get("cell_type"), source, tags])
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name")
    return _sha(canonical({"cells": cells, "kernel": kernel}))


def package_digest(package_dir: Path | None = None) -> str:
    """Digest of every file of the coopstats package (paths and contents)."""
    if package_dir is None:
        package_dir = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(package_dir.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo"):
            continue
        h.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        h.update(_sha(path.read_bytes()).encode())
    return h.hexdigest()


def environment(packages: tuple[str, ...] | list[str]) -> dict[str, str | None]:
    """Python version and the installed version of each package (``None`` when absent)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    found["platform"] = sys.platform
    return found


@dataclass
class _FileIndex:
    """One CSV file: header, per-row digests and the rows of each key value."""

    header: list[str]
    raw: str
    digests: list[str]
    keyed: bool
    by: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    unit_only: dict[str, list[int]] = field(default_factory=dict)
    model_no_unit: dict[str, list[int]] = field(default_factory=dict)
    keyless: list[int] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> _FileIndex:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
        reader = csv.reader(text.splitlines(keepends=True))
        header = next(reader, [])
        cols = {name.strip(): i for i, name in enumerate(header)}
        present = [c for c in KEY_COLUMNS if c in cols]
        index = cls(header=header, raw=_sha(data), digests=[], keyed=bool(present))
        index.by = {c: {} for c in present}
        for i, row in enumerate(reader):
            index.digests.append(_sha(canonical(row))[:32])

            def value(column: str, row: list[str] = row) -> str:
                j = cols.get(column)
                return row[j].strip() if j is not None and j < len(row) else ""

            keys = {c: value(c) for c in present}
            for c, v in keys.items():
                if v:
                    index.by[c].setdefault(v, []).append(i)
            unit, trial, model = keys.get(UNIT, ""), keys.get(TRIAL, ""), keys.get(MODEL, "")
            if unit and not trial and not model:
                index.unit_only.setdefault(unit, []).append(i)
            if model and not unit:
                index.model_no_unit.setdefault(model, []).append(i)
            if not any(keys.values()):
                index.keyless.append(i)
        return index

    def rows(self, column: str, values: set[str] | frozenset[str]) -> set[int]:
        table = self.by.get(column, {})
        return {i for v in values for i in table.get(v, [])}

    def digest(self, rows: set[int]) -> str:
        h = hashlib.sha256(canonical(self.header))
        for i in sorted(rows):
            h.update(self.digests[i].encode())
        return f"{len(rows)}:{h.hexdigest()}"


class DataIndex:
    """Lazily parsed input files of one data directory, shared by all runs of a batch."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._files: dict[str, _FileIndex | None] = {}
        self._persons: dict[RowScope, frozenset[str]] = {}

    def file(self, name: str) -> _FileIndex | None:
        if name not in self._files:
            path = self.directory / f"{name}.csv"
            self._files[name] = _FileIndex.read(path) if path.is_file() else None
        return self._files[name]

    def _scope_rows(self, index: _FileIndex, scope: RowScope) -> set[int]:
        rows = set(index.keyless)
        if scope.kind == "unit":
            rows |= index.rows(UNIT, scope.units)
            rows |= index.rows(TRIAL, scope.trials)
            rows |= {i for m in scope.models for i in index.model_no_unit.get(m, [])}
        else:  # model
            rows |= index.rows(MODEL, scope.models)
            rows |= index.rows(TRIAL, scope.trials)
            rows |= {i for u in scope.units for i in index.unit_only.get(u, [])}
        return rows

    def persons(self, scope: RowScope) -> frozenset[str]:
        """Person ids of the participants in ``scope`` (from ``participants.csv``)."""
        if scope not in self._persons:
            people = self.file("participants")
            found: set[str] = set()
            if people is not None and PERSON in people.by:
                rows = self._scope_rows(people, scope)
                found = {v for v, idx in people.by[PERSON].items() if rows.intersection(idx)}
            self._persons[scope] = frozenset(found)
        return self._persons[scope]

    def digest(self, name: str, scope: RowScope) -> str:
        """Digest of the rows of input file ``name`` that a run with ``scope`` depends on."""
        index = self.file(name)
        if index is None:
            return "missing"
        if scope.kind == "all" or not index.keyed:
            return f"file:{index.raw}"
        rows = self._scope_rows(index, scope)
        if PERSON in index.by:
            rows |= index.rows(PERSON, self.persons(scope))
        return index.digest(rows)


class Fingerprinter:
    """Computes cache keys for the runs of one batch (shared work is done once)."""

    def __init__(self, packages: tuple[str, ...] | list[str] = (), kernel: str = "") -> None:
        self.packages = tuple(packages)
        self.kernel = kernel
        self._package: str | None = None
        self._environment: dict[str, str | None] | None = None
        self._data: dict[Path, DataIndex] = {}
        self._notebooks: dict[Path, str] = {}

    def parts(self, spec: RunSpec) -> dict[str, Any]:
        """The key parts of one run (see the module docstring)."""
        if self._package is None:
            self._package = package_digest()
            self._environment = environment(self.packages)
        if spec.notebook not in self._notebooks:
            self._notebooks[spec.notebook] = notebook_digest(spec.notebook)
        data: dict[str, str] = {}
        if spec.data_dir is not None:
            index = self._data.setdefault(spec.data_dir, DataIndex(spec.data_dir))
            data = {name: index.digest(name, spec.rows) for name in spec.inputs}
        return {
            "format": CACHE_FORMAT,
            "notebook": self._notebooks[spec.notebook],
            "parameters": json.loads(canonical(spec.parameters)),
            "data": data,
            "rows": spec.rows.describe(),
            "package": self._package,
            "environment": self._environment,
            "kernel": self.kernel,
        }


def key_of(parts: dict[str, Any]) -> str:
    """The cache key (hex SHA-256) of key parts."""
    return _sha(canonical(parts))


def sidecar_path(output: Path) -> Path:
    """Where the cache record of ``output`` lives: ``.coopstats/<name>.cache.json`` beside it."""
    return state_dir(output) / f"{output.name}.cache.json"


def state_dir(output: Path) -> Path:
    """The hidden folder beside ``output`` holding cache records and run locks."""
    return output.parent / ".coopstats"


def file_sha(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_record(output: Path, parts: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
    """Write the cache record of a finished output atomically (after the output's rename)."""
    record = {
        "key": key_of(parts),
        "parts": parts,
        "output": {"name": output.name, "size": output.stat().st_size, "sha256": file_sha(output)},
        **(extra or {}),
    }
    target = sidecar_path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, target)


def read_record(output: Path) -> dict[str, Any] | None:
    """The stored cache record of ``output``, or ``None`` when absent or unreadable."""
    try:
        record = json.loads(sidecar_path(output).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def drop_record(output: Path) -> None:
    """Forget the cache record of ``output`` (before replacing or removing the output)."""
    sidecar_path(output).unlink(missing_ok=True)


def stale_reason(output: Path, parts: dict[str, Any]) -> str | None:
    """``None`` when ``output`` is a trusted result for ``parts``; otherwise why it is not."""
    record = read_record(output)
    if record is None:
        return "no cache record" if output.exists() else "new"
    if record.get("key") != key_of(parts):
        old = record.get("parts", {})
        changed = []
        for part in ("notebook", "parameters", "package", "environment", "kernel", "format"):
            if old.get(part) != parts.get(part):
                changed.append(part)
        old_data, new_data = old.get("data", {}), parts.get("data", {})
        files = sorted(
            n for n in set(old_data) | set(new_data) if old_data.get(n) != new_data.get(n)
        )
        if files:
            changed.append("data: " + ", ".join(files))
        return "changed " + "; ".join(changed) if changed else "changed key"
    info = record.get("output", {})
    try:
        size = output.stat().st_size
    except FileNotFoundError:
        return "output missing"
    if size != info.get("size") or file_sha(output) != info.get("sha256"):
        return "output differs from the recorded one"
    return None
