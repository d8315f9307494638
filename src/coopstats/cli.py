"""Command-line interface: ``coopstats validate | import | run | audit | render | build | demo``."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

DEFAULT_DATA = Path("data/demo")


def _cmd_validate(args: argparse.Namespace) -> int:
    from coopstats.validate import main_validate

    return main_validate(Path(args.directory))


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
    from coopstats.runmatrix import load_config

    config_path = Path(args.config) if getattr(args, "config", None) else None
    try:
        root = config_path.resolve().parent if config_path else project_root()
        config = load_config(root, config_path)
    except (FileNotFoundError, RunMatrixError) as exc:
        print(f"coopstats run: {exc}", file=sys.stderr)
        return 2
    data_dir = Path(args.data)
    if not data_dir.is_dir():
        print(f"coopstats run: data directory not found: {data_dir}", file=sys.stderr)
        return 2
    try:
        specs = build_run_matrix(
            root, data_dir, only=args.only or None, min_count=args.min_count, config=config
        )
    except RunMatrixError as exc:
        print(f"coopstats run: {exc}", file=sys.stderr)
        return 2
    if not specs:
        print("coopstats run: the run matrix is empty (check --only).", file=sys.stderr)
        return 2
    settings = BatchSettings.from_config(
        config,
        jobs=getattr(args, "jobs", None),
        # --only names the runs to execute now, so they are executed even when cached
        force=getattr(args, "force", False) or bool(args.only),
        isolation="fresh" if getattr(args, "fresh_kernels", False) else None,
    )

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    print(f"{len(specs)} runs into {config.output_dir} (up to {settings.jobs} kernels)")
    try:
        results = run_batch(specs, settings, progress=not args.no_progress)
    except BatchInterrupted as stop:
        print("\n".join(summary_lines(stop.results)))
        print("coopstats run: interrupted; finished runs are kept and cached.", file=sys.stderr)
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
            f"coopstats render: `quarto render` failed with exit code {exc.returncode}; "
            "its messages are above. `coopstats render --no-quarto` writes the fallback pages.",
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


def _cmd_build(args: argparse.Namespace) -> int:
    args.directory = args.data
    for step in (_cmd_validate, _cmd_run, _cmd_build_audit, _cmd_render):
        code = step(args)
        if code != 0:
            return code
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from coopstats.importer import main_import

    return main_import(Path(args.src), Path(args.dest), overwrite=args.overwrite)


def _cmd_demo(args: argparse.Namespace) -> int:
    from coopstats.demo import generate_demo

    written = generate_demo(Path(args.directory))
    for path in written.values():
        print(path)
    return 0


def _min_count(text: str) -> int:
    """``--min-count``: a whole number of at least 1 (1 hides nothing)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more (1 hides nothing), got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="coopstats",
        description="Reproducible reporting for the NAV–county cooperation trials.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a data directory against the data contract")
    p.add_argument("directory", help="directory with participants.csv, spells.csv, …")
    p.set_defaults(func=_cmd_validate)

    def add_run_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data", default=str(DEFAULT_DATA), help="data directory (default: %(default)s)"
        )
        p.add_argument(
            "--only",
            action="append",
            metavar="NAME",
            help="execute only the runs of this unit (id or alias), model, participant scope "
            "or run name, even when cached (repeatable)",
        )
        p.add_argument(
            "--min-count",
            type=_min_count,
            default=5,
            help="smallest publishable count; 1..N-1 are hidden (default: %(default)s)",
        )
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser(
        "run",
        help="execute the run matrix (runs.yaml) with papermill on warm kernels, cached",
    )
    add_run_options(p)
    p.add_argument(
        "--force", action="store_true", help="execute every run even when its cache is valid"
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        metavar="N",
        help="parallel kernels (default: jobs in runs.yaml, 'auto' = one per core)",
    )
    p.add_argument(
        "--config", metavar="FILE", help="run-matrix file (default: runs.yaml at the project root)"
    )
    p.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="start a new kernel for every run instead of reusing warm kernels (slower)",
    )
    p.set_defaults(func=_cmd_run)

    def add_render_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--no-quarto", action="store_true", help="use the nbconvert fallback even with Quarto"
        )
        p.add_argument(
            "--pdf",
            action="store_true",
            help="also render the reports to PDF (needs TeX), after HTML and Word",
        )
        if p.prog.endswith(" render"):
            p.add_argument(
                "--force",
                action="store_true",
                help="render every page, also those whose inputs are unchanged",
            )

    p = sub.add_parser(
        "render", help="render with Quarto (HTML, Word; --pdf), or nbconvert HTML into _site/"
    )
    add_render_options(p)
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser(
        "audit",
        help="check that all executed notebooks together disclose no protected cell",
    )
    p.add_argument(
        "--build",
        metavar="DIR",
        help="executed notebooks (default: output_dir of runs.yaml, _build/notebooks)",
    )
    p.add_argument(
        "--min-count",
        type=_min_count,
        default=None,
        help="threshold to audit at (default: the one the notebooks were run with)",
    )
    p.set_defaults(func=_cmd_audit)

    p = sub.add_parser("build", help="validate, run, audit and render in one go")
    add_run_options(p)
    add_render_options(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="execute every run and render every page, even when cached or unchanged",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        metavar="N",
        help="parallel kernels (default: jobs in runs.yaml, 'auto' = one per core)",
    )
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser(
        "import",
        help="turn a delivery as sent (CSV with , or ;, Excel, Norwegian headers) into a "
        "contract delivery, with a report of every change",
    )
    p.add_argument("src", help="a folder of CSV/Excel files, or one Excel workbook")
    p.add_argument("dest", help="folder to write the contract delivery to (must be empty)")
    p.add_argument("--overwrite", action="store_true", help="replace the contents of DEST")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("demo", help="regenerate the synthetic demo data")
    p.add_argument("directory", nargs="?", default=str(DEFAULT_DATA))
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``coopstats`` console script."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
