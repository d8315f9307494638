"""Code executed *inside* the pooled Jupyter kernels (see :mod:`coopstats.kernelpool`).

The pool sends this file's source to each new kernel, where it becomes the module
``_coopstats_guest``. :func:`warm` imports the heavy modules once and records the kernel's
process state; :func:`restore` is run before every notebook and puts that state back, so a
notebook sees the same interpreter state as in a kernel that has just imported those modules:

* the IPython user namespace, history counters and output cache (``InteractiveShell.reset``);
* the working directory (the notebook's folder, as papermill's ``cwd``), ``os.environ``,
  ``sys.path``, ``sys.argv``, attributes added to ``builtins``;
* ``warnings`` filters and the root logger's level and handlers;
* matplotlib: open figures closed, ``rcParams`` restored, inline-backend settings restored;
* IPython display formatters (e.g. ``set_matplotlib_formats``);
* pandas options and numpy print and error settings.

Imported modules stay imported (that is the point of the pool); state a notebook stores inside
a module's globals is *not* reset. One visible difference from a brand-new kernel remains on
purpose: :func:`warm` draws (and closes) one figure so that matplotlib's inline backend is
loaded before the snapshot, so ``rcParams["interactive"]`` is already ``True`` when a notebook
starts, as it is in a new kernel from its first figure on. After the preload the objects that
exist are frozen (``gc.freeze``), so the garbage collection in every reset only scans what a
notebook created. Only the standard library is imported at module level.
"""

from __future__ import annotations

import builtins
import copy
import gc
import importlib
import logging
import os
import sys
import warnings
from typing import Any

_STATE: dict[str, Any] = {}
_INLINE_TRAITS = ("figure_formats", "print_figure_kwargs", "rc", "close_figures")


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - always present in an IPython kernel
        return None
    return get_ipython()


def _pandas_options() -> dict[str, Any] | None:
    pd = sys.modules.get("pandas")
    if pd is None:
        return None
    try:
        from pandas._config import config

        with warnings.catch_warnings():  # reading deprecated options warns
            warnings.simplefilter("ignore")
            return {key: pd.get_option(key) for key in config._registered_options}
    except Exception:  # noqa: BLE001 - private API moved: fall back to reset_option
        return {}


def warm(modules: list[str]) -> dict[str, str]:
    """Import ``modules`` (failures are returned, not raised), then take the snapshot."""
    failed: dict[str, str] = {}
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - the notebook will show the real error
            failed[name] = f"{type(exc).__name__}: {exc}"
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        # pyplot loads its backend (and IPython's inline figure formatters) at the first
        # figure; do that now so the snapshot includes it, as a fresh kernel would after it
        plt.close(plt.figure())
    snapshot()
    # everything imported so far lives as long as the kernel: move it out of the garbage
    # collector's way, so the collection in every reset only scans what a notebook created
    gc.collect()
    gc.freeze()
    return failed


def snapshot() -> None:
    """Record the state that :func:`restore` puts back."""
    s = _STATE
    s.clear()
    s["cwd"] = os.getcwd()
    s["environ"] = dict(os.environ)
    s["path"] = list(sys.path)
    s["argv"] = list(sys.argv)
    s["builtins"] = dict(vars(builtins))
    s["warnings"] = list(warnings.filters)
    root = logging.getLogger()
    s["logging"] = (root.level, list(root.handlers))
    s["pandas"] = _pandas_options()
    np = sys.modules.get("numpy")
    if np is not None:
        s["numpy"] = (np.geterr(), np.get_printoptions())
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        s["rc"] = mpl.rcParams.copy()
    ip = _ipython()
    if ip is not None:
        s["formatters"] = {
            mime: (f.enabled, dict(f.type_printers), dict(f.deferred_printers))
            for mime, f in ip.display_formatter.formatters.items()
        }
        inline = _inline_backend()
        if inline is not None:
            s["inline"] = {t: copy.deepcopy(getattr(inline, t)) for t in _INLINE_TRAITS}


def _inline_backend() -> Any:
    if "matplotlib_inline.config" not in sys.modules:
        return None
    from matplotlib_inline.config import InlineBackend

    return InlineBackend.instance() if InlineBackend.initialized() else None


def restore(cwd: str) -> None:
    """Reset the kernel to the snapshot and change into ``cwd`` before the next notebook."""
    s = _STATE
    ip = _ipython()
    if ip is not None:
        ip.reset(new_session=True)
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if "rc" in s:
                mpl.rcParams.update(s["rc"])
            else:  # matplotlib was first imported by a notebook: use its rc-file defaults
                mpl.rc_file_defaults()
    inline = _inline_backend()
    if inline is not None:
        saved = s.get("inline") or {t: inline.trait_defaults(t) for t in _INLINE_TRAITS}
        for trait, value in saved.items():
            setattr(inline, trait, copy.deepcopy(value))
    if ip is not None and "formatters" in s:
        for mime, (enabled, types, deferred) in s["formatters"].items():
            f = ip.display_formatter.formatters.get(mime)
            if f is not None:
                f.enabled = enabled
                f.type_printers = dict(types)
                f.deferred_printers = dict(deferred)
    if inline is not None and ip is not None:
        # (re-)register the figure formatters the inline backend's settings ask for, also
        # when matplotlib's backend was first loaded by a notebook after the snapshot
        from IPython.core.pylabtools import select_figure_formats

        select_figure_formats(ip, inline.figure_formats, **inline.print_figure_kwargs)
    if s.get("environ") is not None:
        os.environ.clear()
        os.environ.update(s["environ"])
    sys.path[:] = s.get("path", sys.path)
    sys.argv[:] = s.get("argv", sys.argv)
    managed = set(getattr(getattr(ip, "builtin_trap", None), "auto_builtins", {}))
    added = set(vars(builtins)) - set(s.get("builtins", vars(builtins))) - managed
    for name in added:
        delattr(builtins, name)
    for name, value in s.get("builtins", {}).items():
        if vars(builtins).get(name) is not value:
            setattr(builtins, name, value)
    warnings.filters[:] = s.get("warnings", warnings.filters)
    warnings._filters_mutated()  # type: ignore[attr-defined]
    if "logging" in s:
        level, handlers = s["logging"]
        root = logging.getLogger()
        root.setLevel(level)
        root.handlers[:] = handlers
    pd = sys.modules.get("pandas")
    if pd is not None:
        options = s.get("pandas")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if options:
                for key, value in options.items():
                    if pd.get_option(key) != value:
                        pd.set_option(key, value)
            else:
                pd.reset_option("all")
    np = sys.modules.get("numpy")
    if np is not None and "numpy" in s:
        err, printopts = s["numpy"]
        np.seterr(**err)
        np.set_printoptions(**printopts)
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            delattr(sys, name)
    if ip is None:  # IPython's reset has already collected garbage
        gc.collect()
    os.chdir(cwd)
