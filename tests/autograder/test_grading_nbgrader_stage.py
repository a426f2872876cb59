"""Submissions in the kit's layout go through nbgrader's own commands: stage, autograde, record, export.

A small real course: the kit's course command, ``nbgrader generate_assignment`` with a due date,
``nbgrader-stage`` on a folder and a zip, ``nbgrader autograde`` (the notebooks run on the
synthetic CIFAR-10), the kit's code grades recorded as ``grade-all --gradebook`` records them,
then ``nbgrader export``.
"""
from __future__ import annotations

import csv
import datetime
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import KIT_ROOT
from autograder.grading import gradebook, manifest, nbgrader_course, scoring
from autograder.grading.notebook_run import write_synthetic_data
from autograder.grading.results import TestOutcome
from autograder.grading.submission import discover, stamp

pytestmark = pytest.mark.e2e  # a real nbgrader course and the command line in a subprocess

ALICE_TIME = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.timezone.utc)  # before the due date
BOB_TIME = (2026, 3, 1, 11, 0, 0)  # the zipping computer's clock, one hour after the due date
DUE = "2026-03-01 10:00:00 UTC"


def kit(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(KIT_ROOT)}, timeout=600)


def submissions(releases, root: Path) -> Path:
    """alice: a folder of the solution release, files dated ALICE_TIME, and a timestamp.txt of her own
    in notebooks/; bob: a zip of the starter release, members dated BOB_TIME."""
    alice = root / "alice"
    for folder in ("cs_utils", "notebooks"):
        shutil.copytree(releases["solution"] / folder, alice / folder)
    (alice / "notebooks" / "timestamp.txt").write_text("2000-01-01 00:00:00 UTC\n")
    for path in alice.rglob("*"):
        os.utime(path, (ALICE_TIME.timestamp(), ALICE_TIME.timestamp()))
    with zipfile.ZipFile(root / "bob.zip", "w") as bundle:
        for folder in ("cs_utils", "notebooks"):
            for path in sorted((releases["starter"] / folder).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    member = zipfile.ZipInfo(path.relative_to(releases["starter"]).as_posix(), BOB_TIME)
                    bundle.writestr(member, path.read_bytes())
    return root


@pytest.mark.slow
def test_the_kits_layout_goes_through_nbgraders_commands_with_the_students_times(releases, tmp_path, monkeypatch):
    monkeypatch.setenv("CIFAR10_DIR", str(write_synthetic_data(tmp_path / "data")))  # nothing is downloaded
    batch = submissions(releases, tmp_path / "submissions")
    course = tmp_path / "course"

    done = kit("nbgrader-course", "--out", str(course), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    done = kit("nbgrader-stage", str(batch), str(course), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    staged = course / "submitted" / "alice" / "ps1"
    assert sorted(p.name for p in staged.iterdir()) == [
        "cs_utils", "knn.ipynb", "softmax.ipynb", "svm.ipynb", "timestamp.txt"]  # flat, as nbgrader wants
    assert (staged / "timestamp.txt").read_text().strip() == ALICE_TIME.isoformat()  # hers was not copied
    assert (course / "submitted" / "bob" / "ps1" / "timestamp.txt").read_text().strip() == "2026-03-01T11:00:00"

    for command in (("generate_assignment", "ps1"), ("db", "assignment", "add", "ps1", f"--duedate={DUE}"),
                    ("autograde", "ps1")):
        done = nbgrader_course.run_nbgrader(course, *command)
        assert done.returncode == 0, (command, done.stderr[-3000:])
    assert "No notebooks" not in done.stderr
    for student in ("alice", "bob"):
        assert sorted(p.name for p in (course / "autograded" / student / "ps1").glob("*.ipynb")) == [
            "knn.ipynb", "softmax.ipynb", "svm.ipynb"]

    # The kit's grades, as grade-all SUBMISSIONS --gradebook COURSE records them after autograde.
    passed = {"alice": len(manifest.TESTS), "bob": 4}
    results = []
    for submission in discover(batch):
        outcomes = tuple(TestOutcome(spec.id, i < passed[submission.student]) for i, spec in enumerate(manifest.TESTS))
        results.append(stamp(scoring.build_result(submission.student, manifest.TESTS, outcomes), submission))
    gradebook.record(course, results)

    done = nbgrader_course.run_nbgrader(course, "export", "--to", "grades.csv")
    assert done.returncode == 0, done.stderr[-3000:]
    with open(course / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    scores = {result.student: result.score for result in results}
    for student, row in rows.items():
        assert float(row["raw_score"]) == scores[student]  # the kit's code points; no answer graded yet
        assert float(row["max_score"]) == manifest.max_score() + manifest.written_answer_points()
    assert rows["alice"]["timestamp"].startswith("2026-03-01 09:30:00")
    assert rows["bob"]["timestamp"].startswith("2026-03-01 11:00:00")
    late = {}
    from nbgrader.api import Gradebook

    with Gradebook(nbgrader_bridge_url(course)) as book:
        for student in ("alice", "bob"):
            late[student] = book.find_submission("ps1", student).total_seconds_late
    assert late == {"alice": 0, "bob": 3600}


def nbgrader_bridge_url(course: Path) -> str:
    from autograder import nbgrader_bridge

    return nbgrader_bridge.gradebook_url(course)


def test_a_submission_the_intake_refuses_is_named_and_the_others_are_staged(releases, tmp_path):
    from autograder.grading.nbgrader_stage import stage_all

    batch = tmp_path / "submissions"
    shutil.copytree(releases["starter"] / "cs_utils", batch / "carol" / "cs_utils")
    (batch / "dave").mkdir()
    (batch / "dave" / "notes.txt").write_text("nothing of the assignment")
    course = tmp_path / "course"
    (course / "submitted" / "carol" / "ps1" / "stale.ipynb").parent.mkdir(parents=True)
    (course / "submitted" / "carol" / "ps1" / "stale.ipynb").write_text("{}")  # from an earlier staging
    staged = {item.student: item for item in stage_all(batch, course)}
    assert staged["dave"].folder is None and staged["dave"].problem
    assert not (course / "submitted" / "dave").exists()
    carol = course / "submitted" / "carol" / "ps1"
    assert staged["carol"].folder == carol and staged["carol"].time_source == "files"
    assert sorted(p.name for p in carol.iterdir()) == ["cs_utils", "timestamp.txt"]  # replaced, no notebooks
