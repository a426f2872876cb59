"""Graded submissions into an nbgrader course, for manual grading of written answers in formgrader.

The kit grades the code itself; what needs a person is the written answers. For each result this
rebuilds the student's notebooks from the release templates plus the answers the intake kept
(:attr:`SubmissionResult.notebook_answers`), turns the kit's scores into one autograded test
cell per graded function and per notebook run (:func:`code_grades`: its points as the cell's
maximum, the student's points as its autograded score, the tests and hints as its output), and
hands them to :func:`autograder.nbgrader_bridge.record_submission`, which writes
``COURSE/autograded/<student>/<assignment>/`` and the gradebook. formgrader's code and written
totals, its statistics and ``nbgrader export`` then count both. Run it in one process (the
parent of a batch): SQLite takes one writer at a time.

Open the course with ``cd COURSE && jupyter lab`` (formgrader extension) or read the totals with
``nbgrader export``. Manual scores survive regrading (see ``record_submission``).
"""
from __future__ import annotations

import base64
import copy
import json
import re
from pathlib import Path

from autograder import nbgrader_bridge
from autograder.grading.manifest import GRADED_CELLS
from autograder.grading.notebook_intake import NOTEBOOK_NAMES, load_template
from autograder.grading.results import SubmissionResult
from autograder.grading.safe_text import inert_markdown, printable
from autograder.grading.saved_figures import checked_png
from autograder.handout import FUNCTIONS

ASSIGNMENT = "ps1"


def fill(template: dict, answers: dict[str, str], figures: dict[str, list[str]] | None = None) -> dict:
    """The template notebook with ``answers`` (grade_id -> text) in its answer cells and, as each
    code cell's only outputs, the PNG ``figures`` (cell id -> base64) the student's notebook saved."""
    notebook = copy.deepcopy(template)
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
            for image in (figures or {}).get(cell.get("id", ""), []):
                raw = checked_png(image)  # checked at intake; checked again where it is written
                if raw is not None:
                    cell["outputs"].append({"output_type": "display_data", "metadata": {},
                                            "data": {"image/png": base64.b64encode(raw).decode("ascii"),
                                                     "text/plain": "<Figure>"}})
    return notebook


def summary_text(result: SubmissionResult) -> str:
    """The Markdown at the top of the ``autograder`` notebook in formgrader: the total, then the notes.

    The notes quote the submission (file names, notebook problems), so they go in one inert
    fenced block (:func:`~autograder.grading.safe_text.inert_markdown`), shown verbatim.
    """
    lines = [f"**Autograded score: {result.score:g} / {result.max_score:g}**", "",
             "One test cell per graded function and per notebook run follows; each shows the tests and, "
             "for a failed test, the hint the student's feedback gives."]
    if result.notices:
        lines += ["", "Notes about the submission:", "", inert_markdown("\n".join(result.notices))]
    return "\n".join(lines)


def grade_id(function: str) -> str:
    """The cell id of a graded function (``code-LinearClassifier-train``) or notebook run
    (``notebook-knn``): letters, digits, ``_`` and ``-`` only, as nbgrader requires."""
    if function.endswith(".ipynb"):
        return "notebook-" + re.sub(r"[^A-Za-z0-9_-]", "-", function.removesuffix(".ipynb"))
    return "code-" + re.sub(r"[^A-Za-z0-9_-]", "-", function)


def _title(function: str) -> str:
    if function in FUNCTIONS:
        notebook, file = FUNCTIONS[function]
        return f"{function} (cs_utils/classifiers/{file}, {notebook}.ipynb)"
    return f"{function}: the grader's run of the notebook"


def _report(items: list) -> str:
    """One line per test (points, name), then each failed test's hint and the grader's detail."""
    lines = [f"{'passed' if i.outcome.passed else 'FAILED'}  {i.score:g} / {i.spec.points:g}  {i.spec.name}"
             for i in items]
    failed = [i for i in items if not i.outcome.passed]
    for item in failed:
        lines += ["", f"{item.spec.name}:", f"  hint: {item.spec.failure_message}"]
        if item.outcome.detail:
            lines.append(f"  detail: {item.outcome.detail}")
    return printable("\n".join(lines), keep="\n") + "\n"


def code_grades(result: SubmissionResult) -> list[nbgrader_bridge.CodeGrade]:
    """The kit's scores of one result as autograded cells: one per graded function or notebook
    run, in the manifest's order, worth the sum of its tests' points."""
    functions: dict[str, list] = {}
    for item in result.tests:
        functions.setdefault(item.spec.function, []).append(item)
    return [nbgrader_bridge.CodeGrade(grade_id(function), _title(function),
                                      float(sum(i.spec.points for i in items)),
                                      float(sum(i.score for i in items)), _report(items))
            for function, items in functions.items()]


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
            name: fill(template, result.notebook_answers.get(name, {}), result.notebook_figures.get(name, {}))
            for name, template in templates.items()
        }
        nbgrader_bridge.record_submission(
            root,
            assignment,
            result.student,
            notebooks,
            templates,
            grades=code_grades(result),
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
