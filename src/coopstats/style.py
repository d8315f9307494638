"""House style for coopstats figures: one colour-blind-safe palette and matplotlib defaults."""

from __future__ import annotations

import matplotlib as mpl

# Okabe & Ito (2008) colour-blind-safe palette, without pure black first.
PALETTE: list[str] = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
]
#: Hatch patterns paired with the palette so that nothing is encoded by colour alone.
HATCHES: list[str] = ["", "//", "..", "xx", "\\\\", "--", "++", "oo"]
TEXT_COLOUR = "#222222"
GRID_COLOUR = "#DDDDDD"


def series_style(i: int) -> dict[str, str]:
    """Colour and hatch of the ``i``-th series of a chart (colour is never the only cue)."""
    return {
        "color": PALETTE[i % len(PALETTE)],
        "hatch": HATCHES[i % len(HATCHES)],
        "edgecolor": "white",
    }


def activate_backend() -> None:
    """Load the configured matplotlib backend now.

    pyplot loads its backend lazily, at the first pyplot figure. In a Jupyter kernel the inline
    backend is also what registers IPython's PNG formatter for ``Figure`` objects, so a figure
    built without pyplot (as :func:`coopstats.chains.draw_result_chain` does) and returned
    before any pyplot figure exists would otherwise be shown as text only.
    """
    import matplotlib.pyplot as plt

    plt.switch_backend(mpl.get_backend())


def apply_house_style() -> None:
    """Set matplotlib defaults for every coopstats figure (and load the backend)."""
    activate_backend()
    mpl.rcParams.update(
        {
            "axes.prop_cycle": mpl.cycler(color=PALETTE),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "axes.grid.axis": "x",
            "grid.color": GRID_COLOUR,
            "axes.edgecolor": TEXT_COLOUR,
            "axes.labelcolor": TEXT_COLOUR,
            "xtick.color": TEXT_COLOUR,
            "ytick.color": TEXT_COLOUR,
            "text.color": TEXT_COLOUR,
            "font.size": 10,
            "axes.titlesize": 11,
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "axes.formatter.use_locale": False,
        }
    )
