"""Benchmark ``coopstats run`` against a plain sequential ``papermill`` loop.

Usage (from the project root)::

    .venv/bin/python benchmarks/batch.py [--repeat N] [--data data/demo] [--markdown]

Every repetition, in a scratch directory with a copy of the data:

(a) baseline: the ``papermill`` command line, one run after the other, over the run matrix;
(b) ``coopstats run`` cold (no outputs, no cache);
(c) ``coopstats run`` warm (nothing changed);
(d) ``coopstats run`` after one county's input changed: one count in the county's rows of
    ``activity_log.csv`` (default ``nav-innlandet``);
(e) for information (no target): one participant row of a county with participants changed
    (default ``nav-vestland``), which also reruns the all-participants page.

Each scenario's median over the repetitions is printed with its ratio to (a) and, for
(b)–(d), PASS or FAIL against the targets: cold <= 0.45, warm <= 0.05, one county changed
<= 1.5 / number of runs. The script also checks that the outputs of (b) equal papermill's,
cell by cell, and exits non-zero when a target or a check fails.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGETS = {"cold": 0.45, "warm": 0.05}


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"benchmark: command failed: {' '.join(cmd)}")
    return done


def _timed(cmd: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = _run(cmd, cwd)
    return time.perf_counter() - start, done.stdout


def _executed(summary: str) -> int:
    match = re.search(r"(\d+) mellomlagret, (\d+) kjørt", summary)  # the CLI's summary line
    if not match:
        raise SystemExit(f"benchmark: no summary in output:\n{summary}")
    return int(match.group(2))


def _edit_row(path: Path, unit: str, column: str, rep: int) -> None:
    """Change ``column`` in the first row of ``unit`` to a value that differs every time."""
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    u, c = header.index("unit_id"), header.index(column)
    for row in rows[1:]:
        if row[u] == unit:
            old = row[c]
            number = float(old) if old else 0.0
            new = number + rep + 1
            row[c] = str(int(new)) if new.is_integer() else str(new)
            break
    else:
        raise SystemExit(f"benchmark: no row of {unit} in {path.name}")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _outputs(path: Path) -> list:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in nb["cells"]:
        outs = [
            (o["output_type"], o.get("name"), o.get("data"), o.get("text"), o.get("ename"))
            for o in cell.get("outputs", [])
        ]
        cells.append((cell["cell_type"], cell["source"], cell.get("execution_count"), outs))
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (median is used)")
    parser.add_argument("--data", default=str(ROOT / "data" / "demo"))
    parser.add_argument("--county", default="nav-innlandet", help="county changed in (d)")
    parser.add_argument("--participant-county", default="nav-vestland", help="county in (e)")
    parser.add_argument("--jobs", type=int, default=None, help="passed to coopstats run")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT / "src"))
    from coopstats.batch import build_run_matrix
    from coopstats.runmatrix import load_config

    scratch = Path(tempfile.mkdtemp(prefix="coopstats-bench-"))
    original = scratch / "data-original"
    shutil.copytree(args.data, original)
    data = scratch / "data"
    from coopstats.runmatrix import packaged_config

    raw, _ = packaged_config()
    for entry in raw["notebooks"]:
        entry["notebook"] = str(ROOT / entry["notebook"])
    raw["output_dir"] = str(scratch / "coopstats-out")
    raw["log_dir"] = str(scratch / "coopstats-logs")
    config_path = scratch / "runs.yaml"
    config_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    shutil.copytree(original, data)
    specs = build_run_matrix(scratch, data, config=load_config(scratch, config_path))
    n = len(specs)
    coopstats = [str(BIN / "coopstats"), "run", "--config", str(config_path)]
    coopstats += ["--data", str(data), "--no-progress"]
    if args.jobs:
        coopstats += ["--jobs", str(args.jobs)]
    papermill_out = scratch / "papermill-out"
    papermill_out.mkdir()

    times: dict[str, list[float]] = {k: [] for k in ("baseline", "cold", "warm", "d", "e")}
    executed: dict[str, list[int]] = {k: [] for k in ("cold", "warm", "d", "e")}
    mismatches: set[str] = set()
    print(f"{n} runs: {', '.join(s.name for s in specs)}", flush=True)
    for rep in range(args.repeat):
        shutil.rmtree(data)
        shutil.copytree(original, data)
        start = time.perf_counter()
        for spec in specs:
            _run(
                [
                    str(BIN / "papermill"),
                    str(spec.notebook),
                    str(papermill_out / spec.output.name),
                    "-y",
                    yaml.safe_dump(spec.parameters, sort_keys=False),
                    "--cwd",
                    str(spec.notebook.parent),
                    "--no-progress-bar",
                ],
                ROOT,
            )
        times["baseline"].append(time.perf_counter() - start)
        shutil.rmtree(scratch / "coopstats-out", ignore_errors=True)
        for name in ("cold", "warm"):
            seconds, out = _timed(coopstats, ROOT)
            times[name].append(seconds)
            executed[name].append(_executed(out))
            if name == "cold":
                for spec in specs:
                    mine = _outputs(scratch / "coopstats-out" / spec.output.name)
                    if mine != _outputs(papermill_out / spec.output.name):
                        mismatches.add(spec.name)
        _edit_row(data / "activity_log.csv", args.county, "count", rep)
        seconds, out = _timed(coopstats, ROOT)
        times["d"].append(seconds)
        executed["d"].append(_executed(out))
        _edit_row(data / "participants.csv", args.participant_county, "birth_year", rep)
        seconds, out = _timed(coopstats, ROOT)
        times["e"].append(seconds)
        executed["e"].append(_executed(out))
        print(
            f"repetition {rep + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
            flush=True,
        )

    base = statistics.median(times["baseline"])
    rows = [("(a) papermill loop (baseline)", "baseline", [n], None)]
    rows.append(("(b) coopstats run, cold", "cold", executed["cold"], TARGETS["cold"]))
    rows.append(("(c) coopstats run, warm", "warm", executed["warm"], TARGETS["warm"]))
    rows.append(
        (f"(d) one county changed ({args.county}, activity_log)", "d", executed["d"], 1.5 / n)
    )
    rows.append(
        (
            f"(e) info: one participant of {args.participant_county} changed",
            "e",
            executed["e"],
            None,
        )
    )
    # the scenarios are only comparable when every repetition executed the same runs; a
    # warm run that executed something means the sources changed during the benchmark
    consistent = all(len(set(v)) == 1 for v in executed.values()) and executed["warm"][0] == 0
    ok = not mismatches and consistent
    lines = []
    print()
    print(f"{'scenario':<56} {'median s':>9} {'runs':>5} {'ratio':>7} {'target':>8}  result")
    for label, key, counts, target in rows:
        runs = f"{min(counts)}" if len(set(counts)) == 1 else f"{min(counts)}-{max(counts)}"
        median = statistics.median(times[key])
        ratio = median / base
        result = ""
        if target is not None:
            passed = ratio <= target
            ok &= passed
            result = "PASS" if passed else "FAIL"
        shown = f"<= {target:.3f}" if target is not None else ""
        print(f"{label:<56} {median:9.2f} {runs:>5} {ratio:7.3f} {shown:>8}  {result}")
        lines.append(
            f"| {label} | {median:.2f} | {runs} | {ratio:.3f} | {shown.replace('<=', '≤')} "
            f"| {result} |"
        )
    print()
    print(f"outputs of (b) equal papermill's: {n - len(mismatches)}/{n}", end="")
    print(f" (differ: {', '.join(sorted(mismatches))})" if mismatches else "")
    if not consistent:
        print(
            "WARNING: the repetitions executed different numbers of runs (see 'runs'); "
            "did the sources or the environment change during the benchmark? Rerun it."
        )
    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}; {args.repeat} repetitions"
    )
    if args.markdown:
        print()
        print("| Scenario | Median (s) | Runs executed | Ratio to (a) | Target | Result |")
        print("|---|---:|---:|---:|---|---|")
        print("\n".join(lines))
    if args.keep:
        print(f"scratch directory kept: {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
