"""grades.csv with ``--gradebook``: the written answers' points the TAs gave in nbgrader, and the
submission time the gradebook records for nbgrader's late policy."""
from __future__ import annotations

import csv
import datetime
from dataclasses import replace

import pytest

from autograder import nbgrader_bridge
from autograder.grading import gradebook, manifest, scoring
from autograder.grading.batch import write_grades_csv
from autograder.grading.results import FROM_ZIP, TestOutcome

pytestmark = pytest.mark.e2e  # a real nbgrader gradebook

ANSWERS = {"knn": {"knn-q1-answer": "Bright rows are test images far from every training image.",
                   "svm-q1-answer": "not a knn cell: ignored"},
           "svm": {"svm-q1-answer": "The loss has kinks where a margin is exactly zero."}}


def result(student: str, answers: dict, submitted_at: str = ""):
    outcomes = tuple(TestOutcome(spec.id, True) for spec in manifest.TESTS)
    built = scoring.build_result(student, manifest.TESTS, outcomes)
    return replace(built, notebook_answers=answers, submitted_at=submitted_at,
                   time_source=FROM_ZIP if submitted_at else "")


def rows(path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_written_answers_columns_follow_the_tas_grades(tmp_path):
    course, out = tmp_path / "course", tmp_path / "out"
    out.mkdir()
    graded = [result("alice", ANSWERS), result("bob", {})]
    gradebook.record(course, graded)

    before = rows(write_grades_csv(out, graded, course))
    assert before["alice"]["written_answers_max"] == "18"
    assert before["alice"]["written_answers_to_grade"] == "2"  # two answers written, none graded yet
    assert before["alice"]["written_answers"] == "0"
    assert before["bob"]["written_answers_to_grade"] == "0"  # nothing written: every answer scored 0

    nbgrader_bridge.set_manual_score(course, gradebook.ASSIGNMENT, "alice", "knn", "knn-q1-answer", 1.5)
    nbgrader_bridge.set_manual_score(course, gradebook.ASSIGNMENT, "alice", "svm", "svm-q1-answer", 3)
    after = rows(write_grades_csv(out, graded, course))
    assert after["alice"]["written_answers"] == "4.5" and after["alice"]["written_answers_to_grade"] == "0"
    assert after["alice"]["score"] == before["alice"]["score"]  # the automatic points stay apart

    without = rows(write_grades_csv(out, graded))  # no --gradebook: the TAs' points are not known here
    assert without["alice"]["written_answers"] == "" and without["alice"]["written_answers_max"] == "18"


def test_the_gradebook_records_when_the_student_submitted_not_when_it_was_graded(tmp_path):
    from nbgrader.api import Gradebook

    gradebook.record(tmp_path, [result("carol", {}, "2026-10-14T23:58:04-07:00")])
    with Gradebook(nbgrader_bridge.gradebook_url(tmp_path)) as book:
        stamp = book.find_submission(gradebook.ASSIGNMENT, "carol").timestamp
    expected = datetime.datetime(2026, 10, 15, 6, 58, 4)  # nbgrader stores UTC without an offset
    assert stamp.replace(tzinfo=None) == expected
