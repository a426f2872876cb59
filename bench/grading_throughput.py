"""Grading throughput: ``python -m autograder grade-all`` against ``nbgrader autograde``, same run.

Both grade the same N copies of the solution release on this machine, one after the other:

* ``grade-all`` runs the kit's hidden tests (every student function in ``cs_utils``) in its
  sandbox, with ``--workers`` parallel workers (default: the CPU count);
* ``nbgrader autograde`` runs an equivalent minimal course: one notebook whose locked test cells
  call the same functions of each submission's own ``cs_utils`` (distances, labels, both losses
  and gradients, training and prediction), configured the robust way (timeouts, students' ``.py``
  files never overwritten; see ``autograder/grading/nbgrader_course.py``). nbgrader grades one
  submission at a time; it has no parallel mode.

Each tool first grades one submission (its start-up cost), then all N. "per min" is N over the
wall time of the whole command, start-up included; "per min, steady" is the N - 1 extra
submissions over the extra time, the rate a long batch settles at. Run::

    python bench/grading_throughput.py --submissions 60
    python bench/grading_throughput.py --tiny          # a smoke test: 3 submissions

and read one table on stdout. Other load on the machine slows both sides; the ratio is the
figure to quote, with the load averages printed under the table.
"""
from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
if str(KIT_ROOT) not in sys.path:
    sys.path.insert(0, str(KIT_ROOT))

import nbformat  # noqa: E402

from autograder.grading import nbgrader_course  # noqa: E402
from autograder.release import build_release  # noqa: E402

ASSIGNMENT = "ps1"
NOTEBOOK = "ps1.ipynb"

SETUP = """\
import numpy as np
from cs_utils.classifiers.k_nearest_neighbor import KNearestNeighbor
from cs_utils.classifiers.linear_classifier import LinearClassifier
from cs_utils.classifiers.linear_svm import svm_loss_naive, svm_loss_vectorized
from cs_utils.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized

rng = np.random.default_rng(0)


def problem(N, D, C):
    W = rng.normal(0, 0.01, size=(D, C))
    X = rng.normal(0, 10.0, size=(N, D))
    y = rng.integers(0, C, size=N)
    return W, X, y, 0.1
"""

#: Naive and vectorized agree, and the gradient predicts a small step's change of the loss.
LOSS_TEST = """\
for size in ((10, 6, 3), (40, 25, 10), (1, 4, 2)):
    W, X, y, reg = problem(*size)
    loss_a, dW_a = {family}_loss_naive(W, X, y, reg)
    loss_b, dW_b = {family}_loss_vectorized(W, X, y, reg)
    np.testing.assert_allclose(loss_a, loss_b, rtol=1e-6)
    np.testing.assert_allclose(dW_a, dW_b, rtol=1e-6, atol=1e-9)
    step = 1e-5 * rng.normal(size=W.shape)
    change = {family}_loss_vectorized(W + step, X, y, reg)[0] - {family}_loss_vectorized(W - step, X, y, reg)[0]
    np.testing.assert_allclose(change, 2 * np.sum(dW_b * step), rtol=1e-3, atol=1e-9)
"""

TESTS = {
    "test_knn_distances": (4, """\
X_train, X = rng.uniform(0, 255, size=(20, 30)), rng.uniform(0, 255, size=(12, 30))
knn = KNearestNeighbor()
knn.train(X_train, rng.integers(0, 10, size=20))
want = np.sqrt(((X[:, None, :] - X_train[None, :, :]) ** 2).sum(axis=2))
for method in (knn.compute_distances_two_loops, knn.compute_distances_one_loop, knn.compute_distances_no_loops):
    np.testing.assert_allclose(method(X), want, rtol=1e-6)
"""),
    "test_knn_labels": (3, """\
knn = KNearestNeighbor()
knn.train(np.zeros((6, 1)), np.array([0, 1, 1, 2, 2, 2]))
dists = np.array([[1.0, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]])
assert list(knn.predict_labels(dists, k=1)) == [0, 2]
assert list(knn.predict_labels(dists, k=3)) == [1, 2]
"""),
    "test_svm": (4, LOSS_TEST.format(family="svm")),
    "test_softmax": (4, LOSS_TEST.format(family="softmax") + """\
W, X, y, reg = problem(20, 30, 10)
assert np.isfinite(softmax_loss_vectorized(W * 1e5, X, y, reg / 1e10)[0])
"""),
    "test_linear_classifier": (4, """\
X, y = rng.normal(size=(60, 6)), rng.integers(0, 4, size=60)
np.random.seed(0)
classifier = LinearClassifier()
classifier.loss = lambda X_batch, y_batch, reg: softmax_loss_vectorized(classifier.W, X_batch, y_batch, reg)
history = classifier.train(X, y, learning_rate=0.05, reg=1e-3, num_iters=25, batch_size=16)
assert classifier.W.shape == (6, 4) and len(history) == 25 and history[-1] < history[0]
assert np.array_equal(classifier.predict(X), np.argmax(X @ classifier.W, axis=1))
"""),
}


def _cell_metadata(grade_id: str, points: float | None) -> dict:
    grading = {"grade": points is not None, "solution": False, "locked": True, "grade_id": grade_id,
               "schema_version": 3}
    if points is not None:
        grading["points"] = points
    return {"nbgrader": grading}


def bench_notebook() -> nbformat.NotebookNode:
    """The nbgrader side's notebook: a locked setup cell and one graded test cell per function group."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells.append(nbformat.v4.new_markdown_cell("# Throughput benchmark: the code in `cs_utils/`"))
    notebook.cells.append(nbformat.v4.new_code_cell(SETUP, metadata=_cell_metadata("setup", None)))
    for grade_id, (points, source) in TESTS.items():
        notebook.cells.append(nbformat.v4.new_code_cell(source, metadata=_cell_metadata(grade_id, points)))
    return notebook


# ------------------------------------------------------------------------------- the two sides


def make_submissions(solution: Path, count: int, folder: Path) -> list[str]:
    folder.mkdir(parents=True)
    students = [f"s{number:04d}" for number in range(count)]
    for student in students:
        shutil.copytree(solution / "cs_utils", folder / student / "cs_utils",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return students


def run_grade_all(batch: Path, out: Path, workers: int) -> tuple[float, list[float]]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(batch), "--out", str(out),
                           "--workers", str(workers), "--quiet"], cwd=KIT_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"grade-all failed:\n{done.stderr[-3000:]}")
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        scores = [float(row["score"]) for row in csv.DictReader(handle)]
    return seconds, scores


def prepare_nbgrader(course: Path, starter: Path, solution: Path, students: list[str]) -> None:
    """The course, its release (``generate_assignment``, not timed) and the submitted folders."""
    scratch = course.parent / "nbgrader-notebook"
    scratch.mkdir()
    nbformat.write(bench_notebook(), scratch / NOTEBOOK)
    nbgrader_course.write_course(course, [scratch / NOTEBOOK], starter, assignment=ASSIGNMENT,
                                 course_id="throughput", cell_timeout=60)
    done = nbgrader_course.run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{done.stderr[-3000:]}")
    released = course / "release" / ASSIGNMENT
    for student in students:
        target = course / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True)
        shutil.copyfile(released / NOTEBOOK, target / NOTEBOOK)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(solution / "cs_utils", target / "cs_utils", ignore=ignore)


def run_nbgrader_autograde(course: Path, student: str = "*") -> tuple[float, list[float]]:
    start = time.perf_counter()
    done = nbgrader_course.run_nbgrader(
        course, "autograde", ASSIGNMENT, f"--student={student}", "--force", timeout=3600
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader autograde failed:\n{done.stderr[-3000:]}")
    exported = nbgrader_course.run_nbgrader(course, "export", "--to", "grades.csv")  # not timed
    scores = []
    if exported.returncode == 0 and (course / "grades.csv").is_file():
        with open(course / "grades.csv", newline="", encoding="utf-8") as handle:
            scores = [float(row["raw_score"] or 0) for row in csv.DictReader(handle)]
    return seconds, scores


# ------------------------------------------------------------------------------- report


def measure(count: int, workers: int, workdir: Path) -> list[dict]:
    """Each tool grades one submission (start-up cost), then all ``count``; one row per tool."""
    releases = workdir / "releases"
    build_release(releases / "solution", solutions=True)
    build_release(releases / "starter")
    students = make_submissions(releases / "solution", count, workdir / "batch")
    single = workdir / "single"
    single.mkdir()
    shutil.copytree(workdir / "batch" / students[0], single / students[0])
    prepare_nbgrader(workdir / "course", releases / "starter", releases / "solution", students)
    load_before = os.getloadavg()[0]
    one, _ = run_grade_all(single, workdir / "graded-single", workers)
    seconds, scores = run_grade_all(workdir / "batch", workdir / "graded", workers)
    rows = [_row(f"autograder grade-all ({workers} workers)", count, one, seconds, scores, 100)]
    one, _ = run_nbgrader_autograde(workdir / "course", students[0])
    seconds, scores = run_nbgrader_autograde(workdir / "course")
    rows.append(
        _row(
            "nbgrader autograde (sequential)", count, one, seconds, scores, sum(points for points, _ in TESTS.values())
        )
    )
    for row in rows:
        row["load"] = load_before
    return rows


def _row(tool: str, count: int, one: float, seconds: float, scores: list[float], full: float) -> dict:
    """End to end: count / seconds. Steady state: the extra submissions over the extra time."""
    steady = 60.0 * (count - 1) / (seconds - one) if count > 1 and seconds > one else float("nan")
    return {
        "tool": tool,
        "n": count,
        "graded": len(scores),
        "seconds": seconds,
        "one": one,
        "rate": 60.0 * count / seconds,
        "steady": steady,
        "score": _mean(scores),
        "max": full,
    }


def table(rows: list[dict], count: int) -> str:
    lines = [
        f"{'tool':<34} {'submissions':>11} {'wall s':>7} {'1 submission s':>14} {'per min':>8} "
        f"{'per min, steady':>15} {'mean score':>13}"
    ]
    for row in rows:
        lines.append(
            f"{row['tool']:<34} {row['n']:>11d} {row['seconds']:>7.1f} {row['one']:>14.1f} "
            f"{row['rate']:>8.0f} {row['steady']:>15.0f} {row['score']:>7.1f} / {row['max']:g}"
        )
    ratio, steady = rows[0]["rate"] / rows[1]["rate"], rows[0]["steady"] / rows[1]["steady"]
    lines.append(
        f"grade-all / nbgrader: {ratio:.1f}x end to end, {steady:.1f}x steady state ({count} copies of the "
        f"solution; {os.cpu_count()} CPUs; load average {rows[0]['load']:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after)"
    )
    return "\n".join(lines)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  python bench/grading_throughput.py --submissions 60\n"
        "  python bench/grading_throughput.py --tiny\n",
    )
    parser.add_argument("--submissions", type=int, default=60, help="copies of the solution graded by each tool")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="grade-all workers (default: CPUs)")
    parser.add_argument("--tiny", action="store_true", help="smoke test: 3 submissions")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    count = 3 if args.tiny else max(2, args.submissions)
    if args.keep:
        workdir = Path(args.keep)
        workdir.mkdir(parents=True, exist_ok=False)
        rows = measure(count, args.workers, workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="grading-throughput-") as scratch:
            rows = measure(count, args.workers, Path(scratch))
    print(table(rows, count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
