import json

import jsonschema
import pytest

from autograder.grading.render import csv_row, feedback_markdown, gradescope_results, validate_gradescope
from autograder.grading.results import TestOutcome, TestSpec
from autograder.grading.scoring import build_result, could_not_grade

SPECS = (
    TestSpec("t1", "f", 3, "one", "fix one", "visible"),
    TestSpec("t2", "g", 2, "two", "fix two", "after_published"),
)
RESULT = build_result(
    "bob",
    SPECS,
    (TestOutcome("t1", True), TestOutcome("t2", False, "dW has the wrong sign")),
    content_hash="h" * 64,
    staff_log="SECRET staff note",
)

GOLDEN = {
    "score": 3.0,
    "execution_time": 0.0,
    "output": "3 / 5 points for the code in cs_utils/.",
    "visibility": "visible",
    "stdout_visibility": "hidden",
    "tests": [
        {
            "name": "one",
            "number": "1",
            "score": 3.0,
            "max_score": 3.0,
            "status": "passed",
            "output": "",
            "visibility": "visible",
            "tags": ["f"],
        },
        {
            "name": "two",
            "number": "2",
            "score": 0.0,
            "max_score": 2.0,
            "status": "failed",
            "output": "fix two\ndW has the wrong sign",
            "visibility": "after_published",
            "tags": ["g"],
        },
    ],
    "extra_data": {"schema_version": 1, "content_hash": "h" * 64, "status": "graded"},
}


def test_gradescope_document_matches_the_golden_one():
    assert gradescope_results(RESULT) == GOLDEN


def test_the_summary_line_names_the_notebooks_when_they_were_graded():
    specs = (*SPECS, TestSpec("notebook.knn.runs", "knn.ipynb", 1, "knn runs", "fix knn", "visible"))
    outcomes = (*(item.outcome for item in RESULT.tests), TestOutcome("notebook.knn.runs", True))
    result = build_result("bob", specs, outcomes)
    assert gradescope_results(result)["output"] == "4 / 6 points for the code in cs_utils/ and the notebooks."


def test_gradescope_document_validates_and_broken_ones_do_not():
    validate_gradescope(gradescope_results(RESULT))
    broken = json.loads(json.dumps(GOLDEN))
    broken["tests"][0]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        validate_gradescope(broken)
    with pytest.raises(jsonschema.ValidationError):
        validate_gradescope({"tests": []})  # no score


def test_the_staff_log_never_reaches_students_unless_grading_failed():
    assert "SECRET" not in json.dumps(gradescope_results(RESULT)) and "SECRET" not in feedback_markdown(RESULT)
    failed = could_not_grade("bob", SPECS, "Could not grade: oops.", staff_log="Traceback SECRET")
    document = gradescope_results(failed)
    validate_gradescope(document)
    hidden = [t for t in document["tests"] if "SECRET" in t["output"]]
    assert [t["visibility"] for t in hidden] == ["hidden"]
    assert any(t["name"] == "Could not grade" and t["visibility"] == "visible" for t in document["tests"])


def test_csv_row_has_totals_and_points_per_function():
    assert csv_row(RESULT, ("f", "g")) == {
        "student": "bob",
        "status": "graded",
        "score": "3",
        "max_score": "5",
        "content_hash": "h" * 16,
        "f": "3",
        "g": "0",
    }


def test_feedback_lists_the_failed_test_with_message_and_detail():
    text = feedback_markdown(RESULT)
    assert "**Score: 3 / 5**" in text
    assert "- **two** (0 / 2): fix two\n  - dW has the wrong sign" in text
    assert "| `f` | 3 / 3 |" in text
