"""The command line, driven in a subprocess, exit codes asserted."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from points import ALL_POINTS, CODE_POINTS

from autograder import KIT_ROOT, exit_codes
from autograder.grading.demo import zip_folder
from autograder.grading.render import validate_gradescope

pytestmark = pytest.mark.e2e  # the grader's command line in a subprocess


def run(*args: str, cwd: Path = KIT_ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def test_grade_writes_valid_results_and_exits_0_whatever_the_score(releases, tmp_path):
    out = tmp_path / "starter.json"
    done = run(
        "grade", str(releases["starter"]), "--out", str(out), "--feedback", str(tmp_path / "fb.md"), "--no-notebooks"
    )
    assert done.returncode == exit_codes.OK, done.stderr
    document = json.loads(out.read_text())
    validate_gradescope(document)
    assert document["score"] == 0 and f"Score: 0 / {CODE_POINTS:g}" in (tmp_path / "fb.md").read_text()


def test_grade_accepts_a_zip(releases, tmp_path):
    archive = zip_folder(releases["solution"] / "cs_utils", tmp_path / "alice.zip")
    done = run("grade", str(archive), "--out", str(tmp_path / "r.json"), "--no-notebooks")
    assert done.returncode == exit_codes.OK, done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["score"] == CODE_POINTS


def test_grade_of_a_missing_path_is_bad_input(tmp_path):
    done = run("grade", str(tmp_path / "nope"), "--out", str(tmp_path / "r.json"))
    assert done.returncode == exit_codes.BAD_INPUT and "does not exist" in done.stderr


def test_grade_without_cs_utils_still_writes_a_could_not_grade_result(tmp_path):
    (tmp_path / "empty").mkdir()
    done = run("grade", str(tmp_path / "empty"), "--out", str(tmp_path / "r.json"))
    assert done.returncode == exit_codes.OK
    tests = json.loads((tmp_path / "r.json").read_text())["tests"]
    assert any(t["name"] == "Could not grade" and "no cs_utils/ folder" in t["output"] for t in tests)


def test_grade_all_writes_everything_and_resumes(releases, tmp_path):
    batch, out = tmp_path / "batch", tmp_path / "out"
    batch.mkdir()
    shutil.copytree(releases["solution"], batch / "alice")
    shutil.copytree(releases["starter"], batch / "bob")
    first = run("grade-all", str(batch), "--out", str(out), "--workers", "2")
    assert first.returncode == exit_codes.OK, first.stderr
    assert "2 graded, 0 unchanged" in first.stderr
    for student in ("alice", "bob"):
        assert {p.name for p in (out / student).iterdir()} == {"results.json", "feedback.md", "grading.json"}
    rows = (out / "grades.csv").read_text().splitlines()  # the notebooks are graded by default
    full = f"{ALL_POINTS:g}"
    assert rows[1].startswith(f"alice,graded,{full},{full},graded,")
    assert rows[2].startswith(f"bob,graded,0,{full},graded,")
    (batch / "bob" / "cs_utils" / "classifiers" / "softmax.py").write_text("# changed\n")
    again = run("grade-all", str(batch), "--out", str(out), "--workers", "1", "--quiet")
    assert again.returncode == exit_codes.OK and "1 graded, 1 unchanged" in again.stderr


def test_grade_all_says_when_some_could_not_be_graded(releases, tmp_path):
    batch, out = tmp_path / "batch", tmp_path / "out"
    shutil.copytree(releases["solution"], batch / "alice")
    (batch / "nobody").mkdir()  # nothing to grade: a result that says so, and a non-zero exit
    done = run("grade-all", str(batch), "--out", str(out), "--workers", "1", "--quiet", "--no-notebooks")
    assert done.returncode == exit_codes.NOT_ALL_GRADED, done.stderr
    assert "1 could not be graded (nobody)" in done.stderr
    rows = (out / "grades.csv").read_text().splitlines()
    assert rows[1].startswith("alice,graded,") and rows[2].startswith("nobody,could_not_grade,")


def test_grade_all_stops_before_grading_when_two_entries_would_share_a_student(releases, tmp_path):
    batch, out = tmp_path / "batch", tmp_path / "out"
    batch.mkdir()
    shutil.copytree(releases["starter"], batch / "a b")
    shutil.copytree(releases["solution"], batch / "a_b")
    done = run("grade-all", str(batch), "--out", str(out), "--quiet")
    assert done.returncode == exit_codes.BAD_INPUT
    assert "'a b' and 'a_b'" in done.stderr and "graded as student 'a_b'" in done.stderr
    assert not (out / "a_b").exists()


def test_grade_all_of_a_missing_folder_is_bad_input(tmp_path):
    assert run("grade-all", str(tmp_path / "nope"), "--out", str(tmp_path / "o")).returncode == exit_codes.BAD_INPUT


def test_nbgrader_stage_needs_a_folder_and_a_course(tmp_path):
    (tmp_path / "submissions").mkdir()
    done = run("nbgrader-stage", str(tmp_path / "submissions"), str(tmp_path / "course"))
    assert done.returncode == exit_codes.BAD_INPUT and "nbgrader-course --out" in done.stderr
    done = run("nbgrader-stage", str(tmp_path / "nope"), str(tmp_path / "course"))
    assert done.returncode == exit_codes.BAD_INPUT and "is not a folder of submissions" in done.stderr


@pytest.mark.parametrize("command", ["grade", "grade-all", "demo", "gradescope", "nbgrader-course", "nbgrader-stage"])
def test_help_ends_with_examples(command):
    done = run(command, "--help")
    assert done.returncode == 0
    assert f"examples:\n  python -m autograder {command}" in done.stdout


def test_demo_runs_offline_and_reports_the_four_scores(tmp_path):
    done = run("demo", "--out", str(tmp_path / "demo"), "--quiet", timeout=600)
    assert done.returncode == exit_codes.OK, done.stderr
    rows, note = done.stdout.split("\n\n", 1)
    table = dict(line.split()[:2] for line in rows.splitlines()[2:])
    # buggy: no 2 * reg * W in svm_loss_naive's gradient (its gradient and edge tests, 6 points)
    # and vote ties to the larger label (the ties test, 2 points); its notebooks earn their 6 points
    assert table == {"buggy": "98", "cheater": "0", "solution": "106", "starter": "0"}
    assert note.rstrip().endswith("Isolation: full") or "a weaker mode" in note
    assert "Notebooks were not graded" not in note
    assert (tmp_path / "demo" / "results" / "grades.csv").is_file() and "Everything is in" in done.stderr


def test_demo_with_no_notebooks_says_the_totals_are_code_only(tmp_path):
    done = run("demo", "--out", str(tmp_path / "demo"), "--quiet", "--no-notebooks", timeout=600)
    assert done.returncode == exit_codes.OK, done.stderr
    rows, note = done.stdout.split("\n\n", 1)
    table = dict(line.split()[:2] for line in rows.splitlines()[2:])
    assert table == {"buggy": "92", "cheater": "0", "solution": "100", "starter": "0"}
    assert note.startswith("Notebooks were not graded (--no-notebooks)") and "python -m autograder grade" in note
    assert (tmp_path / "demo" / "results" / "grades.csv").is_file() and "Everything is in" in done.stderr
