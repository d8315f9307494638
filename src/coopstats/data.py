"""Load a data delivery (a directory of CSV files) into typed pandas frames.

The data contract is described in ``data/README.md`` and enforced by
:mod:`coopstats.validate`. :func:`load_datasets` validates first (unless told not to) so that
analysis code never sees data that breaks the contract.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

#: File name (without ``.csv``) → column → dtype kind used when reading.
#: Kinds: ``str`` (nullable string), ``date``, ``int`` (nullable Int64), ``float``, ``bool``.
COLUMNS: dict[str, dict[str, str]] = {
    "participants": {
        "person_id": "str",
        "unit_id": "str",
        "trial_id": "str",
        "intake_date": "date",
        "exit_date": "date",
        "gender": "str",
        "birth_year": "int",
        "children_under_18": "int",
        "country_background": "str",
        "immigration_year": "int",
        "short_residence_judged": "bool",
        "norwegian_oral": "str",
        "norwegian_written": "str",
        "education_completed": "str",
        "education_completed_country": "str",
        "education_started": "str",
        "education_started_country": "str",
        "relevant_work_experience": "bool",
    },
    "spells": {
        "spell_id": "str",
        "person_id": "str",
        "kind": "str",
        "code": "str",
        "start_date": "date",
        "end_date": "date",
        "full_time": "bool",
        "source": "str",
    },
    "activity_log": {
        "record_id": "str",
        "unit_id": "str",
        "trial_id": "str",
        "period_start": "date",
        "period_end": "date",
        "activity": "str",
        "channel": "str",
        "count": "float",
        "count_low": "float",
        "count_high": "float",
        "qualifier": "str",
        "source_doc": "str",
        "source_lines": "str",
        "note": "str",
    },
    "reported_figures": {
        "figure_id": "str",
        "unit_id": "str",
        "model_id": "str",
        "description": "str",
        "value": "float",
        "value_low": "float",
        "value_high": "float",
        "unit": "str",
        "qualifier": "str",
        "population": "str",
        "as_of": "str",
        "source_doc": "str",
        "source_lines": "str",
    },
    "segments": {
        "segment_id": "str",
        "unit_id": "str",
        "model_id": "str",
        "trial_id": "str",
        "informant_role": "str",
        "phase": "str",
        "code": "str",
        "polarity": "str",
        "evidence_type": "str",
        "paraphrase": "str",
        "source_doc": "str",
        "source_lines": "str",
    },
    "coverage": {
        "kind": "str",
        "code": "str",
        "unit_id": "str",
        "covered_from": "date",
        "covered_to": "date",
        "source": "str",
        "note": "str",
    },
}
#: Files a delivery may leave out. Without ``coverage.csv`` the coverage is inferred from
#: ``spells.csv`` (see :mod:`coopstats.coverage`).
OPTIONAL_FILES: tuple[str, ...] = ("coverage",)
#: Files every delivery must have, in the order they are read and reported.
FILES: tuple[str, ...] = tuple(name for name in COLUMNS if name not in OPTIONAL_FILES)


class DataValidationError(ValueError):
    """Raised when a delivery breaks the data contract; carries every problem found."""

    def __init__(self, problems: list) -> None:
        self.problems = problems
        from coopstats.validate import format_problems

        super().__init__(format_problems(problems))


@dataclass(frozen=True)
class Datasets:
    """One delivery: participants, their spells, activity log, reported figures, segments.

    ``coverage`` is the optional manifest ``coverage.csv`` (which spell kinds and codes the
    delivery covers, for which units and periods); ``None`` when the delivery has no such file.
    Read it through :class:`coopstats.coverage.Coverage`, which also infers the coverage when
    the manifest is missing.
    """

    directory: Path
    participants: pd.DataFrame
    spells: pd.DataFrame
    activity_log: pd.DataFrame
    reported_figures: pd.DataFrame
    segments: pd.DataFrame
    coverage: pd.DataFrame | None = None
    #: The optional comparison population (``comparison.csv``/``.parquet`` and its spells,
    #: :class:`coopstats.comparison.Comparison`); ``None`` when the delivery has none.
    comparison: Any = None

    def files(self) -> list[Path]:
        """The required CSV files this delivery was read from (not the optional ones)."""
        return [self.directory / f"{name}.csv" for name in FILES]


def _convert(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for column, kind in kinds.items():
        raw = frame[column] if column in frame else pd.Series(pd.NA, index=frame.index)
        raw = raw.astype("string").str.strip().replace("", pd.NA)
        if kind == "date":
            out[column] = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
        elif kind == "int":
            out[column] = pd.to_numeric(raw, errors="coerce").astype("Int64")
        elif kind == "float":
            out[column] = pd.to_numeric(raw, errors="coerce").astype("Float64")
        elif kind == "bool":
            out[column] = raw.str.lower().map({"true": True, "false": False}).astype("boolean")
        else:
            out[column] = raw
    return out


def read_table(path: Path, name: str) -> pd.DataFrame:
    """Read one contract file with every column as typed, nullable pandas dtype."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return _convert(frame, COLUMNS[name])


#: Validated deliveries already read in this process, keyed by directory and file contents.
_CACHE: dict[tuple[Path, bool], tuple[str, Datasets]] = {}


def _contents_key(directory: Path) -> str:
    digest = hashlib.sha256()
    for name in (*FILES, *OPTIONAL_FILES):
        path = directory / f"{name}.csv"
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"\0missing")
    for stem in ("comparison", "comparison_spells"):  # may be register-sized: size and time
        for path in sorted(directory.glob(f"{stem}.*")):
            stat = path.stat()
            digest.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _copy(datasets: Datasets) -> Datasets:
    frames = {name: getattr(datasets, name) for name in (*FILES, *OPTIONAL_FILES)}
    return replace(
        datasets, **{name: None if f is None else f.copy() for name, f in frames.items()}
    )


def load_datasets(directory: str | Path, *, validate: bool = True) -> Datasets:
    """Read (and by default validate) every contract file in ``directory``.

    Optional files (:data:`OPTIONAL_FILES`) that the delivery does not have are ``None``.

    Raises :class:`DataValidationError` listing every problem when validation fails.

    A delivery read before in the same process, with byte-identical files, is not read and
    validated again (the batch runs many notebooks in one warm kernel); the caller always gets
    its own copies of the frames, so changing them cannot affect a later caller.
    """
    directory = Path(directory)
    cache_key = (directory.resolve(), validate)
    contents = _contents_key(directory)
    cached = _CACHE.get(cache_key)
    if cached is not None and cached[0] == contents:
        return _copy(cached[1])
    if validate:
        from coopstats.validate import validate_directory

        problems = validate_directory(directory)
        if problems:
            raise DataValidationError(problems)
    frames = {name: read_table(directory / f"{name}.csv", name) for name in FILES}
    for name in OPTIONAL_FILES:
        path = directory / f"{name}.csv"
        frames[name] = read_table(path, name) if path.is_file() else None
    from coopstats.comparison import load_comparison  # it imports this module

    comparison = load_comparison(
        directory,
        participant_ids=frozenset(frames["participants"]["person_id"].dropna()),
        validate=False,  # validate_directory has checked it
    )
    datasets = Datasets(directory=directory, **frames, comparison=comparison)
    _CACHE[cache_key] = (contents, datasets)
    return _copy(datasets)
