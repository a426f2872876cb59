"""Graded submissions into an nbgrader course, for manual grading of written answers in formgrader.

The kit grades the code itself; what needs a person is the written answers. For each result this
rebuilds the student's notebooks from the release templates plus the answers the intake kept
(:attr:`SubmissionResult.notebook_answers`) and hands them to
:func:`autograder.nbgrader_bridge.record_submission`, which writes
``COURSE/autograded/<student>/<assignment>/`` and the gradebook. Run it in one process (the
parent of a batch): SQLite takes one writer at a time.

Open the course with ``cd COURSE && jupyter lab`` (formgrader extension) or read the totals with
``nbgrader export``. Manual scores survive regrading (see ``record_submission``).
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from autograder import nbgrader_bridge
from autograder.grading.manifest import GRADED_CELLS
from autograder.grading.notebook_intake import NOTEBOOK_NAMES, load_template
from autograder.grading.results import SubmissionResult
from autograder.grading.safe_text import inert_markdown

ASSIGNMENT = "ps1"


def fill(template: dict, answers: dict[str, str]) -> dict:
    """The template notebook with ``answers`` (grade_id -> text) in its answer cells."""
    notebook = copy.deepcopy(template)
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return notebook


def summary_text(result: SubmissionResult) -> str:
    """The Markdown of the ``autograder`` notebook in formgrader: the score per test, then the notes.

    The notes quote the submission (file names, notebook problems), so they go in one inert
    fenced block (:func:`~autograder.grading.safe_text.inert_markdown`), shown verbatim.
    """
    lines = [f"**Autograded score: {result.score:g} / {result.max_score:g}**", ""]
    lines += [f"- {t.spec.name}: {t.score:g} / {t.spec.points:g}" for t in result.tests]
    if result.notices:
        lines += ["", "Notes about the submission:", "", inert_markdown("\n".join(result.notices))]
    return "\n".join(lines)


def record(course_root: Path, results: list[SubmissionResult], assignment: str = ASSIGNMENT) -> Path:
    """Record every result in ``course_root``'s gradebook; return the course folder."""
    templates = {name: load_template(name).notebook for name in NOTEBOOK_NAMES}
    root = Path(course_root)
    root.mkdir(parents=True, exist_ok=True)
    config = root / "nbgrader_config.py"
    if not config.exists():
        config.write_text('c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "cs-kit"\n'
                          f'c.CourseDirectory.root = {str(root.resolve())!r}\n', encoding="utf-8")
    for result in results:
        notebooks = {
            name: fill(template, result.notebook_answers.get(name, {})) for name, template in templates.items()
        }
        nbgrader_bridge.record_submission(
            root,
            assignment,
            result.student,
            notebooks,
            templates,
            score=result.score,
            max_score=result.max_score,
            summary=summary_text(result),
            timestamp=result.submitted_at or None,  # when submitted, for nbgrader's late policy
        )
    return root


def answer_cells(graded_cells: Path = GRADED_CELLS) -> dict[str, set[str]]:
    """Notebook -> the ``grade_id`` of each written answer (graded by hand), from the release."""
    notebooks = json.loads(Path(graded_cells).read_text(encoding="utf-8"))["notebooks"]
    return {name: {cell["grade_id"] for cell in cells if cell["kind"] == "written_answer"}
            for name, cells in notebooks.items()}


def written_points(course_root: Path, results: list[SubmissionResult],
                   assignment: str = ASSIGNMENT) -> dict[str, tuple[float, int]]:
    """Student -> (written-answer points given so far, answers still to grade), from the course's
    gradebook; empty when the course has no gradebook yet."""
    if not (Path(course_root) / "gradebook.db").is_file():
        return {}
    return nbgrader_bridge.written_points(course_root, assignment, [r.student for r in results], answer_cells())
