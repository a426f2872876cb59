"""``python -m autograder demo``: the instructor pipeline end to end, offline.

Builds the student and the solution release, makes four sample submissions (the solution, the
untouched starter, a realistic buggy one, a cheating one), grades them in parallel and prints a
score table. Everything lands in one folder (``demo-output/`` by default).
"""
from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograder import KIT_ROOT
from autograder.grading import preflight
from autograder.grading.batch import BatchSummary, grade_all
from autograder.release import build_release

SVM = "cs_utils/classifiers/linear_svm.py"
KNN = "cs_utils/classifiers/k_nearest_neighbor.py"

#: The buggy submission: two mistakes students really make.
BUGS = {
    # forgets the regularization gradient in the naive SVM (the first occurrence is in svm_loss_naive)
    SVM: [("    dW += 2 * reg * W\n", "")],
    # breaks vote ties toward the larger label
    KNN: [("y_pred[i] = np.argmax(np.bincount(closest_y))",
           "y_pred[i] = len(np.bincount(closest_y)) - 1 - np.argmax(np.bincount(closest_y)[::-1])")],
}

#: The cheating submission: patches NumPy's comparisons, plants fake results files, tries to read
#: the reference solution and the hidden tests, and otherwise returns zeros.
CHEAT = '''

# ---- appended by a student who would rather not do the work ----
import glob as _glob
import json as _json
import os as _os

np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.array_equal = lambda *a, **k: True
for _place in ("results.json", "../results.json", "/autograder/results/results.json", "/tmp/results.json"):
    try:
        with open(_place, "w") as _handle:
            _json.dump({"score": 100, "tests": []}, _handle)
    except OSError:
        pass


def _steal(name):
    for pattern in ("KIT_ROOT/autograder/source/cs_utils/classifiers/linear_svm.py",
                    "/*/*/autograder/source/cs_utils/classifiers/linear_svm.py",
                    "../../../*/autograder/source/cs_utils/classifiers/linear_svm.py"):
        for path in _glob.glob(pattern, recursive=True):
            try:
                namespace = {"__name__": "stolen"}
                exec(compile(open(path).read(), path, "exec"), namespace)
                return namespace[name]
            except Exception:
                continue
    return None


def svm_loss_naive(W, X, y, reg):
    stolen = _steal("svm_loss_naive")
    if stolen is not None:
        return stolen(W, X, y, reg)
    return 0.0, np.zeros_like(W)


def svm_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros_like(W)
'''


def make_submission(base: Path, destination: Path, edits: dict[str, list[tuple[str, str]]] | None = None,
                    append: dict[str, str] | None = None) -> Path:
    """Copy ``base`` (a release) to ``destination`` and apply text edits; each edit must apply."""
    shutil.copytree(base, destination)
    for relative, replacements in (edits or {}).items():
        path = destination / relative
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            if old not in text:
                raise ValueError(f"{relative}: the text to replace was not found: {old!r}")
            text = text.replace(old, new, 1)
        path.write_text(text, encoding="utf-8")
    for relative, extra in (append or {}).items():
        path = destination / relative
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return destination


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                bundle.write(path, path.relative_to(folder.parent).as_posix())
    return archive


def write_samples(student_release: Path, solution_release: Path, submissions: Path) -> Path:
    """The four sample submissions in ``submissions``: solution, starter, buggy (folders) and
    cheater.zip; return the folder."""
    submissions.mkdir(parents=True)
    make_submission(solution_release, submissions / "solution")
    make_submission(student_release, submissions / "starter")
    make_submission(solution_release, submissions / "buggy", edits=BUGS)
    cheat = CHEAT.replace("KIT_ROOT", str(KIT_ROOT))  # the cheater knows where the kit lives
    source = submissions.parent / f"{submissions.name}-cheater-src"
    cheater = make_submission(student_release, source / "cheater", append={SVM: cheat})
    zip_folder(cheater / "cs_utils", submissions / "cheater.zip")  # one submission arrives as a zip
    shutil.rmtree(source)
    return submissions


@dataclass(frozen=True)
class DemoRun:
    folder: Path
    summary: BatchSummary


def run_demo(out: Path, *, workers: int = 2, progress: bool = True, notebooks: bool = True) -> DemoRun:
    """Build, make the sample submissions, grade them (notebooks included unless ``notebooks`` is
    False); return where everything is."""
    out = Path(out).resolve()
    for name in ("releases", "submissions", "results"):
        shutil.rmtree(out / name, ignore_errors=True)
    student_release = out / "releases" / "student"
    solution_release = out / "releases" / "solution"
    build_release(student_release)
    build_release(solution_release, solutions=True)
    submissions = write_samples(student_release, solution_release, out / "submissions")
    # The demo grades the kit's own samples: it runs under whatever isolation this machine gives,
    # and its table says which (a real batch refuses a weaker mode unless it is accepted by name).
    summary = grade_all(submissions, out / "results", workers=workers, progress=progress, notebooks=notebooks,
                        accept=preflight.WEAKER)
    return DemoRun(out, summary)


#: Under the demo's table when it was run with ``--no-notebooks``.
NOTEBOOKS_NOT_RUN = ("Notebooks were not graded (--no-notebooks): the totals are the code tests only.\n"
                     "Every command grades them by default, for example:\n"
                     "  python -m autograder grade SUBMISSION --out results.json")


def score_table(summary: BatchSummary) -> str:
    """The demo's score table, then whether the notebooks were run and how to grade them."""
    rows = [("student", "score", "status")] + [
        (r.student, f"{r.score:g} / {r.max_score:g}", r.status) for r in summary.results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    if not any(item.spec.id.startswith("notebook.") for r in summary.results for item in r.tests):
        lines += ["", NOTEBOOKS_NOT_RUN]
    lines += ["", f"Isolation: {summary.isolation}" + ("" if summary.isolation == preflight.FULL else
                                                     " (a weaker mode: see autograder/THREAT_MODEL.md)")]
    return "\n".join(lines)
