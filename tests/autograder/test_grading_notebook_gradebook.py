"""Written answers land in an nbgrader gradebook; manual grades survive regrading."""
from __future__ import annotations

import html
import json

import pytest

from autograder import nbgrader_bridge
from autograder.grading import gradebook, manifest, scoring
from autograder.grading.results import TestOutcome

pytestmark = pytest.mark.e2e  # a real nbgrader gradebook


def _result(student: str, passed: int, answers: dict) -> object:
    outcomes = tuple(TestOutcome(spec.id, i < passed) for i, spec in enumerate(manifest.TESTS))
    result = scoring.build_result(student, manifest.TESTS, outcomes)
    return type(result)(**{**result.__dict__, "notebook_answers": answers})


def code_points(scores: dict) -> float:
    """The kit's autograded points: the sum over the ``autograder`` notebook's test cells."""
    return sum(grade["auto"] for key, grade in scores.items() if key.startswith("autograder/"))


ANSWERS = {"knn": {"knn-q1-answer": "Bright rows are test images far from every training image.",
                   "knn-q2-answer": "YOUR ANSWER HERE", "knn-best-k": "best_k = 8"}}


def test_submissions_appear_with_written_answers_to_grade(tmp_path):
    gradebook.record(tmp_path, [_result("alice", 10, ANSWERS)])
    folder = tmp_path / "autograded" / "alice" / gradebook.ASSIGNMENT
    assert sorted(p.name for p in folder.iterdir()) == ["autograder.ipynb", "knn.ipynb", "softmax.ipynb", "svm.ipynb"]
    assert (tmp_path / "submitted" / "alice" / gradebook.ASSIGNMENT / "timestamp.txt").is_file()  # formgrader counts it
    knn = json.loads((folder / "knn.ipynb").read_text())
    assert any("Bright rows" in "".join(c["source"]) for c in knn["cells"])
    scores = nbgrader_bridge.manual_scores(tmp_path, gradebook.ASSIGNMENT, "alice")
    assert scores["knn/knn-q1-answer"]["flagged"] is True  # waits for a TA
    assert scores["knn/knn-q2-answer"] == {**scores["knn/knn-q2-answer"], "auto": 0.0, "flagged": False}  # empty
    assert code_points(scores) == _result("alice", 10, {}).score


def test_manual_grades_survive_regrading(tmp_path):
    gradebook.record(tmp_path, [_result("bob", 5, ANSWERS)])
    nbgrader_bridge.set_manual_score(tmp_path, gradebook.ASSIGNMENT, "bob", "knn", "knn-q1-answer", 1.5)
    before = nbgrader_bridge.total_score(tmp_path, gradebook.ASSIGNMENT, "bob")
    gradebook.record(tmp_path, [_result("bob", 5, ANSWERS)])  # the same submission again
    scores = nbgrader_bridge.manual_scores(tmp_path, gradebook.ASSIGNMENT, "bob")
    assert scores["knn/knn-q1-answer"]["manual"] == 1.5 and scores["knn/knn-q1-answer"]["flagged"] is False
    assert nbgrader_bridge.total_score(tmp_path, gradebook.ASSIGNMENT, "bob") == before

    changed = {"knn": {**ANSWERS["knn"], "knn-q1-answer": "A better answer."}}
    gradebook.record(tmp_path, [_result("bob", 30, changed)])  # a changed submission, regraded
    scores = nbgrader_bridge.manual_scores(tmp_path, gradebook.ASSIGNMENT, "bob")
    assert scores["knn/knn-q1-answer"]["manual"] == 1.5
    assert scores["knn/knn-q1-answer"]["flagged"] is True  # the text changed: a TA looks again
    assert code_points(scores) == _result("bob", 30, {}).score  # code score updated
    assert nbgrader_bridge.total_score(tmp_path, gradebook.ASSIGNMENT, "bob") == _result("bob", 30, {}).score + 1.5


HOSTILE = {"knn": {"knn-q1-answer": "Bright rows <script>window.__pwned = 1</script>\n\n```mermaid\n<img src=x>\n```",
                   "knn-q2-answer": "YOUR ANSWER HERE", "knn-q3-answer": "",
                   "knn-best-k": "best_k = 8  # <script>in code</script>"}}


def answer_cells(course, student) -> dict[str, dict]:
    folder = course / "autograded" / student / gradebook.ASSIGNMENT
    knn = json.loads((folder / "knn.ipynb").read_text())
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in knn["cells"] if "nbgrader" in c.get("metadata", {})}


def test_written_answers_are_stored_as_inert_blocks_and_empty_ones_stay_empty(tmp_path):
    from nbconvert.filters.markdown import markdown2html

    gradebook.record(tmp_path, [_result("eve", 3, HOSTILE)])
    cells = answer_cells(tmp_path, "eve")
    stored = "".join(cells["knn-q1-answer"]["source"])
    assert stored == "````\n" + HOSTILE["knn"]["knn-q1-answer"] + "\n````"  # verbatim, inside a fence
    html = markdown2html(stored)
    assert "<script" not in html and "<img" not in html and "Bright rows &lt;script&gt;" in html
    assert "".join(cells["knn-q2-answer"]["source"]) == "YOUR ANSWER HERE"  # the template's own text
    assert "".join(cells["knn-best-k"]["source"]) == HOSTILE["knn"]["knn-best-k"]  # code is highlighted, escaped
    scores = nbgrader_bridge.manual_scores(tmp_path, gradebook.ASSIGNMENT, "eve")
    assert scores["knn/knn-q1-answer"]["flagged"] is True
    assert scores["knn/knn-q2-answer"]["flagged"] is False and scores["knn/knn-q3-answer"]["flagged"] is False
    gradebook.record(tmp_path, [_result("eve", 3, HOSTILE)])  # the same answers again: not flagged anew
    nbgrader_bridge.set_manual_score(tmp_path, gradebook.ASSIGNMENT, "eve", "knn", "knn-q1-answer", 1.0)
    gradebook.record(tmp_path, [_result("eve", 3, HOSTILE)])
    assert nbgrader_bridge.manual_scores(tmp_path, gradebook.ASSIGNMENT, "eve")["knn/knn-q1-answer"]["flagged"] is False


def test_notes_quoting_file_names_are_inert_in_the_autograder_notebook(tmp_path):
    result = _result("eve", 3, {})
    note = "graded notebooks/knn <img src=x onerror=alert(1)>.ipynb"
    result = type(result)(**{**result.__dict__, "notices": (note,)})
    gradebook.record(tmp_path, [result])
    folder = tmp_path / "autograded" / "eve" / gradebook.ASSIGNMENT
    summary = "".join(json.loads((folder / "autograder.ipynb").read_text())["cells"][0]["source"])
    assert "<img" not in summary.replace("```\ngraded notebooks/knn <img", "")
    assert "```\ngraded notebooks/knn <img src=x onerror=alert(1)>.ipynb\n```" in summary


def test_a_raw_cell_that_differs_from_the_template_becomes_inert_markdown():
    template = {"cells": [{"cell_type": "raw", "source": "kit text", "metadata": {}},
                          {"cell_type": "markdown", "source": "intro", "metadata": {}}]}
    notebook = {"cells": [{"cell_type": "raw", "source": "<script>x</script>", "metadata": {"format": "text/html"}},
                          {"cell_type": "markdown", "source": "intro\n", "metadata": {}},
                          {"cell_type": "markdown", "source": "<b>added</b>", "metadata": {}}]}
    cells = nbgrader_bridge.inert_text_cells(notebook, template)["cells"]
    assert cells[0] == {"cell_type": "markdown", "source": "```\n<script>x</script>\n```", "metadata": {}}
    assert cells[1]["source"] == "intro\n" and cells[2]["source"] == "```\n<b>added</b>\n```"
    assert notebook["cells"][0]["cell_type"] == "raw"  # the caller's notebook is left as it was


def test_nbgrader_counts_the_kits_code_points_as_autograded_per_function(tmp_path):
    """nbgrader's own export, feedback and formgrader API read the kit's points as code grades."""
    import csv

    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from autograder.grading import nbgrader_course
    from autograder.handout import FUNCTIONS

    results = [_result("alice", len(manifest.TESTS), ANSWERS), _result("bob", 5, {})]
    results[1] = type(results[1])(**{**results[1].__dict__, "submitted_at": "2026-03-01T09:30:00+00:00"})
    gradebook.record(tmp_path, results)
    nbgrader_bridge.set_manual_score(tmp_path, gradebook.ASSIGNMENT, "alice", "knn", "knn-q1-answer", 2)

    scores = nbgrader_bridge.manual_scores(tmp_path, gradebook.ASSIGNMENT, "bob")
    code = {key.split("/")[1]: grade for key, grade in scores.items() if key.startswith("autograder/")}
    assert set(code) == {gradebook.grade_id(function) for function in FUNCTIONS}  # one cell per function
    assert sum(grade["max"] for grade in code.values()) == manifest.max_score()  # 100
    assert sum(grade["auto"] for grade in code.values()) == results[1].score
    assert not any(grade["flagged"] for grade in code.values())

    coursedir = CourseDirectory(root=str(tmp_path))
    api = NbGraderAPI(coursedir=coursedir)
    assignment = api.get_assignment(gradebook.ASSIGNMENT)
    assert assignment["num_submissions"] == 2
    assert assignment["max_code_score"] == manifest.max_score()
    assert assignment["max_written_score"] == manifest.written_answer_points()  # 18
    assert api.get_autograded_students(gradebook.ASSIGNMENT) == {"alice", "bob"}  # nothing "needs autograding"
    bob = api.get_submission(gradebook.ASSIGNMENT, "bob")
    assert bob["code_score"] == results[1].score and bob["timestamp"].startswith("2026-03-01T09:30:00")

    done = nbgrader_course.run_nbgrader(tmp_path, "export", "--to", "grades.csv")
    assert done.returncode == 0, done.stderr[-3000:]
    with open(tmp_path / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(rows["alice"]["raw_score"]) == results[0].score + 2
    assert float(rows["bob"]["raw_score"]) == results[1].score
    assert float(rows["bob"]["max_score"]) == manifest.max_score() + manifest.written_answer_points()

    done = nbgrader_course.run_nbgrader(tmp_path, "generate_feedback", gradebook.ASSIGNMENT)
    assert done.returncode == 0, done.stderr[-3000:]
    page = (tmp_path / "feedback" / "bob" / gradebook.ASSIGNMENT / "autograder.html").read_text()
    failed = [item for item in results[1].tests if not item.outcome.passed]
    assert failed and all(html.escape(item.spec.failure_message, quote=False) in page for item in failed[:5])
    assert f"{results[1].score:g}" in page


def test_a_run_with_other_graded_parts_redefines_the_autograder_notebook_and_keeps_manual_grades(tmp_path):
    """With the notebooks graded there is one cell per notebook run too; a later run without them
    (``--no-notebooks``) leaves no stale cell behind, and the written answers' grades stay."""
    specs = manifest.graded_specs(True)
    outcomes = tuple(TestOutcome(spec.id, True) for spec in specs)
    full = scoring.build_result("carol", specs, outcomes)
    full = type(full)(**{**full.__dict__, "notebook_answers": ANSWERS})
    gradebook.record(tmp_path, [full])
    nbgrader_bridge.set_manual_score(tmp_path, gradebook.ASSIGNMENT, "carol", "knn", "knn-q1-answer", 2)
    scores = nbgrader_bridge.manual_scores(tmp_path, gradebook.ASSIGNMENT, "carol")
    assert {"autograder/notebook-knn", "autograder/notebook-svm", "autograder/notebook-softmax"} <= set(scores)
    assert code_points(scores) == manifest.max_score(specs)  # 106

    gradebook.record(tmp_path, [_result("carol", len(manifest.TESTS), ANSWERS)])
    scores = nbgrader_bridge.manual_scores(tmp_path, gradebook.ASSIGNMENT, "carol")
    assert not any(key.startswith("autograder/notebook-") for key in scores)
    assert code_points(scores) == manifest.max_score()
    assert scores["knn/knn-q1-answer"]["manual"] == 2
    assert nbgrader_bridge.total_score(tmp_path, gradebook.ASSIGNMENT, "carol") == manifest.max_score() + 2
