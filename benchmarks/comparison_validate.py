"""Benchmark the validation of a large comparison population (:mod:`coopstats.comparison`).

Usage (from the project root)::

    .venv/bin/python benchmarks/comparison_validate.py [--persons N] [--spells M] [--repeat R]

It writes seeded synthetic Parquet files (default 1 000 000 comparison persons and 5 000 000
spells) into a scratch directory (generation is not timed), then times
:func:`coopstats.comparison.validate_comparison` in three scenarios:

(a) typed Parquet: dates as DATE, ``birth_year`` as an integer, ``full_time`` as BOOLEAN (as
    pandas or pyarrow write them);
(b) text Parquet: every column as text, in the written form of the CSV contract;
(c) typed Parquet with errors: 1 % of the persons and of the spells broken (bad dates, unknown
    units, end before start, duplicate ids, 11-digit numbers, spells of unknown persons), to
    show that the problem list stays capped;
(d) with ``--csv``, for information (no target): the files of (a) as CSV.

Every scenario runs ``--repeat`` times, each time in a new Python process (so the time includes
loading the registry, as ``coopstats validate`` would, and the peak resident memory (peak RSS)
is the validating process's own). The script prints a Markdown table with the median, the
slowest run, the number of problems and the peak RSS, and exits non-zero when a median is above
the target (10 s), (a) or (b) report any problem, or (c) finds none.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from coopstats.comparison import validate_comparison

TARGET_SECONDS = 10.0
UNITS = (
    "nav-oslo",
    "nav-vestland",
    "nav-ost-viken",
    "nav-vest-viken",
    "nav-more-og-romsdal",
    "nav-innlandet",
    "nav-vestfold-og-telemark",
    "nav-nordland",
    "nav-trondelag",
)
COUNTRIES = ("Norge", "Syria", "Somalia", "Eritrea", "Afghanistan", "Polen", "Ukraina", "Irak")
EDUCATION = ("ingen", "grunnskole", "vgo", "hoyere")
KINDS = ("status", "ytelse", "tiltak", "arbeid", "utdanning", "fagbrev")
CODES = {
    "status": ("helt_ledig", "nedsatt_arbeidsevne", "delvis_ledig"),
    "ytelse": ("introduksjonsstonad", "tiltakspenger", "aap", "dagpenger", "sosialhjelp"),
    "tiltak": ("opplaering", "arbeidspraksis", "avklaring"),
    "arbeid": ("arbeid",),
    "utdanning": ("grunnskole", "vgo"),
    "fagbrev": ("fagbrev",),
}
SOURCES = {"arbeid": "aa-registeret", "ytelse": "arena", "status": "arena", "tiltak": "arena"}


def _ids(prefix: str, n: int, width: int) -> pa.Array:
    """``prefix`` + the numbers 1..n zero-padded to ``width`` digits (vectorised in pyarrow)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def make_tables(
    n_persons: int, n_spells: int, seed: int, *, typed: bool = True
) -> tuple[pa.Table, pa.Table]:
    """Seeded synthetic comparison persons and spells as pyarrow tables."""
    rng = np.random.default_rng(seed)
    ids = _ids("K", n_persons, 7)
    ref = np.datetime64("2023-08-01") + rng.integers(0, 61, n_persons).astype("timedelta64[D]")
    birth = rng.integers(1960, 2008, n_persons)
    persons = {
        "person_id": ids,
        "unit_id": pa.array(np.array(UNITS)[rng.integers(0, len(UNITS), n_persons)]),
        "reference_date": pa.array(ref),
        "gender": pa.array(np.array(["K", "M"])[rng.integers(0, 2, n_persons)]),
        "birth_year": pa.array(birth),
        "country_background": pa.array(
            np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), n_persons)]
        ),
        "education_completed": pa.array(np.array(EDUCATION)[rng.integers(0, 4, n_persons)]),
    }
    owner = np.sort(rng.integers(0, n_persons, n_spells))
    kind_index = rng.integers(0, len(KINDS), n_spells)
    kinds = np.array(KINDS)[kind_index]
    code_table = np.array([CODES[k][0] for k in KINDS])
    codes = code_table[kind_index]
    for k, options in CODES.items():  # vary the codes inside each kind
        mask = kinds == k
        codes[mask] = np.array(options)[rng.integers(0, len(options), int(mask.sum()))]
    start = np.datetime64("2015-01-01") + rng.integers(0, 4200, n_spells).astype("timedelta64[D]")
    end = start + rng.integers(0, 900, n_spells).astype("timedelta64[D]")
    open_end = rng.random(n_spells) < 0.1
    work = kinds == "arbeid"
    full_time = np.where(rng.random(n_spells) < 0.6, True, False)
    sources = np.array([SOURCES.get(k, "annet") for k in KINDS])[kind_index]
    spells = {
        "spell_id": _ids("KS", n_spells, 8),
        "person_id": ids.take(pa.array(owner)),
        "kind": pa.array(kinds),
        "code": pa.array(codes),
        "start_date": pa.array(start),
        "end_date": pa.array(end, mask=open_end),
        "full_time": pa.array(full_time, mask=~work),
        "source": pa.array(sources),
    }
    persons_table, spells_table = pa.table(persons), pa.table(spells)
    if typed:
        persons_table = persons_table.set_column(
            2, "reference_date", persons_table["reference_date"].cast(pa.date32())
        )
        for name in ("start_date", "end_date"):
            i = spells_table.schema.get_field_index(name)
            spells_table = spells_table.set_column(i, name, spells_table[name].cast(pa.date32()))
        return persons_table, spells_table
    return _as_text(persons_table), _as_text(spells_table)


def _as_text(table: pa.Table) -> pa.Table:
    """Every column as text in the CSV contract's written form (dates ISO, true/false)."""
    columns = {}
    for name in table.column_names:
        column = table[name]
        if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
            column = column.cast(pa.date32())
        columns[name] = column.cast(pa.string())
    return pa.table(columns)


def break_tables(
    persons: pa.Table, spells: pa.Table, seed: int, share: float = 0.01
) -> tuple[pa.Table, pa.Table]:
    """Break ``share`` of the rows in several ways (the errors of scenario (c))."""
    rng = np.random.default_rng(seed + 1)

    def column(table: pa.Table, name: str) -> np.ndarray:
        return table[name].to_numpy(zero_copy_only=False).copy()

    def replace(table: pa.Table, name: str, values: np.ndarray, mask=None) -> pa.Table:
        i = table.schema.get_field_index(name)
        array = pa.array(values, mask=mask).cast(table.schema.field(name).type)
        return table.set_column(i, name, array)

    n_p, n_s = persons.num_rows, spells.num_rows
    parts = np.array_split(rng.choice(np.arange(1, n_p), int(n_p * share), replace=False), 4)
    units, birth = column(persons, "unit_id"), column(persons, "birth_year")
    country, ids = column(persons, "country_background"), column(persons, "person_id")
    units[parts[0]] = "fk-oslo"
    birth[parts[1]] = 1900
    country[parts[2]] = "12345678901"
    ids[parts[3]] = ids[parts[3] - 1]
    for name, values in (("unit_id", units), ("birth_year", birth)):
        persons = replace(persons, name, values)
    persons = replace(persons, "country_background", country)
    persons = replace(persons, "person_id", ids)
    parts = np.array_split(rng.choice(n_s, int(n_s * share), replace=False), 3)
    start = column(spells, "start_date").astype("datetime64[D]")
    end = spells["end_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    end[parts[0]] = start[parts[0]] - np.timedelta64(5, "D")
    owner, kinds = column(spells, "person_id"), column(spells, "kind")
    owner[parts[1]] = "UKJENT"
    kinds[parts[2]] = "jobb"
    spells = replace(spells, "end_date", end, mask=np.isnat(end))
    spells = replace(spells, "person_id", owner)
    spells = replace(spells, "kind", kinds)
    return persons, spells


def write(directory: Path, persons: pa.Table, spells: pa.Table) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(persons, directory / "comparison.parquet")
    pq.write_table(spells, directory / "comparison_spells.parquet", row_group_size=1_000_000)


def write_csv(directory: Path, persons: pa.Table, spells: pa.Table) -> None:
    """The tables as contract CSV files (ISO dates, true/false, empty cells for missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in (("comparison", persons), ("comparison_spells", spells)):
        pacsv.write_csv(_as_text(table), directory / f"{name}.csv")


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB.

    On Linux from ``VmHWM`` in ``/proc/self/status`` (``ru_maxrss`` keeps the parent's peak
    across ``fork`` + ``exec``, so it would report the generating process); elsewhere from
    ``getrusage``.
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024


def child(directory: str) -> None:
    """One timed validation in this (fresh) process; prints seconds, problems and peak RSS."""
    start = time.perf_counter()
    problems = validate_comparison(directory)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "problems": len(problems), "rss": peak_rss_mb()}))


def run_child(directory: Path) -> dict:
    """Validate ``directory`` in a new Python process (so its peak memory is its own)."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(directory)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--spells", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--csv", action="store_true", help="also time the files as CSV")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    rows = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="comparison-bench-") as tmp:
        root = Path(tmp)
        typed = make_tables(args.persons, args.spells, args.seed, typed=True)
        write(root / "a", *typed)
        write(root / "b", *make_tables(args.persons, args.spells, args.seed, typed=False))
        write(root / "c", *break_tables(*typed, args.seed))
        scenarios = {
            "a": "(a) typed Parquet",
            "b": "(b) text Parquet",
            "c": "(c) typed Parquet, 1 % of rows broken",
        }
        if args.csv:
            write_csv(root / "d", *typed)
            scenarios["d"] = "(d) CSV, for information"
        del typed
        for key, label in scenarios.items():
            runs = [run_child(root / key) for _ in range(args.repeat)]
            times = [r["seconds"] for r in runs]
            problems = runs[-1]["problems"]
            median = statistics.median(times)
            ok = (median <= TARGET_SECONDS or key == "d") and (
                problems > 0 if key == "c" else problems == 0
            )
            failed |= not ok
            rss = max(r["rss"] for r in runs)
            rows.append((label, median, max(times), problems, rss, ok, key != "d"))
    print(
        f"Machine: {platform.machine()}, {platform.system()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.persons:,} persons, {args.spells:,} spells, "
        f"{args.repeat} runs each, each in a new process (registry loading included).\n"
    )
    print("| Scenario | Median (s) | Slowest (s) | Problems | Peak RSS (MB) | Target | Result |")
    print("|---|---:|---:|---:|---:|---|---|")
    for label, median, slowest, count, rss, ok, timed in rows:
        target = f"≤ {TARGET_SECONDS:.0f} s" if timed else "–"
        print(
            f"| {label} | {median:.2f} | {slowest:.2f} | {count} | {rss:.0f} | {target} | "
            f"{'PASS' if ok else 'FAIL'} |"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
