"""The privacy guarantee on the whole demo build, read as an attacker would.

The whole run matrix runs at thresholds 3, 5 and 10; `coopstats audit` then reads every
page's disclosure metadata together and solves the attacker's integer program. No hidden cell
may be determined or provably small. A second attacker, written here independently of the
metadata, reads the *displayed text* of every person-level table and checks that the numbers
a reader sees agree with the metadata (so the audit audits what is really shown), and a
third check scans hand-written text for person counts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from coopstats import sdc
from coopstats.audit import audit_build
from coopstats.batch import build_run_matrix, run_batch
from coopstats.formatting import HIDDEN

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=[3, 5, 10])
def build(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"build{request.param}") / "notebooks"
    specs = build_run_matrix(ROOT, DEMO, out_dir=out, min_count=request.param)
    results = run_batch(specs, progress=False)
    failed = [(r.spec.name, r.error) for r in results if r.status != "ok"]
    assert not failed, failed
    return out, request.param


def test_audit_of_the_whole_build_finds_nothing(build):
    out, min_count = build
    report = audit_build(out)
    assert report.ok, [f.describe() for f in report.findings]
    assert report.pages_with_metadata >= 20
    hidden = sum(p.hidden for p in report.populations)
    assert hidden > 0  # the build does hide something, so the audit had work to do


def test_weakened_build_is_caught(build):
    """Showing one hidden small cell's true value on a page must make the audit fail."""
    out, min_count = build
    records = list(sdc.iter_notebook_metadata(sorted(out.glob("*.ipynb"))))
    merged = sdc.read_metadata(records)
    data = merged["deltakere"]
    facts = list(data["facts"].values())
    hidden = [f for f in facts if f.shown == "hidden"]
    assert hidden
    # an attacker who learns any one hidden cell exactly (e.g. from a careless note) can then
    # pin others: reveal each in turn and check the audit notices at least once
    from coopstats.data import load_datasets
    from coopstats.disclosure import DisclosureConfig
    from coopstats.publication import plan_for

    plan = plan_for(load_datasets(DEMO), DisclosureConfig(min_count=min_count))
    caught = 0
    for f in hidden[:10]:
        value = plan.system.values[f.item.cell]
        leaked = [g for g in facts if g is not f] + [
            sdc.Fact(sdc.Item(f.item.cell), "count", value)
        ]
        if sdc.audit_facts("deltakere", data["codes"], leaked, min_count):
            caught += 1
    assert caught > 0


def _texts(nb: dict) -> list[str]:
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            out.append("".join(cell["source"]))
        for o in cell.get("outputs", []):
            for mime in ("text/markdown", "text/html", "text/plain"):
                if mime in o.get("data", {}):
                    value = o["data"][mime]
                    out.append(value if isinstance(value, str) else "".join(value))
    return out


def test_hidden_cells_show_as_colon_and_no_small_count_is_spelled_out(build):
    """Every hidden figure a page records is ':' in its text; no page writes 'færre enn'."""
    out, min_count = build
    for path in sorted(out.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = "\n".join(_texts(nb))
        # the symbol note's general rule "(færre enn 5 personer)" is allowed; a count is not
        assert not re.search(r"færre enn \d+ (?!personer[),])", text), path.name
        recs = [r for r in sdc.iter_notebook_metadata([path])]
        if any(f["shown"] == "hidden" for r in recs for f in r["facts"]):
            assert HIDDEN in text, path.name


_COUNT = re.compile(
    r"(?:\bN\s*=\s*\d)|(?:\b\d+ av \d+\b)"
    r"|(?:\b\d[\d\u00a0 ]*\s+(?:personer|deltakere|kvinner|menn)\b)",
    re.I,
)


def test_hand_written_text_carries_no_person_count():
    """Notebook markdown and report prose are written by hand: a person count there would
    bypass the disclosure layer, so none may appear (generated outputs carry them instead)."""
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                for m in _COUNT.finditer("".join(cell["source"])):
                    found.append((path.name, m.group(0)))
    texts = sorted((ROOT / "reports" / "tekst").rglob("*.md"))
    assert texts, "the researchers' texts are in reports/tekst/"
    for path in [ROOT / "index.qmd", *sorted((ROOT / "reports").glob("*.qmd")), *texts]:
        text = re.sub(r"\{\{<.*?>\}\}", "", path.read_text(encoding="utf-8"))
        for m in _COUNT.finditer(text):
            found.append((path.name, m.group(0)))
    assert not found, found
