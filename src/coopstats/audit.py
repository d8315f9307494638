"""Audit of a finished build: can a reader of all pages together pin down a protected cell?

Every person-level output of an executed notebook carries, beside its HTML, the disclosure
metadata of :mod:`coopstats.sdc` (mime type :data:`coopstats.sdc.MIME_TYPE`): what each figure
shows (a count, a share, ``:``, ``-``) and which cell it is about, never a hidden value.
:func:`audit_build` reads every executed notebook of a build directory, merges the records per
population and runs the attacker's integer program (:func:`coopstats.sdc.audit_facts`) on
everything the build publishes, across pages. Besides the failures of that program it reports
a count shown although it is small (``1 <= count < min_count``: the program checks only hidden
and unpublished cells, and a protected page never shows one), and two inconsistencies between
pages that the program takes for granted:

* a cell hidden (``:``, as a count or as the numerator of a share) on one page and shown as a
  number (or ``-``) on another;
* a cell shown with two different numbers;

and a population whose pages disagree about a variable's codes (pages of two deliveries) is
reported and not audited. ``coopstats audit`` prints the report; ``coopstats build`` runs it
after the batch and renders nothing when it fails (``docs/disclosure.md``).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coopstats import sdc
from coopstats.sdc import Key, key_text

__all__ = [
    "AuditError",
    "AuditReport",
    "Finding",
    "PopulationSummary",
    "audit_build",
    "default_build_dir",
    "notebook_paths",
]

#: Used when neither the caller nor any record gives a threshold (the CLI default).
DEFAULT_MIN_COUNT = 5
_HINT = "kjør coopstats run først"


class AuditError(Exception):
    """The build cannot be audited: no directory, no executed notebooks or no metadata."""


@dataclass(frozen=True)
class Finding:
    """One problem of a population: a cell a reader can pin down or prove small, or an
    inconsistency between pages. ``pages`` are the pages with the cell itself (``own``) and
    the pages with cells on the same additive lines (``related``), which together pin it.

    ``kind``: ``audit`` (a failure of the integer program, in ``failure``), ``shown-small``
    (a small count shown), ``hidden-shown`` (hidden on one page, a number on another),
    ``numbers`` (two numbers for one cell), ``codes`` (two code lists for one variable, or
    none for a variable) or ``infeasible`` (no table fits the pages).
    """

    population: str
    cell: Key
    message: str
    kind: str = "audit"
    own: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    failure: sdc.Failure | None = None

    @property
    def pages(self) -> tuple[str, ...]:
        """Every page involved: the cell's own pages first, then the related ones."""
        return self.own + tuple(p for p in self.related if p not in self.own)

    def describe(self) -> str:
        """One Norwegian line for the terminal."""
        parts = [self.message]
        if self.kind in ("codes", "infeasible"):  # about the population, not one cell
            return "; ".join([*parts, f"sider: {', '.join(self.pages)}"])
        parts.append(
            f"cellen står på: {', '.join(self.own)}" if self.own else "cellen er ikke publisert"
        )
        extra = [p for p in self.related if p not in self.own]
        if extra:
            parts.append(f"celler på samme linjer står på: {', '.join(extra)}")
        return "; ".join(parts)


@dataclass(frozen=True)
class PopulationSummary:
    """What the build publishes about one population and the threshold it was audited at."""

    name: str
    pages: int
    facts: int
    hidden: int
    min_count: int
    audited: bool = True


@dataclass
class AuditReport:
    """Result of :func:`audit_build`."""

    directory: Path
    pages_read: int
    pages_with_metadata: int
    populations: list[PopulationSummary]
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def facts(self) -> int:
        return sum(p.facts for p in self.populations)

    @property
    def hidden(self) -> int:
        return sum(p.hidden for p in self.populations)

    def summary_lines(self) -> list[str]:
        """A short Norwegian summary, then one line per finding."""
        lines = [
            f"Personvernrevisjon av {self.directory}: {self.pages_read} "
            f"{'side' if self.pages_read == 1 else 'sider'} lest, "
            f"{self.pages_with_metadata} med personvernmetadata"
        ]
        for p in self.populations:
            n = sum(1 for f in self.findings if f.population == p.name)
            state = "ikke revidert" if not p.audited else ("ingen feil" if not n else f"{n} feil")
            lines.append(
                f"  {p.name}: {p.pages} {'side' if p.pages == 1 else 'sider'}, {p.facts} tall, "
                f"{p.hidden} {'skjult celle' if p.hidden == 1 else 'skjulte celler'}, "
                f"min_count {p.min_count}: {state}"
            )
        lines += [f"Merk: {note}" for note in self.notes]
        lines += [f"FEIL {f.describe()}" for f in self.findings]
        seconds = f"{self.seconds:.1f}".replace(".", ",")
        verdict = "ingen feil" if self.ok else f"{len(self.findings)} feil"
        lines.append(f"Ferdig på {seconds} s: {verdict}.")
        return lines


# --------------------------------------------------------------------------- reading


def notebook_paths(notebook_dir: Path) -> list[Path]:
    """Executed notebooks of a build: ``*.ipynb`` except failed runs and temporary files."""
    return sorted(
        p
        for p in Path(notebook_dir).glob("*.ipynb")
        if p.is_file() and not p.name.endswith(".failed.ipynb") and not p.name.startswith(".")
    )


def default_build_dir(start: Path | None = None) -> Path:
    """``output_dir`` of ``runs.yaml`` (``_build/notebooks``) at the project root, found the
    way ``coopstats run`` finds it (``FileNotFoundError`` outside a project)."""
    from coopstats.batch import project_root
    from coopstats.runmatrix import load_config

    return load_config(project_root(start)).output_dir


def _read_records(paths: Sequence[Path]) -> tuple[list[dict[str, Any]], int]:
    records: list[dict[str, Any]] = []
    with_metadata = 0
    for path in paths:
        try:
            found = list(sdc.iter_notebook_metadata([path]))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise AuditError(f"{path} er ikke en lesbar notatbok ({exc}); {_HINT}") from None
        for rec in found:
            missing = [k for k in ("population", "codes", "facts") if k not in rec]
            if missing:
                raise AuditError(f"{path}: personvernmetadata uten {', '.join(missing)}; {_HINT}")
        records += found
        with_metadata += bool(found)
    return records, with_metadata


# --------------------------------------------------------------------------- checks


def _code_conflicts(population: str, records: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """A variable with two code lists: pages of different deliveries or definitions."""
    lists: dict[str, dict[tuple[str, ...], set[str]]] = defaultdict(lambda: defaultdict(set))
    for rec in records:
        for var, cs in rec["codes"].items():
            lists[var][tuple(str(c) for c in cs)].add(rec["page"])
    out = []
    for var in sorted(lists):
        if len(lists[var]) > 1:
            variants = "; ".join(
                f"{list(cs)} på {', '.join(sorted(pages))}" for cs, pages in lists[var].items()
            )
            pages = tuple(sorted({p for ps in lists[var].values() for p in ps}))
            out.append(
                Finding(
                    population,
                    (),
                    f"{population}: variabelen {var} har ulike koder på ulike sider ({variants}); "
                    "sidene er ikke fra samme kjøring",
                    kind="codes",
                    own=pages,
                )
            )
    return out


def _page_conflicts(
    population: str, records: Sequence[Mapping[str, Any]], pages: Mapping[Key, set[str]]
) -> list[Finding]:
    """Cells hidden on one page and shown on another, and cells shown with two numbers.

    A share hides its numerator (``:``) or shows it is zero (``-``) as a count does; the rounded
    value of a shown share is no exact number (the integer program checks it).
    """
    shows: dict[Key, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for rec in records:
        for fj in rec["facts"]:
            fact = sdc.Fact.from_json(fj)
            if fact.shown == "hidden":
                shows[fact.item.cell][":"].add(rec["page"])
            elif fact.shown == "nil":
                shows[fact.item.cell]["0"].add(rec["page"])
            elif fact.shown == "count":
                shows[fact.item.cell][str(fact.value)].add(rec["page"])
    out = []
    for cell, seen in sorted(shows.items()):
        numbers = sorted(v for v in seen if v != ":")
        if not numbers or (len(numbers) == 1 and ":" not in seen):
            continue
        where = "; ".join(
            f"{'skjult' if v == ':' else v} på {', '.join(sorted(seen[v]))}"
            for v in ([":"] if ":" in seen else []) + numbers
        )
        what = "ulike tall" if len(numbers) > 1 else "skjult på én side, men vist på en annen"
        out.append(
            Finding(
                population,
                cell,
                f"{population}: {key_text(cell)}: {what} ({where})",
                kind="numbers" if len(numbers) > 1 else "hidden-shown",
                own=tuple(sorted(pages[cell])),
            )
        )
    return out


def _shown_small(
    population: str, records: Sequence[Mapping[str, Any]], min_count: int
) -> list[Finding]:
    """Counts shown although ``1 <= count < min_count``, with the pages that show them."""
    shown: dict[tuple[Key, int], set[str]] = defaultdict(set)
    for rec in records:
        for fj in rec["facts"]:
            fact = sdc.Fact.from_json(fj)
            if fact.shown == "count" and 1 <= fact.value < min_count:
                shown[fact.item.cell, fact.value].add(rec["page"])
    return [
        Finding(
            population,
            cell,
            f"{population}: {key_text(cell)}: {value} er vist, men er færre enn {min_count}",
            kind="shown-small",
            own=tuple(sorted(pages)),
        )
        for (cell, value), pages in sorted(shown.items())
    ]


def _related_pages(
    cell: Key, relations: Sequence[tuple[Key, list[Key]]], pages: Mapping[Key, set[str]]
) -> tuple[str, ...]:
    """Pages with a cell on an additive line (relation) through ``cell``."""
    found: set[str] = set()
    for parent, children in relations:
        if cell == parent or cell in children:
            for k in (parent, *children):
                if k != cell:
                    found |= pages.get(k, set())
    return tuple(sorted(found))


def _audit_population(
    population: str,
    merged: Mapping[str, Any],
    min_count: int,
) -> list[Finding]:
    codes = merged["codes"]
    facts = list(merged["facts"].values())
    pages = merged["pages"]
    everywhere = tuple(sorted({p for ps in pages.values() for p in ps}))
    cells: set[Key] = set()
    for f in facts:
        cells.update(f.item.cells())
    missing = sorted({v for k in cells for v, _ in k} - set(codes))
    if missing:
        return [
            Finding(
                population,
                (),
                f"{population}: personvernmetadata mangler kodene til {', '.join(missing)}",
                kind="codes",
                own=everywhere,
            )
        ]
    relations = sdc._relations(codes, cells)
    try:
        failures = sdc.audit_facts(population, codes, facts, min_count, relations=relations)
    except RuntimeError as exc:  # the facts contradict each other: the pages disagree
        return [
            Finding(
                population,
                (),
                f"{population}: de publiserte tallene kan ikke revideres ({exc})",
                kind="infeasible",
                own=everywhere,
            )
        ]
    return [
        Finding(
            population,
            f.cell,
            f.describe(),
            own=tuple(sorted(pages.get(f.cell, ()))),
            related=_related_pages(f.cell, relations, pages),
            failure=f,
        )
        for f in failures
    ]


# --------------------------------------------------------------------------- the audit


def audit_build(notebook_dir: Path, min_count: int | None = None) -> AuditReport:
    """Audit every executed notebook of ``notebook_dir`` together (see the module docstring).

    ``min_count`` defaults to the threshold the records state (the largest, with a note, when
    they disagree). Raises :class:`AuditError` when the directory is missing, holds no executed
    notebook, or no notebook carries disclosure metadata.
    """
    start = time.perf_counter()
    directory = Path(notebook_dir)
    if not directory.is_dir():
        raise AuditError(f"fant ikke mappen {directory}; {_HINT}")
    paths = notebook_paths(directory)
    if not paths:
        raise AuditError(f"ingen kjørte notatbøker i {directory}; {_HINT}")
    records, with_metadata = _read_records(paths)
    if not records:
        raise AuditError(f"ingen personvernmetadata funnet i {directory}; {_HINT}")

    by_population: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        by_population[str(rec["population"])].append(rec)

    summaries: list[PopulationSummary] = []
    findings: list[Finding] = []
    notes: list[str] = []
    for population in sorted(by_population):
        recs = by_population[population]
        page_count = len({r["page"] for r in recs})
        stated = sorted({int(r["min_count"]) for r in recs if r.get("min_count") is not None})
        threshold = _threshold(population, stated, min_count, notes)
        conflicts = _code_conflicts(population, recs)
        if conflicts:
            findings += conflicts
            n_facts = len({json.dumps(f, sort_keys=True) for r in recs for f in r["facts"]})
            summaries.append(
                PopulationSummary(population, page_count, n_facts, 0, threshold, audited=False)
            )
            continue
        merged = sdc.read_metadata(recs)[population]
        facts = list(merged["facts"].values())
        hidden = {f.item.cell for f in facts if f.shown == "hidden"}
        between_pages = _page_conflicts(population, recs, merged["pages"])
        findings += between_pages
        findings += _shown_small(population, recs, threshold)
        if not any(f.kind == "numbers" for f in between_pages):
            # two numbers for one cell would only make the integer program infeasible
            findings += _audit_population(population, merged, threshold)
        summaries.append(
            PopulationSummary(population, page_count, len(facts), len(hidden), threshold)
        )
    return AuditReport(
        directory=directory,
        pages_read=len(paths),
        pages_with_metadata=with_metadata,
        populations=summaries,
        findings=findings,
        notes=notes,
        seconds=time.perf_counter() - start,
    )


def _threshold(
    population: str, stated: Sequence[int], requested: int | None, notes: list[str]
) -> int:
    """The threshold to audit ``population`` at; explains choices in ``notes``."""
    if requested is not None:
        if stated and list(stated) != [requested]:
            notes.append(
                f"{population}: sidene oppgir min_count {_join(stated)}; "
                f"revisjonen bruker {requested} (--min-count)"
            )
        return int(requested)
    if not stated:
        notes.append(
            f"{population}: sidene oppgir ingen min_count; revisjonen bruker {DEFAULT_MIN_COUNT}"
        )
        return DEFAULT_MIN_COUNT
    if len(stated) > 1:
        notes.append(
            f"{population}: sidene oppgir ulike min_count ({_join(stated)}); "
            f"revisjonen bruker den største, {max(stated)}"
        )
    return max(stated)


def _join(values: Iterable[int]) -> str:
    return ", ".join(str(v) for v in values)
