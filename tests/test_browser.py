"""Every page of the rendered site in headless Chromium: 0 serious or critical WCAG 2.1 A/AA
violations (axe-core), at a desktop (1280 px) and a phone (390 px) width.

Runs on the nbconvert site (always) and skips cleanly where Chromium or the Node modules are
absent (``tests/browser_support.py`` says how CI installs them).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import axe_violations, browser_tools

from coopstats.batch import build_run_matrix, run_batch
from coopstats.render import render_fallback

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(browser_tools() is None, reason="chromium or axe-core not installed"),
]


@pytest.fixture(scope="module")
def fallback_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    specs = build_run_matrix(ROOT, DEMO, out_dir=out / "notebooks")
    results = run_batch(specs, progress=False)
    assert all(r.status == "ok" for r in results)
    site = out / "_site"
    render_fallback(out, site)
    return site


def test_fallback_pages_have_no_serious_accessibility_violations(fallback_site):
    pages = sorted(p.name for p in fallback_site.glob("*.html"))
    assert "index.html" in pages and len(pages) > 20
    found = axe_violations(fallback_site, pages)
    assert found == {}, found


def test_the_checker_finds_known_violations(tmp_path):
    """The check can fail: an image without alt text and grey-on-white text are reported."""
    (tmp_path / "bad.html").write_text(
        '<!doctype html><html lang="nb"><head><title>x</title></head><body><main>'
        '<img src="x.png"><p style="color:#bbb;background:#fff">lav kontrast</p>'
        '<div style="overflow:auto;height:40px;width:100px"><p>'
        + "lang tekst " * 80
        + "</p></div></main></body></html>",
        encoding="utf-8",
    )
    found = axe_violations(tmp_path, ["bad.html"])
    ids = {v["id"] for v in found.get("bad.html @desktop", [])}
    assert {"image-alt", "color-contrast"} <= ids, found
