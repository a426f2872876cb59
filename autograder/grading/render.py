"""Render a :class:`~.results.SubmissionResult`: Gradescope ``results.json``, a CSV row, Markdown feedback.

Pure functions. What a student can read (Gradescope tests, feedback) holds test names, points,
the author's failure message and the grader's detail, never the staff log.

Every sink escapes what the author did not write (:mod:`.safe_text`): a test's detail, a notice,
the student's name and the staff log may quote a file name, an error or a traceback. Gradescope
renders ``output`` fields as Markdown (set explicitly, ``md``), so they are escaped as Markdown
prose, and the staff log is a fenced code block; ``grades.csv`` cells are formula-safe.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from autograder.grading.manifest import assignment_points, written_answer_points
from autograder.grading.results import COULD_NOT_GRADE, SubmissionResult, Submitter
from autograder.grading.safe_text import inert_markdown, markdown_text, spreadsheet_cell

SCHEMA_PATH = Path(__file__).with_name("schemas") / "gradescope_results.schema.json"
STAFF_OUTPUT_CHARS = 20000
CSV_FIELDS = ("student", "status", "score", "max_score", "notebooks", "content_hash")
#: After the points per function: the output folder (a group's, for every member), who submitted
#: (from Gradescope's export) and when (:attr:`~.results.SubmissionResult.submitted_at`).
PEOPLE_FIELDS = ("submission", "name", "sid", "email", "submitted_at", "time_source")
#: The hand-graded written answers: points given so far (from the nbgrader gradebook, with
#: ``--gradebook``), what they are worth, and how many answers still wait for a grader.
WRITTEN_FIELDS = ("written_answers", "written_answers_max", "written_answers_to_grade")


def gradescope_results(result: SubmissionResult) -> dict:
    """The Gradescope ``results.json`` object for one result."""
    tests = []
    for number, item in enumerate(result.tests, start=1):
        spec, outcome = item.spec, item.outcome
        output = "" if outcome.passed else "\n\n".join(filter(None, (spec.failure_message,
                                                                    markdown_text(outcome.detail))))
        tests.append({
            "name": spec.name,
            "number": str(number),
            "score": item.score,
            "max_score": float(spec.points),
            "status": "passed" if outcome.passed else "failed",
            "output": output,
            "visibility": spec.visibility,
            "tags": [spec.function],
        })
    for notice in result.notices:
        tests.append({"name": "Could not grade" if result.status == COULD_NOT_GRADE else "Note about your submission",
                      "score": 0.0, "max_score": 0.0, "status": "failed", "output": markdown_text(notice),
                      "visibility": "visible"})
    if result.status == COULD_NOT_GRADE and result.staff_log:
        tests.append({"name": "Staff log (instructors only)", "score": 0.0, "max_score": 0.0, "status": "failed",
                      "output": inert_markdown(result.staff_log[-STAFF_OUTPUT_CHARS:]), "visibility": "hidden"})
    # No execution_time: the student's code decides how long it runs, so the time is a channel
    # for anything it read (the hidden inputs); the staff have it in grading.json.
    return {
        "score": result.score,
        "output": f"{_points(result.score)} / {_points(result.max_score)} automatic points for "
                  f"{_graded_parts(result)}. {written_answers_note()}",
        "output_format": "md",
        "test_output_format": "md",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"schema_version": result.schema_version, "content_hash": result.content_hash,
                       "status": result.status, "isolation": result.isolation},
    }


def notebooks_graded(result: SubmissionResult) -> bool:
    """Whether this result scores the notebooks (every command does, unless ``--no-notebooks``)."""
    return any(item.spec.id.startswith("notebook.") for item in result.tests)


NOT_GRADED_NOTEBOOKS = "the notebooks were not graded in this run (--no-notebooks)"


def written_answers_note() -> str:
    """The sentence that keeps the hand-graded points apart from the automatic score."""
    return (f"Written answers: {_points(written_answer_points())} more points, graded by the course staff "
            f"separately ({_points(assignment_points())} points in all).")


def _graded_parts(result: SubmissionResult) -> str:
    if notebooks_graded(result):
        return "the code in cs_utils/ and the notebooks"
    return f"the code in cs_utils/ only; {NOT_GRADED_NOTEBOOKS}"


@lru_cache(maxsize=1)
def _validator():
    import sys

    # jsonschema imports rfc3987_syntax (IRI formats, unused here) if present, which builds a
    # grammar for seconds at import; an ImportError there is expected and suppressed by jsonschema.
    blocked = "rfc3987_syntax" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # None blocks the import
    try:
        import jsonschema
    finally:
        if blocked and sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    # Local "$ref"s resolved once here: jsonschema's reference lookup per test object made
    # validation the slowest step of a batch (about 80 ms per results.json).
    return jsonschema.Draft202012Validator(_inline_refs(schema, schema.get("$defs", {})))


def _inline_refs(node, definitions: dict):
    """``node`` with every ``{"$ref": "#/$defs/name"}`` replaced by that definition (no cycles here)."""
    if isinstance(node, dict):
        reference = node.get("$ref", "")
        if reference.startswith("#/$defs/") and len(node) == 1:
            return _inline_refs(definitions[reference[len("#/$defs/"):]], definitions)
        return {key: _inline_refs(value, definitions) for key, value in node.items() if key != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(item, definitions) for item in node]
    return node


def validate_gradescope(document: dict) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``document`` fits the Gradescope schema."""
    _validator().validate(document)


def csv_header(functions: tuple[str, ...]) -> list[str]:
    return [*CSV_FIELDS, *functions, *PEOPLE_FIELDS, *WRITTEN_FIELDS]


def csv_row(result: SubmissionResult, functions: tuple[str, ...], written: tuple[float, int] | None = None,
            submitter: Submitter | None = None) -> dict[str, str]:
    """One grades.csv row: totals, points per student function (the notebooks' runs included:
    ``knn.ipynb``, ...), who submitted when, and the written answers' points; no cell reads as a
    formula.

    ``written`` is (points given so far, answers still to grade) from the nbgrader gradebook, when
    TAs grade there; ``submitter`` is the person of a Gradescope export this row is for (a group
    submission has a row per member, see :func:`csv_rows`).
    """
    row: dict[str, str | float] = {"student": result.student, "status": result.status, "score": result.score,
                                   "max_score": result.max_score,
                                   "notebooks": "graded" if notebooks_graded(result) else "not graded",
                                   "content_hash": result.content_hash[:16]}
    for function in functions:
        scored = [t.score for t in result.tests if t.spec.function == function]
        row[function] = sum(scored) if scored else ""  # empty: not graded in this run
    person = submitter or Submitter()
    if submitter is not None:
        row["student"] = submitter_key(result, submitter)
    row.update({"submission": result.student, "name": person.name, "sid": person.sid, "email": person.email,
                "submitted_at": result.submitted_at, "time_source": result.time_source,
                "written_answers": "" if written is None else written[0],
                "written_answers_max": written_answer_points(),
                "written_answers_to_grade": "" if written is None else written[1]})
    return {key: spreadsheet_cell(value) for key, value in row.items()}


def csv_rows(result: SubmissionResult, functions: tuple[str, ...],
             written: tuple[float, int] | None = None) -> list[dict[str, str]]:
    """The grades.csv rows of one result: one, or one per submitter of a Gradescope group
    submission, each with the same grade and named as the export names students (sid or e-mail)."""
    if not result.submitters:
        return [csv_row(result, functions, written)]
    return [csv_row(result, functions, written, person) for person in result.submitters]


def submitter_key(result: SubmissionResult, person: Submitter) -> str:
    """The student name of ``person`` in a result named after its first submitter: by e-mail when
    the result was, else by sid (:func:`.gradescope_export.student_key`)."""
    from autograder.grading.gradescope_export import student_key

    first = result.submitters[0] if result.submitters else person
    by_email = student_key(first, "email") == result.student != student_key(first, "sid")
    return student_key(person, "email" if by_email else "sid") or result.student


def write_results_json(path: Path, result: SubmissionResult) -> Path:
    """Write ``result`` as Gradescope's ``results.json`` at ``path``: validated, then atomically
    (a temporary file beside it, renamed). Every command writes the file through here."""
    document = gradescope_results(result)
    validate_gradescope(document)
    text = json.dumps(document, indent=2)
    if path.is_symlink() or (path.exists() and not path.is_file()):  # --out /dev/stdout, a pipe: written through
        path.write_text(text, encoding="utf-8")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return path


def feedback_markdown(result: SubmissionResult) -> str:
    """Per-student feedback: the total, a table per function, and what to fix."""
    lines = [f"# Autograder feedback for {markdown_text(result.student)}", "",
             f"**Score: {_points(result.score)} / {_points(result.max_score)}** automatic points", "",
             written_answers_note(), ""]
    if not notebooks_graded(result):
        lines += [f"> Only the code in cs_utils/ was scored: {NOT_GRADED_NOTEBOOKS}.", ""]
    for notice in result.notices:
        lines += [f"> {markdown_text(notice)}", ""]
    functions: dict[str, list] = {}
    for item in result.tests:
        functions.setdefault(item.spec.function, []).append(item)
    lines += ["| Function | Points |", "|---|---|"]
    for function, items in functions.items():
        earned = sum(i.score for i in items)
        possible = sum(i.spec.points for i in items)
        lines.append(f"| `{function}` | {_points(earned)} / {_points(possible)} |")
    failed = [item for item in result.tests if not item.outcome.passed]
    if failed:
        lines += ["", "## What to look at", ""]
        for item in failed:
            lines.append(f"- **{item.spec.name}** (0 / {_points(item.spec.points)}): {item.spec.failure_message}")
            if item.outcome.detail:
                lines.append(f"  - {markdown_text(item.outcome.detail)}")
    else:
        lines += ["", "Every test passed."]
    return "\n".join(lines) + "\n"


def _points(value: float) -> str:
    return f"{value:g}"
