"""Command-line interface: ``coopstats check | validate | import | run | audit | render | build |
demo``.

Messages to users are Norwegian (bokmål). Every user mistake ends with one line
``coopstats <command>: <message>`` on standard error and an exit code, never a traceback:
mistakes in the registry or the definition files (:class:`coopstats.yamlio.DefinitionError`
and the definition errors of the other modules) exit with 2, like other usage errors.
Default paths (``--data data/demo``, ``demo``'s directory) are resolved against the project
root (:func:`coopstats.batch.project_root`), so the commands work from any subdirectory.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

#: The demo delivery, relative to the project root.
DEFAULT_DATA = Path("data/demo")

#: Errors that report a mistake in a definition file or the run matrix, by module. Only
#: modules already imported can have raised them, so nothing is imported to check.
_USER_ERRORS: dict[str, tuple[str, ...]] = {
    "coopstats.yamlio": ("DefinitionError",),
    "coopstats.indicators": ("IndicatorError",),
    "coopstats.learning": ("LearningDataError",),
    "coopstats.participants": ("DefinitionError",),
    "coopstats.importer": ("SynonymError",),
    "coopstats.runmatrix": ("RunMatrixError",),
}

#: argparse's own English messages (Python 3.11–3.13) and their Norwegian text.
_ARGPARSE_TEXT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"the following arguments are required: (.*)"), r"disse argumentene mangler: \1"),
    (re.compile(r"unrecognized arguments: (.*)"), r"ukjente argumenter: \1"),
    (re.compile(r"invalid choice: (.*?) \(choose from (.*)\)"), r"ugyldig valg \1 (velg blant \2)"),
    (re.compile(r"expected one argument"), "forventet én verdi"),
    (re.compile(r"invalid (\w+) value: (.*)"), r"ugyldig verdi \2"),
    (re.compile(r"ignored explicit argument (.*)"), r"argumentet \1 tar ingen verdi"),
    (re.compile(r"not allowed with argument (.*)"), r"kan ikke brukes sammen med \1"),
)


class _Formatter(argparse.HelpFormatter):
    """Help with a Norwegian usage prefix."""

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        return super().add_usage(usage, actions, groups, "bruk: " if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose own texts (usage, section titles, errors) are Norwegian."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "argumenter"
        self._optionals.title = "valg"
        self.add_argument("-h", "--help", action="help", help="vis denne hjelpen og avslutt")

    def error(self, message: str) -> None:  # type: ignore[override]
        for pattern, text in _ARGPARSE_TEXT:
            message = pattern.sub(text, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: feil: {message}\n")


def _user_error_types() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = []
    for module_name, names in _USER_ERRORS.items():
        module = sys.modules.get(module_name)
        for name in names:
            error = getattr(module, name, None) if module is not None else None
            if isinstance(error, type) and issubclass(error, BaseException):
                found.append(error)
    return tuple(found)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("coopstats")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        from coopstats import __version__

        return __version__


def _project_path(value: str | None, default: Path) -> Path:
    """``value`` as given (relative to the working directory), or ``default`` under the
    project root. Raises FileNotFoundError outside a project."""
    if value is not None:
        return Path(value)
    from coopstats.batch import project_root

    return project_root() / default


# --------------------------------------------------------------------------- commands


def needs_import(path: Path) -> bool:
    """True when ``path`` is not laid out as a contract delivery: a workbook or other file,
    or a folder without every contract CSV (Excel files, Norwegian file names, …)."""
    from coopstats.data import FILES

    if path.is_file():
        return True
    if not path.is_dir():
        return False
    names = {p.name for p in path.iterdir() if p.is_file()}
    if all(f"{t}.csv" in names for t in FILES):
        return False
    # data files under other names or in Excel; an empty folder is left to validation
    return any(Path(n).suffix.lower() in (".csv", ".xlsx", ".xlsm", ".xls") for n in names)


def _prepared_delivery(path: Path, prog: str, force: bool = False) -> Path | None:
    """The contract delivery to use for ``path``: itself, or (for a delivery as sent, or with
    ``--import``) its import into ``_build/leveranse/<name>`` with the import report beside it.

    ``None`` after printing why the delivery cannot be imported.
    """
    import tempfile

    from coopstats.importer import REPORT_NAME, DeliveryImportError, import_delivery

    if not path.exists() or not (force or needs_import(path)):
        return path
    try:
        from coopstats.batch import project_root

        base = project_root() / "_build" / "leveranse"
    except Exception:  # outside a project: a temporary folder
        base = Path(tempfile.mkdtemp(prefix="coopstats-leveranse-"))
    dest = base / (path.stem if path.is_file() else path.name)
    try:
        report = import_delivery(path, dest, overwrite=True)
    except DeliveryImportError as exc:
        print(f"{prog}: {path} kunne ikke leses som en leveranse: {exc}", file=sys.stderr)
        return None
    print(
        f"{prog}: leste {path} via coopstats import ({len(report.changes)} endringer, se "
        f"{dest / REPORT_NAME}); bruker {dest}"
    )
    return dest


def _cmd_check(args: argparse.Namespace) -> int:
    from coopstats.check import main_check

    return main_check()


def _cmd_validate(args: argparse.Namespace) -> int:
    from coopstats.check import main_check
    from coopstats.validate import main_validate

    # a broken definition file is reported before the data (``build`` validates through here)
    prog = f"coopstats {getattr(args, 'command', None) or 'validate'}"
    if main_check(prog, quiet=True) != 0:
        return 2

    path = _prepared_delivery(
        Path(args.directory), "coopstats validate", getattr(args, "import_first", False)
    )
    if path is None:
        return 2
    return main_validate(path, html_path=getattr(args, "html", None))


def _cmd_run(args: argparse.Namespace) -> int:
    import signal

    from coopstats.batch import (
        BatchInterrupted,
        BatchSettings,
        RunMatrixError,
        build_run_matrix,
        project_root,
        run_batch,
        summary_lines,
    )
    from coopstats.runmatrix import default_jobs, load_config

    config_path = Path(args.config) if getattr(args, "config", None) else None
    try:
        root = config_path.resolve().parent if config_path else project_root()
        config = load_config(root, config_path)
    except (FileNotFoundError, RunMatrixError) as exc:
        print(f"coopstats run: {exc}", file=sys.stderr)
        return 2
    data_dir = Path(args.data) if args.data is not None else root / DEFAULT_DATA
    if not data_dir.is_dir():
        print(f"coopstats run: fant ikke datamappen {data_dir}", file=sys.stderr)
        return 2
    try:
        specs = build_run_matrix(
            root, data_dir, only=args.only or None, min_count=args.min_count, config=config
        )
    except RunMatrixError as exc:
        print(f"coopstats run: {exc}", file=sys.stderr)
        return 2
    if not specs:
        print("coopstats run: kjøreplanen er tom (sjekk --only).", file=sys.stderr)
        return 2
    jobs = getattr(args, "jobs", None)
    settings = BatchSettings.from_config(
        config,
        jobs=default_jobs() if jobs == "auto" else jobs,
        # --only names the runs to execute now, so they are executed even when cached
        force=getattr(args, "force", False) or bool(args.only),
        isolation="fresh" if getattr(args, "fresh_kernels", False) else None,
    )

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if not args.only:
        from coopstats.runmatrix import stale_outputs

        stale = stale_outputs(config.output_dir, specs)
        for path in stale:
            path.unlink()
            (path.parent / ".coopstats" / f"{path.name}.cache.json").unlink(missing_ok=True)
        if stale:
            names = ", ".join(p.stem for p in stale)
            print(f"Fjernet {len(stale)} utdaterte notatbøker som ingen kjøring lager nå: {names}")
    previous = signal.signal(signal.SIGTERM, _terminate)
    noun = "kjøring" if len(specs) == 1 else "kjøringer"
    kernels = "kjerne" if settings.jobs == 1 else "kjerner"
    print(f"{len(specs)} {noun} til {config.output_dir} (opptil {settings.jobs} {kernels})")
    try:
        results = run_batch(specs, settings, progress=not args.no_progress)
    except BatchInterrupted as stop:
        print("\n".join(summary_lines(stop.results)))
        print(
            "coopstats run: avbrutt; ferdige kjøringer er beholdt og mellomlagret.",
            file=sys.stderr,
        )
        return 130
    except RuntimeError as exc:  # another batch holds the lock
        print(f"coopstats run: {exc}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("\n".join(summary_lines(results)))
    return 0 if all(r.status == "ok" for r in results) else 1


def _cmd_render(args: argparse.Namespace) -> int:
    from coopstats.batch import project_root
    from coopstats.render import PdfRenderError, render

    try:
        message = render(
            project_root(),
            use_quarto=not args.no_quarto,
            pdf=getattr(args, "pdf", False),
            force=getattr(args, "force", False),
        )
    except FileNotFoundError as exc:
        print(f"coopstats render: {exc}", file=sys.stderr)
        return 2
    except PdfRenderError as exc:
        print(f"coopstats render: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(
            f"coopstats render: `quarto render` feilet med avslutningskode {exc.returncode}; "
            "meldingene står over. `coopstats render --no-quarto` skriver reservesidene "
            "(nbconvert).",
            file=sys.stderr,
        )
        return 1
    print(message)
    return 0


def _audit(directory: Path | None, min_count: int | None, prog: str) -> int:
    """Audit the executed notebooks in ``directory`` (default: ``output_dir`` of runs.yaml):
    0 clean, 1 failures, 2 nothing to audit."""
    from coopstats.audit import AuditError, audit_build, default_build_dir
    from coopstats.runmatrix import RunMatrixError

    try:
        report = audit_build(directory or default_build_dir(), min_count)
    except (AuditError, FileNotFoundError, RunMatrixError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report.summary_lines()))
    return 0 if report.ok else 1


def _cmd_audit(args: argparse.Namespace) -> int:
    return _audit(Path(args.build) if args.build else None, args.min_count, "coopstats audit")


def _cmd_build_audit(args: argparse.Namespace) -> int:
    """The audit step of ``build``: at the run's ``--min-count``; nothing is rendered on failure."""
    code = _audit(None, args.min_count, "coopstats build")
    if code == 1:
        print(
            "coopstats build: personvernrevisjonen fant celler som kan avsløres; ingenting er "
            "rendret (docs/disclosure.md).",
            file=sys.stderr,
        )
    return code


#: The steps of ``build``: Norwegian name (for the out-of-date note) and the function's name
#: in this module (looked up when the build runs).
_BUILD_STEPS = (
    ("validering", "_cmd_validate"),
    ("kjøring", "_cmd_run"),
    ("personvernrevisjon", "_cmd_build_audit"),
    ("rendring", "_cmd_render"),
)


def _cmd_build(args: argparse.Namespace) -> int:
    """validate, run, audit, render; on any failure the previous ``_site`` is moved aside."""
    from coopstats.batch import project_root
    from coopstats.render import clear_outdated

    root = project_root()
    given = Path(args.data) if args.data is not None else root / DEFAULT_DATA
    data_dir = _prepared_delivery(given, "coopstats build", getattr(args, "import_first", False))
    if data_dir is None:
        _outdated(root, given, "import")
        return 2
    args.data = str(data_dir)
    args.directory = str(data_dir)
    args.import_first = False  # imported once, validated as a contract delivery
    step = ""
    try:
        for name, function in _BUILD_STEPS:
            step = name  # the step that failed, for the out-of-date note
            code = globals()[function](args)
            if code != 0:
                break
        else:
            clear_outdated(root)
            return 0
    except BaseException:
        _outdated(root, data_dir, step)
        raise
    _outdated(root, data_dir, step)
    return code


def _outdated(root: Path, data_dir: Path, step: str) -> None:
    """Move the previous site aside after a failed build and say so."""
    from coopstats.render import mark_site_outdated

    try:
        moved = mark_site_outdated(root, data=data_dir.name, step=step)
    except OSError as exc:
        print(
            f"coopstats build: advarsel: klarte ikke å merke {root / '_site'} som utdatert "
            f"({exc.strerror or exc}); sidene der er fra et tidligere bygg.",
            file=sys.stderr,
        )
        return
    if moved is not None:
        print(
            f"coopstats build: advarsel: bygget stoppet i steget «{step}», så sidene fra forrige "
            f"bygg er flyttet til {moved} (se UTDATERT.txt der); de viser ikke datagrunnlaget "
            f"{data_dir.name}.",
            file=sys.stderr,
        )


def _cmd_import(args: argparse.Namespace) -> int:
    from coopstats.importer import main_import

    return main_import(Path(args.src), Path(args.dest), overwrite=args.overwrite)


def _cmd_demo(args: argparse.Namespace) -> int:
    from coopstats.demo import generate_demo

    written = generate_demo(_project_path(args.directory, DEFAULT_DATA))
    for path in written.values():
        print(path)
    return 0


# --------------------------------------------------------------------------- arguments


def _min_count(text: str) -> int:
    """``--min-count``: a whole number of at least 1 (1 hides nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"forventet et helt tall, fikk {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"forventet 1 eller mer (1 skjuler ingenting), fikk {value}"
        )
    return value


def _jobs(text: str) -> int | str:
    """``--jobs``: a whole number of at least 1, or ``auto`` (one kernel per core)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"forventet et helt tall (1 eller mer) eller auto, fikk {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"forventet minst 1 kjerne (eller auto = én per prosessorkjerne), fikk {value}"
        )
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = _Parser(
        prog="coopstats",
        description="Reproduserbar statistikk og rapporter for samarbeidsforsøkene mellom NAV "
        "og fylkeskommunene.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"coopstats {_version()}",
        help="vis versjonen og avslutt",
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="KOMMANDO", title="kommandoer"
    )

    def add_import_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--import",
            dest="import_first",
            action="store_true",
            help="les leveransen via coopstats import først, også når den ser ut som en "
            "kontraktsleveranse (Excel-arbeidsbøker og mapper uten kontraktens CSV-filer "
            "importeres alltid)",
        )

    p = sub.add_parser(
        "check",
        help="kontroller alle definisjonsfilene (registeret, indikatorer, tabeller, regler, "
        "kodeskjema, læringspunkter, kolonnesynonymer, runs.yaml); trenger ingen data",
    )
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "validate",
        help="kontroller definisjonsfilene og en leveranse mot datakontrakten",
    )
    p.add_argument(
        "directory",
        metavar="MAPPE",
        help="mappa med participants.csv, spells.csv, … (eller en leveranse slik den ble sendt)",
    )
    p.add_argument(
        "--html",
        metavar="FIL",
        help="skriv også problemene som en HTML-side (per fil og kolonne) til FIL",
    )
    add_import_option(p)
    p.set_defaults(func=_cmd_validate)

    def add_run_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data",
            default=None,
            metavar="MAPPE",
            help="datamappa (standard: data/demo i prosjektet)",
        )
        p.add_argument(
            "--only",
            action="append",
            metavar="NAVN",
            help="kjør bare kjøringene til denne enheten (id eller alias), modellen, "
            "deltakerutvalget eller kjøringen, også når de er mellomlagret (kan gjentas)",
        )
        p.add_argument(
            "--min-count",
            type=_min_count,
            default=5,
            metavar="N",
            help="minste tall som kan publiseres; 1..N-1 skjules (standard: %(default)s)",
        )
        p.add_argument("--no-progress", action="store_true", help="ingen fremdriftslinje")
        p.add_argument(
            "--jobs",
            "-j",
            type=_jobs,
            metavar="N",
            help="antall parallelle kjerner, minst 1, eller auto = én per prosessorkjerne "
            "(standard: jobs i runs.yaml)",
        )

    p = sub.add_parser(
        "run",
        help="kjør kjøreplanen (runs.yaml) med papermill på varme kjerner, mellomlagret",
    )
    add_run_options(p)
    p.add_argument(
        "--force", action="store_true", help="kjør alt, også det som er gyldig mellomlagret"
    )
    p.add_argument(
        "--config", metavar="FIL", help="kjøreplanen (standard: runs.yaml i prosjektets rot)"
    )
    p.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="start en ny kjerne for hver kjøring i stedet for å gjenbruke varme (tregere)",
    )
    p.set_defaults(func=_cmd_run)

    def add_render_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--no-quarto",
            action="store_true",
            help="bruk reservesidene (nbconvert) selv om Quarto finnes",
        )
        p.add_argument(
            "--pdf",
            action="store_true",
            help="rendre også rapportene til PDF (krever TeX), etter HTML og Word",
        )
        if p.prog.endswith(" render"):
            p.add_argument(
                "--force",
                action="store_true",
                help="rendre alle sidene, også dem som ikke er endret",
            )

    p = sub.add_parser(
        "render", help="rendre med Quarto (HTML, Word; --pdf), ellers nbconvert-HTML i _site/"
    )
    add_render_options(p)
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser(
        "audit",
        help="kontroller at de kjørte notatbøkene til sammen ikke avslører noen skjult celle",
    )
    p.add_argument(
        "--build",
        metavar="MAPPE",
        help="de kjørte notatbøkene (standard: output_dir i runs.yaml, _build/notebooks)",
    )
    p.add_argument(
        "--min-count",
        type=_min_count,
        default=None,
        metavar="N",
        help="terskelen revisjonen bruker (standard: den notatbøkene ble kjørt med)",
    )
    p.set_defaults(func=_cmd_audit)

    p = sub.add_parser(
        "build",
        help="valider, kjør, revider og rendre i ett; ved feil flyttes forrige _site til "
        "_site.utdatert",
    )
    add_run_options(p)
    add_render_options(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="kjør og rendre alt, også det som er mellomlagret eller uendret",
    )
    add_import_option(p)
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser(
        "import",
        help="gjør en leveranse slik den ble sendt (CSV med , eller ;, Excel, norske "
        "kolonnenavn) om til en leveranse etter kontrakten, med rapport over hver endring",
    )
    p.add_argument(
        "src", metavar="SRC", help="en mappe med CSV-/Excel-filer, eller én Excel-arbeidsbok"
    )
    p.add_argument("dest", metavar="DEST", help="mappa leveransen skrives til (må være tom)")
    p.add_argument("--overwrite", action="store_true", help="erstatt innholdet i DEST")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("demo", help="lag de syntetiske demodataene på nytt")
    p.add_argument(
        "directory",
        nargs="?",
        default=None,
        metavar="MAPPE",
        help="målmappa (standard: data/demo i prosjektet)",
    )
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``coopstats`` console script.

    A mistake in a definition file (registry, definitions, runs.yaml) or a missing project
    prints ``coopstats <command>: <message>`` and returns 2; Ctrl-C returns 130.
    """
    args = build_parser().parse_args(argv)
    prog = f"coopstats {args.command}"
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(f"{prog}: avbrutt", file=sys.stderr)
        return 130
    except FileNotFoundError as exc:
        if exc.filename is not None:  # a file the code expected, not a user's path
            raise
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if isinstance(exc, _user_error_types()):
            print(f"{prog}: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
