"""The nbconvert fallback: pages without code, captions and alt text kept, an index linking all."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import pytest

from coopstats.render import QUARTO_MISSING, cell_options, render, render_fallback


def _png() -> str:
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _executed_notebook(path: Path, title: str) -> None:
    nb = nbformat.v4.new_notebook()
    heading = nbformat.v4.new_code_cell("display(Markdown('# x'))")
    heading.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": f"# {title}"})]
    fig = nbformat.v4.new_code_cell(
        "#| label: fig-demo\n#| fig-cap: En figur\n#| fig-alt: Stigende linje fra 0 til 1\nplot()"
    )
    fig.outputs = [nbformat.v4.new_output("display_data", data={"image/png": _png()})]
    tbl = nbformat.v4.new_code_cell("#| label: tbl-demo\n#| tbl-cap: En tabell\nsecret_code()")
    tbl.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"text/html": "<table><tr><td>1 234</td></tr></table>"}
        )
    ]
    nb.cells = [heading, fig, tbl]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def test_cell_options_stop_at_first_code_line():
    opts = cell_options("#| label: fig-a\n#| fig-cap: 'Hei'\nx = 1\n#| label: late")
    assert opts == {"label": "fig-a", "fig-cap": "Hei"}


def test_fallback_pages_hide_code_and_keep_captions_alt_and_index(tmp_path):
    build, site = tmp_path / "_build", tmp_path / "_site"
    _executed_notebook(build / "notebooks" / "fylke-a.ipynb", "NAV Alfa")
    _executed_notebook(build / "notebooks" / "fylke-b.ipynb", "NAV Beta")
    (build / "notebooks" / "fylke-c.failed.ipynb").write_text("{}")  # never rendered

    pages = render_fallback(build, site)

    assert [p.title for p in pages] == ["NAV Alfa", "NAV Beta"]
    page = (site / "fylke-a.html").read_text(encoding="utf-8")
    assert "secret_code" not in page
    assert 'alt="Stigende linje fra 0 til 1"' in page
    assert "En figur" in page and "En tabell" in page
    assert 'id="fig-demo"' in page and 'id="tbl-demo"' in page
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="fylke-a.html"' in index and 'href="fylke-b.html"' in index
    assert "fylke-c" not in index
    assert not list(site.glob(".*.tmp"))


def test_render_without_quarto_says_what_is_missing(tmp_path):
    _executed_notebook(tmp_path / "_build" / "notebooks" / "fylke-a.ipynb", "NAV Alfa")
    message = render(tmp_path, use_quarto=False)
    assert "Quarto was not found" in message
    assert QUARTO_MISSING.split(":")[0] in message
    assert (tmp_path / "_site" / "index.html").is_file()


def test_render_without_executed_notebooks_fails_clearly(tmp_path):
    with pytest.raises(FileNotFoundError, match="coopstats run"):
        render(tmp_path, use_quarto=False)


def test_cli_reports_a_failing_quarto_render(tmp_path, monkeypatch, capsys):
    """A failing `quarto render` gives exit code 1 and one clear line, not a traceback."""
    import os
    import stat

    from coopstats import cli

    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    (root / "notebooks" / "fylke.ipynb").write_text("{}", encoding="utf-8")
    executed = root / "_build" / "notebooks"
    executed.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1")]
    nbformat.write(nb, executed / "fylke-nav-oslo.ipynb")
    fake = tmp_path / "bin" / "quarto"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'ERROR: broken' >&2\nexit 3\n", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(root)
    assert cli.main(["render"]) == 1
    assert "`quarto render` failed with exit code 3" in capsys.readouterr().err
