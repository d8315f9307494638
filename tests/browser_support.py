"""Headless-Chromium accessibility checks (axe-core via playwright-core) of a rendered site.

The Node modules are not part of the repository: ``.ci/run`` installs ``tests/browser/
package.json`` into a cache folder (``COOPSTATS_BROWSER_MODULES``, default
``~/.cache/coopstats-browser/node_modules``), and Debian's ``chromium`` provides the browser.
Without them the tests that use :func:`axe_violations` skip.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "browser" / "axe-check.mjs"


def browser_tools() -> tuple[str, Path] | None:
    """(chromium path, node_modules folder) or ``None`` when either is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    node = shutil.which("node")
    default = Path.home() / ".cache" / "coopstats-browser" / "node_modules"
    modules = Path(os.environ.get("COOPSTATS_BROWSER_MODULES", default))
    if not (chromium and node and (modules / "axe-core").is_dir()):
        return None
    if not (modules / "playwright-core").is_dir():
        return None
    return chromium, modules


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on a free localhost port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # noqa: D102 - keep test output clean
        pass


def axe_violations(site: Path, pages: list[str]) -> dict[str, list[dict]]:
    """Serious or critical WCAG 2.1 A/AA violations per page (at 1280 and 390 px wide)."""
    tools = browser_tools()
    if tools is None:
        raise RuntimeError("chromium or the axe-core/playwright-core modules are missing")
    chromium, modules = tools
    with serve(site) as base:
        done = subprocess.run(
            ["node", str(SCRIPT), str(modules), chromium, base, *pages],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"axe-check failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
