"""Batch bookkeeping: which stored results are reused on resume, and which are graded again."""
from __future__ import annotations

import dataclasses
import shutil

import pytest
from points import CODE_POINTS

from autograder.grading import manifest, preflight, scoring
from autograder.grading.batch import grade_all, stored_result, submission_digest, write_outputs
from autograder.grading.results import GRADED
from autograder.grading.runner import INTERNAL_ERROR
from autograder.grading.sandbox import Limits

FAST = Limits(call_seconds=3.0, submission_seconds=40.0)


def stored(out, student: str, digest: str, *, graded: bool):
    if graded:
        result = scoring.build_result(student, manifest.TESTS, (), content_hash=digest)
    else:
        result = scoring.could_not_grade(student, manifest.TESTS, INTERNAL_ERROR, staff_log="OSError: [Errno 28] "
                                         "No space left on device", content_hash=digest)
    write_outputs(out, result)
    return result


def test_a_graded_result_with_the_same_key_is_reused(tmp_path):
    kept = stored(tmp_path, "alice", "k" * 64 + ":grader", graded=True)
    assert stored_result(tmp_path, "alice", "k" * 64 + ":grader") == kept
    assert stored_result(tmp_path, "alice", "other:grader") is None


def test_a_could_not_grade_result_is_never_final(tmp_path):
    stored(tmp_path, "bob", "k" * 64 + ":grader", graded=False)
    assert stored_result(tmp_path, "bob", "k" * 64 + ":grader") is None


def test_an_unhashable_submission_has_no_key_and_is_always_graded(tmp_path):
    assert submission_digest(tmp_path / "missing", "grader") == ""
    assert stored_result(tmp_path, "carol", "") is None


@pytest.mark.e2e  # a batch in sandboxes
def test_grade_all_grades_a_stored_could_not_grade_again(releases, tmp_path):
    batch, out = tmp_path / "batch", tmp_path / "out"
    batch.mkdir()
    shutil.copytree(releases["solution"], batch / "dave")
    first = grade_all(batch, out, workers=1, limits=FAST, progress=False, accept=preflight.WEAKER,
                  notebooks=False)
    assert first.graded == 1 and first.results[0].score == CODE_POINTS
    digest = first.results[0].content_hash
    stored(out, "dave", digest, graded=False)  # as if the last run had hit a full disk
    again = grade_all(batch, out, workers=1, limits=FAST, progress=False, accept=preflight.WEAKER,
                  notebooks=False)
    assert (again.graded, again.reused) == (1, 0)
    assert again.results[0].status == GRADED and again.results[0].score == CODE_POINTS
    third = grade_all(batch, out, workers=1, limits=FAST, progress=False, accept=preflight.WEAKER,
                  notebooks=False)
    assert (third.graded, third.reused) == (0, 1)


@pytest.mark.e2e  # batches in sandboxes
def test_only_regrades_the_named_student_and_leaves_the_others_alone(releases, tmp_path):
    from autograder.grading.batch import UnknownStudent

    batch, out = tmp_path / "batch", tmp_path / "out"
    for name in ("alice", "bob"):
        shutil.copytree(releases["solution"], batch / name)
    first = grade_all(batch, out, workers=1, limits=FAST, progress=False, accept=preflight.WEAKER, notebooks=False)
    assert first.graded == 2
    bob_before = (out / "bob" / "grading.json").read_text()
    (batch / "alice" / "cs_utils" / "classifiers" / "softmax.py").write_text("# regrade request: started over\n")
    (batch / "bob" / "cs_utils" / "classifiers" / "linear_svm.py").write_text("# changed, but not asked for\n")
    again = grade_all(batch, out, workers=1, limits=FAST, progress=False, accept=preflight.WEAKER, notebooks=False,
                      only=("alice",))
    scores = {result.student: result.score for result in again.results}
    assert again.graded == 1 and scores["alice"] < CODE_POINTS and scores["bob"] == CODE_POINTS
    assert (out / "bob" / "grading.json").read_text() == bob_before
    rows = (out / "grades.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["alice", "bob"]
    with pytest.raises(UnknownStudent, match="carol"):
        grade_all(batch, out, workers=1, limits=FAST, progress=False, accept=preflight.WEAKER, notebooks=False,
                  only=("carol",))


@pytest.mark.e2e  # batches in sandboxes
def test_test_regrades_one_function_and_keeps_every_other_stored_outcome(releases, tmp_path):
    """``--test ID``: the tests of that function run again; every other stored outcome stands."""
    from autograder.grading.batch import RegradeError
    from autograder.grading.rescore import rescore
    from autograder.grading.results import SubmissionResult, TestOutcome

    batch, out = tmp_path / "batch", tmp_path / "out"
    for name in ("alice", "bob", "carol"):
        shutil.copytree(releases["solution"], batch / name)
    grade_all(batch, out, workers=1, limits=FAST, progress=False, accept=preflight.WEAKER, notebooks=False)

    def tamper(student: str, failed: set[str]) -> None:  # as if an earlier, buggy test had failed these
        stored = SubmissionResult.from_json((out / student / "grading.json").read_text())
        tests = tuple(dataclasses.replace(t, outcome=TestOutcome(t.spec.id, False, "an old verdict"))
                      if t.spec.id in failed else t for t in stored.tests)
        write_outputs(out, rescore(dataclasses.replace(stored, tests=tests), tuple(t.spec for t in tests)))

    tamper("bob", {"svm.vectorized.loss", "knn.predict_labels.k1"})
    (batch / "carol" / "cs_utils" / "classifiers" / "softmax.py").write_text("# changed since it was graded\n")
    again = grade_all(batch, out, workers=1, limits=FAST, progress=False, accept=preflight.WEAKER, notebooks=False,
                      tests=("svm.vectorized.loss",))
    by_student = {result.student: result for result in again.results}
    passed = {t.spec.id: t.outcome.passed for t in by_student["bob"].tests}
    assert passed["svm.vectorized.loss"] and not passed["knn.predict_labels.k1"]  # regraded; kept
    assert by_student["bob"].score == CODE_POINTS - next(s.points for s in manifest.TESTS
                                                         if s.id == "knn.predict_labels.k1")
    assert "regraded: svm.vectorized." in by_student["bob"].staff_log
    assert by_student["alice"].score == CODE_POINTS and again.skipped == ("carol",)
    assert by_student["carol"].score == CODE_POINTS  # its stored result stands until a full run
    third = grade_all(batch, out, workers=1, limits=FAST, progress=False, accept=preflight.WEAKER, notebooks=False)
    assert (third.graded, third.reused) == (1, 2)  # the regraded results carry the current key; carol is graded
    with pytest.raises(RegradeError, match="notebook"):
        grade_all(batch, out, workers=1, limits=FAST, progress=False, accept=preflight.WEAKER, notebooks=False,
                  tests=("notebook.knn.runs",))
