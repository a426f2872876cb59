"""Golden results: grade a fixed class before a change to the grader and again after, and compare.

The class is the demo's sample submissions (solution, starter, buggy, cheating; graded with their
notebooks), every variant of the fairness suite and every red-team fixture (the root-only ones when
run as root) with an honest classmate (code only). For each submission the files staff and students read are kept:
``results.json`` (Gradescope's file, without the content hash, which hashes the submission's
bytes, temporary paths and zip times included) and ``feedback.md``.

    python tools/golden.py write build/golden-before     # before the change
    python tools/golden.py write build/golden-after      # after it
    python tools/golden.py compare build/golden-before build/golden-after   # exit 1 on a difference

Timing-sensitive verdicts (the speed races) are the same on an idle machine; compare runs made on
one.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(KIT_ROOT), str(KIT_ROOT / "tests" / "autograder")]

from fairness_variants import keyed, write_submission  # type: ignore[import-not-found]  # noqa: E402

from autograder.grading import preflight  # noqa: E402
from autograder.grading.batch import grade_all  # noqa: E402
from autograder.grading.demo import make_submission, write_samples  # noqa: E402
from autograder.release import build_release  # noqa: E402

ATTACKS = KIT_ROOT / "tests" / "autograder" / "redteam"
KEPT = ("results.json", "feedback.md")
#: Submissions whose feedback wording may differ between two runs of the same grader, and why; for
#: them only the scores are compared.
VOLATILE = {"attack-memory_bomb": "it hits the memory cap or the time limit first, depending on the machine's load"}


def _header(path: Path) -> dict[str, str]:
    fields = {}
    for line in path.read_text().splitlines():
        if line.startswith("# ") and ":" in line:
            key, _, value = line[2:].partition(":")
            fields[key.strip()] = value.strip()
    return fields


def _closed_port() -> int:
    """A loopback port nothing listens on (the network attack's connection is refused, every run)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def code_class(solution: Path, folder: Path, scratch: Path) -> None:
    """The fairness variants and the red-team fixtures (those that need root only when run as root),
    with an honest classmate."""
    for key, variant in keyed().items():
        write_submission(variant, solution, folder / f"fair-{key}")
    for attack in sorted(ATTACKS.glob("*.py")):
        fields = _header(attack)
        if fields.get("needs") == "root" and os.geteuid() != 0:
            continue
        text = (attack.read_text().replace("KIT_ROOT", str(KIT_ROOT)).replace("OUT_DIR", str(scratch / "out"))
                .replace("BATCH_DIR", str(folder)).replace("LISTEN_PORT", str(_closed_port())))
        target = make_submission(solution, folder / f"attack-{attack.stem}", append={fields["target"]: "\n" + text})
        for key, value in fields.items():
            kind, _, relative = key.partition(" ")
            if kind == "file":
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                (target / relative).write_text(value + "\n")
            elif kind == "symlink":
                (target / relative).unlink()
                (target / relative).symlink_to(value.replace("KIT_ROOT", str(KIT_ROOT)))
            elif kind == "many":
                (target / relative).mkdir(parents=True)
                for index in range(int(value)):
                    (target / relative / f"{index}.txt").write_text("x")
    make_submission(solution, folder / "classmate")


def _kept(out: Path, destination: Path) -> None:
    for student in sorted(p for p in out.iterdir() if p.is_dir()):
        target = destination / student.name
        target.mkdir(parents=True)
        for name in KEPT:
            if not (student / name).is_file():
                continue
            text = (student / name).read_text(encoding="utf-8")
            if name == "feedback.md" and student.name in VOLATILE:
                continue
            if name == "results.json":
                data = json.loads(text)
                data.get("extra_data", {}).pop("content_hash", None)
                if student.name in VOLATILE:
                    data = {"score": data["score"], "tests": [(t["name"], t["score"]) for t in data["tests"]]}
                text = json.dumps(data, indent=1, sort_keys=True) + "\n"
            (target / name).write_text(text, encoding="utf-8")


def write(destination: Path, workers: int) -> None:
    shutil.rmtree(destination, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="golden-") as temporary:
        scratch = Path(temporary)
        student, solution = scratch / "student-release", scratch / "solution-release"
        build_release(student)
        build_release(solution, solutions=True)
        samples = write_samples(student, solution, scratch / "samples")
        summary = grade_all(samples, scratch / "out-samples", workers=workers, progress=False,
                            accept=preflight.WEAKER, notebooks=True)
        _kept(scratch / "out-samples", destination / "samples")
        code_class(solution, scratch / "class", scratch)
        more = grade_all(scratch / "class", scratch / "out-class", workers=workers, progress=False,
                         accept=preflight.WEAKER, notebooks=False)
        _kept(scratch / "out-class", destination / "class")
    print(f"{len(summary.results) + len(more.results)} submissions graded; kept in {destination}")


def compare(before: Path, after: Path) -> int:
    names = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    names |= {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    differing = [name for name in sorted(names)
                 if not (before / name).is_file() or not (after / name).is_file()
                 or (before / name).read_bytes() != (after / name).read_bytes()]
    for name in differing:
        print(f"differs: {name}")
    print(f"{len(names) - len(differing)} of {len(names)} files identical")
    return 1 if differing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    written = commands.add_parser("write", help="grade the golden class and keep its results")
    written.add_argument("destination", type=Path)
    written.add_argument("--workers", type=int, default=2)
    compared = commands.add_parser("compare", help="compare two kept runs; exit 1 on a difference")
    compared.add_argument("before", type=Path)
    compared.add_argument("after", type=Path)
    arguments = parser.parse_args(argv)
    if arguments.command == "write":
        write(arguments.destination, arguments.workers)
        return 0
    return compare(arguments.before, arguments.after)


if __name__ == "__main__":
    sys.exit(main())
