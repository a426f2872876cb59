"""One grade everywhere: ``grade``, ``grade-all`` and the Gradescope bundle write the same
``results.json`` for the same submission (the demo's four samples, and the solution uploaded as
loose files without their folders), notebooks included."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gradescope_root import autograder_root, run_autograder
from points import ALL_POINTS, CODE_POINTS

from autograder import KIT_ROOT
from autograder.grading import gradescope, preflight
from autograder.grading.demo import write_samples

pytestmark = pytest.mark.e2e  # every command, in subprocesses and sandboxes

ACCEPT = "+".join(sorted(preflight.WEAKER))  # the same isolation mode for every command on this machine
SAMPLES = ("buggy", "cheater", "loose", "solution", "starter")


def command(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "autograder", *args, "--accept-isolation", ACCEPT], cwd=KIT_ROOT,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]


def entry(submissions: Path, name: str) -> Path:
    return submissions / (f"{name}.zip" if name == "cheater" else name)


@pytest.fixture(scope="module")
def graded_by_grade_all(releases, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("one-grade")
    submissions = write_samples(releases["starter"], releases["solution"], root / "submissions")
    loose = submissions / "loose"  # the solution's files dragged in one by one, no folders
    loose.mkdir()
    for path in [*(releases["solution"] / "cs_utils" / "classifiers").glob("*.py"),
                 *(releases["solution"] / "notebooks").glob("*.ipynb")]:
        shutil.copyfile(path, loose / path.name)
    command("grade-all", str(submissions), "--out", str(root / "out"), "--workers", "2", "--quiet")
    return submissions, root / "out"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return gradescope.build_bundle(tmp_path_factory.mktemp("bundle") / "autograder.zip", accept=ACCEPT)


def by_grade(submission: Path, out: Path) -> dict:
    command("grade", str(submission), "--out", str(out))
    return json.loads(out.read_text())


def by_bundle(bundle: Path, submission: Path, where: Path) -> dict:
    root = autograder_root(bundle, where)
    if submission.is_file():  # an uploaded zip lands in the submission folder as it is
        shutil.copyfile(submission, root / "submission" / submission.name)
    else:
        shutil.copytree(submission, root / "submission", dirs_exist_ok=True)
    return run_autograder(root)


def check_one_grade(name: str, graded_by_grade_all, bundle: Path, tmp_path: Path) -> None:
    submissions, out = graded_by_grade_all
    submission = entry(submissions, name)
    batch = json.loads((out / name / "results.json").read_text())
    assert batch == by_grade(submission, tmp_path / "grade.json")
    assert batch == by_bundle(bundle, submission, tmp_path)
    assert batch["extra_data"]["status"] == "graded" and "and the notebooks" in batch["output"]
    if name in ("loose", "solution"):
        assert batch["score"] == ALL_POINTS


def test_the_buggy_sample_gets_one_grade_from_every_command(graded_by_grade_all, bundle, tmp_path):
    check_one_grade("buggy", graded_by_grade_all, bundle, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name in SAMPLES if name != "buggy"])
def test_every_demo_sample_gets_one_grade_from_every_command(name, graded_by_grade_all, bundle, tmp_path):
    check_one_grade(name, graded_by_grade_all, bundle, tmp_path)


def test_written_answers_reach_the_gradebook_without_notebook_grading(releases, tmp_path):
    """``--no-notebooks`` skips running the notebooks, never the written answers: a TA still sees
    them in formgrader, waiting for a grade, and an unanswered question stays empty."""
    from notebook_edits import set_answer

    from autograder import nbgrader_bridge
    from autograder.grading import gradebook

    submissions = tmp_path / "submissions"
    shutil.copytree(releases["solution"], submissions / "alice",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
    set_answer(submissions / "alice", "knn", "knn-q1-answer", "Bright rows: test images far from all the rest.")
    set_answer(submissions / "alice", "knn", "knn-q2-answer", "YOUR ANSWER HERE")
    course = tmp_path / "course"
    command("grade-all", str(submissions), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet",
            "--no-notebooks", "--gradebook", str(course))
    knn = json.loads((course / "autograded" / "alice" / gradebook.ASSIGNMENT / "knn.ipynb").read_text())
    assert any("Bright rows: test images" in "".join(cell["source"]) for cell in knn["cells"])
    scores = nbgrader_bridge.manual_scores(course, gradebook.ASSIGNMENT, "alice")
    assert scores["knn/knn-q1-answer"]["flagged"] is True  # waits for a TA
    assert scores["knn/knn-q2-answer"]["flagged"] is False and scores["knn/knn-q2-answer"]["auto"] == 0.0
    assert json.loads((tmp_path / "out" / "alice" / "results.json").read_text())["score"] == CODE_POINTS
