"""County and model dashboards: value boxes, execution, and the same content without Quarto."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from coopstats import dashboard, fylke, modell
from coopstats.publish import prepare_dashboards
from coopstats.render import export_html, parse_valuebox, render_fallback

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


@pytest.fixture(scope="module")
def oslo():
    return fylke.load_page("nav-oslo", DEMO)


@pytest.fixture(scope="module")
def innlandet():
    return fylke.load_page("nav-innlandet", DEMO)


@pytest.fixture(scope="module")
def vt_model():
    return modell.load_page("veiledningstelefonen", DEMO)


def test_valuebox_is_the_dict_quarto_expects_and_reads_back():
    box = dashboard.valuebox("1\u00a0234", icon="people", color="success")
    assert box == {"icon": "people", "color": "success", "value": "1 234"}
    assert ast.literal_eval(repr(box)) == box  # what the cell prints is a plain literal


def _as_quarto_reads_it(printed: str) -> dict[str, str]:
    """Quarto's dashboard filter (valuebox.lua): ``'key': `` -> ``key=``, then a Lua table.

    Emulated for the flat string dicts value boxes print: every value must be one plain
    single-quoted string without escapes, or the Lua table would read differently.
    """
    lua = re.sub(r"'([^']*?)': ", r"\1=", printed)  # Lua's lazy '-' is '*?'
    pairs = re.findall(r"(\w+)='([^'\\\n]*)'", lua)
    assert lua == "{" + ", ".join(f"{k}='{v}'" for k, v in pairs) + "}", lua
    return dict(pairs)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, ".."),
        (float("nan"), ".."),
        ("", ".."),
        ("1\u00a0234", "1 234"),
        ("2\u202f500", "2 500"),
        ("Kari's fylke", "Kari\u2019s fylke"),
        ('«sitat» "x"', "«sitat» \u201dx\u201d"),
        ("to\nlinjer", "to linjer"),
        ("a\\b", "a/b"),
        (12, "12"),
    ],
)
def test_valuebox_shows_only_plain_value_text(value, shown):
    box = dashboard.valuebox(value, icon="people")
    assert box["value"] == shown
    printed = repr(box)
    assert ast.literal_eval(printed) == box  # the nbconvert fallback reads it back
    assert _as_quarto_reads_it(printed) == box  # and so does Quarto


def test_every_value_box_prints_plain_text(oslo, innlandet, vt_model):
    boxes = [
        f(page)
        for page in (oslo, innlandet)
        for f in (
            dashboard.unit_trials,
            dashboard.unit_status,
            dashboard.unit_participants,
            dashboard.unit_indicators,
        )
    ] + [
        f(vt_model)
        for f in (
            dashboard.model_trials,
            dashboard.model_core_elements,
            dashboard.model_major_adaptations,
            dashboard.model_status,
        )
    ]
    for box in boxes:
        assert set(box) == {"icon", "color", "value"}
        assert all(isinstance(v, str) and v for v in box.values())
        assert not re.search(r"None|nan|[{}\[\]]", box["value"]), box
        # the printed form (text/plain) is what Quarto reads: plain value text only
        printed = box._repr_mimebundle_()["text/plain"] if hasattr(box, "disclosure") else repr(box)
        assert _as_quarto_reads_it(printed) == dict(box)


def test_unit_value_boxes(oslo, innlandet):
    people = oslo.datasets.participants
    n_oslo = int((people["unit_id"] == "nav-oslo").sum())
    assert dashboard.unit_trials(oslo)["value"] == str(len(oslo.trials))
    assert dashboard.unit_participants(oslo)["value"] == str(n_oslo)
    assert dashboard.unit_participants(innlandet)["value"] == ".."  # no person-level data
    assert dashboard.unit_status(innlandet)["value"] == "Avsluttet før tiden"
    applicable = innlandet.indicators[innlandet.indicators["kind"] != "not_defined"]
    reported = applicable["kind"].isin(["exact", "approximate", "range"]).sum()
    assert dashboard.unit_indicators(innlandet)["value"] == f"{reported} av {len(applicable)}"


def test_model_value_boxes(vt_model):
    majors = [a for t in vt_model.trials for a in t.adaptations if a.grade == "major"]
    box = dashboard.model_major_adaptations(vt_model)
    assert box["value"] == str(len(majors))
    assert box["color"] == ("warning" if majors else "success")
    assert dashboard.model_trials(vt_model)["value"] == str(len(vt_model.trials))
    assert dashboard.model_core_elements(vt_model)["value"] == str(
        len(vt_model.model.core_elements)
    )
    assert re.fullmatch(r"\d+ [\w ]+(, \d+ [\w ]+)*", dashboard.model_status(vt_model)["value"])


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Both dashboard notebooks run with papermill, as the batch runs them."""
    import papermill as pm

    build = tmp_path_factory.mktemp("build")
    (build / "notebooks").mkdir()
    runs = {
        "dashbord-fylke-nav-innlandet": ("dashbord-fylke", {"unit": "nav-innlandet"}),
        "dashbord-modell-veiledningstelefonen": (
            "dashbord-modell",
            {"model": "veiledningstelefonen"},
        ),
    }
    for stem, (source, params) in runs.items():
        pm.execute_notebook(
            str(ROOT / "notebooks" / f"{source}.ipynb"),
            str(build / "notebooks" / f"{stem}.ipynb"),
            parameters={**params, "data_dir": str(DEMO), "min_count": 5},
            cwd=str(ROOT / "notebooks"),
            progress_bar=False,
            kernel_name="python3",
        )
    return build


def test_dashboards_run_and_print_value_boxes(executed):
    nb = nbformat.read(executed / "notebooks" / "dashbord-fylke-nav-innlandet.ipynb", as_version=4)
    boxes = [
        parse_valuebox(c)
        for c in nb.cells
        if c.cell_type == "code" and "#| content: valuebox" in c.source
    ]
    assert len(boxes) == 4 and all(b and b["value"] and b["icon"] for b in boxes)
    images = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if "image/png" in o.get("data", {})
    ]
    assert len(images) == 2


def test_prepared_dashboards_carry_titles(executed, tmp_path):
    written = prepare_dashboards(executed, tmp_path / "dashboards")
    titles = {
        p.stem: nbformat.read(p, as_version=4).cells[0].source.splitlines()[1] for p in written
    }
    assert titles == {
        "dashbord-fylke-nav-innlandet": "title: 'Dashbord: NAV Innlandet'",
        "dashbord-modell-veiledningstelefonen": "title: 'Dashbord: Veiledningstelefonen'",
    }


def test_fallback_page_has_the_dashboard_content(executed, tmp_path):
    page_path = tmp_path / "dash.html"
    title = export_html(executed / "notebooks" / "dashbord-fylke-nav-innlandet.ipynb", page_path)
    page = page_path.read_text(encoding="utf-8")

    assert title == "Dashbord: NAV Innlandet"
    assert page.count('class="coopstats-valuebox"') == 4
    for heading in ("Forsøk", "Status", "Deltakere", "Indikatorer med tall"):
        assert f'class="coopstats-valuebox-title" style="margin:0;font-size:.9rem">{heading}<' in (
            page
        )
    assert "Avsluttet før tiden" in page
    for card in ("Forsøk i enheten", "Indikatorer mot måltall", "Rekrutteringstrakt"):
        assert f">{card}<" in page
    assert "{height" not in page and "{&#39;icon&#39;" not in page and "'icon'" not in page
    assert page.count('alt="') >= 2
    assert "dashboard.unit_trials" not in page  # code hidden


def test_fallback_index_groups_dashboards(executed, tmp_path):
    pages = render_fallback(executed, tmp_path / "_site")
    index = (tmp_path / "_site" / "index.html").read_text(encoding="utf-8")
    assert [p.title for p in pages] == ["Dashbord: NAV Innlandet", "Dashbord: Veiledningstelefonen"]
    assert index.index("Dashbord per fylke") < index.index("dashbord-fylke-nav-innlandet.html")
    assert index.index("Dashbord per modell") < index.index(
        "dashbord-modell-veiledningstelefonen.html"
    )
