"""Written answers land in an nbgrader gradebook; manual grades survive regrading."""
from __future__ import annotations

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


ANSWERS = {"knn": {"knn-q1-answer": "Bright rows are test images far from every training image.",
                   "knn-q2-answer": "YOUR ANSWER HERE", "knn-best-k": "best_k = 8"}}


def test_submissions_appear_with_written_answers_to_grade(tmp_path):
    gradebook.record(tmp_path, [_result("alice", 10, ANSWERS)])
    folder = tmp_path / "autograded" / "alice" / gradebook.ASSIGNMENT
    assert sorted(p.name for p in folder.iterdir()) == ["autograder.ipynb", "knn.ipynb", "softmax.ipynb", "svm.ipynb"]
    knn = json.loads((folder / "knn.ipynb").read_text())
    assert any("Bright rows" in "".join(c["source"]) for c in knn["cells"])
    scores = nbgrader_bridge.manual_scores(tmp_path, gradebook.ASSIGNMENT, "alice")
    assert scores["knn/knn-q1-answer"]["flagged"] is True  # waits for a TA
    assert scores["knn/knn-q2-answer"] == {**scores["knn/knn-q2-answer"], "auto": 0.0, "flagged": False}  # empty
    assert scores["autograder/autograder-score"]["auto"] == _result("alice", 10, {}).score


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
    assert scores["autograder/autograder-score"]["auto"] == _result("bob", 30, {}).score  # code score updated
    assert nbgrader_bridge.total_score(tmp_path, gradebook.ASSIGNMENT, "bob") == _result("bob", 30, {}).score + 1.5
