"""Benchmark the linked-table disclosure control (:mod:`coopstats.sdc`) and the build audit.

Usage (from the project root)::

    .venv/bin/python benchmarks/disclosure.py [--repeat N] [--build DIR] [--markdown]

Every repetition measures, in this process:

(baseline) the old per-table heuristic, ``coopstats.disclosure.protect(counts,
    DisclosureConfig(min_count=5))``, on a 20 x 10 table of counts (rows and columns added);
(a) :func:`coopstats.sdc.protect` at ``min_count`` 5 on the same table as a system: one
    population with two variables (20 and 10 codes), one table, a count item for every cell
    including the margins and the total;
(b) :func:`coopstats.audit.audit_build` on a build directory (default ``_build/notebooks``;
    skipped, with a message, when there is no build or it carries no disclosure metadata).

The counts are Poisson(6) draws from a seeded NumPy generator (``--seed``), spread into one row
per person for :meth:`coopstats.sdc.System.from_microdata`. One call of each is made first and
not timed (imports, the first HiGHS instance). The script prints each scenario's median, its
ratio to the baseline's median from the same invocation, and PASS or FAIL against the targets
(a) <= 1 s and (b) <= 10 s. It checks that the cells (a) hides pass :func:`coopstats.sdc.audit`,
reports what the same audit finds in the baseline's hidden cells, and exits non-zero when a
target or the check fails.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from coopstats import sdc
from coopstats.audit import AuditError, AuditReport, audit_build
from coopstats.disclosure import DisclosureConfig
from coopstats.disclosure import protect as old_protect

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"protect": 1.0, "audit": 10.0}
MIN_COUNT = 5
POP = "tabell"
ROWS, COLS = "rad", "kolonne"


def make_table(seed: int, n_rows: int = 20, n_cols: int = 10, lam: float = 6.0) -> pd.DataFrame:
    """A ``n_rows`` x ``n_cols`` frame of Poisson(``lam``) counts (no margins)."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(lam, size=(n_rows, n_cols))
    index = pd.Index([f"r{i:02d}" for i in range(n_rows)], name=ROWS)
    columns = pd.Index([f"k{j:02d}" for j in range(n_cols)], name=COLS)
    return pd.DataFrame(counts, index=index, columns=columns)


def make_system(counts: pd.DataFrame) -> sdc.System:
    """The table as an :class:`sdc.System` with a count item for every cell and margin."""
    people = [
        (r, c) for r in counts.index for c in counts.columns for _ in range(int(counts.loc[r, c]))
    ]
    frame = pd.DataFrame(people, columns=[ROWS, COLS])
    codes = {ROWS: list(counts.index), COLS: list(counts.columns)}
    system = sdc.System.from_microdata(POP, frame, codes, [(ROWS, COLS)])
    system.add(sdc.Item(k) for k in sorted(system.values))
    return system


def old_hidden_keys(result) -> set[sdc.Key]:
    """The baseline's hidden cells as :mod:`sdc` keys (``I alt`` is a margin)."""
    out = set()
    for r, c in result.hidden_cells():
        pairs = [(v, code) for v, code in ((ROWS, r), (COLS, c)) if code != result.total_label]
        out.add(sdc.make_key(pairs))
    return out


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - start, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (default: 5)")
    parser.add_argument("--seed", type=int, default=20261127, help="seed of the counts")
    parser.add_argument(
        "--build",
        default=str(ROOT / "_build" / "notebooks"),
        help="build directory to audit (default: _build/notebooks)",
    )
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    counts = make_table(args.seed)
    config = DisclosureConfig(min_count=MIN_COUNT)
    system = make_system(counts)
    small = int(((counts.to_numpy() >= 1) & (counts.to_numpy() < MIN_COUNT)).sum())

    # warm-up (not timed): imports, the first HiGHS instance, pandas paths
    old = old_protect(counts, config)
    hidden = sdc.protect(make_system(counts), MIN_COUNT)
    build = Path(args.build)
    skip = None
    report: AuditReport | None = None
    try:
        report = audit_build(build)
    except AuditError as exc:
        skip = str(exc)

    times: dict[str, list[float]] = {"baseline": [], "protect": [], "audit": []}
    for _ in range(args.repeat):
        seconds, old = timed(old_protect, counts, config)
        times["baseline"].append(seconds)
        fresh = make_system(counts)  # no cached programs from an earlier repetition
        seconds, hidden = timed(sdc.protect, fresh, MIN_COUNT)
        times["protect"].append(seconds)
        if skip is None:
            seconds, report = timed(audit_build, build)
            times["audit"].append(seconds)

    ok = True
    new_failures = sdc.audit(system, hidden, MIN_COUNT)
    old_failures = sdc.audit(system, old_hidden_keys(old), MIN_COUNT)
    if new_failures:
        ok = False
    med = {k: statistics.median(v) for k, v in times.items() if v}
    base = med["baseline"]
    rows = [
        ("baseline: disclosure.protect, 20 x 10", "baseline", None),
        ("(a) sdc.protect, 20 x 10", "protect", TARGETS["protect"]),
    ]
    if skip is None:
        rows.append((f"(b) audit_build, {report.pages_read} pages", "audit", TARGETS["audit"]))

    print(
        f"Machine: {platform.system()} {platform.machine()}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}; repeat {args.repeat}, seed {args.seed}"
    )
    print(
        f"Table: 20 x 10, {int(counts.to_numpy().sum())} persons, {small} small interior cells "
        f"(1..{MIN_COUNT - 1}), {len(system.values)} cells with margins"
    )
    table = [("Scenario", "Median (s)", "Ratio to baseline", "Target", "Result")]
    for label, name, target in rows:
        verdict = ""
        if target is not None:
            passed = med[name] <= target
            ok &= passed
            verdict = "PASS" if passed else "FAIL"
        table.append(
            (
                label,
                f"{med[name]:.3f}",
                f"{med[name] / base:.2f}",
                f"≤ {target:g} s" if target is not None else "",
                verdict,
            )
        )
    _print_table(table, args.markdown)
    print()
    print(
        f"Hidden cells: baseline {len(old_hidden_keys(old))}, sdc.protect {len(hidden)}. "
        f"sdc.audit of the baseline's cells: {len(old_failures)} failures; "
        f"of sdc.protect's: {len(new_failures)}" + ("" if not new_failures else " (CHECK FAILED)")
    )
    if skip is not None:
        print(f"(b) skipped: {skip}")
    else:
        print(
            f"(b) {report.directory}: {report.pages_read} pages, {report.pages_with_metadata} "
            f"with metadata, {report.facts} facts, {report.hidden} hidden cells, "
            f"{len(report.findings)} findings"
        )
    print()
    reps = [("Repetition", *(n for _, n, _ in rows))]
    for i in range(args.repeat):
        reps.append((str(i + 1), *(f"{times[n][i]:.3f}" for _, n, _ in rows)))
    _print_table(reps, args.markdown)
    return 0 if ok else 1


def _print_table(rows: list[tuple[str, ...]], markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(rows[0]) + " |")
        print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(rows[0]))) + "|")
        for row in rows[1:]:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )


if __name__ == "__main__":
    sys.exit(main())
