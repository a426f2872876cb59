"""Grading throughput: ``python -m autograder grade-all`` against ``nbgrader autograde``, same run.

Every side grades copies of the solution release on this machine, one side after the other. Each
copy's classifier files end with a comment naming its student, so that the copies differ as a
class's submissions do (a grader that caches by content gains nothing from the copies):

* ``grade-all --no-notebooks``: the kit's hidden tests of every student function in ``cs_utils``,
  in its sandbox, with ``--workers`` parallel workers (default: the CPU count). Its peer is
  ``nbgrader autograde`` on an equivalent minimal course: one notebook whose locked test cells
  call the same functions of each submission's own ``cs_utils`` (distances, labels, both losses
  and gradients, training and prediction), configured the robust way (timeouts, students' ``.py``
  files never overwritten; see ``autograder/grading/nbgrader_course.py``).
* ``grade-all`` (notebooks on, the default): the same tests plus the three notebooks run on the
  synthetic CIFAR-10, with ``--workers`` workers, and again with one worker (the cost of one
  submission on one core). Its peer is ``nbgrader autograde`` on the kit's own nbgrader course
  (``python -m autograder nbgrader-course``: the same three notebooks, one Jupyter kernel each,
  on the same synthetic data), which executes the notebooks but grades no code.

nbgrader grades one submission at a time; it has no parallel mode. Each side first grades one
submission (its start-up cost), then all N. "per min" is N over the wall time of the whole
command, start-up included; "per min, steady" and "s each, steady" use the N - 1 extra
submissions over the extra time, the rate a long batch settles at. Run::

    python bench/grading_throughput.py --submissions 60 --notebook-submissions 12
    python bench/grading_throughput.py --tiny          # a smoke test: 2 submissions per side

and read one table on stdout, with the goals of issue 14 checked under it. Other load on the
machine slows every side; the ratios are the figures to quote, with the CPU, the load averages
and the CPU time the host stole from this VM (on a shared VM the main source of noise) printed
under the table.
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parent.parent
if str(KIT_ROOT) not in sys.path:
    sys.path.insert(0, str(KIT_ROOT))

import nbformat  # noqa: E402

from autograder import SOURCE_ROOT  # noqa: E402
from autograder.grading import manifest, nbgrader_course, notebook_run  # noqa: E402
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


# ------------------------------------------------------------------------------- the sides

NOTEBOOKS = ("knn", "svm", "softmax")
#: Issue 14's goals, checked under the table (this bench measures; no test asserts a speed).
GOAL_ONE_CORE_SECONDS = 5.0
GOAL_NOTEBOOKS_PER_MINUTE = 20.0
GOAL_CODE_PER_MINUTE = 600.0


@dataclass
class Side:
    """One tool's run: one submission alone (start-up), then ``count`` of them."""

    tool: str
    count: int
    one: float  # seconds for one submission, start-up included
    seconds: float  # seconds for all ``count``
    result: str  # what it scored, e.g. "106.0 / 106"

    @property
    def rate(self) -> float:
        """Submissions per minute, start-up included."""
        return 60.0 * self.count / self.seconds

    @property
    def steady_seconds(self) -> float:
        """Seconds per extra submission once started: (all - one) / (count - 1)."""
        if self.count < 2 or self.seconds <= self.one:
            return float("nan")
        return (self.seconds - self.one) / (self.count - 1)

    @property
    def steady_rate(self) -> float:
        return 60.0 / self.steady_seconds


#: The files a student edits: each copy's are made distinct (see :func:`make_distinct`).
STUDENT_FILES = ("k_nearest_neighbor.py", "linear_svm.py", "softmax.py", "linear_classifier.py")


def make_submissions(solution: Path, count: int, folder: Path) -> list[str]:
    """``count`` copies of the solution release (``cs_utils/`` and ``notebooks/``), each made distinct."""
    folder.mkdir(parents=True)
    students = [f"s{number:04d}" for number in range(count)]
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for student in students:
        for part in ("cs_utils", "notebooks"):
            shutil.copytree(solution / part, folder / student / part, ignore=ignore)
        make_distinct(folder / student / "cs_utils", student)
    return students


def make_distinct(package: Path, student: str) -> None:
    """End each file a student edits with a comment naming them, as a class's files all differ: no
    grader may reuse what it computed from another student's bytes (parsed trees, for one)."""
    for name in STUDENT_FILES:
        path = package / "classifiers" / name
        path.write_text(path.read_text(encoding="utf-8") + f"\n# written by {student}\n", encoding="utf-8")


def grade_all_side(tool: str, batch: Path, single: Path, out: Path, workers: int, *, notebooks: bool) -> Side:
    one, _ = _grade_all(single, out / "single", workers, notebooks)
    seconds, scores = _grade_all(batch, out / "batch", workers, notebooks)
    full = manifest.max_score(manifest.graded_specs(notebooks))
    return Side(tool, len(scores), one, seconds, f"{_mean(scores):.1f} / {full:g}")


def _grade_all(batch: Path, out: Path, workers: int, notebooks: bool) -> tuple[float, list[float]]:
    command = [sys.executable, "-m", "autograder", "grade-all", str(batch), "--out", str(out),
               "--workers", str(workers), "--quiet"]
    if not notebooks:
        command.append("--no-notebooks")
    start = time.perf_counter()
    done = subprocess.run(command, cwd=KIT_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"grade-all failed:\n{done.stderr[-3000:]}")
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        scores = [float(row["score"]) for row in csv.DictReader(handle)]
    return seconds, scores


def code_course(folder: Path, starter: Path, solution: Path, students: list[str]) -> Path:
    """The minimal code-test course (:func:`bench_notebook`), released, with the submitted folders."""
    scratch = folder.parent / f"{folder.name}-notebook"
    scratch.mkdir()
    nbformat.write(bench_notebook(), scratch / NOTEBOOK)
    course = nbgrader_course.write_course(folder, [scratch / NOTEBOOK], starter, assignment=ASSIGNMENT,
                                          course_id="throughput", cell_timeout=60)
    _generate(course)
    released = course / "release" / ASSIGNMENT
    for student in students:
        target = _submitted(course, student, solution)
        shutil.copyfile(released / NOTEBOOK, target / NOTEBOOK)
    return course


def kit_course(folder: Path, starter: Path, solution: Path, students: list[str]) -> Path:
    """The kit's own nbgrader course (the three notebooks), released, with the submitted folders."""
    scripts = sorted((SOURCE_ROOT / "notebooks").glob("*.py"))
    notebooks = nbgrader_course.instructor_notebooks(scripts, folder.parent / f"{folder.name}-notebooks")
    course = nbgrader_course.write_course(folder, notebooks, starter, assignment=ASSIGNMENT, cell_timeout=300)
    _generate(course)
    for student in students:
        target = _submitted(course, student, solution)
        for name in NOTEBOOKS:
            shutil.copyfile(solution / "notebooks" / f"{name}.ipynb", target / f"{name}.ipynb")
    return course


def _generate(course: Path) -> None:
    done = nbgrader_course.run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{done.stderr[-3000:]}")


def _submitted(course: Path, student: str, solution: Path) -> Path:
    target = course / "submitted" / student / ASSIGNMENT
    target.mkdir(parents=True)
    shutil.copytree(solution / "cs_utils", target / "cs_utils", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    make_distinct(target / "cs_utils", student)
    return target


def nbgrader_side(tool: str, course: Path, students: list[str], *, executed_notebooks: bool) -> Side:
    """``nbgrader autograde`` of one student, then of everyone (``--force``: the first one again)."""
    one = _autograde(course, students[0])
    seconds = _autograde(course, "*")
    if executed_notebooks:  # the kit's course: no autograded points, so count what ran to the end
        ran = [len(_completed_notebooks(course / "autograded" / student / ASSIGNMENT)) for student in students]
        result = f"{_mean(ran):.1f} / {len(NOTEBOOKS)} notebooks run"
    else:
        exported = nbgrader_course.run_nbgrader(course, "export", "--to", "grades.csv")  # not timed
        scores = []
        if exported.returncode == 0 and (course / "grades.csv").is_file():
            with open(course / "grades.csv", newline="", encoding="utf-8") as handle:
                scores = [float(row["raw_score"] or 0) for row in csv.DictReader(handle)]
        result = f"{_mean(scores):.1f} / {sum(points for points, _ in TESTS.values()):g}"
    return Side(tool, len(students), one, seconds, result)


def _autograde(course: Path, student: str) -> float:
    start = time.perf_counter()
    done = nbgrader_course.run_nbgrader(course, "autograde", ASSIGNMENT, f"--student={student}", "--force",
                                        timeout=3600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader autograde failed:\n{done.stderr[-3000:]}")
    return seconds


def _completed_notebooks(folder: Path) -> list[str]:
    """The autograded notebooks whose every code cell ran without an error output."""
    completed = []
    for name in NOTEBOOKS:
        path = folder / f"{name}.ipynb"
        if not path.is_file():
            continue
        cells = [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
        outputs = [output for cell in cells for output in cell.get("outputs", [])]
        errors = [output for output in outputs if output.get("output_type") == "error"]
        if cells and all(cell.get("execution_count") for cell in cells) and not errors:
            completed.append(name)
    return completed


# ------------------------------------------------------------------------------- report


def measure(code_count: int, notebook_count: int, workers: int, workdir: Path) -> list[Side]:
    """Every side, one after the other, on copies of the solution release."""
    releases = workdir / "releases"
    build_release(releases / "solution", solutions=True)
    build_release(releases / "starter")
    solution, starter = releases / "solution", releases / "starter"
    code_students = make_submissions(solution, code_count, workdir / "code-batch")
    notebook_students = make_submissions(solution, notebook_count, workdir / "notebook-batch")
    single = workdir / "single"
    single.mkdir()
    shutil.copytree(workdir / "code-batch" / code_students[0], single / code_students[0])
    data = notebook_run.write_synthetic_data(workdir / "synthetic")  # the grader's own, for nbgrader's kernels
    os.environ["CIFAR10_DIR"] = str(data)
    code_peer = code_course(workdir / "code-course", starter, solution, code_students)
    notebook_peer = kit_course(workdir / "kit-course", starter, solution, notebook_students)
    graded = workdir / "graded"
    return [
        grade_all_side(f"grade-all --no-notebooks, {workers} workers", workdir / "code-batch", single,
                       graded / "code", workers, notebooks=False),
        nbgrader_side("nbgrader autograde, code-test notebook", code_peer, code_students, executed_notebooks=False),
        grade_all_side(f"grade-all, notebooks, {workers} workers", workdir / "notebook-batch", single,
                       graded / "notebooks", workers, notebooks=True),
        grade_all_side("grade-all, notebooks, 1 worker", workdir / "notebook-batch", single,
                       graded / "one-core", 1, notebooks=True),
        nbgrader_side("nbgrader autograde, kit's 3 notebooks", notebook_peer, notebook_students,
                      executed_notebooks=True),
    ]


def steal_seconds() -> float:
    """CPU seconds this (virtual) machine's CPUs waited for the host so far (Linux ``/proc/stat``;
    NaN elsewhere): on a shared VM the figure to read next to the rates, which it slows."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def table(sides: list[Side], load_before: float, steal_before: float = float("nan")) -> str:
    lines = [f"{'tool':<40} {'submissions':>11} {'wall s':>7} {'1 alone s':>9} {'per min':>8} "
             f"{'per min, steady':>15} {'s each, steady':>14}  result"]
    for side in sides:
        lines.append(f"{side.tool:<40} {side.count:>11d} {side.seconds:>7.1f} {side.one:>9.1f} {side.rate:>8.0f} "
                     f"{side.steady_rate:>15.0f} {side.steady_seconds:>14.2f}  {side.result}")
    code, code_peer, notebooks, one_core, notebook_peer = sides
    lines.append(f"code only: grade-all / nbgrader {code.rate / code_peer.rate:.1f}x end to end, "
                 f"{code.steady_rate / code_peer.steady_rate:.1f}x steady state")
    lines.append(f"with notebooks: grade-all / nbgrader {notebooks.rate / notebook_peer.rate:.1f}x end to end, "
                 f"{notebooks.steady_rate / notebook_peer.steady_rate:.1f}x steady state; one core "
                 f"{one_core.steady_seconds:.2f} s against nbgrader's {notebook_peer.steady_seconds:.1f} s")
    goals = [
        (f"one submission with notebooks on one core < {GOAL_ONE_CORE_SECONDS:g} s", one_core.steady_seconds,
         one_core.steady_seconds < GOAL_ONE_CORE_SECONDS),
        (f"grade-all with notebooks >= {GOAL_NOTEBOOKS_PER_MINUTE:g} / min", notebooks.steady_rate,
         notebooks.steady_rate >= GOAL_NOTEBOOKS_PER_MINUTE),
        (f"grade-all code only >= {GOAL_CODE_PER_MINUTE:g} / min", code.steady_rate,
         code.steady_rate >= GOAL_CODE_PER_MINUTE),
    ]
    for goal, value, met in goals:
        lines.append(f"goal: {goal}: {value:.2f} steady, {'met' if met else 'NOT met'}")
    lines.append(f"machine: {cpu_model()}, {os.cpu_count()} CPUs; load average {load_before:.1f} before, "
                 f"{os.getloadavg()[0]:.1f} after; CPU time stolen by the host during the run "
                 f"{steal_seconds() - steal_before:.1f} s")
    return "\n".join(lines)


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else the platform's processor string."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _mean(values: list[float] | list[int]) -> float:
    return sum(values) / len(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  python bench/grading_throughput.py --submissions 60 --notebook-submissions 12\n"
        "  python bench/grading_throughput.py --tiny\n",
    )
    parser.add_argument("--submissions", type=int, default=60, help="copies graded code only, by each side")
    parser.add_argument("--notebook-submissions", type=int, default=12,
                        help="copies graded with notebooks, by each side (nbgrader takes about 30 s each)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="grade-all workers (default: CPUs)")
    parser.add_argument("--tiny", action="store_true", help="smoke test: 2 submissions per side")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    code_count = 2 if args.tiny else max(2, args.submissions)
    notebook_count = 2 if args.tiny else max(2, args.notebook_submissions)
    load_before, steal_before = os.getloadavg()[0], steal_seconds()
    if args.keep:
        workdir = Path(args.keep)
        workdir.mkdir(parents=True, exist_ok=False)
        sides = measure(code_count, notebook_count, args.workers, workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="grading-throughput-") as scratch:
            sides = measure(code_count, notebook_count, args.workers, Path(scratch))
    print(table(sides, load_before, steal_before))
    return 0


if __name__ == "__main__":
    sys.exit(main())
