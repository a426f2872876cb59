"""Submissions in the kit's layout, staged into an nbgrader course's ``submitted/`` folder.

``python -m autograder nbgrader-stage SUBMISSIONS COURSE`` reads every submission the way the
grader does (:func:`.submission.discover` and :func:`.submission.materialize`: folders, zips,
Gradescope's export, loose files laid over the starter package) and writes
``COURSE/submitted/<student>/<assignment>/`` in nbgrader's flat layout: the notebooks of
``notebooks/`` beside ``cs_utils/`` (what ``source/<assignment>/`` holds too), ``results/``
(nothing else of ``notebooks/``: a file of the student's named ``timestamp.txt`` never reaches
the course), and ``timestamp.txt`` with the time the student submitted (Gradescope's metadata,
the zip, or the files: :mod:`.submission_time`), so nbgrader's late policy reads the student's
time, never the time of staging. A submission without any time gets no ``timestamp.txt`` and is
named.

The student names are those ``grade-all`` uses, so ``grade-all SUBMISSIONS --gradebook COURSE``
records its grades for the same students. A student's folder is replaced when staged again.
This module writes files only; it imports neither nbgrader nor traitlets.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.intake_limits import SubmissionError
from autograder.grading.submission import Submission, discover, materialize

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


@dataclass(frozen=True)
class Staged:
    """What staging did with one submission."""

    student: str
    folder: Path | None  # COURSE/submitted/<student>/<assignment>/, None when it could not be read
    submitted_at: str = ""  # the time written to timestamp.txt ("" when nothing said)
    time_source: str = ""
    notes: tuple[str, ...] = ()  # the intake's notes (files skipped, loose files laid over the starter)
    problem: str = ""  # why the submission was not staged


def stage_one(submission: Submission, course: Path, assignment: str) -> Staged:
    """Stage one submission into ``course/submitted/<student>/<assignment>/``."""
    target = Path(course) / "submitted" / submission.student / assignment
    with tempfile.TemporaryDirectory(prefix="kit-stage-") as scratch:
        work = Path(scratch) / "submission"
        try:
            notes = tuple(materialize(submission, work))
        except SubmissionError as error:
            return Staged(submission.student, None, problem=str(error))
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        shutil.copytree(work / "cs_utils", target / "cs_utils", ignore=IGNORED)
        notebooks = work / "notebooks"
        for entry in sorted(notebooks.glob("*.ipynb")) if notebooks.is_dir() else []:
            shutil.copyfile(entry, target / entry.name)
        if (notebooks / "results").is_dir():  # the results files keep their place beside the notebooks
            shutil.copytree(notebooks / "results", target / "results", ignore=IGNORED)
    if submission.submitted_at:
        (target / "timestamp.txt").write_text(submission.submitted_at + "\n", encoding="utf-8")
    return Staged(submission.student, target, submission.submitted_at, submission.time_source, notes)


def stage_all(batch: Path, course: Path, assignment: str = "ps1", name_by: str = "sid") -> list[Staged]:
    """Stage every submission of ``batch`` (one subfolder or zip per student, or a Gradescope export).

    Raises
    ------
    NameCollision
        If two entries would be staged as the same student (see :func:`.submission.discover`).
    ExportError
        If a Gradescope export's metadata cannot be read.
    """
    return [stage_one(submission, Path(course), assignment) for submission in discover(Path(batch), name_by)]
