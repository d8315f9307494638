"""Value boxes for the county and model dashboards (``notebooks/dashbord-*.ipynb``).

A Quarto dashboard turns a cell with ``#| content: valuebox`` and ``#| title: …`` whose output
is a ``dict(icon=…, color=…, value=…)`` into a value box. The functions here return those
dicts, computed from a :class:`coopstats.fylke.UnitPage` or a
:class:`coopstats.modell.ModelPage`; everything else on the dashboards reuses the display
functions of :mod:`coopstats.fylke` and :mod:`coopstats.modell`.

Values are short strings (Norwegian number format, plain spaces) so that the printed dict
stays readable for Quarto and for the nbconvert fallback, which draws the same boxes. Counts
of persons pass the disclosure rule (``:`` when 1 ≤ n < ``min_count``). Colours are the theme
aliases (``primary``, ``info``, ``success``, ``warning``) that ``styles/coopstats.scss`` maps
onto the house palette; the title and value always carry the meaning, never the colour alone.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from coopstats.formatting import NOT_AVAILABLE, fmt_number
from coopstats.sdc import with_metadata

if TYPE_CHECKING:
    from coopstats.fylke import UnitPage
    from coopstats.modell import ModelPage
    from coopstats.registry import Trial

#: Short Norwegian status words for value boxes (the tables use the long forms).
STATUS_SHORT: dict[str, str] = {
    "planned": "planlagt",
    "running": "pågår",
    "ended_ordinary_operation": "videreført i drift",
    "terminated_early": "avsluttet før tiden",
}
#: Kinds of indicator values that carry a number (``not_reported``/``not_defined`` do not).
_WITH_VALUE = {"exact", "approximate", "range"}


class ProtectedValueBox(dict):
    """A value-box dict whose person count comes from the protected plan, with its metadata
    beside the printed dict (the audit reads it; Quarto reads the dict)."""

    def __init__(self, box: dict[str, str], disclosure: dict) -> None:
        super().__init__(box)
        self.disclosure = disclosure

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return with_metadata({"text/plain": repr(dict(self))}, self.disclosure)


def value_text(value: object) -> str:
    """The text a value box shows: one line, plain spaces, never a Python literal.

    Quarto reads the printed dict back (its Lua filter turns ``'key': `` into ``key=``) and the
    nbconvert fallback with :func:`ast.literal_eval`, so the text must print as one plain
    single-quoted string: no line breaks or backslash escapes (non-breaking spaces become
    spaces, straight apostrophes typographic ones). ``None`` and NaN show as ``..`` (not
    available), never as ``None`` or ``nan``.
    """
    if value is None or (isinstance(value, float) and value != value):
        return NOT_AVAILABLE
    text = " ".join(str(value).replace("\u00a0", " ").replace("\u202f", " ").split())
    text = text.replace("'", "\u2019").replace('"', "\u201d").replace("\\", "/")
    return text or NOT_AVAILABLE


def valuebox(value: object, *, icon: str, color: str = "primary") -> dict[str, str]:
    """The dict a Quarto dashboard value-box cell prints (``icon`` is a Bootstrap icon name).

    Only ``value`` is shown as text; ``icon`` and ``color`` are read by Quarto (colours: the
    theme aliases of ``styles/coopstats.scss``, each with a text colour of contrast >= 4.5:1).
    """
    return {"icon": icon, "color": color, "value": value_text(value)}


def status_text(trials: list[Trial]) -> str:
    """``Pågår`` for one trial; ``1 pågår, 1 videreført i drift`` for several."""
    if not trials:
        return "Ingen forsøk"
    counts = Counter(STATUS_SHORT.get(t.status, t.status) for t in trials)
    if len(trials) == 1:
        word = next(iter(counts))
        return word[:1].upper() + word[1:]
    return ", ".join(f"{n} {word}" for word, n in counts.items())


# --------------------------------------------------------------------------- county


def unit_trials(page: UnitPage) -> dict[str, str]:
    """Number of trials in the unit."""
    return valuebox(fmt_number(len(page.trials)), icon="diagram-3", color="primary")


def unit_status(page: UnitPage) -> dict[str, str]:
    """Status of the unit's trials."""
    return valuebox(status_text(page.trials), icon="flag", color="info")


def unit_participants(page: UnitPage) -> dict[str, str]:
    """Participants with person-level data in the unit (disclosure applies; ``..`` = no data)."""
    from coopstats import publication

    plan = publication.plan_for(page.datasets, page.config)
    if page.unit.id not in plan.system.codes["unit"]:
        return valuebox(NOT_AVAILABLE, icon="people", color="success")
    item = publication.count_item(unit=page.unit.id)
    box = valuebox(plan.text(item), icon="people", color="success")
    return ProtectedValueBox(box, plan.metadata([item]))


def unit_indicators(page: UnitPage) -> dict[str, str]:
    """Indicators with a value, out of those that apply to the unit's trials."""
    applicable = page.indicators[page.indicators["kind"] != "not_defined"]
    with_value = int(applicable["kind"].isin(_WITH_VALUE).sum())
    text = f"{fmt_number(with_value)} av {fmt_number(len(applicable))}"
    return valuebox(text, icon="bar-chart", color="primary")


# --------------------------------------------------------------------------- model


def model_trials(page: ModelPage) -> dict[str, str]:
    """Number of trials (trial counties) of the model."""
    return valuebox(fmt_number(len(page.trials)), icon="geo-alt", color="primary")


def model_core_elements(page: ModelPage) -> dict[str, str]:
    """Number of core elements of the model."""
    return valuebox(fmt_number(len(page.model.core_elements)), icon="list-check", color="info")


def model_major_adaptations(page: ModelPage) -> dict[str, str]:
    """Core-element adaptations graded *major* across the model's trials."""
    count = sum(
        1
        for trial in page.trials
        for adaptation in trial.adaptations
        if adaptation.grade == "major"
    )
    color = "warning" if count else "success"
    return valuebox(fmt_number(count), icon="exclamation-triangle", color=color)


def model_status(page: ModelPage) -> dict[str, str]:
    """Status of the model's trials."""
    return valuebox(status_text(page.trials), icon="flag", color="info")
