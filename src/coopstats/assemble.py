"""Generate the per-unit and per-model parts of the site from the registry.

The reports, the site's menus and the index list every unit and model with a trial. Those
parts are not written by hand: :func:`assemble` writes them into ``_generert/`` (a folder
Quarto never renders as pages, because its name starts with ``_``) before ``quarto render``,
and the hand-written sources include them with Quarto's own mechanisms:

=====================================  ==================================================
``_generert/navbar.yml``               the «Fylker» and «Modeller» menus, merged into the
                                       navbar through ``metadata-files:`` in ``_quarto.yml``
``_generert/index-dashbord-*.md``      the index's dashboard lists (``{{< include >}}``)
``_generert/statusrapport-*.qmd``      the model, implementation and results sections of
                                       the status report (``{{< include >}}``)
``_generert/midtveisnotat-*.qmd``      the per-unit sections and the timelines of the
                                       midterm note (``{{< include >}}``)
=====================================  ==================================================

A generated section has a stable id (``#sec-impl-oslo``, ``#sec-mn-oslo``,
``#sec-modell-moteplassen``), the researcher's text and the section's embeds. The text is one
Markdown file per unit or model and report part, ``reports/tekst/<report>/<id>-<part>.md``
(:data:`TEXT_DIR`), included where it belongs; a missing text becomes a «Tekst mangler»
warning that Quarto shows only while the project metadata ``utkast`` is true (the default in
``_quarto.yml``; the ``endelig`` profile, ``quarto render --profile endelig``, turns it off).

Embed paths in the generated report parts are relative to the report (``reports/``), because
Quarto resolves embeds in included files against the document being rendered; the texts are
included with project-relative paths (``{{< include /reports/tekst/… >}}``), which Quarto and
panache resolve alike.
:func:`coopstats.quarto_sources.expand_includes` gives the text Quarto sees, for the checks in
``tests/test_quarto_sources.py``. Run ``python -m coopstats.assemble [ROOT]`` to write the
parts without rendering. Files are only rewritten when their content changes.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from coopstats.publish import embed_label
from coopstats.registry import Registry, load_registry

#: Folder of the generated parts (relative to the project root).
GENERATED_DIR = Path("_generert")
#: Folder of the researchers' texts (relative to the project root).
TEXT_DIR = Path("reports") / "tekst"
#: Indicators of a recruitment funnel; a unit whose model names one gets the funnel figure.
FUNNEL_INDICATORS = ("ind-invitert", "ind-oppmote", "ind-intervju", "ind-match")
#: Heading of the placeholder for a missing text.
MISSING_TITLE = "Tekst mangler"
#: Where the embed copies are, relative to a report in ``reports/``.
_EMBED_PREFIX = "../_build/embed"


# --------------------------------------------------------------------------- registry views


def report_units(registry: Registry) -> list[str]:
    """Units with a trial, in the order of their first trial in ``trials.yaml``."""
    return list(dict.fromkeys(t.unit for t in registry.trials.values()))


def report_models(registry: Registry) -> list[str]:
    """Models with a trial, in registry order."""
    used = {t.model for t in registry.trials.values()}
    return [m for m in registry.models if m in used]


def short_id(unit: str) -> str:
    """``nav-more-og-romsdal`` -> ``more-og-romsdal`` (the part used in section ids)."""
    return unit.removeprefix("nav-")


def short_name(registry: Registry, unit: str) -> str:
    """``NAV Møre og Romsdal`` -> ``Møre og Romsdal`` (the section heading)."""
    return re.sub(r"^NAV\s+", "", registry.units[unit].name)


def has_funnel(registry: Registry, unit: str) -> bool:
    """Whether a model tried in ``unit`` measures a recruitment funnel (registry based)."""
    for trial in registry.trials.values():
        if trial.unit == unit:
            text = registry.models[trial.model].model_dump_json()
            if any(f'"{ind}"' in text for ind in FUNNEL_INDICATORS):
                return True
    return False


#: An indicator whose presence in a model's result chain means the model follows its
#: participants over time (trade certificate, work): its pages have «Resultater over tid».
OUTCOME_INDICATORS = ("ind-fagbrev",)


def follows_participants(registry: Registry, model: str) -> bool:
    """Whether ``model``'s result chain has an outcome followed over time (registry based)."""
    text = registry.models[model].model_dump_json()
    return any(f'"{ind}"' in text for ind in OUTCOME_INDICATORS)


def unit_follows_participants(registry: Registry, unit: str) -> bool:
    """Whether a model tried in ``unit`` follows its participants over time."""
    return any(
        follows_participants(registry, t.model) for t in registry.trials.values() if t.unit == unit
    )


# --------------------------------------------------------------------------- Markdown pieces


def embed(run: str, label: str) -> str:
    """``{{< embed ../_build/embed/<run>.ipynb#<label>-<slug> >}}``."""
    return f"{{{{< embed {_EMBED_PREFIX}/{run}.ipynb#{embed_label(run, label)} >}}}}"


def text_file(report: str, key: str, part: str) -> Path:
    """The researcher's text for ``key`` (unit or model id) in one report part."""
    return TEXT_DIR / report / f"{key}-{part}.md"


def text_block(root: Path, report: str, key: str, part: str, name: str) -> str:
    """An include of the researcher's text, or the «Tekst mangler» placeholder."""
    path = text_file(report, key, part)
    if (root / path).is_file():
        return f"{{{{< include /{path.as_posix()} >}}}}"
    return (
        '::: {.content-visible when-meta="utkast"}\n'
        f'::: {{.callout-warning title="{MISSING_TITLE}"}}\n'
        f"Teksten om {name} er ikke skrevet ennå. Skriv den i `{path.as_posix()}`; tabellene "
        "og figurene under kommer fra datagrunnlaget.\n"
        ":::\n"
        ":::"
    )


def _join(blocks: list[str]) -> str:
    return "\n\n".join(b for b in blocks if b) + "\n"


_NOTICE = (
    "<!-- Generert av coopstats.assemble fra registeret: ikke rediger. "
    "Teksten står i reports/tekst/ (docs/publishing.md). -->"
)


# --------------------------------------------------------------------------- report parts


def statusrapport_models(root: Path, registry: Registry) -> str:
    """«Modellene og kjerneelementene»: one section per model with a trial."""
    out = [_NOTICE]
    for model in report_models(registry):
        name = registry.models[model].name
        out += [
            f"## {name} {{#sec-modell-{model}}}",
            text_block(root, "statusrapport", model, "modell", name),
            embed(f"modell-{model}", "fig-modell-kjede"),
            embed(f"modell-{model}", "tbl-modell-kjerneelementer"),
        ]
        if follows_participants(registry, model):
            out += [
                f"### Resultater over tid {{#sec-res-tid-{model}}}",
                embed(f"modell-{model}", "tbl-modell-forlop"),
                embed(f"modell-{model}", "fig-modell-forlop"),
                embed(f"modell-{model}", "tbl-modell-tilstand"),
                embed(f"modell-{model}", "tbl-modell-sammenligning"),
                text_block(root, "statusrapport", model, "resultater-over-tid", name),
            ]
    return _join(out)


def statusrapport_implementation(root: Path, registry: Registry) -> str:
    """«Implementering og lokale tilpasninger»: one section per unit, tables first."""
    out = [_NOTICE]
    for unit in report_units(registry):
        run = f"fylke-{unit}"
        out += [
            f"## {short_name(registry, unit)} {{#sec-impl-{short_id(unit)}}}",
            embed(run, "tbl-forsok"),
            embed(run, "tbl-tilpasninger"),
            text_block(root, "statusrapport", unit, "implementering", registry.units[unit].name),
        ]
    return _join(out)


def statusrapport_results(root: Path, registry: Registry) -> str:
    """«Erfaringer og resultater»: one section per unit, figures and tables first."""
    out = [_NOTICE]
    for unit in report_units(registry):
        run = f"fylke-{unit}"
        out += [
            f"## {short_name(registry, unit)} {{#sec-res-{short_id(unit)}}}",
            embed(run, "fig-trakt") if has_funnel(registry, unit) else "",
            embed(run, "tbl-indikatorer"),
            text_block(root, "statusrapport", unit, "resultater", registry.units[unit].name),
        ]
    return _join(out)


def midtveisnotat_units(root: Path, registry: Registry) -> str:
    """One chapter per unit: status text, trials, events, the «Foreløpig» callout, adaptations."""
    out = [_NOTICE]
    for unit in report_units(registry):
        name = registry.units[unit].name
        period = f"midtveis-{unit}"
        preliminary = _join(
            [
                "::: {.callout-note}\n## Foreløpig",
                text_block(root, "midtveisnotat", unit, "forelopig", name),
                embed(period, "fig-trakt") if has_funnel(registry, unit) else "",
                embed(period, "tbl-indikatorer") + "\n:::",
            ]
        ).rstrip("\n")
        out += [
            f"# {short_name(registry, unit)} {{#sec-mn-{short_id(unit)}}}",
            text_block(root, "midtveisnotat", unit, "status", name),
            embed(f"fylke-{unit}", "tbl-forsok"),
            embed(period, "tbl-hendelser"),
            preliminary,
            embed(f"fylke-{unit}", "tbl-tilpasninger"),
        ]
        if unit_follows_participants(registry, unit):
            out += [
                f"## Resultater over tid {{#sec-mn-tid-{short_id(unit)}}}",
                embed(f"fylke-{unit}", "tbl-forlop"),
                embed(f"fylke-{unit}", "tbl-tilstand"),
            ]
    return _join(out)


def midtveisnotat_timelines(root: Path, registry: Registry) -> str:
    """The timeline of every model with a trial, with a sentence referring to them."""
    models = report_models(registry)
    refs = ", ".join(f"@{embed_label(f'modell-{m}', 'fig-modell-tidslinje')}" for m in models)
    out = [
        _NOTICE,
        f"Tidslinjene viser forsøkenes perioder og daterte hendelser per modell\n({refs}).",
    ]
    out += [embed(f"modell-{m}", "fig-modell-tidslinje") for m in models]
    return _join(out)


def midtveisnotat_results(root: Path, registry: Registry) -> str:
    """«Resultater over tid» per model that follows its participants: the model's curves,
    states and matched comparison (unit tables are in the unit chapters)."""
    out = [_NOTICE]
    for model in report_models(registry):
        if not follows_participants(registry, model):
            continue
        run = f"modell-{model}"
        out += [
            f"## {registry.models[model].name} {{#sec-mn-tid-{model}}}",
            embed(run, "tbl-modell-forlop"),
            embed(run, "fig-modell-forlop"),
            embed(run, "tbl-modell-konkurrerende"),
            embed(run, "tbl-modell-tilstand"),
            embed(run, "tbl-modell-balanse"),
            embed(run, "tbl-modell-sammenligning"),
        ]
    return _join(out)


# --------------------------------------------------------------------------- site parts


def dashboard_units(registry: Registry) -> list[tuple[str, str]]:
    """(href, text) of the county dashboards: units with a trial, by id."""
    return [
        (f"dashboards/dashbord-fylke-{u}.ipynb", registry.units[u].name)
        for u in registry.trial_units()
    ]


def dashboard_models(registry: Registry) -> list[tuple[str, str]]:
    """(href, text) of the model dashboards: models with a trial, in registry order."""
    return [
        (f"dashboards/dashbord-modell-{m}.ipynb", registry.models[m].name)
        for m in report_models(registry)
    ]


def navbar(registry: Registry) -> str:
    """The «Fylker» and «Modeller» menus; Quarto appends them to the navbar of _quarto.yml."""
    menus = [
        {"text": "Fylker", "menu": [{"href": h, "text": t} for h, t in dashboard_units(registry)]},
        {
            "text": "Modeller",
            "menu": [{"href": h, "text": t} for h, t in dashboard_models(registry)],
        },
    ]
    body = yaml.safe_dump(
        {"website": {"navbar": {"left": menus}}}, allow_unicode=True, sort_keys=False
    )
    return (
        "# Generert av coopstats.assemble fra registeret: ikke rediger (docs/publishing.md).\n"
        + body
    )


def index_list(items: list[tuple[str, str]]) -> str:
    return "".join(f"- [{text}]({href})\n" for href, text in items)


#: Generated file (relative to ``GENERATED_DIR``) -> builder.
PARTS: dict[str, Callable[[Path, Registry], str]] = {
    "statusrapport-modeller.qmd": statusrapport_models,
    "statusrapport-implementering.qmd": statusrapport_implementation,
    "statusrapport-resultater.qmd": statusrapport_results,
    "midtveisnotat-enheter.qmd": midtveisnotat_units,
    "midtveisnotat-tidslinjer.qmd": midtveisnotat_timelines,
    "midtveisnotat-resultater.qmd": midtveisnotat_results,
    "navbar.yml": lambda root, reg: navbar(reg),
    "index-dashbord-fylke.md": lambda root, reg: index_list(dashboard_units(reg)),
    "index-dashbord-modell.md": lambda root, reg: index_list(dashboard_models(reg)),
}


@dataclass(frozen=True)
class Assembled:
    """What :func:`assemble` wrote."""

    files: list[Path]
    changed: list[Path]
    missing_texts: list[Path]


def missing_texts(root: Path, registry: Registry) -> list[Path]:
    """The text files the reports would include but that do not exist (project relative)."""
    wanted = [text_file("statusrapport", m, "modell") for m in report_models(registry)]
    for unit in report_units(registry):
        wanted += [
            text_file("statusrapport", unit, "implementering"),
            text_file("statusrapport", unit, "resultater"),
            text_file("midtveisnotat", unit, "status"),
            text_file("midtveisnotat", unit, "forelopig"),
        ]
    return [p for p in wanted if not (root / p).is_file()]


def assemble(root: Path, registry: Registry | None = None) -> Assembled:
    """Write every generated part into ``root/_generert/`` (only files whose content changed).

    Files in ``_generert/`` that no builder produces any more are removed.
    """
    registry = registry or load_registry()
    out_dir = root / GENERATED_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    files, changed = [], []
    for name, build in PARTS.items():
        target = out_dir / name
        text = build(root, registry)
        files.append(target)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            tmp = target.with_name(f".{name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
            changed.append(target)
    for stale in out_dir.iterdir():
        if stale.is_file() and stale not in files and not stale.name.startswith("."):
            stale.unlink()
    return Assembled(files=files, changed=changed, missing_texts=missing_texts(root, registry))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0] if args else ".").resolve()
    done = assemble(root)
    print(
        f"Skrev {len(done.changed)} av {len(done.files)} genererte filer i {root / GENERATED_DIR}."
    )
    for path in done.missing_texts:
        print(f"Tekst mangler: {path.as_posix()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
