"""The nbconvert fallback: pages without code, captions and alt text kept, an index linking all."""

from __future__ import annotations

import base64
import io
import subprocess
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
    assert "Fant ikke Quarto" in message
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
    assert "`quarto render` feilet med avslutningskode 3" in capsys.readouterr().err


def _fake_quarto(tmp_path: Path, pdf_exit: int) -> Path:
    """A ``quarto`` that logs its arguments, writes HTML/Word, and exits ``pdf_exit`` on PDF."""
    import stat

    fake = tmp_path / "bin" / "quarto"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo 1.11.0; exit 0; fi\n'
        'echo "$@" >> "$PWD/quarto-calls.log"\n'
        'case "$*" in\n'
        f'  *"--to pdf"*) touch reports/r.tex; mkdir -p reports/r_files; exit {pdf_exit} ;;\n'
        "esac\n"
        "mkdir -p _site/reports\n"
        "touch _site/index.html _site/reports/r.html _site/reports/r.docx\n"
        "for f in reports/*.qmd; do touch _site/${f%.qmd}.html; done\n",
        encoding="utf-8",
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return fake


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "reports").mkdir(parents=True)
    (root / "reports" / "r.qmd").write_text("---\ntitle: R\n---\n", encoding="utf-8")
    _executed_notebook(root / "_build" / "notebooks" / "fylke-a.ipynb", "NAV Alfa")
    return root


def test_quarto_renders_html_and_word_by_default_and_pdf_only_when_asked(tmp_path):
    from coopstats.render import quarto_commands

    root = _project(tmp_path)
    fake = _fake_quarto(tmp_path, pdf_exit=0)
    message = render(root, quarto=str(fake))
    assert (root / "quarto-calls.log").read_text().splitlines() == ["render"]
    assert "coopstats render --pdf" in message
    render(root, quarto=str(fake), pdf=True, force=True)
    calls = (root / "quarto-calls.log").read_text().splitlines()
    # PDF is a separate, later call, after the site (HTML and Word) is written.
    assert calls[1:] == ["render", "render reports --profile pdf --to pdf"]
    assert quarto_commands("q") == [["q", "render"]]
    # quarto render takes one input: one call per changed page, or the whole project
    assert quarto_commands("q", pages=["a.qmd", "b.qmd"]) == [
        ["q", "render", "a.qmd"],
        ["q", "render", "b.qmd"],
    ]
    assert quarto_commands("q", pages=["a", "b", "c", "d"]) == [["q", "render"]]
    # nothing changed: the PDF is still made when asked, the site is not rendered again
    render(root, quarto=str(fake), pdf=True)
    assert (root / "quarto-calls.log").read_text().splitlines()[3:] == [
        "render reports --profile pdf --to pdf"
    ]


def test_quarto_renders_only_the_pages_whose_inputs_changed(tmp_path):
    import stat

    root = _project(tmp_path)
    (root / "_quarto.yml").write_text(
        "project:\n  type: website\n  render: [index.qmd, reports/*.qmd]\n", encoding="utf-8"
    )
    (root / "index.qmd").write_text("# Forside\n", encoding="utf-8")
    embed = "{{< embed ../_build/embed/fylke-a.ipynb#tbl-x-a >}}"
    (root / "reports" / "a.qmd").write_text(f"# A\n\n{embed}\n", encoding="utf-8")
    fake = _fake_quarto(tmp_path, pdf_exit=0)
    log = root / "quarto-calls.log"

    def calls_of(**kwargs) -> list[str]:
        before = log.read_text().splitlines() if log.exists() else []
        message = render(root, quarto=str(fake), **kwargs)
        after = log.read_text().splitlines()
        return after[len(before) :], message

    assert calls_of()[0] == ["render"]  # first render: everything
    calls, message = calls_of()
    assert calls == [] and "Ingenting er endret" in message
    (root / "reports" / "r.qmd").write_text("---\ntitle: R2\n---\n", encoding="utf-8")
    assert calls_of()[0] == ["render reports/r.qmd"]
    # a new run of the embedded notebook changes the report that embeds it
    _executed_notebook(root / "_build" / "notebooks" / "fylke-a.ipynb", "NAV Alfa 2")
    assert calls_of()[0] == ["render reports/a.qmd"]
    (root / "_site" / "reports" / "a.html").unlink()
    assert calls_of()[0] == ["render reports/a.qmd"]
    (root / "_quarto.yml").write_text(
        (root / "_quarto.yml").read_text() + "lang: nb\n", encoding="utf-8"
    )
    assert calls_of()[0] == ["render"]  # project settings: everything
    assert calls_of(force=True)[0] == ["render"]
    # a failed render leaves no state behind, so the next render is complete
    (root / "index.qmd").write_text("# Forside 2\n", encoding="utf-8")
    broken = tmp_path / "broken" / "quarto"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(subprocess.CalledProcessError):
        render(root, quarto=str(broken))
    assert calls_of()[0] == ["render"]


def test_a_failing_pdf_keeps_html_and_word_and_says_what_is_missing(tmp_path, monkeypatch):
    from coopstats import render as render_module
    from coopstats.render import PdfRenderError

    monkeypatch.setattr(render_module, "tex_available", lambda: False)
    root = _project(tmp_path)
    fake = _fake_quarto(tmp_path, pdf_exit=1)
    with pytest.raises(PdfRenderError) as info:
        render(root, quarto=str(fake), pdf=True)
    message = str(info.value)
    assert "quarto install tinytex" in message and "texlive" in message
    assert "HTML- og Word-filene er beholdt" in message
    for name in ("index.html", "reports/r.html", "reports/r.docx"):
        assert (root / "_site" / name).is_file()
    # LaTeX leftovers of the failed PDF are removed from the sources.
    assert sorted(p.name for p in (root / "reports").iterdir()) == ["r.qmd"]


def test_cli_render_pdf_failure_exits_1_with_the_tex_hint(tmp_path, monkeypatch, capsys):
    import os

    from coopstats import cli
    from coopstats import render as render_module

    monkeypatch.setattr(render_module, "tex_available", lambda: False)
    root = _project(tmp_path)
    (root / "notebooks").mkdir()
    (root / "notebooks" / "fylke.ipynb").write_text("{}", encoding="utf-8")
    fake = _fake_quarto(tmp_path, pdf_exit=1)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.chdir(root)
    assert cli.main(["render", "--pdf"]) == 1
    err = capsys.readouterr().err
    assert "quarto install tinytex" in err
    assert (root / "_site" / "reports" / "r.docx").is_file()


def test_quarto_gets_this_python_for_notebooks(monkeypatch):
    import sys

    from coopstats.render import quarto_env

    monkeypatch.delenv("QUARTO_PYTHON", raising=False)
    assert quarto_env()["QUARTO_PYTHON"] == sys.executable
    monkeypatch.setenv("QUARTO_PYTHON", "/opt/python")
    assert quarto_env()["QUARTO_PYTHON"] == "/opt/python"


def _with_delivery(path: Path, data_dir: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["papermill"] = {"parameters": {"data_dir": data_dir, "unit": "x"}}
    nbformat.write(nb, path)


def test_fallback_pages_and_index_say_when_and_from_which_delivery(tmp_path):
    from datetime import datetime

    build, site = tmp_path / "_build", tmp_path / "_site"
    for name in ("fylke-a", "fylke-b"):
        path = build / "notebooks" / f"{name}.ipynb"
        _executed_notebook(path, name)
        _with_delivery(path, "/sikker/leveranse-2026-05")
    built = datetime(2026, 5, 3, 14, 5)
    pages = render_fallback(build, site, built=built)
    assert {p.delivery for p in pages} == {"leveranse-2026-05"}
    line = "Bygget 3. mai 2026 kl. 14.05 fra datagrunnlaget leveranse-2026-05."
    assert line in (site / "index.html").read_text(encoding="utf-8")
    assert line in (site / "fylke-a.html").read_text(encoding="utf-8")
    assert "ulike datagrunnlag" not in (site / "index.html").read_text(encoding="utf-8")


def test_pages_from_different_deliveries_are_named_with_a_warning(tmp_path):
    build = tmp_path / "_build" / "notebooks"
    for name, data in (("fylke-a", "/d/demo"), ("fylke-b", "/d/leveranse-2026-05")):
        _executed_notebook(build / f"{name}.ipynb", name)
        _with_delivery(build / f"{name}.ipynb", data)
    message = render(tmp_path, use_quarto=False)
    assert "Advarsel: sidene er kjørt på ulike datagrunnlag (demo, leveranse-2026-05)" in message
    index = (tmp_path / "_site" / "index.html").read_text(encoding="utf-8")
    assert "fra datagrunnlagene demo og leveranse-2026-05" in index
    assert "Sidene er kjørt på ulike datagrunnlag" in index
