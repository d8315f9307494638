"""The data contract as pandera schemas, one per file in :data:`coopstats.data.COLUMNS`.

The schemas run on the *raw* text of a delivery: every cell is a string (empty cells are
``NA``), and each check parses what it needs. A value that cannot be parsed therefore fails
with its raw text as the failure case, which :mod:`coopstats.validate` reports to the user.

Three kinds of rule live here:

* column checks (pandera ``Column``): required columns, required values, unique ids, allowed
  values, formats and plausible ranges;
* row rules (:class:`RowRule`, installed as pandera data-frame checks): rules that involve
  several columns of one row, such as ``end_date >= start_date`` or the qualifier rules. Each
  row rule names the column its problems are reported on;
* cross-file rules, built into the schemas from the registry and the participants file by
  :func:`build_contracts` (unit, model and trial ids known, the trial belongs to the row's unit,
  every spell belongs to a known participant).

The optional coverage manifest ``coverage.csv`` has a schema too (``"coverage"``); it is only
checked when the delivery has the file.

The scan for Norwegian national identity numbers (:func:`national_id_cells`) runs on every
cell of every file, including columns outside the contract.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import pandera.pandas as pa

from coopstats.data import COLUMNS
from coopstats.registry import SOURCES, Registry, load_registry

__all__ = [
    "COUNTRIES",
    "EDUCATION_LEVELS",
    "EVIDENCE_TYPES",
    "FIGURE_UNITS",
    "GENDERS",
    "NATIONAL_ID_RE",
    "NORWEGIAN_LEVELS",
    "PHASES",
    "POLARITIES",
    "QUALIFIERS",
    "SPELL_KINDS",
    "FileContract",
    "RowRule",
    "build_contracts",
    "mask_national_ids",
    "national_id_cells",
]

GENDERS: tuple[str, ...] = ("K", "M")
#: CEFR levels used for Norwegian oral and written skills.
NORWEGIAN_LEVELS: tuple[str, ...] = ("A0", "A1", "A2", "B1", "B2", "C1", "C2")
#: Education levels, lowest first (the order matters for the started-above-completed rule).
EDUCATION_LEVELS: tuple[str, ...] = ("ingen", "grunnskole", "vgo", "hoyere")
COUNTRIES: tuple[str, ...] = ("norge", "utland")
SPELL_KINDS: tuple[str, ...] = ("status", "ytelse", "tiltak", "arbeid", "utdanning", "fagbrev")
QUALIFIERS: tuple[str, ...] = ("exact", "approximate", "range", "not_reported")
POLARITIES: tuple[str, ...] = ("driver", "barrier")
#: Phase codes of the coded interview segments, with their meaning.
#: Phases of the coding frame (seed 001; the full frame is definitions/coding_frame.yaml).
PHASES: dict[str, str] = {
    "GOV": "tverretatlig styring og koordinering",
    "EMP": "samarbeid med opplæringsbedrifter",
    "INT": "rekruttering og inntak av deltakere",
    "INC": "inntektssikring og livsopphold",
    "TRN": "opplæring og oppfølging",
    "TRF": "overføringsverdi og videreføring",
}
EVIDENCE_TYPES: tuple[str, ...] = ("interview", "document", "observation", "survey")
FIGURE_UNITS: tuple[str, ...] = ("persons", "count", "percent", "years", "months")
#: Source documents: the seed reports or a public source.
SOURCE_DOCS: tuple[str, ...] = SOURCES

#: An 11-digit run (the shape of a Norwegian fødselsnummer or D-nummer).
NATIONAL_ID_RE = re.compile(r"(?<!\d)\d{11}(?!\d)")
_ID_RE = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"
_TOKEN_RE = r"[a-z0-9]+([_-][a-z0-9]+)*"
_LINES_RE = r"\d+(-\d+)?(, ?\d+(-\d+)?)*"
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT_RE = re.compile(r"-?\d+")
_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?")

RowTest = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class RowRule:
    """A rule on several columns of one row.

    ``test`` gets the raw frame and returns a boolean Series (``True`` = the row is fine; rows
    whose inputs are missing or unparseable must return ``True`` – the column checks report
    those). Problems are reported on ``column``; ``describe`` may give a row-specific text.
    """

    column: str
    expected: str
    test: RowTest
    describe: Callable[[Mapping[str, object]], str] | None = None

    def explain(self, row: Mapping[str, object]) -> str:
        """The expected text for one failing row."""
        return self.describe(row) if self.describe is not None else self.expected


@dataclass(frozen=True)
class FileContract:
    """The pandera schema of one file and its row rules (``schema.checks[i]`` is rule ``i``)."""

    name: str
    schema: pa.DataFrameSchema
    row_rules: tuple[RowRule, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- parsing helpers


def _parse_date(text: str) -> date | None:
    if not _DATE_RE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _parse_int(text: str) -> int | None:
    return int(text) if _INT_RE.fullmatch(text) else None


def _parse_number(text: str) -> float | None:
    return float(text) if _NUMBER_RE.fullmatch(text) else None


def _raw(frame: pd.DataFrame, column: str) -> pd.Series:
    if column in frame:
        return frame[column]
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def _apply(frame: pd.DataFrame, column: str, parse: Callable[[str], object]) -> pd.Series:
    """Parsed values of a column (``None`` where missing or unparseable)."""
    return _raw(frame, column).map(lambda v: None if pd.isna(v) else parse(v), na_action=None)


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_datetime(_apply(frame, column, _parse_date), errors="coerce")


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(_apply(frame, column, _parse_number), errors="coerce")


def _ints(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(_apply(frame, column, _parse_int), errors="coerce")


def _present(frame: pd.DataFrame, column: str) -> pd.Series:
    return _raw(frame, column).notna()


def _ok(series: pd.Series) -> pd.Series:
    """A rule result with missing comparisons counted as fine."""
    return series.astype("boolean").fillna(True).astype(bool)


def _holds(condition: pd.Series, *inputs: pd.Series) -> pd.Series:
    """``condition`` where every input is known; ``True`` where any input is missing."""
    missing = pd.Series(False, index=condition.index)
    for series in inputs:
        missing |= series.isna().to_numpy()
    return _ok(condition) | missing


# --------------------------------------------------------------------------- column checks


def _element(parse_ok: Callable[[str], bool], expected: str) -> pa.Check:
    return pa.Check(lambda s: s.map(parse_ok).astype(bool), error=expected)


def _one_of(values: Collection[str], expected: str | None = None) -> pa.Check:
    allowed = frozenset(values)
    text = expected or "en av " + ", ".join(values)
    return _element(lambda v: v in allowed, text)


def _matches(regex: str, expected: str) -> pa.Check:
    pattern = re.compile(regex)
    return _element(lambda v: pattern.fullmatch(v) is not None, expected)


def _iso_date() -> pa.Check:
    return _element(lambda v: _parse_date(v) is not None, "dato på formen ÅÅÅÅ-MM-DD")


def _int_between(low: int, high: int) -> pa.Check:
    def ok(v: str) -> bool:
        n = _parse_int(v)
        return n is not None and low <= n <= high

    return _element(ok, f"heltall {low}–{high}")


def _non_negative() -> pa.Check:
    def ok(v: str) -> bool:
        n = _parse_number(v)
        return n is not None and n >= 0

    return _element(ok, "tall ≥ 0 (punktum som desimaltegn)")


def _boolean() -> pa.Check:
    return _one_of(("true", "false"), "true eller false")


def _column(*checks: pa.Check, required: bool = True, unique: bool = False) -> pa.Column:
    """A contract column: must exist; ``required`` means no empty cells."""
    return pa.Column(
        nullable=not required,
        unique=unique,
        report_duplicates="exclude_first",
        checks=list(checks),
        required=True,
    )


def _id_column() -> pa.Column:
    return _column(_matches(_ID_RE, "id med bokstaver, sifre, _ . eller -"), unique=True)


def _token(required: bool = True) -> pa.Column:
    return _column(
        _matches(_TOKEN_RE, "kode med små bokstaver, sifre, _ eller -"), required=required
    )


def _text(required: bool = True) -> pa.Column:
    return _column(required=required)


def _source_doc() -> pa.Column:
    return _column(_one_of(SOURCE_DOCS))


def _source_lines() -> pa.Column:
    return _column(_matches(_LINES_RE, "linjer som «N», «N-M» eller «N-M, K»"), required=False)


# --------------------------------------------------------------------------- row rules


def _not_before(later: str, earlier: str) -> RowRule:
    return RowRule(
        later,
        f"{later} på eller etter {earlier}",
        lambda d: _holds(
            _dates(d, later) >= _dates(d, earlier), _dates(d, later), _dates(d, earlier)
        ),
    )


def _source_line_rules() -> list[RowRule]:
    public = _raw_eq("source_doc", "public")
    return [
        RowRule(
            "source_lines",
            "linjehenvisning når source_doc er et seed-dokument",
            lambda d: ~(_present(d, "source_doc") & ~public(d)) | _present(d, "source_lines"),
        ),
        RowRule(
            "source_lines",
            "tom når source_doc er public",
            lambda d: ~public(d) | ~_present(d, "source_lines"),
        ),
    ]


def _raw_eq(column: str, value: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda d: _ok(_raw(d, column) == value) & _present(d, column)


def _raw_in(column: str, values: Collection[str]) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda d: _raw(d, column).isin(list(values)).fillna(False).astype(bool)


def _qualifier_rules(point: str, low: str, high: str) -> list[RowRule]:
    """exact/approximate need ``point``; range needs ``low <= high``; not_reported takes none."""
    q = "qualifier"
    has_point = _raw_in(q, ("exact", "approximate"))
    is_range = _raw_eq(q, "range")
    not_reported = _raw_eq(q, "not_reported")
    return [
        RowRule(
            point,
            "et tall når qualifier er exact eller approximate",
            lambda d: ~has_point(d) | _present(d, point),
        ),
        RowRule(low, "et tall når qualifier er range", lambda d: ~is_range(d) | _present(d, low)),
        RowRule(high, "et tall når qualifier er range", lambda d: ~is_range(d) | _present(d, high)),
        RowRule(
            high,
            f"{high} ≥ {low}",
            lambda d: _holds(
                _numbers(d, high) >= _numbers(d, low), _numbers(d, high), _numbers(d, low)
            ),
        ),
        RowRule(
            point,
            f"innenfor {low}–{high}",
            lambda d: _holds(
                (_numbers(d, point) >= _numbers(d, low))
                & (_numbers(d, point) <= _numbers(d, high)),
                _numbers(d, point),
                _numbers(d, low),
                _numbers(d, high),
            ),
        ),
        RowRule(low, "tom når qualifier ikke er range", lambda d: is_range(d) | ~_present(d, low)),
        RowRule(
            high, "tom når qualifier ikke er range", lambda d: is_range(d) | ~_present(d, high)
        ),
        RowRule(
            point,
            "tom når qualifier er not_reported",
            lambda d: ~not_reported(d) | ~_present(d, point),
        ),
    ]


def _education_rules() -> list[RowRule]:
    rank = {level: i for i, level in enumerate(EDUCATION_LEVELS)}
    rules: list[RowRule] = []
    for which in ("completed", "started"):
        level, country = f"education_{which}", f"education_{which}_country"

        def test(d: pd.DataFrame, level: str = level, country: str = country) -> pd.Series:
            known = _raw_in(level, EDUCATION_LEVELS)(d)
            needs = known & (_raw(d, level) != "ingen").fillna(False).astype(bool)
            return ~known | (needs == _present(d, country))

        rules.append(
            RowRule(country, f"norge eller utland når {level} ikke er ingen, ellers tom", test)
        )

    def above(d: pd.DataFrame) -> pd.Series:
        done = _raw(d, "education_completed").map(rank.get, na_action="ignore")
        started = _raw(d, "education_started").map(rank.get, na_action="ignore")
        same_country = _raw(d, "education_started_country") == _raw(
            d, "education_completed_country"
        )
        bad = (started > 0) & (started <= done) & same_country
        return ~bad.astype("boolean").fillna(False).astype(bool)

    rules.append(
        RowRule(
            "education_started",
            "et høyere nivå enn education_completed, eller påbegynt i et annet land",
            above,
        )
    )
    return rules


def _trial_rules(registry: Registry, *, with_model: bool) -> list[RowRule]:
    trials = registry.trials

    def unit_of(trial: object) -> object:
        return trials[trial].unit if isinstance(trial, str) and trial in trials else None

    def model_of(trial: object) -> object:
        return trials[trial].model if isinstance(trial, str) and trial in trials else None

    def same(column: str, lookup: Callable[[object], object], known: Collection[str]) -> RowTest:
        def test(d: pd.DataFrame) -> pd.Series:
            wanted = _raw(d, "trial_id").map(lookup, na_action="ignore").astype("string")
            have = _raw(d, column)
            # An unknown unit or model is reported by its own column check, not here.
            bad = wanted.notna() & have.isin(list(known)) & (wanted != have)
            return ~bad.fillna(False).astype(bool)

        return test

    rules = [
        RowRule(
            "trial_id",
            "et forsøk i enheten i unit_id",
            same("unit_id", unit_of, registry.units),
            lambda row: (
                f"et forsøk i enheten {row.get('unit_id')} "
                f"(forsøket hører til {unit_of(row.get('trial_id'))})"
            ),
        )
    ]
    if with_model:
        rules.append(
            RowRule(
                "trial_id",
                "et forsøk med modellen i model_id",
                same("model_id", model_of, registry.models),
                lambda row: (
                    f"et forsøk med modellen {row.get('model_id')} "
                    f"(forsøket bruker {model_of(row.get('trial_id'))})"
                ),
            )
        )
    return rules


# --------------------------------------------------------------------------- schemas


def _registry_checks(registry: Registry) -> dict[str, pa.Check]:
    return {
        "unit_id": _one_of(registry.units, "en kjent enhet i registeret (unit_id)"),
        "trial_id": _one_of(registry.trials, "et kjent forsøk i registeret (trial_id)"),
        "model_id": _one_of(registry.models, "en kjent modell: " + ", ".join(registry.models)),
    }


def _participants(registry: Registry) -> tuple[dict[str, pa.Column], list[RowRule]]:
    reg = _registry_checks(registry)
    levels = _one_of(NORWEGIAN_LEVELS)
    columns = {
        "person_id": _id_column(),
        "unit_id": _column(reg["unit_id"]),
        "trial_id": _column(reg["trial_id"]),
        "intake_date": _column(_iso_date()),
        "exit_date": _column(_iso_date(), required=False),
        "gender": _column(_one_of(GENDERS)),
        "birth_year": _column(_int_between(1940, 2010)),
        "children_under_18": _column(_int_between(0, 15), required=False),
        "country_background": _text(),
        "immigration_year": _column(_int_between(1940, 2030), required=False),
        "short_residence_judged": _column(_boolean(), required=False),
        "norwegian_oral": _column(levels, required=False),
        "norwegian_written": _column(levels, required=False),
        "education_completed": _column(_one_of(EDUCATION_LEVELS)),
        "education_completed_country": _column(_one_of(COUNTRIES), required=False),
        "education_started": _column(_one_of(EDUCATION_LEVELS)),
        "education_started_country": _column(_one_of(COUNTRIES), required=False),
        "relevant_work_experience": _column(_boolean(), required=False),
    }
    rules = [
        _not_before("exit_date", "intake_date"),
        RowRule(
            "immigration_year",
            "immigration_year ≥ birth_year",
            lambda d: _holds(
                _ints(d, "immigration_year") >= _ints(d, "birth_year"),
                _ints(d, "immigration_year"),
                _ints(d, "birth_year"),
            ),
        ),
        RowRule(
            "immigration_year",
            "immigration_year ≤ året i intake_date",
            lambda d: _holds(
                _ints(d, "immigration_year") <= _dates(d, "intake_date").dt.year,
                _ints(d, "immigration_year"),
                _dates(d, "intake_date"),
            ),
        ),
        *_education_rules(),
        *_trial_rules(registry, with_model=False),
    ]
    return columns, rules


def _spells(person_ids: Collection[str] | None) -> tuple[dict[str, pa.Column], list[RowRule]]:
    person_checks = [_matches(_ID_RE, "id med bokstaver, sifre, _ . eller -")]
    if person_ids is not None:
        person_checks.append(_one_of(person_ids, "en person_id som finnes i participants.csv"))
    columns = {
        "spell_id": _id_column(),
        "person_id": _column(*person_checks),
        "kind": _column(_one_of(SPELL_KINDS)),
        "code": _token(),
        "start_date": _column(_iso_date()),
        "end_date": _column(_iso_date(), required=False),
        "full_time": _column(_boolean(), required=False),
        "source": _token(),
    }
    rules = [
        _not_before("end_date", "start_date"),
        RowRule(
            "full_time",
            "tom unntatt når kind er arbeid",
            lambda d: _raw_eq("kind", "arbeid")(d) | ~_present(d, "full_time"),
        ),
    ]
    return columns, rules


def _activity_log(registry: Registry) -> tuple[dict[str, pa.Column], list[RowRule]]:
    reg = _registry_checks(registry)
    columns = {
        "record_id": _id_column(),
        "unit_id": _column(reg["unit_id"]),
        "trial_id": _column(reg["trial_id"]),
        "period_start": _column(_iso_date(), required=False),
        "period_end": _column(_iso_date()),
        "activity": _token(),
        "channel": _token(required=False),
        "count": _column(_non_negative(), required=False),
        "count_low": _column(_non_negative(), required=False),
        "count_high": _column(_non_negative(), required=False),
        "qualifier": _column(_one_of(QUALIFIERS)),
        "source_doc": _source_doc(),
        "source_lines": _source_lines(),
        "note": _text(required=False),
    }
    rules = [
        _not_before("period_end", "period_start"),
        *_qualifier_rules("count", "count_low", "count_high"),
        *_trial_rules(registry, with_model=False),
        *_source_line_rules(),
    ]
    return columns, rules


def _reported_figures(registry: Registry) -> tuple[dict[str, pa.Column], list[RowRule]]:
    reg = _registry_checks(registry)
    number = _matches(_NUMBER_RE.pattern, "tall med punktum som desimaltegn")
    columns = {
        "figure_id": _id_column(),
        "unit_id": _column(reg["unit_id"], required=False),
        "model_id": _column(reg["model_id"]),
        "description": _text(),
        "value": _column(number, required=False),
        "value_low": _column(number, required=False),
        "value_high": _column(number, required=False),
        "unit": _column(_one_of(FIGURE_UNITS)),
        "qualifier": _column(_one_of(QUALIFIERS)),
        "population": _text(required=False),
        "as_of": _text(required=False),
        "source_doc": _source_doc(),
        "source_lines": _source_lines(),
    }
    percent = _raw_eq("unit", "percent")
    rules = [
        *_qualifier_rules("value", "value_low", "value_high"),
        *[
            RowRule(
                column,
                "0–100 når unit er percent",
                lambda d, c=column: (
                    ~percent(d) | _holds(_numbers(d, c).between(0, 100), _numbers(d, c))
                ),
            )
            for column in ("value", "value_low", "value_high")
        ],
        *_source_line_rules(),
    ]
    return columns, rules


def _segments(registry: Registry) -> tuple[dict[str, pa.Column], list[RowRule]]:
    reg = _registry_checks(registry)
    columns = {
        "segment_id": _id_column(),
        "unit_id": _column(reg["unit_id"]),
        "model_id": _column(reg["model_id"]),
        "trial_id": _column(reg["trial_id"]),
        "informant_role": _text(),
        "phase": _column(_one_of(PHASES)),
        "code": _token(),
        "polarity": _column(_one_of(POLARITIES)),
        "evidence_type": _column(_one_of(EVIDENCE_TYPES)),
        "paraphrase": _text(),
        "source_doc": _source_doc(),
        "source_lines": _source_lines(),
    }
    rules = [*_trial_rules(registry, with_model=True), *_source_line_rules()]
    return columns, rules


def _overlapping_slices(d: pd.DataFrame) -> pd.Series:
    """``False`` for a row whose slice (kind, code, unit_id) and period overlap an earlier row.

    Empty ``code``/``unit_id`` are part of the key ("every code", "every unit"); an empty
    ``covered_to`` is an open end. Rows with a missing or unparseable kind or date are left to
    the column checks.
    """
    start = _apply(d, "covered_from", _parse_date)
    end = _apply(d, "covered_to", _parse_date)
    given_end = _present(d, "covered_to")
    key = pd.DataFrame(
        {c: _raw(d, c).fillna("") for c in ("kind", "code", "unit_id")}, index=d.index
    )
    ok = pd.Series(True, index=d.index)
    seen: dict[tuple[str, str, str], list[tuple[date, date]]] = {}
    for i in d.index:
        # a missing date may come back as None or as pd.NA (when other rows have dates)
        first = None if pd.isna(start[i]) else start[i]
        stop = None if pd.isna(end[i]) else end[i]
        last = stop if stop is not None else date.max
        bad_end = stop is None and given_end[i]  # unparseable: the column check reports it
        if first is None or bad_end or not key.at[i, "kind"] or last < first:
            continue
        periods = seen.setdefault(tuple(key.loc[i]), [])
        if any(first <= e and s <= last for s, e in periods):
            ok[i] = False
        periods.append((first, last))
    return ok


def _coverage(registry: Registry) -> tuple[dict[str, pa.Column], list[RowRule]]:
    reg = _registry_checks(registry)
    columns = {
        "kind": _column(_one_of(SPELL_KINDS)),
        "code": _token(required=False),
        "unit_id": _column(reg["unit_id"], required=False),
        "covered_from": _column(_iso_date()),
        "covered_to": _column(_iso_date(), required=False),
        "source": _token(),
        "note": _text(required=False),
    }
    rules = [
        _not_before("covered_to", "covered_from"),
        RowRule(
            "covered_from",
            "ingen overlapp med en tidligere rad med samme kind, code og unit_id "
            "(hvert utsnitt og hver periode bare én gang)",
            _overlapping_slices,
        ),
    ]
    return columns, rules


def build_contracts(
    registry: Registry | None = None, person_ids: Collection[str] | None = None
) -> dict[str, FileContract]:
    """The contract of every file, with cross-file checks against the registry.

    ``person_ids`` are the participants' ids that spells may refer to; ``None`` skips that
    check (for instance when participants.csv is missing, which is reported on its own).
    """
    registry = registry or load_registry()
    parts = {
        "participants": _participants(registry),
        "spells": _spells(person_ids),
        "activity_log": _activity_log(registry),
        "reported_figures": _reported_figures(registry),
        "segments": _segments(registry),
        "coverage": _coverage(registry),
    }
    contracts: dict[str, FileContract] = {}
    for name, (columns, rules) in parts.items():
        if list(columns) != list(COLUMNS[name]):  # pragma: no cover - guards data.COLUMNS drift
            raise AssertionError(f"contract for {name} does not match coopstats.data.COLUMNS")
        schema = pa.DataFrameSchema(
            columns,
            checks=[pa.Check(rule.test, error=rule.expected, ignore_na=False) for rule in rules],
            strict=True,
            name=name,
        )
        contracts[name] = FileContract(name=name, schema=schema, row_rules=tuple(rules))
    return contracts


# --------------------------------------------------------------------------- national ids


def national_id_cells(frame: pd.DataFrame) -> Iterator[tuple[object, str, str]]:
    """``(index, column, raw value)`` of every cell holding an 11-digit number."""
    for column in frame.columns:
        values = frame[column].dropna().astype(str)
        for index, value in values[values.str.contains(NATIONAL_ID_RE)].items():
            yield index, str(column), value


def mask_national_ids(text: str) -> str:
    """Replace every 11-digit run so that a reported problem does not repeat the number."""
    return NATIONAL_ID_RE.sub("<11 sifre>", text)
