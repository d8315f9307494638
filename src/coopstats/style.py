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


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a ``#rgb`` or ``#rrggbb`` colour."""
    hex_digits = colour.strip().lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(d * 2 for d in hex_digits)
    if len(hex_digits) != 6:
        raise ValueError(f"not a #rgb or #rrggbb colour: {colour!r}")
    r, g, b = (_linear(int(hex_digits[i : i + 2], 16)) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 (same) to 21 (black on white).

    Text needs at least 4.5:1 (WCAG 2.1 AA, success criterion 1.4.3).
    """
    light, dark = sorted((relative_luminance(foreground), relative_luminance(background)))[::-1]
    return (light + 0.05) / (dark + 0.05)
