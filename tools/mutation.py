"""Mutation testing of the core modules with mutmut: the score per area.

    python tools/mutation.py                      # every area of tests/mutation.yaml
    python tools/mutation.py formatting learning  # some areas
    python tools/mutation.py --jobs 2 --report _build/mutation/report.md

For each area (``groups`` in tests/mutation.yaml) the project is copied to
``_build/mutation/<area>/`` (ignored by git), mutmut 3 is configured there to mutate only the
area's files and to run only its tests, and ``mutmut run`` goes through every mutant: a mutant
is *killed* when a test fails, *survived* when all pass, *timeout* when the tests run far longer
than on the original code, *no tests* when no selected test reaches the mutated function.
Mutants listed as equivalent in tests/mutation.yaml (they cannot change behaviour) are left
out. The score is killed (and timed out) / (all − equivalent). Each run starts afresh;
``--resume`` continues an interrupted run (mutmut re-runs a mutant only when its function
changed, not when the tests did); ``--survivors`` runs again only the mutants of the last run
that it did not kill, with the tests as they are now (after tests were added). ``--sample N``
runs every N-th mutant (those whose number ends in 0 for N = 10, in 0 or 5 for N = 5, …): a
systematic sample for areas whose tests are too slow to run once per mutant; the report gives
the score with its 95 % interval.

Prints a table and the survivors with their diffs, writes the same as Markdown to
``--report`` (default ``_build/mutation/report.md``) for docs/testing.md, and exits 1 when a
module scores below ``--fail-under`` (default 90). Not part of ``make test``: it takes from
minutes (formatting) to hours (all areas) on two cores; docs/testing.md has the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "mutation.yaml"
WORK = ROOT / "_build" / "mutation"
#: What a copy of the project needs for the tests (the rest is left out).
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "_build", "_site", "_site.utdatert", ".quarto", "dashboards", "mutants",
    "__pycache__", ".hypothesis", ".pytest_cache", ".ruff_cache", "*.egg-info",
)  # fmt: skip
#: mutmut copies these into its own tree beside the tests (the tests read them from the root).
ALSO_COPY = [
    "data/", "notebooks/", "reports/", "styles/", "dags/", "benchmarks/", "docs/",
    "_quarto.yml", "_quarto-pdf.yml", "_quarto-endelig.yml", "references.bib", "index.qmd",
    "panache.toml", "environment.yml", "Makefile", "README.md",
]  # fmt: skip
_RESULT = re.compile(r"^\s*(\S+__mutmut_\d+): (.+)$")
KILLED = {"killed", "timeout"}
NOT_RUN = "not checked"
#: ``--sample N`` runs the mutants whose number ends in one of these digits (every N-th).
SAMPLE_DIGITS = {1: "0123456789", 2: "02468", 5: "05", 10: "0"}


def in_sample(mutant: str, sample: int) -> bool:
    """Whether ``mutant`` (``…__mutmut_17``) is in the systematic 1-in-``sample`` sample."""
    return mutant[-1] in SAMPLE_DIGITS[sample]


def sample_pattern(sample: int) -> str:
    """The mutmut name pattern (fnmatch) of the 1-in-``sample`` sample."""
    return f"*__mutmut_*[{SAMPLE_DIGITS[sample]}]"


def wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion killed/n, in percent."""
    if n == 0:
        return 0.0, 100.0
    phat = killed / n
    centre = phat + z * z / (2 * n)
    spread = z * ((phat * (1 - phat) + z * z / (4 * n)) / n) ** 0.5
    denominator = 1 + z * z / n
    return 100 * (centre - spread) / denominator, 100 * (centre + spread) / denominator


@dataclass
class Area:
    name: str
    files: list[str]
    tests: list[str]
    results: dict[str, str] = field(default_factory=dict)
    diffs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    sample: int = 1

    def counts(self, equivalent: dict[str, dict], module: str | None = None) -> dict[str, int]:
        """Mutants per outcome, of the whole area or of one ``module`` of it. ``all`` counts
        the mutants run; ``not run`` those left out (a sample, an interrupted run)."""
        out = {"all": 0, "killed": 0, "survived": 0, "no tests": 0, "other": 0, "equivalent": 0}
        out["not run"] = 0
        for name, status in self.results.items():
            if module is not None and module_of(name) != module:
                continue
            if status == NOT_RUN:
                out["not run"] += 1
                continue
            out["all"] += 1
            if name in equivalent:
                out["equivalent"] += 1
            elif status in KILLED:
                out["killed"] += 1
            elif status == "survived":
                out["survived"] += 1
            elif status == "no tests":
                out["no tests"] += 1
            else:
                out["other"] += 1
        return out

    def score(self, equivalent: dict[str, dict], module: str | None = None) -> float:
        c = self.counts(equivalent, module)
        relevant = c["all"] - c["equivalent"]
        return 100.0 * c["killed"] / relevant if relevant else 100.0


def load_config(path: Path = CONFIG) -> tuple[list[Area], dict[str, dict]]:
    """The areas and the equivalent mutants of tests/mutation.yaml, checked."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    areas = []
    for name, spec in (data.get("groups") or {}).items():
        files, tests = list(spec.get("files") or []), list(spec.get("tests") or [])
        for item in files + tests:
            if not (ROOT / item).is_file():
                raise SystemExit(f"{path.name}: group {name!r} names {item}, which does not exist")
        if not files or not tests:
            raise SystemExit(f"{path.name}: group {name!r} needs files and tests")
        areas.append(Area(name, files, tests))
    equivalent = {}
    for mutant, spec in (data.get("equivalent") or {}).items():
        if not isinstance(spec, dict) or not spec.get("why") or not spec.get("line"):
            raise SystemExit(f"{path.name}: equivalent mutant {mutant} needs `line` and `why`")
        equivalent[mutant] = spec
    return areas, equivalent


def _mutmut_config(area: Area) -> str:
    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(f'"{i}"' for i in items) + "]"

    return (
        "\n\n[tool.mutmut]\n"
        'source_paths = ["src/"]\n'
        f"only_mutate = {toml_list(area.files)}\n"
        f"also_copy = {toml_list(ALSO_COPY)}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(area.tests)}\n"
        'pytest_add_cli_args = ["-p", "no:xdist", "-p", "no:cacheprovider", "-q", '
        '"-m", "not e2e and not quarto"]\n'
    )


def prepare(area: Area, work: Path, resume: bool = False) -> Path:
    """A copy of the project for ``area`` with mutmut configured. With ``resume``, mutmut's
    results from an earlier run (``mutants/``) are kept, so mutants already run are not run
    again: mutmut re-runs a mutant only when its function changed, not when the tests did, so
    after new tests start afresh (the default)."""
    folder = work / area.name
    kept = folder / "mutants"
    stash = work / f".{area.name}-mutants"
    shutil.rmtree(stash, ignore_errors=True)
    if kept.is_dir() and resume:
        kept.rename(stash)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(ROOT, folder, ignore=COPY_IGNORE)
    if stash.is_dir():
        stash.rename(kept)
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + _mutmut_config(area), encoding="utf-8"
    )
    return folder


def _mutmut(folder: Path, *args: str, check: bool = True, show: bool = False) -> str:
    """Run mutmut in ``folder``; with ``show`` its progress goes to the terminal."""
    exe = Path(sys.executable).with_name("mutmut")
    done = subprocess.run(
        [str(exe), *args], cwd=folder, capture_output=not show, text=True, check=False
    )
    if show:
        if check and done.returncode != 0:
            raise SystemExit(f"mutmut {args[0]} failed in {folder} (output above)")
        return ""
    if check and done.returncode != 0:
        output = done.stdout[-3000:] + done.stderr[-3000:]
        raise SystemExit(f"mutmut {' '.join(args)} failed in {folder}:\n{output}")
    return done.stdout


def module_of(mutant: str) -> str:
    """``coopstats.sdc`` for ``coopstats.sdc.x_protect__mutmut_3`` (and for methods)."""
    return mutant.split(".x", 1)[0]


def _module(path: str) -> str:
    """``coopstats.sdc`` for ``src/coopstats/sdc.py``."""
    return ".".join(Path(path).with_suffix("").parts[1:])


def _results(folder: Path, files: list[str]) -> dict[str, str]:
    """mutmut's result per mutant of ``files`` (results of files the area no longer names,
    kept from an earlier run in the same folder, are left out)."""
    modules = {_module(f) for f in files}
    out = {}
    for line in _mutmut(folder, "results", "--all", "true").splitlines():
        m = _RESULT.match(line)
        if m and module_of(m.group(1)) in modules:
            out[m.group(1)] = m.group(2).strip()
    return out


def run_area(
    area: Area,
    work: Path,
    jobs: int,
    resume: bool = False,
    survivors: bool = False,
    equivalent: dict[str, dict] | None = None,
    sample: int = 1,
    report_only: bool = False,
) -> None:
    """Run mutmut on ``area``: every mutant, or with ``sample`` N every N-th (those whose
    number ends in the digits of :data:`SAMPLE_DIGITS`). With ``survivors``, only the mutants
    of the last run that were not killed (and are not listed as ``equivalent``) are run again,
    with the current tests (new tests are picked up: mutmut maps them to the functions they
    reach), and, in a sample, those of its mutants not run yet. With ``report_only`` nothing
    is run: the results of the last (or a running) run are reported."""
    area.sample = sample
    started = time.perf_counter()
    if report_only:  # the results of the last run, as they stand
        folder = work / area.name
        if not (folder / "mutants").is_dir():
            raise SystemExit(f"{area.name}: no run in {folder} to report on")
    else:
        folder = prepare(area, work, resume or survivors)
        print(f"[{area.name}] mutmut run in {folder.relative_to(ROOT)} …", flush=True)
    run = ["run", "--max-children", str(jobs)]
    if report_only:
        pass
    elif survivors:
        skip = equivalent or {}
        again = [
            n
            for n, s in _results(folder, area.files).items()
            if n not in skip
            and s not in KILLED
            and (s != NOT_RUN or sample > 1)
            and in_sample(n, sample)
        ]
        print(f"[{area.name}] running {len(again)} mutants not killed again …", flush=True)
        if again:
            _mutmut(folder, *run, *again, show=True)
    elif sample > 1:
        _mutmut(folder, *run, sample_pattern(sample), show=True)
    else:
        _mutmut(folder, *run, show=True)
    area.seconds = time.perf_counter() - started
    area.results = _results(folder, area.files)
    if sample > 1:  # results of mutants outside the sample (an earlier run) are left out
        area.results = {n: s for n, s in area.results.items() if in_sample(n, sample)}
    for name, status in area.results.items():
        if status not in KILLED and status != NOT_RUN:
            area.diffs[name] = _mutmut(folder, "show", name, check=False).strip()


def stale_equivalents(areas: list[Area], equivalent: dict[str, dict]) -> list[str]:
    """Equivalent entries whose mutant no longer shows the recorded line."""
    stale = []
    for area in areas:
        for name, status in area.results.items():
            spec = equivalent.get(name) if status != NOT_RUN else None
            if spec and spec["line"].strip() not in area.diffs.get(name, ""):
                stale.append(name)
    return stale


def report(areas: list[Area], equivalent: dict[str, dict], fail_under: float) -> str:
    lines = [
        "| Area | Mutants run | Killed | Survived | No tests | Other | Equivalent | Score "
        "| Not run | Time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for area in areas:
        name = area.name + (f" (1 in {area.sample})" if area.sample > 1 else "")
        rows = [(name, None, f"{area.seconds / 60:.1f} min")]
        modules = sorted({module_of(n) for n in area.results})
        if len(modules) > 1:
            rows += [(f"– {m.removeprefix('coopstats.')}", m, "") for m in modules]
        for label, module, took in rows:
            c = area.counts(equivalent, module)
            score = f"{area.score(equivalent, module):.1f} %"
            if area.sample > 1 or c["not run"]:  # an estimate: give its 95 % interval
                low, high = wilson(c["killed"], c["all"] - c["equivalent"])
                score += f" ({low:.0f}–{high:.0f})"
            lines.append(
                f"| {label} | {c['all']} | {c['killed']} | {c['survived']} | {c['no tests']} "
                f"| {c['other']} | {c['equivalent']} | {score} | {c['not run']} | {took} |"
            )
    lines.append("")
    lines.append(f"Threshold: {fail_under:.0f} % of the non-equivalent mutants killed per module.")
    if any(a.sample > 1 or a.counts(equivalent)["not run"] for a in areas):
        lines.append(
            "Where not every mutant was run, the score is that of the mutants run and the "
            "bracket its 95 % Wilson interval (a sample of every N-th mutant estimates the score "
            "of all; the mutants an interrupted run reached are no such sample)."
        )
    for area in areas:
        left = {
            n: s
            for n, s in area.results.items()
            if s not in KILLED and s != NOT_RUN and n not in equivalent
        }
        if not left:
            continue
        lines += ["", f"## {area.name}: not killed ({len(left)})", ""]
        for name, status in left.items():
            lines += [f"### {name} ({status})", "", "```diff", area.diffs.get(name, ""), "```"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("areas", nargs="*", help="areas of tests/mutation.yaml (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the results of an interrupted run (only when neither code nor tests changed)",
    )
    parser.add_argument(
        "--survivors",
        action="store_true",
        help="continue the last run, then run every mutant not killed again with the current tests",
    )
    parser.add_argument(
        "--sample",
        type=int,
        choices=sorted(SAMPLE_DIGITS),
        default=1,
        help="run every N-th mutant only (by the last digit of its number), for slow areas",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="run nothing; report the results of the last run as they stand",
    )
    parser.add_argument("--fail-under", type=float, default=90.0)
    parser.add_argument("--report", type=Path, default=WORK / "report.md")
    args = parser.parse_args(argv)
    areas, equivalent = load_config()
    unknown = set(args.areas) - {a.name for a in areas}
    if unknown:
        parser.error(f"unknown area(s): {', '.join(sorted(unknown))}")
    chosen = [a for a in areas if not args.areas or a.name in args.areas]
    WORK.mkdir(parents=True, exist_ok=True)
    for area in chosen:
        run_area(
            area,
            WORK,
            args.jobs,
            args.resume,
            args.survivors,
            equivalent,
            args.sample,
            args.report_only,
        )
        c = area.counts(equivalent)
        print(
            f"[{area.name}] {c['killed']}/{c['all'] - c['equivalent']} killed "
            f"({area.score(equivalent):.1f} %), {c['survived']} survived, "
            f"{c['no tests']} without tests, {area.seconds / 60:.1f} min",
            flush=True,
        )
    text = report(chosen, equivalent, args.fail_under)
    stale = stale_equivalents(chosen, equivalent)
    if stale:
        text += "\nStale equivalent entries (the line changed): " + ", ".join(stale) + "\n"
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(text, encoding="utf-8")
    print(text)
    low = [
        f"{a.name} ({m})"
        for a in chosen
        for m in sorted({module_of(n) for n in a.results})
        if a.score(equivalent, m) < args.fail_under
    ]
    if low:
        print(f"under {args.fail_under:.0f} %: {', '.join(low)}", file=sys.stderr)
    return 1 if low or stale else 0


if __name__ == "__main__":
    sys.exit(main())
