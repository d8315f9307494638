"""Benchmark the outcome engine (``coopstats.outcomes.compute_outcomes``) at register scale.

Usage (from the project root)::

    .venv/bin/python benchmarks/outcomes.py [--sizes 1000000:5000000,...]
        [--engines duckdb,pandas] [--repeat N] [--seed N] [--keep DIR]

For every size ``persons:spells`` the script generates seeded synthetic register data (persons
with intake dates in 2023–2024, about 40 % with an exit; spells of every kind and several
codes, dated 2015–2026, some open-ended, ``full_time`` on work spells) and writes them to
Parquet in a temporary folder. Generation runs in its own process and is not timed. Then each
engine runs in a fresh process per (size, engine): it reads the persons from Parquet into a
frame and computes the full outcome set of the packaged ``outcomes.yaml`` with the spells read
from the Parquet file (DuckDB reads the file itself, the pandas engine with pyarrow). The
script reports the wall time of that work (measured in the child: reading the persons plus
``compute_outcomes``) and the peak memory of the child (maximum resident set size from
``os.wait4``, which includes the Python interpreter and its libraries), and the ratios of both
to the pandas baseline of the same size measured in the same invocation. With ``--repeat N``
every DuckDB run is made N times (fresh process each time) and the median time and the highest
peak are reported; the pandas baseline runs once. The machine's load average is printed too:
on a shared machine the seconds vary with it, the peak memory does not.

Default sizes: 100 000/500 000, 1 000 000/5 000 000 and 10 000 000/50 000 000 persons/spells.
The pandas engine is not run where the linear fit of its smaller measurements projects more
than 4 GB or 180 s; the table then shows the projection, marked "projected". The script also
checks that both engines give identical frames on the smallest size. Targets (issue 13), DuckDB
engine: 1M/5M ≤ 3 s and ≤ 1 GB; 10M/50M ≤ 30 s and ≤ 4 GB. Exit status 1 when a measured
target or the agreement check fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
END_DATE = dt.date(2025, 12, 31)
DEFAULT_SIZES = "100000:500000,1000000:5000000,10000000:50000000"
#: (persons, spells) → (seconds, GB) targets for the DuckDB engine.
TARGETS = {(1_000_000, 5_000_000): (3.0, 1.0), (10_000_000, 50_000_000): (30.0, 4.0)}
#: The pandas engine is projected instead of run beyond these (seconds, GB).
PANDAS_LIMITS = (180.0, 4.0)
GB = 1024**3

KINDS = {
    # kind: (share of spells, codes, mean duration in days, share open-ended)
    "status": (0.15, ["helt_ledig", "nedsatt_arbeidsevne", "delvis_ledig"], 250, 0.10),
    "ytelse": (
        0.25,
        ["tiltakspenger", "dagpenger", "aap", "introduksjonsstonad", "sosialhjelp"],
        200,
        0.08,
    ),
    "tiltak": (0.15, ["avklaring", "opplaering", "arbeidstrening", "lonnstilskudd"], 180, 0.05),
    "arbeid": (0.30, ["arbeid"], 400, 0.15),
    "utdanning": (0.10, ["vgo", "fagskole"], 500, 0.10),
    "fagbrev": (0.05, ["fagbrev"], 0, 0.0),
}


# --------------------------------------------------------------------------- generation


def generate(persons: int, spells: int, folder: Path, seed: int) -> None:
    """Write ``persons.parquet`` and ``spells.parquet`` (seeded; blocks of ≤ 1M persons)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    day0 = np.datetime64("1970-01-01", "D")

    def days(text: str) -> int:
        return int((np.datetime64(text, "D") - day0).astype(int))

    intake_lo, intake_hi = days("2023-01-01"), days("2024-12-31")
    first, last = days("2015-01-01"), days("2026-06-30")
    kinds = list(KINDS)
    shares = np.array([KINDS[k][0] for k in kinds])
    codes = [c for k in kinds for c in KINDS[k][1]]
    code_offset = np.cumsum([0] + [len(KINDS[k][1]) for k in kinds])[:-1]
    per_person = spells / persons
    block = 1_000_000
    p_writer = s_writer = None
    try:
        for lo in range(0, persons, block):
            n = min(block, persons - lo)
            m = int(round(n * per_person))
            intake = rng.integers(intake_lo, intake_hi + 1, n)
            exits = rng.random(n) < 0.4
            exit_day = np.where(exits, intake + rng.integers(30, 900, n), 0)
            exit_day = np.minimum(exit_day, days("2026-06-30"))
            p_table = pa.table(
                {
                    "person_id": pa.array(np.arange(lo, lo + n, dtype=np.int64)),
                    "intake_date": pa.array(
                        (day0 + intake).astype("datetime64[us]"), pa.timestamp("us")
                    ),
                    "exit_date": pa.array(
                        (day0 + exit_day).astype("datetime64[us]"),
                        pa.timestamp("us"),
                        mask=~exits,
                    ),
                }
            )
            owner = rng.integers(0, n, m)
            kind = rng.choice(len(kinds), m, p=shares)
            code = np.zeros(m, dtype=np.int32)
            mean = np.zeros(m)
            open_share = np.zeros(m)
            for k, name in enumerate(kinds):
                at = kind == k
                _, names, avg, opened = KINDS[name]
                code[at] = code_offset[k] + rng.integers(0, len(names), int(at.sum()))
                mean[at] = avg
                open_share[at] = opened
            # half the spells cluster around the owner's intake, half anywhere in 2015–2026
            near = rng.random(m) < 0.5
            start = np.where(
                near,
                intake[owner] + rng.normal(0, 400, m).astype(np.int64),
                rng.integers(first, last + 1, m),
            )
            start = np.clip(start, first, last)
            length = np.rint(rng.exponential(1.0, m) * mean).astype(np.int64)
            end = start + length
            is_open = (rng.random(m) < open_share) | (end > last)
            full = rng.random(m)
            is_work = kind == kinds.index("arbeid")
            order = rng.permutation(m)
            s_table = pa.table(
                {
                    "person_id": pa.array((lo + owner)[order].astype(np.int64)),
                    "kind": pa.DictionaryArray.from_arrays(
                        pa.array(kind[order].astype(np.int32)), pa.array(kinds)
                    ),
                    "code": pa.DictionaryArray.from_arrays(pa.array(code[order]), pa.array(codes)),
                    "start_date": pa.array(start[order].astype(np.int32), pa.int32()).cast(
                        pa.date32()
                    ),
                    "end_date": pa.array(
                        end[order].astype(np.int32), pa.int32(), mask=is_open[order]
                    ).cast(pa.date32()),
                    "full_time": pa.array(
                        (full < 0.5)[order], pa.bool_(), mask=(~is_work | (full > 0.9))[order]
                    ),
                }
            )
            if p_writer is None:
                p_writer = pq.ParquetWriter(folder / "persons.parquet", p_table.schema)
                s_writer = pq.ParquetWriter(folder / "spells.parquet", s_table.schema)
            p_writer.write_table(p_table)
            s_writer.write_table(s_table, row_group_size=1_000_000)
    finally:
        if p_writer is not None:
            p_writer.close()
            s_writer.close()


# --------------------------------------------------------------------------- child: one run


def run_engine(engine: str, folder: Path, out: Path) -> None:
    """Read the persons, compute every outcome, write timing and shape to ``out`` (JSON)."""
    import pandas as pd

    from coopstats.outcomes import compute_outcomes, load_outcome_defs

    defs = load_outcome_defs()
    start = time.perf_counter()
    persons = pd.read_parquet(folder / "persons.parquet")
    result = compute_outcomes(persons, folder / "spells.parquet", defs, END_DATE, engine=engine)
    seconds = time.perf_counter() - start
    out.write_text(json.dumps({"seconds": seconds, "rows": len(result)}), encoding="utf-8")


def check_agreement(folder: Path, out: Path) -> None:
    """Both engines on the same data; write whether the frames are identical."""
    import pandas as pd

    from coopstats.outcomes import compute_outcomes, load_outcome_defs

    defs = load_outcome_defs()
    persons = pd.read_parquet(folder / "persons.parquet")
    spells = folder / "spells.parquet"
    a = compute_outcomes(persons, spells, defs, END_DATE, engine="duckdb")
    b = compute_outcomes(persons, spells, defs, END_DATE, engine="pandas")
    try:
        pd.testing.assert_frame_equal(a, b)
        verdict = {"equal": True, "rows": len(a)}
    except AssertionError as exc:
        verdict = {"equal": False, "rows": len(a), "error": str(exc)[:2000]}
    events = {c: int(a[c].sum()) for c in a.columns if c.endswith(".event")}
    verdict["events"] = events
    out.write_text(json.dumps(verdict), encoding="utf-8")


# --------------------------------------------------------------------------- parent


def _child(args: list[str]) -> tuple[float, int]:
    """Run this script with ``args`` in a fresh process; (wall seconds, max RSS in bytes)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, *args], cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"benchmark: child failed ({proc.returncode}): {' '.join(args)}")
    return wall, usage.ru_maxrss * 1024  # Linux: kilobytes


def _fit(points: list[tuple[int, float]], x: int) -> float:
    """Least-squares line through ``points`` (x = spells), evaluated at ``x``."""
    if len(points) == 1:
        ((x0, y0),) = points
        return y0 * x / x0
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    slope = sum((p[0] - mx) * (p[1] - my) for p in points) / sxx
    return my + slope * (x - mx)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _fmt_size(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="persons:spells,... ")
    parser.add_argument("--engines", default="duckdb,pandas")
    parser.add_argument("--repeat", type=int, default=1, help="runs per DuckDB measurement")
    parser.add_argument("--seed", type=int, default=20261213)
    parser.add_argument("--keep", type=Path, help="keep the generated data in this folder")
    # internal: the child processes
    parser.add_argument("--generate", nargs=3, metavar=("PERSONS", "SPELLS", "DIR"))
    parser.add_argument("--run", nargs=3, metavar=("ENGINE", "DIR", "OUT"))
    parser.add_argument("--check", nargs=2, metavar=("DIR", "OUT"))
    args = parser.parse_args(argv)
    if args.generate:
        generate(int(args.generate[0]), int(args.generate[1]), Path(args.generate[2]), args.seed)
        return 0
    if args.run:
        run_engine(args.run[0], Path(args.run[1]), Path(args.run[2]))
        return 0
    if args.check:
        check_agreement(Path(args.check[0]), Path(args.check[1]))
        return 0

    sizes = [tuple(int(v) for v in s.split(":")) for s in args.sizes.split(",") if s]
    sizes.sort()
    engines = [e for e in args.engines.split(",") if e]
    import duckdb
    import pandas as pd

    from coopstats.outcomes import _cores, _memory_limit

    print(
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}; duckdb {duckdb.__version__}, pandas "
        f"{pd.__version__}. DuckDB threads {_cores()}, memory_limit "
        + ", ".join(f"{_memory_limit(p)} ({_fmt_size(p)})" for p, _ in sizes)
        + f". End date {END_DATE}. {dt.date.today()}. Load average {_load()}.",
        flush=True,
    )
    base = args.keep or Path(tempfile.mkdtemp(prefix="coopstats-outcomes-bench-"))
    rows = []  # (persons, spells, engine, seconds, bytes, how)
    failed = False
    try:
        measured: dict[str, list[tuple[int, float, float]]] = {e: [] for e in engines}
        for persons, spells in sizes:
            folder = base / f"{persons}_{spells}"
            folder.mkdir(parents=True, exist_ok=True)
            if not (folder / "spells.parquet").is_file():
                gen_wall, _ = _child(
                    ["--seed", str(args.seed), "--generate", str(persons), str(spells), str(folder)]
                )
                print(
                    f"generated {_fmt_size(persons)}/{_fmt_size(spells)} in {gen_wall:.1f} s",
                    flush=True,
                )
            if (persons, spells) == sizes[0] and set(engines) >= {"duckdb", "pandas"}:
                out = folder / "check.json"
                _child(["--check", str(folder), str(out)])
                verdict = json.loads(out.read_text(encoding="utf-8"))
                word = "IDENTICAL" if verdict["equal"] else "DIFFERENT"
                print(
                    f"agreement on {_fmt_size(persons)}/{_fmt_size(spells)}: the two engines' "
                    f"frames are {word} ({verdict['rows']} rows; events: {verdict['events']})",
                    flush=True,
                )
                if not verdict["equal"]:
                    print(verdict["error"])
                    failed = True
            for engine in engines:
                history = measured[engine]
                if engine == "pandas" and len(history) >= 1:
                    sec = _fit([(s, t) for s, t, _ in history], spells)
                    mem = _fit([(s, m) for s, _, m in history], spells)
                    if sec > PANDAS_LIMITS[0] or mem > PANDAS_LIMITS[1] * GB:
                        rows.append((persons, spells, engine, sec, mem, "projected"))
                        print(
                            f"{engine} {_fmt_size(persons)}/{_fmt_size(spells)}: projected "
                            f"{sec:.1f} s, {mem / GB:.2f} GB (not run)",
                            flush=True,
                        )
                        continue
                out = folder / f"{engine}.json"
                times, peaks = [], []
                for _ in range(args.repeat if engine == "duckdb" else 1):
                    _, rss = _child(["--run", engine, str(folder), str(out)])
                    times.append(json.loads(out.read_text(encoding="utf-8"))["seconds"])
                    peaks.append(rss)
                sec, rss = statistics.median(times), max(peaks)
                history.append((spells, sec, rss))
                rows.append((persons, spells, engine, sec, rss, "measured"))
                print(
                    f"{engine} {_fmt_size(persons)}/{_fmt_size(spells)}: "
                    + ", ".join(f"{s:.2f}" for s in times)
                    + f" s, {rss / GB:.2f} GB peak (load average {_load()})",
                    flush=True,
                )
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)

    print()
    print(
        "| Persons | Spells | Engine | Time (s) | Peak memory (GB) | Time / pandas "
        "| Memory / pandas | Target | Result |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---|---|")
    baseline = {(p, s): (t, m) for p, s, e, t, m, _ in rows if e == "pandas"}
    for persons, spells, engine, sec, mem, how in rows:
        ref = baseline.get((persons, spells))
        ratio_t = f"{sec / ref[0]:.3f}" if ref else ""
        ratio_m = f"{mem / ref[1]:.3f}" if ref else ""
        target = TARGETS.get((persons, spells)) if engine == "duckdb" else None
        goal = result = ""
        if target:
            goal = f"≤ {target[0]:g} s, ≤ {target[1]:g} GB"
            ok = sec <= target[0] and mem <= target[1] * GB
            result = "PASS" if ok else "FAIL"
            failed |= not ok
        shown = f"{sec:.2f}" if how == "measured" else f"{sec:.1f} (projected)"
        shown_mem = f"{mem / GB:.2f}" if how == "measured" else f"{mem / GB:.2f} (projected)"
        print(
            f"| {persons:,} | {spells:,} | {engine} | {shown} | {shown_mem} | {ratio_t} "
            f"| {ratio_m} | {goal} | {result} |"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
