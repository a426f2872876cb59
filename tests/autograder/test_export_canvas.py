"""``python -m autograder export canvas``: a CSV in the layout of Canvas's gradebook export, which its
gradebook import reads back.

The roster fixture is written by hand in the layout Canvas exports (Canvas's guides: Gradebook >
Export; public importers of such files, found with the kit's code search, show the same header
``Student,ID,SIS User ID,SIS Login ID,Section,<Assignment> (<id>)`` and a second row starting
``    Points Possible``): names as "Last, First", a Canvas test student without SIS ids.
"""
from __future__ import annotations

import csv
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from autograder import KIT_ROOT, exit_codes
from autograder.exports import canvas
from autograder.grading import manifest, scoring
from autograder.grading.batch import write_outputs
from autograder.grading.results import FROM_GRADESCOPE, Submitter, TestOutcome

ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Assignment 1 (4711),Current Score
    Points Possible,,,,,124.00,
"Lovelace, Ada",101,3034567,alovelace,CS 231 - 01,,
"Hopper, Grace",102,3034568,ghopper,CS 231 - 01,,
"Lin, Mei",103,3034569,mlin,CS 231 - 02,,
"Knuth, Don",104,3034570,dknuth,CS 231 - 02,,
"Student, Test",105,,,CS 231 - 01,,
"""


def result(student: str, passed: int, **changes):
    outcomes = tuple(TestOutcome(spec.id, i < passed) for i, spec in enumerate(manifest.TESTS))
    return replace(scoring.build_result(student, manifest.TESTS, outcomes), **changes)


@pytest.fixture
def graded(tmp_path) -> Path:
    """A grade-all output folder: a solo student, a Gradescope group of two (one with a formula
    for a name), a student missing from the roster, and one the grader could not grade."""
    out = tmp_path / "graded"
    results = [
        result("3034567", 40, submitters=(Submitter("Ada Lovelace", "3034567", "alovelace@uni.example.edu"),),
               submitted_at="2026-10-14T23:41:07-07:00", time_source=FROM_GRADESCOPE),
        result("3034568", 20, submitters=(Submitter("Grace Hopper", "3034568", "ghopper@uni.example.edu"),
                                          Submitter("=cmd|' /C calc'!A0", "3034569", "mlin@uni.example.edu"))),
        result("9999999", 10, submitters=(Submitter("Not Enrolled", "9999999", "late@uni.example.edu"),)),
        scoring.could_not_grade("dknuth", manifest.TESTS, "Could not grade: the zip is encrypted."),
    ]
    for item in results:
        write_outputs(out, item)
    return out


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=KIT_ROOT, capture_output=True, text=True,
                          timeout=120)


def read(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.mark.e2e
def test_the_csv_follows_the_roster_and_names_everyone_it_could_not_export(graded, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8-sig")  # Excel and Canvas write a byte-order mark
    out = tmp_path / "canvas.csv"
    done = run("export", "canvas", str(graded), "--out", str(out), "--assignment", "Assignment 1 (4711)",
               "--roster", str(roster))
    assert done.returncode == exit_codes.OK, done.stderr
    rows = read(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Assignment 1 (4711)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", f"{manifest.max_score():g}"]
    by_id = {row[1]: row for row in rows[2:]}
    assert set(by_id) == {"101", "102", "103", "104", "105"}  # every enrolled student, in roster order
    ada = result("3034567", 40).score
    assert by_id["101"] == ["Lovelace, Ada", "101", "3034567", "alovelace", "CS 231 - 01", f"{ada:g}"]
    assert by_id["102"][5] == by_id["103"][5] == f"{result('x', 20).score:g}"  # the group: same grade each
    assert by_id["104"][5] == "" and by_id["105"][5] == ""  # could not grade; no submission
    assert "9999999 (Not Enrolled): not in the roster" in done.stderr
    assert "dknuth: could not be graded" in done.stderr
    assert "Student, Test" in done.stderr and "in the roster, no graded submission" in done.stderr


@pytest.mark.e2e
def test_without_a_roster_the_rows_carry_the_ids_the_grader_knows(graded, tmp_path):
    out = tmp_path / "canvas.csv"
    done = run("export", "canvas", str(graded), "--out", str(out), "--assignment", "=Assignment 1")
    assert done.returncode == exit_codes.OK, done.stderr
    rows = read(out)
    assert rows[0][5] == "'=Assignment 1"  # never a formula, even the instructor's column name
    people = {row[2]: row for row in rows[2:]}
    assert people["3034569"][0] == "'=cmd|' /C calc'!A0" and people["3034569"][3] == "mlin@uni.example.edu"
    assert people["3034567"][0] == "Ada Lovelace"
    assert "dknuth" in people and people["dknuth"][5] == ""
    assert "dknuth: could not be graded" in done.stderr


def test_a_roster_without_id_columns_is_refused(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Name,Email\nAda,ada@uni.example.edu\n")
    with pytest.raises(canvas.RosterError, match="SIS User ID"):
        canvas.read_roster(roster)


def test_a_student_matching_two_roster_rows_is_reported_not_guessed():
    roster = [canvas.Person("Ada", "1", "3034567", "ada"), canvas.Person("Ada again", "2", "", "3034567")]
    export = canvas.build([result("3034567", 5)], roster)
    assert [points for _, points in export.rows] == [None, None]
    assert any("matches 2 roster rows" in note for note in export.notes)


def test_written_points_from_the_gradebook_are_added_and_unfinished_grading_is_named():
    results = [result("alice", 10), result("bob", 10)]
    export = canvas.build(results, None, {"alice": (12.5, 0), "bob": (3.0, 2)}, written_max=18)
    points = {person.sis_user_id: value for person, value in export.rows}
    assert points["alice"] == results[0].score + 12.5 and points["bob"] == results[1].score + 3.0
    assert export.points_possible == manifest.max_score() + 18
    assert export.notes == ("bob: 2 written answers not graded yet in the gradebook; exported with the points "
                            "given so far",)
