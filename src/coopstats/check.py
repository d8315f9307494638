"""``coopstats check``: load and validate every definition file, without any data.

The definition files are the registry (``units.yaml``, ``models.yaml``, ``trials.yaml``), the
files of ``coopstats/definitions`` (indicators, participant tables, cleaning rules, coding
frame, learning points, header synonyms) and the run matrix (``runs.yaml``). Each is read by
the loader the notebooks use, so a file that passes here loads the same way in a run.
:func:`check_definitions` returns one :class:`FileCheck` per file; ``coopstats validate`` and
``coopstats build`` run it before they look at the data.

The override folders are honoured: ``COOPSTATS_REGISTRY_DIR`` for the registry,
``COOPSTATS_DEFINITIONS_DIR`` for the definitions and ``runs.yaml`` (see
:mod:`coopstats.yamlio`), and a project's own ``runs.yaml``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coopstats.yamlio import DefinitionError, shown_definitions_file

__all__ = ["FileCheck", "check_definitions", "main_check"]

#: Definition files of ``coopstats/definitions`` in the order they are checked.
DEFINITION_FILES = (
    "indicators.yaml",
    "participant_tables.yaml",
    "cleaning_rules.yaml",
    "coding_frame.yaml",
    "learning_points.yaml",
    "header_synonyms.yaml",
    "outcomes.yaml",
)
#: Files whose cross-checks need the registry (skipped when it has errors).
_NEEDS_REGISTRY = ("indicators.yaml", "learning_points.yaml")


@dataclass(frozen=True)
class FileCheck:
    """The result for one file: ``count`` entries when valid, else ``error`` (or ``skipped``)."""

    file: str
    count: int | None = None
    error: str | None = None
    skipped: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.skipped is None

    def line(self) -> str:
        """``OK: <file> (<n> oppføringer)``, the error message, or why the file was skipped."""
        if self.error is not None:
            return self.error
        if self.skipped is not None:
            return f"ikke kontrollert: {self.file} ({self.skipped})"
        noun = "oppføring" if self.count == 1 else "oppføringer"
        return f"OK: {self.file} ({self.count} {noun})"


def _errors() -> tuple[type[BaseException], ...]:
    from coopstats.runmatrix import RunMatrixError

    return (DefinitionError, RunMatrixError)


def _registry_files() -> dict[str, str]:
    from coopstats.registry import FILES, REGISTRY_DIR_ENV, _shown_name

    override = os.environ.get(REGISTRY_DIR_ENV, "").strip()
    folder = Path(override).expanduser().resolve() if override else None
    return {name: _shown_name(folder, name) for name in FILES}


def _counters(registry: Any) -> dict[str, Callable[[], int]]:
    """How to load each file of ``coopstats/definitions`` and count its entries."""
    from coopstats import importer, indicators, learning, outcomes, participants

    return {
        "indicators.yaml": lambda: len(indicators.load_indicators()),
        "participant_tables.yaml": lambda: len(participants.load_table_defs().tables),
        "cleaning_rules.yaml": lambda: len(participants.load_cleaning_rules()),
        "coding_frame.yaml": lambda: sum(1 for _ in learning.load_coding_frame().iter_items()),
        "learning_points.yaml": lambda: len(
            learning.load_learning_points(registry=registry).learning_points
        ),
        "header_synonyms.yaml": lambda: len(importer.load_synonyms().names),
        "outcomes.yaml": lambda: _outcome_count(outcomes.load_outcome_defs()),
    }


def _outcome_count(defs: Any) -> int:
    """Outcomes of ``outcomes.yaml``: events, competing outcomes and states per horizon."""
    states = len(defs.anchors) * len(defs.horizons_months)
    return len(defs.events) + len(defs.competing) + states


def _run_matrix(root: Path | None) -> FileCheck:
    from coopstats.runmatrix import CONFIG_NAME, load_config, packaged_config, parse_config

    if root is None:
        try:
            from coopstats.batch import project_root

            root = project_root()
        except FileNotFoundError:
            root = None
    try:
        if root is not None:
            own = root / CONFIG_NAME
            config = load_config(root)
            shown = str(own) if own.is_file() else config.source
        else:
            raw, shown = packaged_config()
            config = parse_config(raw, Path.cwd(), shown)
    except _errors() as exc:
        return FileCheck(CONFIG_NAME, error=str(exc))
    return FileCheck(shown, len(config.notebooks))


def check_definitions(root: Path | None = None) -> list[FileCheck]:
    """Load and validate every definition file; one result per file, in a fixed order.

    Parameters
    ----------
    root
        Project root whose ``runs.yaml`` is checked (default: the project around the working
        directory; outside a project, the packaged ``runs.yaml``).
    """
    results: list[FileCheck] = []
    names = _registry_files()
    registry = None
    try:
        from coopstats.registry import load_registry

        registry = load_registry()
    except _errors() as exc:
        message = str(exc)
        failed = next((n for n in names if message.startswith(names[n])), None)
        for name, shown in names.items():
            if name == failed or failed is None:
                results.append(FileCheck(shown, error=message))
                if failed is None:
                    break
            else:
                results.append(FileCheck(shown, skipped="registeret har feil i en annen fil"))
    else:
        results += [
            FileCheck(names["units.yaml"], len(registry.units) + len(registry.county_map)),
            FileCheck(names["models.yaml"], len(registry.models)),
            FileCheck(names["trials.yaml"], len(registry.trials)),
        ]
    counters = _counters(registry)
    for name in DEFINITION_FILES:
        try:
            shown = shown_definitions_file(name)
        except DefinitionError as exc:  # COOPSTATS_DEFINITIONS_DIR names no folder
            return [*results, FileCheck(name, error=str(exc))]
        if registry is None and name in _NEEDS_REGISTRY:
            results.append(FileCheck(shown, skipped="avhenger av registeret, som har feil"))
            continue
        try:
            results.append(FileCheck(shown, counters[name]()))
        except _errors() as exc:
            results.append(FileCheck(shown, error=str(exc)))
    results.append(_run_matrix(root))
    return results


def main_check(prog: str = "coopstats check", *, quiet: bool = False) -> int:
    """Print one line per definition file; 0 when all are valid, 2 otherwise.

    ``OK`` lines go to standard output, errors (first) and files that could not be checked to
    standard error as ``<prog>: <file>: <key path>: …``. ``quiet`` (as ``validate`` and
    ``build`` use it) prints only the errors.
    """
    import sys

    results = check_definitions()
    bad = [r for r in results if not r.ok]
    if not quiet:
        for result in results:
            if result.ok:
                print(result.line())
    # errors first (the first line names the file and key), then what could not be checked
    for result in sorted(bad, key=lambda r: r.error is None):
        if result.error is not None or not quiet:
            print(f"{prog}: {result.line()}", file=sys.stderr)
    errors = sum(r.error is not None for r in results)
    if errors:
        noun = "definisjonsfil" if errors == 1 else "definisjonsfiler"
        print(
            f"{prog}: {errors} {noun} har feil (av {len(results)}); rett dem før data kontrolleres "
            "eller kjøres.",
            file=sys.stderr,
        )
        return 2
    if not quiet and not bad:
        print(f"Alle {len(results)} definisjonsfilene er i orden.")
    return 0
