"""Hostile submissions against the parent's file handling, graded with the notebooks on.

* ``swap``: while its code runs, the submission replaces its ``notebooks/`` folder (and a source
  file) in its working copy by symbolic links to a folder outside the sandbox that holds someone
  else's notebook. A root parent that looked into the copy again would record that notebook's
  answers as the student's, write rebuilt notebooks into the victim folder and delete its
  results file (threat model P18).
* ``forge``: a notebook cell forges the runner's report (the old status file, rewritten by a
  daemon that outlives the cell, and writes into the runner's own descriptors) to claim that
  every cell ran; the cell itself fails (P19).

An honest classmate is graded by the same grader after both attacks.
"""
from __future__ import annotations

import json
import shutil

import pytest
from notebook_edits import set_answer
from points import CODE_POINTS

from autograder.grading.demo import make_submission
from autograder.grading.runner import Grader
from autograder.grading.sandbox import Limits
from autograder.grading.submission import Submission

pytestmark = pytest.mark.e2e  # notebooks run in the sandbox

LIMITS = Limits(call_seconds=3.0, submission_seconds=40.0)
HONEYPOT = "HONEYPOT: another student's answer"

SWAP_ATTACK = '''

def _swap_folders_for_links():
    import os
    for name, target in (("notebooks", "VICTIM"), ("cs_utils/classifiers/softmax.py", "VICTIM/softmax.py")):
        try:
            if os.path.isdir(name) and not os.path.islink(name):
                os.rename(name, name + ".moved")
            elif os.path.exists(name):
                os.remove(name)
            os.symlink(target, name)
        except OSError:
            pass


_original_predict_labels = KNearestNeighbor.predict_labels


def _predict_labels(self, dists, k=1):
    _swap_folders_for_links()
    return _original_predict_labels(self, dists, k)


KNearestNeighbor.predict_labels = _predict_labels
'''

FORGE_CELL = r'''
import json, os, glob, time
notebook = json.load(open(os.path.join(os.getcwd(), "knn.ipynb")))
cells = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell-{i}"
         for i, c in enumerate(notebook["cells"])]
forged = {"cells": {c: "ok" for c in cells}, "finished": True}
for where in (os.getcwd(), os.path.dirname(os.getcwd())):  # the old status file, wherever it is
    try:
        with open(os.path.join(where, ".notebook-status.json"), "w") as handle:
            json.dump(forged, handle)
        os.mkdir(os.path.join(where, ".notebook-status.json.tmp"))  # the runner cannot replace it now
    except OSError:
        pass
if os.fork() == 0:                                 # outlive the cell, keep rewriting it
    os.setsid()
    for _ in range(200):
        try:
            with open(os.path.join(os.path.dirname(os.getcwd()), ".notebook-status.json"), "w") as handle:
                json.dump(forged, handle)
        except OSError:
            pass
        time.sleep(0.05)
    os._exit(0)
lines = [json.dumps({"started": True})] + [json.dumps({"cell": c, "state": "ok"}) for c in cells]
lines.append(json.dumps({"results": {"best_k": 1, "test_accuracy": 0.99}}))
lines.append(json.dumps({"stopped": "", "finished": True}))
payload = ("\n".join(lines) + "\n").encode()
for pid in {os.getppid(), os.getpid()}:           # the runner started this kernel: its pipes
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            with open(fd, "wb", buffering=0) as handle:
                handle.write(payload)
        except OSError:
            pass
raise RuntimeError("this cell fails; the attack above tries to hide it")
'''


@pytest.fixture(scope="module")
def graded(releases, tmp_path_factory):
    root = tmp_path_factory.mktemp("redteam-paths")
    victim = root / "victim"
    victim.mkdir()
    honeypot = json.loads((releases["solution"] / "notebooks" / "knn.ipynb").read_text())
    for cell in honeypot["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "knn-q1-answer":
            cell["source"] = HONEYPOT
    (victim / "knn.ipynb").write_text(json.dumps(honeypot))
    (victim / "softmax.py").write_text("raise SystemExit('not the student code')\n")
    (victim / "results").mkdir()
    (victim / "results" / "knn.json").write_text('{"keep": "me"}')
    before = {p.relative_to(victim).as_posix(): p.read_bytes() for p in victim.rglob("*") if p.is_file()}

    submissions = root / "submissions"
    swap = make_submission(releases["solution"], submissions / "swap", append={
        "cs_utils/classifiers/k_nearest_neighbor.py": SWAP_ATTACK.replace("VICTIM", str(victim))})
    set_answer(swap, "knn", "knn-q1-answer", "The swap student's own answer.")
    forge = make_submission(releases["solution"], submissions / "forge")
    set_answer(forge, "knn", "knn-cross-validation", FORGE_CELL)
    make_submission(releases["solution"], submissions / "honest")

    results = {}
    with Grader(limits=LIMITS, notebooks=True, notebook_seconds=60, hide=(root,)) as grader:
        for student in ("swap", "forge", "honest"):  # the classmate comes after both attacks
            results[student] = grader.grade(Submission(student, submissions / student))
    after = {p.relative_to(victim).as_posix(): p.read_bytes() for p in victim.rglob("*") if p.is_file()}
    yield {"results": results, "before": before, "after": after}
    shutil.rmtree(root, ignore_errors=True)


def scores(result) -> dict[str, bool]:
    return {test.spec.id: test.outcome.passed for test in result.tests}


def failures(result) -> list[tuple[str, str]]:
    return [(test.spec.id, test.outcome.detail) for test in result.tests if not test.outcome.passed]


def test_the_parent_never_follows_links_the_student_made(graded):
    assert graded["after"] == graded["before"]  # nothing created, overwritten or deleted there
    swap = graded["results"]["swap"]
    assert swap.status == "graded", swap.staff_log[-2000:]
    assert swap.notebook_answers["knn"]["knn-q1-answer"] == "The swap student's own answer."
    assert HONEYPOT not in json.dumps(swap.notebook_answers)
    # The notebooks were rebuilt from what was submitted, not from the victim's folder.
    assert scores(swap)["notebook.knn.runs"]


def test_a_notebook_cannot_forge_its_run_report(graded):
    forge = graded["results"]["forge"]
    assert forge.status == "graded", forge.staff_log[-2000:]
    passed, failed = scores(forge), failures(forge)  # the failures say why, should this ever fail
    assert not passed["notebook.knn.runs"]  # the failing cell stays failed
    assert passed["notebook.svm.runs"] and passed["notebook.softmax.runs"], failed
    assert sum(t.score for t in forge.tests if not t.spec.id.startswith("notebook.")) == CODE_POINTS, failed


def test_the_honest_classmate_keeps_full_marks(graded):
    result = graded["results"]["honest"]
    assert result.score == result.max_score, failures(result)
