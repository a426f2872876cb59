"""The plain nbgrader course: its configuration, and real nbgrader commands on a small course."""
from __future__ import annotations

import ast
import csv
import json
from pathlib import Path

import nbformat
import pytest

from autograder.grading import nbgrader_course

pytestmark = pytest.mark.e2e  # a real nbgrader course

HIDDEN_MARK = "HIDDEN-CHECK-4711"


def small_notebook() -> nbformat.NotebookNode:
    """A setup cell, an answer cell with a solution, a test cell with hidden tests, a plain test cell."""

    def cell(source: str, grade_id: str, *, grade: bool = False, solution: bool = False, points: float = 0):
        meta = {"grade": grade, "solution": solution, "locked": not solution, "grade_id": grade_id, "schema_version": 3}
        if grade:
            meta["points"] = points
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        cell("from cs_utils.mymod import double", "setup"),
        cell("def triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x\n    ### END SOLUTION", "answer", solution=True),
        cell(f"assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(5) == 10  # {HIDDEN_MARK}\n"
             "### END HIDDEN TESTS", "test_double", grade=True, points=2),
        cell("assert triple(2) == 6", "test_triple", grade=True, points=1),
    ]
    return notebook


def small_package(root: Path, body: str) -> Path:
    (root / "cs_utils").mkdir(parents=True)
    (root / "cs_utils" / "__init__.py").write_text("")
    (root / "cs_utils" / "mymod.py").write_text(f"def double(x):\n    {body}\n")
    return root


def test_the_config_sets_every_robust_option_under_the_right_names(tmp_path):
    package = small_package(tmp_path / "release", "raise NotImplementedError")
    (package / "cs_utils" / "classifiers").mkdir()
    (package / "cs_utils" / "classifiers" / "softmax.py").write_text("")
    notebook = tmp_path / "nb.ipynb"
    nbformat.write(small_notebook(), notebook)
    course = nbgrader_course.write_course(tmp_path / "course", [notebook], package, assignment="hw", cell_timeout=7)
    text = (course / "nbgrader_config.py").read_text()
    ast.parse(text)
    for line in (
        "c.Execute.timeout = 7",
        "c.ExecutePreprocessor.timeout = 7",
        "c.Execute.interrupt_on_timeout = True",
        "c.Execute.execute_retries = 0",
        f"c.Execute.skip_cells_with_tag = {nbgrader_course.NEUTRAL_SKIP_TAG!r}",
        "c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestTracebacks, ClearHiddenTests, "
        "CSSHTMLHeaderPreprocessor]",
        "c.LimitOutput.max_lines = 200",
        "c.IgnorePattern.enabled = True",
    ):
        assert line in text
    excluded = (
        "c.Autograde.exclude_overwriting = {'hw': "
        + json.dumps(["cs_utils/__init__.py", "cs_utils/classifiers/softmax.py", "cs_utils/mymod.py"])
        + "}"
    )
    assert excluded in text
    assert sorted(p.name for p in (course / "source" / "hw").iterdir()) == ["cs_utils", "nb.ipynb"]


@pytest.mark.slow
def test_nbgrader_generates_autogrades_and_gives_feedback_without_leaks(tmp_path):
    """Real nbgrader in a subprocess: generate_assignment, autograde, generate_feedback, export."""
    release = small_package(tmp_path / "release", "raise NotImplementedError")
    notebook = tmp_path / "nb.ipynb"
    nbformat.write(small_notebook(), notebook)
    course = nbgrader_course.write_course(tmp_path / "course", [notebook], release, assignment="hw", cell_timeout=3)

    done = nbgrader_course.run_nbgrader(course, "generate_assignment", "hw")
    assert done.returncode == 0, done.stderr[-3000:]
    released = (course / "release" / "hw" / "nb.ipynb").read_text()
    assert "return 3 * x" not in released and HIDDEN_MARK not in released

    # alice: her own module is right, her answer loops forever (the cell times out, the rest is graded).
    # mallory: a wrong module, and the test cell tagged "skip-execution" so that it would not run.
    students = {
        "alice": ("return 2 * x", "def triple(x):\n    while True:\n        pass", None),
        "mallory": ("return x", "def triple(x):\n    return 3 * x", "test_double"),
    }
    for student, (body, answer, skipped) in students.items():
        target = course / "submitted" / student / "hw"
        small_package(target, body)
        submitted = nbformat.reads(released, as_version=4)
        for cell in submitted.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id == "answer":
                cell.source = answer
            if grade_id == skipped:
                cell.metadata["tags"] = ["skip-execution"]
        nbformat.write(submitted, target / "nb.ipynb")

    done = nbgrader_course.run_nbgrader(course, "autograde", "hw")
    assert done.returncode == 0, done.stderr[-3000:]
    for student, (body, _, _) in students.items():  # the students' .py files were not replaced by source/
        assert body in (course / "autograded" / student / "hw" / "cs_utils" / "mymod.py").read_text()

    done = nbgrader_course.run_nbgrader(course, "generate_feedback", "hw")
    assert done.returncode == 0, done.stderr[-3000:]
    for student in students:
        assert HIDDEN_MARK not in (course / "feedback" / student / "hw" / "nb.html").read_text()

    done = nbgrader_course.run_nbgrader(course, "export", "--to", "grades.csv")
    assert done.returncode == 0, done.stderr[-3000:]
    with open(course / "grades.csv", newline="") as handle:
        scores = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(handle)}
    # alice: test_double passes with her module (2), test_triple times out (0).
    # mallory: test_double runs despite the tag and fails (0), test_triple passes (1).
    assert scores == {"alice": 2.0, "mallory": 1.0}
