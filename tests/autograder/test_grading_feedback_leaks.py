"""Feedback is no oracle: what a student reads about a wrong answer holds no number derived from
the hidden inputs or the expected values, and no name the student's code chose.

Wrong submissions are graded twice, with two seeds of the hidden inputs: every failing test must
read the same under both (a relative error, a count of wrong labels, a factor or a time would
move with the inputs), and no output may look like a measured number.
"""
from __future__ import annotations

import json
import re

import pytest

from autograder.grading.demo import KNN, SVM
from autograder.grading.render import feedback_markdown, gradescope_results
from autograder.grading.runner import Grader
from autograder.grading.sandbox import Limits
from autograder.grading.submission import Submission

pytestmark = pytest.mark.e2e  # two graders, sandboxed children

FAST = Limits(call_seconds=3.0, submission_seconds=40.0)
SOFTMAX = "cs_utils/classifiers/softmax.py"
LINEAR = "cs_utils/classifiers/linear_classifier.py"

#: Two submissions, each with a wrong version of several functions (a function's bug costs its own tests).
WRONG = {
    "scaled": {
        SVM: [("    loss /= num_train\n", "")],  # the naive SVM loss is N times too large
        KNN: [("dists[i, j] = np.sqrt(np.sum(difference * difference))",  # squared distances
               "dists[i, j] = np.sum(difference * difference)"),
              ('nearest = np.argsort(dists[i], kind="stable")[:k]',  # votes among the farthest
               'nearest = np.argsort(-dists[i], kind="stable")[:k]')],
        LINEAR: [("y_pred = np.argmax(X @ self.W, axis=1)", "y_pred = np.argmin(X @ self.W, axis=1)")],
    },
    "nudged": {
        SVM: [("loss = margins.sum() / num_train + reg * np.sum(W * W)",  # one percent off
               "loss = 1.01 * margins.sum() / num_train + reg * np.sum(W * W)")],
        SOFTMAX: [("dW = X.T @ dscores / num_train + 2 * reg * W",
                   "dW = X.T @ dscores / num_train + 2 * reg * W + 1e-3")],
    },
}
#: What a printed measurement looks like: a float, a count out of a total, a time, a factor.
NUMBERS = re.compile(r"\d\.\d+(e[-+]?\d+)?|\d+ of \d+|\d+(\.\d+)? ?s\b|factor of about \d|relative error")


@pytest.fixture(scope="module")
def other_seed():
    """A grader whose hidden inputs (and so expected values) differ from the shared one's (seed 0)."""
    with Grader(limits=FAST, seed=1) as grader:
        grader.warm_up()
        yield grader


def student_outputs(result) -> dict[str, str]:
    """Failed test name -> what the student reads about it (results.json output and feedback line)."""
    document = gradescope_results(result)
    feedback = feedback_markdown(result).splitlines()
    outputs = {}
    for test in document["tests"]:
        if test["status"] == "failed":
            lines = [line for line in feedback if f"**{test['name']}**" in line]
            outputs[test["name"]] = test["output"] + "\n" + "\n".join(lines)
    outputs["(summary)"] = document["output"] + "\n" + json.dumps(document.get("extra_data", {}))
    return outputs


@pytest.mark.parametrize("name", sorted(WRONG))
def test_no_number_from_the_hidden_values_reaches_the_student(grader, other_seed, variant, name):
    folder = variant(name, edits=WRONG[name])
    first = grader.grade(Submission(name, folder))
    second = other_seed.grade(Submission(name, folder))
    one, two = student_outputs(first), student_outputs(second)
    failed = [key for key in one if key != "(summary)"]
    assert len(failed) >= 4, failed
    for key, text in one.items():
        assert not NUMBERS.search(text.replace(first.content_hash, "")), (key, text)
    for key in set(one) & set(two) - {"(summary)"}:
        assert one[key] == two[key], key  # the same words whatever the hidden inputs
    text = feedback_markdown(first)
    assert not NUMBERS.search(text.replace(first.content_hash, "")), text


def test_the_right_tests_fail_with_the_right_hints(grader, variant):
    result = grader.grade(Submission("scaled", variant("scaled", edits=WRONG["scaled"])))
    details = {t.spec.id: t.outcome.detail for t in result.tests if not t.outcome.passed}
    assert details["svm.naive.loss"] == (
        "the data term of the loss is about N times too large: divide the sum over examples by N")
    assert details["knn.two_loops.random"] == "dists differs from the correct values"
    assert details["knn.predict_labels.k1"] == "some labels in y_pred are wrong"
    assert details["linear.predict.argmax"] == "some labels in y_pred are wrong"
    assert "svm.naive.gradient" not in details and "softmax.naive.loss" not in details
