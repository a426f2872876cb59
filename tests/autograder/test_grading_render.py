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
    "output": "3 / 5 automatic points for the code in cs_utils/ only; the notebooks were not graded in this run "
              "(--no-notebooks). Written answers: 18 more points, graded by the course staff separately (124 points "
              "in all).",
    "output_format": "md",
    "test_output_format": "md",
    "test_name_format": "text",
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
            "output": "fix two\n\ndW has the wrong sign",
            "visibility": "after_published",
            "tags": ["g"],
        },
    ],
    "extra_data": {"schema_version": 2, "content_hash": "h" * 64, "status": "graded", "isolation": ""},
}


def test_gradescope_document_matches_the_golden_one():
    assert gradescope_results(RESULT) == GOLDEN


def test_the_summary_line_names_the_notebooks_when_they_were_graded():
    specs = (*SPECS, TestSpec("notebook.knn.runs", "knn.ipynb", 1, "knn runs", "fix knn", "visible"))
    outcomes = (*(item.outcome for item in RESULT.tests), TestOutcome("notebook.knn.runs", True))
    result = build_result("bob", specs, outcomes)
    assert gradescope_results(result)["output"].startswith(
        "4 / 6 automatic points for the code in cs_utils/ and the notebooks. ")
    assert csv_row(result, ("f", "g", "knn.ipynb"))["notebooks"] == "graded"
    assert "not graded" not in feedback_markdown(result)


def test_every_output_says_when_the_notebooks_were_not_graded():
    assert "(--no-notebooks)" in gradescope_results(RESULT)["output"]
    assert "the notebooks were not graded in this run (--no-notebooks)" in feedback_markdown(RESULT)
    row = csv_row(RESULT, ("f", "g", "knn.ipynb"))
    assert row["notebooks"] == "not graded" and row["knn.ipynb"] == ""  # empty, not a zero


def test_gradescope_document_validates_and_broken_ones_do_not():
    validate_gradescope(gradescope_results(RESULT))
    broken = json.loads(json.dumps(GOLDEN))
    broken["tests"][0]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        validate_gradescope(broken)
    with pytest.raises(jsonschema.ValidationError):
        validate_gradescope({"tests": []})  # no score


def test_automatic_and_hand_graded_points_are_stated_apart():
    """106 automatic points are not the whole assignment: the 18 written-answer points are named
    beside them, read from the notebook sources; no score changes."""
    from autograder.grading.manifest import NOTEBOOK_TESTS, TESTS, assignment_points, written_answer_points

    assert written_answer_points() == 18 and assignment_points() == 124
    assert sum(spec.points for spec in (*TESTS, *NOTEBOOK_TESTS)) == 106
    sentence = "Written answers: 18 more points, graded by the course staff separately (124 points in all)."
    document = gradescope_results(RESULT)
    assert document["output"].endswith(sentence) and document["score"] == RESULT.score == 3
    text = feedback_markdown(RESULT)
    assert "**Score: 3 / 5** automatic points\n\n" + sentence in text


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
        "notebooks": "not graded",
        "content_hash": "h" * 16,
        "f": "3",
        "g": "0",
        "submission": "bob",
        "name": "",
        "sid": "",
        "email": "",
        "submitted_at": "",
        "time_source": "",
        "written_answers": "",  # only with --gradebook, from the TAs' grades
        "written_answers_max": "18",
        "written_answers_to_grade": "",
    }


def test_the_csv_header_has_the_notebooks_and_the_written_answers_after_the_code():
    from autograder.grading.batch import FUNCTIONS
    from autograder.grading.render import csv_header

    header = csv_header(FUNCTIONS)
    assert header[:5] == ["student", "status", "score", "max_score", "notebooks"]  # what scripts read first
    assert {"knn.ipynb", "svm.ipynb", "softmax.ipynb", "submitted_at", "written_answers_max"} <= set(header)
    assert header.index("svm_loss_naive") < header.index("knn.ipynb") < header.index("written_answers")


def test_feedback_lists_the_failed_test_with_message_and_detail():
    text = feedback_markdown(RESULT)
    assert "**Score: 3 / 5**" in text
    assert "- **two** (0 / 2): fix two\n  - dW has the wrong sign" in text
    assert "| `f` | 3 / 3 |" in text


HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">[click](javascript:alert(2))'


def hostile_result():
    """A result whose every student-derived text (detail, notice, name, staff log) carries markup."""
    return build_result(
        "+eve",
        SPECS,
        (TestOutcome("t1", True), TestOutcome("t2", False, f"f raised {HOSTILE}\n# heading")),
        notices=(f"graded notebooks/knn {HOSTILE}.ipynb instead",),
        staff_log=f"Traceback\n{HOSTILE}\n```\n{HOSTILE}",
    )


#: What Markdown prose, code and tables render to: anything else came from the student's text.
PLAIN_TAGS = {"p", "pre", "code", "em", "strong", "br", "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "table",
              "thead", "tbody", "tr", "th", "td", "hr"}


def rendered_markup(text: str) -> list[str]:
    """The tags and attributes beyond plain prose in the HTML that nbconvert's Markdown renderer
    (which passes raw HTML and ``javascript:`` links through) makes of ``text``."""
    from html.parser import HTMLParser

    from nbconvert.filters.markdown import markdown2html

    found: list[str] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            own_anchor = tag == "a" and all(k in ("class", "href") for k, _ in attrs) and dict(attrs)["href"][:1] == "#"
            if not (tag in PLAIN_TAGS and all(k in ("id", "class") for k, _ in attrs) or own_anchor):
                found.append(f"<{tag} {attrs}>")

    Collect().feed(markdown2html(text))
    return found


def test_student_derived_text_is_escaped_in_every_gradescope_output():
    document = gradescope_results(hostile_result())
    validate_gradescope(document)
    assert document["test_output_format"] == "md"
    for test in document["tests"]:
        assert rendered_markup(test["output"]) == [], test
    failed = next(t for t in document["tests"] if t["name"] == "two")
    assert "&lt;script&gt;window.\\_\\_pwned=1&lt;/script&gt;" in failed["output"]  # still readable


def test_feedback_markdown_escapes_details_notices_and_names():
    text = feedback_markdown(hostile_result())
    assert rendered_markup(text) == []
    assert "\n# heading" not in text  # a line break in a detail cannot start a block
    assert text.startswith("# Autograder feedback for \\+eve\n")


def test_a_failed_grading_shows_staff_the_traceback_in_an_inert_block():
    failed = could_not_grade("eve", SPECS, f"Could not grade: {HOSTILE}.", staff_log=f"Traceback\n```\n{HOSTILE}")
    document = gradescope_results(failed)
    staff = next(t for t in document["tests"] if t["visibility"] == "hidden")
    assert staff["output"].startswith("````\nTraceback\n```\n<script>") and staff["output"].endswith("\n````")
    for test in document["tests"]:
        assert rendered_markup(test["output"]) == [], test


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_grades_csv_text_cells_never_read_as_formulas(name, tmp_path):
    import csv

    from autograder.grading.batch import write_grades_csv

    result = build_result(name, SPECS, (TestOutcome("t1", True), TestOutcome("t2", False)))
    row = csv_row(result, ("f", "g"))
    assert row["student"] == "'" + name and row["score"] == "3" and row["f"] == "3"
    with open(write_grades_csv(tmp_path, [result]), newline="", encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert written[0]["student"] == "'" + name and written[0]["score"] == "3"


def test_results_json_has_one_writer(tmp_path):
    """``grade``, ``grade-all`` and the Gradescope bundle write results.json through one function."""
    import ast

    from autograder import KIT_ROOT

    writers = []
    for path in sorted((KIT_ROOT / "autograder").rglob("*.py")):
        if "source" in path.relative_to(KIT_ROOT / "autograder").parts or path.name == "render.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("gradescope_results", "validate_gradescope"):
                writers.append(f"{path.name}:{node.lineno}")
    assert writers == [], "results.json is built outside render.write_results_json"
    from autograder.grading import render
    from autograder.grading.manifest import TESTS
    from autograder.grading.scoring import could_not_grade

    written = render.write_results_json(tmp_path / "deep" / "results.json",
                                        could_not_grade("someone", TESTS, "Could not grade: a test."))
    assert json.loads(written.read_text())["score"] == 0 and not list(tmp_path.rglob("*.tmp"))
