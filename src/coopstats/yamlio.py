"""Reading definition files (YAML) and reporting their errors as "file: key path: expected …".

Every YAML file of the package (registry, indicators, cleaning rules, participant tables,
learning points, coding frame) is read with :func:`read_mapping` and validated with pydantic;
:func:`format_validation` turns pydantic's errors into one line per problem naming the file,
the key path (``trials[3].targets[0].value``) and what was expected.

:class:`DefinitionError` is the common base of the errors raised for such files (the
registry's :class:`coopstats.registry.RegistryError` derives from it); the command line
catches it and prints its message without a traceback.

The definition files are read from the package (``coopstats/definitions``) unless the
environment variable ``COOPSTATS_DEFINITIONS_DIR`` names a folder: a file of that folder
replaces the packaged file of the same name (files it does not hold are read from the
package). :func:`indicator_ids` is the one list of indicator ids: the ``id`` of every entry of
``indicators.yaml``, read without importing :mod:`coopstats.indicators` (the registry checks
its references with it).
"""

from __future__ import annotations

import difflib
import functools
import os
import types
import typing
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

#: Environment variable naming a folder whose definition files replace the packaged ones.
DEFINITIONS_DIR_ENV = "COOPSTATS_DEFINITIONS_DIR"
#: The file that defines the indicators (and so the set of indicator ids).
INDICATORS_FILE = "indicators.yaml"


class DefinitionError(Exception):
    """A definition file (registry, definitions) is missing, malformed or inconsistent.

    The message names the file (its path), the key path and what was expected.
    """


def did_you_mean(value: object, choices: Sequence[str] | set[str] | frozenset[str]) -> str:
    """``"; mente du «x»?"`` for the choices closest to ``value`` (empty when none is close)."""
    close = difflib.get_close_matches(str(value), sorted(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return "; mente du " + " eller ".join(f"«{c}»" for c in close) + "?"


def definitions_dir() -> Path | None:
    """The folder named by ``COOPSTATS_DEFINITIONS_DIR`` (``None`` when it is not set).

    Raises :class:`DefinitionError` when it names no folder.
    """
    override = os.environ.get(DEFINITIONS_DIR_ENV, "").strip()
    if not override:
        return None
    folder = Path(override).expanduser().resolve()
    if not folder.is_dir():
        raise DefinitionError(
            f"{DEFINITIONS_DIR_ENV}={override}: forventet en mappe med definisjonsfiler "
            "(den finnes ikke)"
        )
    return folder


def definitions_file(filename: str) -> Path | None:
    """The override of a definition file (``None``: read the packaged file)."""
    folder = definitions_dir()
    if folder is not None and (folder / filename).is_file():
        return folder / filename
    return None


def shown_definitions_file(filename: str) -> str:
    """The path of a definition file as messages show it (override or packaged file)."""
    override = definitions_file(filename)
    if override is not None:
        return str(override)
    return str(resources.files("coopstats") / "definitions" / filename)


def indicator_ids() -> frozenset[str]:
    """The ids of the indicators defined in ``indicators.yaml`` (the one list of ids).

    Only the ``id`` keys are read here (the full validation is
    :func:`coopstats.indicators.load_indicators`); the result is cached per file version.
    """
    path = definitions_file(INDICATORS_FILE)
    stamp = None
    if path is not None:
        stat = path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
    return _indicator_ids(path, stamp)


@functools.lru_cache(maxsize=8)
def _indicator_ids(path: Path | None, stamp: tuple[int, int] | None) -> frozenset[str]:
    shown, data = read_mapping(
        path,
        INDICATORS_FILE,
        package_dir="definitions",
        error=DefinitionError,
        name=shown_definitions_file(INDICATORS_FILE) if path is None else str(path),
    )
    entries = data.get("indicators")
    if not isinstance(entries, list):
        raise DefinitionError(f"{shown}: indicators: forventet en liste med indikatordefinisjoner")
    return frozenset(
        e["id"] for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str)
    )


# --------------------------------------------------------------------------- error messages

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


def _candidates(annotation: Any) -> list[Any]:
    """The types a value of ``annotation`` may have (unions, ``Optional``, ``Annotated`` undone)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _candidates(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [t for arg in typing.get_args(annotation) for t in _candidates(arg)]
    return [annotation]


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _step(t: Any, part: Any) -> list[Any]:
    """The types reached from ``t`` by one location part (a key, an index or a union tag)."""
    if _is_model(t):
        field = t.model_fields.get(part) if isinstance(part, str) else None
        if field is not None:
            return _candidates(field.annotation)
        return []
    origin = typing.get_origin(t)
    args = typing.get_args(t)
    if origin in (tuple, list, set, frozenset) and isinstance(part, int) and args:
        return _candidates(args[0])
    if origin is dict and len(args) == 2:
        return _candidates(args[1])
    return []


def known_keys(schema: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """The keys allowed in the mapping at ``loc`` (the location of an unexpected key)."""
    current: list[Any] = [schema]
    for part in loc[:-1]:
        if str(part).startswith(_NOT_KEYS):
            continue
        reached = [r for t in current for r in _step(t, part)]
        if not reached and isinstance(part, str):
            # a discriminated union's tag: keep the members whose Literal field holds it
            tagged = [
                t
                for t in current
                if _is_model(t)
                and any(
                    part in typing.get_args(f.annotation)
                    for f in t.model_fields.values()
                    if typing.get_origin(f.annotation) is typing.Literal
                )
            ]
            reached = tagged
        current = reached
    return sorted({k for t in current if _is_model(t) for k in t.model_fields})


def format_validation(
    filename: str,
    exc: ValidationError,
    *,
    path_of: Callable[[Sequence[Any]], str] = key_path,
    max_input: int = 80,
    schema: type[BaseModel] | None = None,
) -> str:
    """One line per problem; the first line first, the others indented below it.

    With ``schema`` (the model the file was validated with), an unexpected key gets the
    allowed keys closest to it as a hint (``mente du «label_nb»?``).
    """
    lines = []
    for err in exc.errors():
        msg = err["msg"].removeprefix("Value error, ").replace("Input should be", "expected", 1)
        got = f" (got {err.get('input')!r})"
        if err["type"] == "missing":
            msg, got = "required key is missing", ""
        elif err["type"] == "extra_forbidden":
            msg, got = "unexpected key (not part of the schema)", ""
            if schema is not None and err["loc"]:
                msg += did_you_mean(err["loc"][-1], known_keys(schema, tuple(err["loc"])))
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
    if path is None and package_dir == "definitions":
        path = definitions_file(filename)
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
