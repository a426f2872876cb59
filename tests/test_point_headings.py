"""A question's "(N points)" heading is written from its answer cell's points, at release time."""
from __future__ import annotations

import json

import pytest

from autograder import SOURCE_ROOT, nbgrader_bridge

SVM = SOURCE_ROOT / "notebooks" / "svm.py"


def _with_points(tmp_path, old: str, new: str):
    text = SVM.read_text(encoding="utf-8")
    assert text.count(old) == 1
    (tmp_path / "notebooks").mkdir(parents=True)
    script = tmp_path / "notebooks" / "svm.py"
    script.write_text(text.replace(old, new), encoding="utf-8")
    return script


def _heading(notebook, grade_id: str) -> str:
    cell = next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return cell.source.splitlines()[0]


def test_changing_an_answers_points_changes_its_heading(tmp_path):
    answer = '"points": 3, "grade_id": "svm-q1-answer"'
    script = _with_points(tmp_path, answer, answer.replace('"points": 3', '"points": 5'))
    notebook = nbgrader_bridge.read_source_notebook(script, source_root=SOURCE_ROOT)
    assert _heading(notebook, "svm-q1-question") == "### Question 1 (5 points)"
    script = _with_points(tmp_path / "one", answer, answer.replace('"points": 3', '"points": 1'))
    notebook = nbgrader_bridge.read_source_notebook(script, source_root=SOURCE_ROOT)
    assert _heading(notebook, "svm-q1-question") == "### Question 1 (1 point)"


def test_the_released_headings_match_the_graded_cells():
    for source in sorted((SOURCE_ROOT / "notebooks").glob("*.py")):
        notebook = json.loads(nbgrader_bridge.render_notebook(source, solutions=False))
        cells = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in notebook["cells"]}
        questions = [grade_id for grade_id in cells if grade_id and grade_id.endswith("-question")]
        assert questions, source
        for question in questions:
            points = cells[question.removesuffix("-question") + "-answer"]["metadata"]["nbgrader"]["points"]
            heading = "".join(cells[question]["source"]).splitlines()[0]
            assert heading.endswith(f"({points:g} point{'' if points == 1 else 's'})"), (source.name, heading)


def test_a_question_heading_without_its_points_is_refused(tmp_path):
    script = _with_points(tmp_path, "### Question 1 (3 points)", "### Question 1")
    with pytest.raises(ValueError, match=r"svm-q1-question.*must say its points"):
        nbgrader_bridge.read_source_notebook(script, source_root=SOURCE_ROOT)
