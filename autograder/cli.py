"""``python -m autograder``: the instructor's command line.

A thin layer: each subcommand parses its arguments, calls one library function and maps the
outcome to an exit code from :mod:`autograder.exit_codes`. Humans read stderr; files are the
machine-readable output.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import KIT_ROOT, exit_codes
from autograder.release import MarkerError, build_release, release_differences


def _release(args: argparse.Namespace) -> int:
    if args.check:
        problems = release_differences(KIT_ROOT)
        if problems:
            print("The committed student release is out of date with autograder/source:", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            print("Run 'python -m autograder release' and commit the result.", file=sys.stderr)
            return exit_codes.CHECK_FAILED
        print("Student release is up to date with autograder/source.", file=sys.stderr)
        return exit_codes.OK
    if args.solutions and args.out is None:
        print("--solutions needs --out DIR: the solution release never overwrites the student one.", file=sys.stderr)
        return exit_codes.USAGE
    destination = Path(args.out) if args.out else KIT_ROOT
    written = build_release(destination, solutions=args.solutions)
    kind = "solution" if args.solutions else "student"
    print(f"Wrote the {kind} release ({len(written)} files) to {destination}", file=sys.stderr)
    return exit_codes.OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Instructor tools: build the student release, grade submissions.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    release = commands.add_parser(
        "release",
        help="generate the student release (cs_utils/) from autograder/source",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Generate the student release from the reference source.",
        epilog=(
            "examples:\n"
            "  python -m autograder release                         # regenerate cs_utils/ in this kit\n"
            "  python -m autograder release --check                 # fail if the committed release is stale\n"
            "  python -m autograder release --solutions --out build/solutions\n"
        ),
    )
    mode = release.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare the committed release with the source; change nothing")
    mode.add_argument("--solutions", action="store_true", help="keep the reference code (needs --out)")
    release.add_argument("--out", metavar="DIR", help="write the release here instead of the kit root")
    release.set_defaults(handler=_release)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except MarkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return exit_codes.BAD_INPUT
