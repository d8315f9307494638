"""Reading definition files (YAML) and reporting their errors as "file: key path: expected …".

Every YAML file of the package (registry, indicators, cleaning rules, participant tables,
learning points, coding frame) is read with :func:`read_mapping` and validated with pydantic;
:func:`format_validation` turns pydantic's errors into one line per problem naming the file,
the key path (``trials[3].targets[0].value``) and what was expected.

:class:`DefinitionError` is the common base of the errors raised for such files (the
registry's :class:`coopstats.registry.RegistryError` derives from it); the command line
catches it and prints its message without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError


class DefinitionError(Exception):
    """A definition file (registry, definitions) is missing, malformed or inconsistent.

    The message names the file (its path), the key path and what was expected.
    """


#: Parts of a pydantic error location that are not keys of the file.
_NOT_KEYS = ("function-", "literal[")


def key_path(loc: Sequence[Any]) -> str:
    """``("trials", 3, "targets", 0, "value")`` → ``trials[3].targets[0].value``."""
    path = ""
    for part in loc:
        if str(part).startswith(_NOT_KEYS):
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def format_validation(
    filename: str,
    exc: ValidationError,
    *,
    path_of: Callable[[Sequence[Any]], str] = key_path,
    max_input: int = 80,
) -> str:
    """One line per problem; the first line first, the others indented below it."""
    lines = []
    for err in exc.errors():
        msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "expected", 1)
        got = f" (got {err.get('input')!r})"
        if err["type"] == "missing":
            msg, got = "required key is missing", ""
        elif err["type"] == "extra_forbidden":
            msg, got = "unexpected key (not part of the schema)", ""
        if "(got " in msg or len(got) > max_input + 7:
            got = ""
        path = path_of(tuple(err["loc"]))
        lines.append(f"{filename}: {path}: {msg}{got}" if path else f"{filename}: {msg}{got}")
    head = lines[0]
    if len(lines) > 1:
        head += f"\n  ... and {len(lines) - 1} more problem(s):\n  " + "\n  ".join(lines[1:])
    return head


def read_mapping(
    path: str | Path | None,
    filename: str,
    *,
    package_dir: str,
    error: type[Exception],
    name: str | None = None,
) -> tuple[str, dict]:
    """Read a YAML mapping from ``path`` or, when ``path`` is None, from the package.

    Returns ``(name used in messages, data)``; raises ``error`` naming the file when it is
    missing, is not valid YAML (with the line) or is not a mapping at the top level.
    """
    shown = name or (filename if path is None else str(path))
    try:
        if path is None:
            text = (resources.files("coopstats") / package_dir / filename).read_text("utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        where = "the package" if path is None else str(Path(path).parent)
        raise error(f"{shown}: file not found in {where}") from exc
    loader = yaml.SafeLoader(text)
    loader.name = shown  # YAML's own messages name the file, not "<unicode string>"
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise error(f"{shown}: invalid YAML{where}: {exc}") from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise error(f"{shown}: expected a mapping at the top level")
    return shown, data
