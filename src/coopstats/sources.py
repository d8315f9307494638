"""Source documents as readers see them: a provenance id becomes a citation.

Facts in the registry and the definitions carry a :class:`~coopstats.registry.Provenance`:
an internal source id (``seed-000`` … ``seed-004`` or ``public``) and line numbers in the text
extraction of that document. Neither means anything to a reader. This module turns them into a
Norwegian citation of the document (author, year, title) with the chapter or section the lines
fall in, using the entries of ``references.bib``:

>>> cite("seed-003", "3580-3590")
'ideas2evidence (2024): Delrapport 1, avsnitt 6.1'

The internal id and the line numbers stay machine-readable only: :func:`provenance_attribute` gives
them as an HTML ``data-provenance`` attribute, and the YAML files keep them as they are.
"""

from __future__ import annotations

import html
import json
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "REFERENCES",
    "Reference",
    "cite",
    "cite_provenance",
    "provenance_attribute",
    "reference_list",
    "section",
]


@dataclass(frozen=True)
class Reference:
    """One source document: its ``references.bib`` key and how a reader is shown it."""

    key: str
    #: Authors as a reader sees them in a citation.
    authors: str
    year: str
    #: Short name used in running text and table cells.
    short: str
    #: The title as in ``references.bib``.
    title: str
    #: Series, number and publisher, for the reference list.
    details: str = ""
    #: (first line, section label) in line order; the lines are those of the text extraction.
    sections: tuple[tuple[int, str], ...] = ()

    def full(self) -> str:
        """The full reference: ``Authors (year): Title. Details.``"""
        tail = f". {self.details}" if self.details else ""
        return f"{self.authors} ({self.year}): {self.title}{tail}."


_SEED_000_SECTIONS = (
    (1, "kapittel 1"), (9, "avsnitt 1.1"), (36, "avsnitt 1.2"), (164, "kapittel 2"),
    (171, "avsnitt 2.1"), (343, "avsnitt 2.2"), (561, "avsnitt 2.3"), (728, "kapittel 3"),
    (736, "avsnitt 3.1"), (840, "avsnitt 3.2"), (947, "avsnitt 3.3"), (1066, "avsnitt 3.4"),
    (1134, "avsnitt 3.5"), (1167, "kapittel 4"), (1176, "avsnitt 4.1"), (1256, "avsnitt 4.2"),
    (1373, "avsnitt 4.3"), (1580, "avsnitt 4.4"), (1676, "avsnitt 4.5"), (1710, "kapittel 5"),
    (1717, "avsnitt 5.1"), (1778, "avsnitt 5.2"), (1849, "avsnitt 5.3"), (1942, "vedlegget"),
)  # fmt: skip

_SEED_001_SECTIONS = (
    (1, "forordet"), (108, "sammendraget"), (152, "kapittel 1"), (226, "kapittel 2"),
    (284, "kapittel 3"), (560, "kapittel 4"), (780, "kapittel 5"), (902, "kapittel 6"),
    (1066, "kapittel 7"), (1098, "litteraturlisten"), (1135, "vedlegg 1"),
)  # fmt: skip

_SEED_003_SECTIONS = (
    (1, "sammendraget"), (234, "kapittel 1"), (262, "avsnitt 1.1"), (339, "avsnitt 1.2"),
    (367, "avsnitt 1.3"), (449, "avsnitt 1.4"), (530, "avsnitt 1.5"), (571, "kapittel 2"),
    (591, "avsnitt 2.1"), (832, "avsnitt 2.2"), (949, "avsnitt 2.3"), (1224, "avsnitt 2.4"),
    (1298, "kapittel 3"), (1316, "avsnitt 3.1"), (1700, "avsnitt 3.2"), (2562, "avsnitt 3.3"),
    (2591, "kapittel 4"), (2609, "avsnitt 4.1"), (2691, "avsnitt 4.2"), (2780, "avsnitt 4.3"),
    (2889, "avsnitt 4.4"), (2912, "avsnitt 4.5"), (2982, "kapittel 5"), (3000, "avsnitt 5.1"),
    (3020, "avsnitt 5.2"), (3359, "avsnitt 5.3"), (3466, "avsnitt 5.4"), (3520, "kapittel 6"),
    (3542, "avsnitt 6.1"), (3596, "avsnitt 6.2"), (3620, "avsnitt 6.3"), (3682, "avsnitt 6.4"),
    (3759, "avsnitt 6.5"), (4034, "avsnitt 6.6"), (4115, "kapittel 7"),
)  # fmt: skip

#: Source id → reference. Keep in step with ``references.bib`` (a test checks it).
REFERENCES: dict[str, Reference] = {
    "seed-000": Reference(
        key="ideas2evidence2026statusrapport",
        authors="ideas2evidence og Proba samfunnsanalyse",
        year="2026",
        short="Første statusrapport",
        title=(
            "Utprøving av lovende modeller for samarbeid om tilrettelagt fag- og "
            "yrkesopplæring: første statusrapport"
        ),
        details="Statusrapport, ideas2evidence og Proba samfunnsanalyse. Udatert",
        sections=_SEED_000_SECTIONS,
    ),
    "seed-001": Reference(
        key="dahle2022tilrettelagt",
        authors="Dahle, Jones og Møller",
        year="2022",
        short="Rapport 17/2022",
        title="Tilrettelagt fag- og yrkesopplæring: erfaringer og grep fra samarbeid",
        details="Rapport 17/2022, ideas2evidence, Bergen",
        sections=_SEED_001_SECTIONS,
    ),
    "seed-002": Reference(
        key="navnordland2023karriereveiledning",
        authors="NAV Nordland og Nordland fylkeskommune",
        year="2023",
        short="Modellbeskrivelse",
        title="Modell for samarbeid om karriereveiledning for NAVs brukere",
        details="Modellbeskrivelse. Udatert",
    ),
    "seed-003": Reference(
        key="ideas2evidence2024delrapport1",
        authors="ideas2evidence",
        year="2024",
        short="Delrapport 1",
        title="Evaluering av forsøk med opplæringstiltak av lengre varighet: delrapport 1",
        details="Delrapport, ideas2evidence. Udatert",
        sections=_SEED_003_SECTIONS,
    ),
    "seed-004": Reference(
        key="vedlegg2022lokaleprosjekter",
        authors="Uten forfatter",
        year="2022",
        short="Vedlegg om lokale prosjekter",
        title="Vedlegg: aktuelle lokale og kommunale/fylkeskommunale prosjekter",
        details="Vedlegg til et ikke navngitt dokument, datert 26. april 2022",
    ),
}

_PUBLIC = "offentlig tilgjengelig informasjon"
_FIRST_LINE = re.compile(r"\d+")


def _first_lines(lines: str) -> list[int]:
    """The first line of each range in ``"N"``, ``"N-M"`` or ``"N-M, K"``."""
    return [int(part.strip().split("-")[0]) for part in lines.split(",") if part.strip()]


def section(source: str, lines: str) -> str:
    """The chapter or section the lines fall in (``"avsnitt 2.2"``), ``""`` when not known.

    Several ranges in different sections give ``"avsnitt 5.1 og 4.3"``.
    """
    ref = REFERENCES.get(source)
    if ref is None or not ref.sections or not lines or not _FIRST_LINE.search(lines):
        return ""
    starts = [start for start, _ in ref.sections]
    found: list[str] = []
    for first in _first_lines(lines):
        k = bisect_right(starts, first) - 1
        if k >= 0 and ref.sections[k][1] not in found:
            found.append(ref.sections[k][1])
    if len(found) <= 1:
        return "".join(found)
    # "avsnitt 5.1 og avsnitt 4.3" -> "avsnitt 5.1 og 4.3" when the kinds agree
    kinds = {f.split(" ")[0] for f in found}
    if len(kinds) == 1 and len(found[0].split(" ")) == 2:
        kind = kinds.pop()
        nums = [f.split(" ", 1)[1] for f in found]
        return f"{kind} {', '.join(nums[:-1])} og {nums[-1]}"
    return ", ".join(found[:-1]) + " og " + found[-1]


def cite(source: str, lines: str = "", *, full: bool = False, inline: bool = False) -> str:
    """A Norwegian citation of a source document, with the section where known.

    ``cite("seed-000", "503-505")`` gives ``"ideas2evidence og Proba samfunnsanalyse (2026):
    Første statusrapport, avsnitt 2.2"``; ``full=True`` uses the whole title; ``inline=True``
    gives a form that fits inside parentheses (``"ideas2evidence 2024, Delrapport 1, …"``).
    """
    ref = REFERENCES.get(source)
    if ref is None:
        return _PUBLIC if source == "public" else "ukjent kilde"
    where = section(source, lines)
    title = ref.title if full else ref.short
    if inline:
        text = f"{ref.authors} {ref.year}, {title}"
    else:
        text = f"{ref.authors} ({ref.year}): {title}"
    return f"{text}, {where}" if where else text


def cite_provenance(provenance: object, *, full: bool = False) -> str:
    """:func:`cite` for anything with ``source`` and ``lines`` (a registry ``Provenance``)."""
    return cite(
        str(getattr(provenance, "source", "")), str(getattr(provenance, "lines", "") or ""),
        full=full,
    )  # fmt: skip


def reference_list(sources: Iterable[str]) -> list[str]:
    """Full references of the documents behind ``sources`` (ids), each once, in id order."""
    return [REFERENCES[s].full() for s in sorted(set(sources)) if s in REFERENCES]


def provenance_attribute(provenances: Iterable[object]) -> str:
    """The internal ids and line numbers as one HTML ``data-provenance`` attribute (JSON).

    For auditors only: ``[{"source": "seed-000", "lines": "503-505"}, …]``, each pair once,
    in order. Readers see the citations (:func:`cite_provenance`) instead.
    """
    records: list[dict[str, str]] = []
    for prov in provenances:
        record = {
            "source": str(getattr(prov, "source", "")),
            "lines": str(getattr(prov, "lines", "") or ""),
        }
        if record not in records:
            records.append(record)
    text = json.dumps(records, ensure_ascii=False, separators=(",", ":"))
    return f'data-provenance="{html.escape(text, quote=True)}"'
