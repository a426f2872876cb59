"""Mutation testing of the hidden tests: every mutant of a reference solution must lose points.

The hidden tests are only as good as the bugs they catch. This script turns the reference
solution into a submission whose solution regions cosmic-ray (a maintained mutation tester)
mutates one change at a time: an operator swapped, a number changed, a comparison turned around.
Each mutant is graded by the real grader, with the real reference as the yardstick; it is
*killed* when it loses at least one point, and *survives* when it still earns full marks. A
survivor is either a gap in the hidden tests or an equivalent mutant (the same function written
differently), which ``EQUIVALENT`` in ``docs/MUTATION.md`` lists with the reason.

    make mutation                                     # prepare, run and report (about 15 minutes)
    python tools/mutation.py prepare build/mutation   # the submission and cosmic-ray's config
    python tools/mutation.py grade build/mutation/submission   # exit 0: full marks (survived)

Only lines inside ``### BEGIN SOLUTION`` regions are mutated: every other line of the copied
files carries ``# pragma: no mutate`` (cosmic-ray's ``cr-filter-pragma`` skips them).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT_ROOT))

from autograder import SOURCE_ROOT  # noqa: E402
from autograder.release import build_release, find_solution_regions  # noqa: E402

#: The student files whose solution regions are mutated.
TARGETS = ("cs_utils/classifiers/k_nearest_neighbor.py", "cs_utils/classifiers/linear_svm.py",
           "cs_utils/classifiers/softmax.py", "cs_utils/classifiers/linear_classifier.py")
PRAGMA = "  # pragma: no mutate"


def mark_scaffold(source: str, label: str) -> str:
    """``source`` of the solution release with the pragma on every line outside a solution region.

    The solution release drops the marker lines, so the content of region ``k`` (source lines
    ``begin+1 .. end-1``) moves up by its own opening marker and both markers of every region
    before it.
    """
    lines = source.splitlines()
    inside: set[int] = set()
    for index, region in enumerate(find_solution_regions(source, label)):
        inside.update(range(region.begin - 2 * index, region.end - 2 * index - 1))
    solution = [line for line in lines if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    marked = []
    for number, line in enumerate(solution):
        keep = number in inside or not line.strip() or line.rstrip().endswith("\\")
        marked.append(line if keep else line + PRAGMA)
    return "\n".join(marked) + "\n"


def prepare(out: Path, python: str) -> Path:
    """Write ``out/submission`` (the solution release, scaffolds marked) and ``out/cosmic-ray.toml``."""
    shutil.rmtree(out, ignore_errors=True)
    submission = out / "submission"
    build_release(submission, solutions=True)
    for relative in TARGETS:
        source = (SOURCE_ROOT / relative).read_text(encoding="utf-8")
        (submission / relative).write_text(mark_scaffold(source, relative), encoding="utf-8")
    config = out / "cosmic-ray.toml"
    modules = ", ".join(f'"{(submission / relative).resolve().as_posix()}"' for relative in TARGETS)
    config.write_text(
        "[cosmic-ray]\n"
        f"module-path = [{modules}]\n"
        "timeout = 300.0\n"
        "excluded-modules = []\n"
        f'test-command = "{python} {Path(__file__).resolve().as_posix()} grade {submission.resolve().as_posix()}"\n\n'
        "[cosmic-ray.distributor]\n"
        'name = "local"\n',
        encoding="utf-8",
    )
    return config


def grade(submission: Path) -> int:
    """Grade ``submission``; print the tests it failed. 0 when it earns every point (the mutant survived)."""
    from autograder.grading.runner import Grader
    from autograder.grading.sandbox import Limits
    from autograder.grading.submission import Submission

    with tempfile.TemporaryDirectory(prefix="mutant-") as scratch:
        copy = Path(scratch) / "submission"
        shutil.copytree(submission, copy, ignore=shutil.ignore_patterns("__pycache__"))
        with Grader(limits=Limits(call_seconds=10.0, submission_seconds=120.0), hide=(Path(scratch),)) as grader:
            result = grader.grade(Submission("mutant", copy))
    failed = [test.spec.id for test in result.tests if not test.outcome.passed]
    print(f"{result.score:g} / {result.max_score:g} ({result.status}); failed: {', '.join(failed) or 'none'}")
    return 0 if result.status == "graded" and result.score == result.max_score else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    prepare_cmd = commands.add_parser("prepare", help="write the submission to mutate and cosmic-ray's config")
    prepare_cmd.add_argument("out", type=Path)
    grade_cmd = commands.add_parser("grade", help="grade a submission; exit 0 only with full marks")
    grade_cmd.add_argument("submission", type=Path)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        print(prepare(args.out, sys.executable))
        return 0
    return grade(args.submission)


if __name__ == "__main__":
    sys.exit(main())
