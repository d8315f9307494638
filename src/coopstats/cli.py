"""Command-line interface: ``coopstats validate | run | render | build | demo``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_DATA = Path("data/demo")


def _cmd_validate(args: argparse.Namespace) -> int:
    from coopstats.validate import main_validate

    return main_validate(Path(args.directory))


def _cmd_run(args: argparse.Namespace) -> int:
    from coopstats.batch import build_run_matrix, project_root, run_batch, summary_lines

    root = project_root()
    data_dir = Path(args.data)
    if not data_dir.is_dir():
        print(f"coopstats run: data directory not found: {data_dir}", file=sys.stderr)
        return 2
    specs = build_run_matrix(root, data_dir, only=args.only or None, min_count=args.min_count)
    if not specs:
        print("coopstats run: the run matrix is empty (check --only).", file=sys.stderr)
        return 2
    print(f"Running {len(specs)} notebooks into {root / '_build' / 'notebooks'}")
    results = run_batch(specs, progress=not args.no_progress)
    print("\n".join(summary_lines(results)))
    return 0 if all(r.status == "ok" for r in results) else 1


def _cmd_render(args: argparse.Namespace) -> int:
    from coopstats.batch import project_root
    from coopstats.render import render

    try:
        message = render(project_root(), use_quarto=not args.no_quarto)
    except FileNotFoundError as exc:
        print(f"coopstats render: {exc}", file=sys.stderr)
        return 2
    print(message)
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    args.directory = args.data
    for step in (_cmd_validate, _cmd_run, _cmd_render):
        code = step(args)
        if code != 0:
            return code
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from coopstats.demo import generate_demo

    written = generate_demo(Path(args.directory))
    for path in written.values():
        print(path)
    return 0


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
            "--only", action="append", metavar="UNIT", help="run only this unit (repeatable)"
        )
        p.add_argument(
            "--min-count",
            type=int,
            default=5,
            help="smallest publishable count; 1..N-1 are hidden (default: %(default)s)",
        )
        p.add_argument("--no-progress", action="store_true", help="no progress bar")

    p = sub.add_parser("run", help="execute the notebooks with papermill into _build/notebooks/")
    add_run_options(p)
    p.set_defaults(func=_cmd_run)

    def add_render_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--no-quarto", action="store_true", help="use the nbconvert fallback even with Quarto"
        )

    p = sub.add_parser("render", help="render with Quarto, or nbconvert HTML into _site/")
    add_render_options(p)
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("build", help="validate, run and render in one go")
    add_run_options(p)
    add_render_options(p)
    p.set_defaults(func=_cmd_build)

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
