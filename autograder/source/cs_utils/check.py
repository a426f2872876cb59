"""Check your functions with the public tests, each call in a fresh Python process.

From a terminal in the kit folder::

    python -m cs_utils.check                         # every function
    python -m cs_utils.check svm_loss_vectorized     # one function (or several, or: knn svm softmax linear)

In a notebook::

    from cs_utils.check import check
    check("svm_loss_vectorized")

Each test prints PASS or FAIL, and a failure comes with a hint. The exit code is 0 when every
selected test passed, 1 when one failed, 2 for an unknown name and 3 when the test process could
not start.

How it runs: your saved ``cs_utils`` files (not what a notebook has in memory) are copied to a
scratch folder, and a fresh Python process (``python -I``, which ignores your user
site-packages and ``PYTHON*`` variables) imports them there and calls one function at a time.
Each call has the grader's time limit; on Linux the process also gets the grader's memory cap
(macOS and Windows offer no such cap, so there a function that builds a huge array is not
stopped; ``--verbose`` says which applied). An infinite loop or a crash therefore costs one
function's tests, never your notebook. This works wherever Python runs: Linux, macOS, Windows,
Colab. It is not the grader's sandbox: the grader runs its own tests, in a stricter one.

These tests need no answer key. They check properties every correct solution has (shapes,
worked examples small enough to do by hand, naive and vectorized versions agreeing, analytic
against numerical gradients, no Python loops where the task forbids them). The grader runs
*other* tests on inputs you do not see, so passing here is necessary, not sufficient. The tests
themselves are in :mod:`cs_utils.public_tests`, one module per part of the assignment.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from ._grading.runner import Limits
from .public_tests import knn, linear_classifier, losses
from .public_tests.results import Failed, Outcome, Report
from .public_tests.session import PACKAGE_ROOT, Session

__all__ = ["Report", "check", "main", "run_checks", "select"]


# ---------------------------------------------------------------------------------- the registry

#: The graded functions in the assignment's order, with their part (written by the release from
#: the grader's declarations).
FUNCTIONS_FILE = Path(__file__).resolve().parent / "_grading" / "functions.json"
_PUBLIC = {**knn.PUBLIC_TESTS, **losses.PUBLIC_TESTS, **linear_classifier.PUBLIC_TESTS}


def _declared() -> list[dict]:
    """The functions.json entries (name, part); from a missing or damaged file, the public-test
    modules' own order, each function in the part its name says."""
    try:
        listed = json.loads(FUNCTIONS_FILE.read_text(encoding="utf-8"))["functions"]
        if all(isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(entry.get("part"), str)
               for entry in listed):
            return list(listed)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return [{"name": name, "part": "knn" if name in knn.PUBLIC_TESTS else
             "linear" if name in linear_classifier.PUBLIC_TESTS else name.split("_", 1)[0]} for name in _PUBLIC]


_DECLARED = [entry for entry in _declared() if entry["name"] in _PUBLIC]
#: Function name -> its public tests, in the order of the assignment.
TESTS: dict[str, list[tuple[str, Callable[[Session], None]]]] = {entry["name"]: _PUBLIC[entry["name"]]
                                                                 for entry in _DECLARED}
#: Names that select several functions at once: the parts (knn, svm, softmax, linear).
GROUPS: dict[str, list[str]] = {}
for _entry in _DECLARED:
    if _entry["part"]:
        GROUPS.setdefault(_entry["part"], []).append(_entry["name"])
ALIASES = {"train": "LinearClassifier.train", "predict": "LinearClassifier.predict"}


def select(names) -> list[str]:
    """Turn function, short or group names into function names; ValueError for unknown ones."""
    if not names:
        return list(TESTS)
    chosen: list[str] = []
    for name in names:
        name = name.split(".", 1)[1] if name.startswith("KNearestNeighbor.") else name
        found = GROUPS.get(name) or [ALIASES.get(name, name)]
        for function in found:
            if function not in TESTS:
                raise ValueError(f"no public tests for {name!r}; choose from: {', '.join([*TESTS, *GROUPS])}")
            if function not in chosen:
                chosen.append(function)
    return chosen


def run_checks(names=(), *, package: Path = PACKAGE_ROOT, limits: Limits = Limits()) -> Report:
    """Run the public tests of ``names`` (all functions when empty) and return the report."""
    report = Report()
    with Session(package, limits) as session:
        for function in select(list(names)):
            for label, test in TESTS[function]:
                try:
                    test(session)
                    report.outcomes.append(Outcome(function, label, True))
                except Failed as failure:
                    report.outcomes.append(Outcome(function, label, False, str(failure)))
        report.notes = session.notes
    return report


def check(*names: str, verbose: bool = False) -> Report:
    """Notebook helper: run the public tests of ``names`` (all when none), print and return the report.

    Examples
    --------
    ``check("svm_loss_naive", "svm_loss_vectorized")`` or ``check("knn")``.
    """
    report = run_checks(names)
    print(report.text(verbose=verbose))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cs_utils.check",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the public tests of your cs_utils functions in a fresh Python process.",
        epilog=("examples:\n"
                "  python -m cs_utils.check\n"
                "  python -m cs_utils.check svm_loss_naive svm_loss_vectorized\n"
                "  python -m cs_utils.check knn\n"
                f"\nnames: {', '.join(TESTS)}\ngroups: {', '.join(GROUPS)}"),
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="functions or groups to check (default: all)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also say what limits the test process had")
    args = parser.parse_args(argv)
    try:
        select(args.names)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        report = run_checks(args.names)
    except RuntimeError as error:  # the test process could not start: nothing was tested
        print(f"error: {error}\nThe tests run in a fresh `{sys.executable} -I`, which must be able to import "
              "NumPy (a NumPy installed with `pip install --user` is not visible there).", file=sys.stderr)
        return 3
    print(report.text(verbose=args.verbose))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
