"""The one module that talks to nbgrader (and jupytext): released notebooks and the gradebook.

Instructor notebooks live under ``autograder/source/notebooks/`` as jupytext "percent" scripts,
so a change reads as a normal diff. Each cell header may carry nbgrader's own cell metadata, e.g.

    # %% nbgrader={"grade": false, "solution": true, "locked": false, "grade_id": "knn-cv", "schema_version": 3}

The student notebook goes through the same preprocessors, in the same order, as
``nbgrader generate_assignment`` (its ``GenerateAssignment.preprocessors`` list), minus the ones
that need a course database or header files:

    LockCells → ClearSolutions → ClearOutput → CheckCellMetadata → ComputeChecksums
    → ClearHiddenTests → ClearMarkScheme → ComputeChecksums → CheckCellMetadata

The solution notebook only loses its outputs. Both are made byte-stable: cell ids derive from the
notebook name and the cell's position (or its ``grade_id``), and jupytext's own metadata is
dropped, so building twice gives the same bytes.

The gradebook half (:func:`record_submission`) puts the kit's graded submissions into an
nbgrader course for manual grading of the written answers in formgrader; see its docstring.
formgrader renders a Markdown cell with nbconvert's ``markdown2html``, which passes raw HTML
and ``javascript:`` links through unsanitised, so every Markdown answer is stored as an inert
fenced code block (:func:`autograder.grading.safe_text.inert_markdown`).

One extension: a source line ``# <include cs_utils/notebook_setup.py::locate_kit>`` is replaced by
that function's code (docstring dropped), read from the reference source. The first cell needs
the function before ``cs_utils`` is importable; this keeps the copy identical to the tested one.
"""
from __future__ import annotations

import ast
import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.safe_text import inert_markdown

#: Notebook-level metadata every released notebook carries (what Jupyter and Colab expect).
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}
INCLUDE_LINE = re.compile(r"^(?P<indent>[ \t]*)# <include (?P<path>[^:>]+)::(?P<name>\w+)>[ \t]*$", re.MULTILINE)


def _student_preprocessors():
    """nbgrader's ``generate_assignment`` steps that work on a notebook alone, in its order."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    return [
        LockCells(),
        ClearSolutions(),
        ClearOutput(),
        CheckCellMetadata(),
        ComputeChecksums(),
        ClearHiddenTests(),
        ClearMarkScheme(),
        ComputeChecksums(),
        CheckCellMetadata(),
    ]


def _solution_preprocessors():
    from nbgrader.preprocessors import CheckCellMetadata, ClearOutput

    return [CheckCellMetadata(), ClearOutput()]


def _line_numbers(node: ast.stmt) -> range:
    """The 0-based numbers of the lines ``node`` spans."""
    if node.end_lineno is None:  # ast.parse always records where a statement ends
        raise ValueError(f"the statement on line {node.lineno} has no end line")
    return range(node.lineno - 1, node.end_lineno)


def function_source(path: Path, name: str) -> str:
    """The code of the top-level function ``name`` in the Python file ``path``, without its docstring."""
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            keep = list(_line_numbers(node))
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                dropped = set(_line_numbers(first))
                keep = [number for number in keep if number not in dropped]
            return "".join(lines[number] for number in keep).rstrip("\n")
    raise ValueError(f"{path} has no top-level function {name!r} to include")


def expand_includes(text: str, source_root: Path) -> str:
    """Replace every ``# <include file::function>`` line by that function's code."""

    def replace(match: re.Match) -> str:
        code = function_source(Path(source_root) / match["path"], match["name"])
        note = f"# {match['name']} is a copy of {match['path']}, pasted by the release build.\n"
        return match["indent"] + note + code

    return INCLUDE_LINE.sub(replace, text)


def read_source_notebook(path: Path, source_root: Path | None = None):
    """Read a jupytext percent script as a notebook with stable ids and clean metadata.

    ``source_root`` (default: the folder above the script's folder) resolves include lines.
    """
    import jupytext

    path = Path(path)
    source_root = Path(source_root) if source_root is not None else path.parent.parent
    notebook = jupytext.reads(path.read_text(encoding="utf-8"), fmt="py:percent")
    for cell in notebook.cells:
        if cell.cell_type == "code" and "# <include " in cell.source:
            cell.source = expand_includes(cell.source, source_root)
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata["language_info"] = dict(LANGUAGE_INFO)
    stem = Path(path).stem
    for index, cell in enumerate(notebook.cells):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell["id"] = grade_id or f"{stem}-{index:03d}"
    write_point_headings(notebook, str(path))
    return notebook


#: "(3 points)" or "(1 point)" in a question's heading line: written from the answer's metadata.
POINTS_IN_HEADING = re.compile(r"^(#+ .*?)\(\d+(?:\.\d+)? points?\)", re.MULTILINE)


def write_point_headings(notebook, label: str = "<notebook>") -> None:
    """Make every question's heading state the points of its answer cell.

    A question is a markdown cell with ``grade_id`` ``<name>-question``; its answer is the cell
    ``<name>-answer``, whose nbgrader ``points`` are what the gradebook counts. The heading's
    "(N points)" is rewritten from them, so changing the points is one edit (the metadata).

    Raises
    ------
    ValueError
        If a question has no answer cell, or its heading has no "(N points)" to rewrite.
    """
    cells = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in notebook.cells}
    for grade_id, cell in cells.items():
        if not grade_id or not grade_id.endswith("-question"):
            continue
        answer = cells.get(grade_id.removesuffix("-question") + "-answer")
        if answer is None:
            raise ValueError(f"{label}: question {grade_id!r} has no answer cell {grade_id[:-9]}-answer")
        points = float(answer.metadata["nbgrader"].get("points", 0))
        stated = f"({points:g} point{'' if points == 1 else 's'})"
        cell.source, count = POINTS_IN_HEADING.subn(rf"\g<1>{stated}", cell.source, count=1)
        if not count:
            raise ValueError(f"{label}: the heading of {grade_id!r} must say its points, e.g. '### Question 1 "
                             f"{stated}'; the release writes the number from the answer cell's metadata")


def render_notebook(source: Path, *, solutions: bool) -> str:
    """Return the released ``.ipynb`` text (student or solution version) of a source script.

    Parameters
    ----------
    source : Path
        A jupytext percent script under ``autograder/source/notebooks/``.
    solutions : bool
        Keep the reference answers (outputs are still cleared).

    Returns
    -------
    str
        The notebook as nbformat-4 JSON, ending in a newline.
    """
    import nbformat

    notebook = read_source_notebook(source)
    resources: dict = {}
    steps = _solution_preprocessors() if solutions else _student_preprocessors()
    for step in steps:
        notebook, resources = step.preprocess(notebook, resources)
    nbformat.validate(notebook)
    return nbformat.writes(notebook) + "\n"


def graded_cells(notebook_text: str) -> list[dict]:
    """The nbgrader metadata of every cell that carries some, in notebook order."""
    import nbformat

    notebook = nbformat.reads(notebook_text, as_version=4)
    return [dict(cell.metadata["nbgrader"]) for cell in notebook.cells if "nbgrader" in cell.metadata]


# ------------------------------------------------------------------------------- the gradebook
#: The notebook that holds the kit's own autograded scores in the gradebook: one test cell per
#: graded student function (and per notebook run), so formgrader counts them as code points.
AUTOGRADER_NOTEBOOK = "autograder"
#: The Markdown cell at the top of that notebook (the totals and the notes about the submission).
SUMMARY_CELL = "autograder-summary"
#: Characters of one test cell's report kept in the notebook (the hints of every failed test).
MAX_REPORT_CHARS = 20_000


@dataclass(frozen=True)
class CodeGrade:
    """One autograded cell of the ``autograder`` notebook: what the kit's grader gave one function.

    ``grade_id`` is the cell's id (letters, digits, ``_`` and ``-``); ``title`` names the function
    and where it lives; ``report`` is the text shown under the cell (one line per test, then the
    hints of the failed ones), written by the kit and made printable by the caller.
    """

    grade_id: str
    title: str
    points: float
    score: float
    report: str = ""


def gradebook_url(course_root: Path) -> str:
    return f"sqlite:///{Path(course_root).resolve() / 'gradebook.db'}"


def _open_gradebook(course_root: Path):
    """nbgrader's ``Gradebook`` on the course's ``gradebook.db``.

    A new database is stamped with the migrations' head revision. nbgrader finds it by running
    the ``alembic`` command from ``PATH`` (absent when the venv is not activated, and about a
    second of start-up); the same number is read here in-process from nbgrader's own migration
    scripts.
    """
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader import api, dbutil

    def head_revision() -> str:
        config = Config()
        config.set_main_option("script_location", dbutil.ALEMBIC_DIR)
        head = ScriptDirectory.from_config(config).get_current_head()
        if head is None:  # nbgrader ships its migrations, so there is always a head
            raise RuntimeError(f"nbgrader's migration scripts in {dbutil.ALEMBIC_DIR} have no head revision")
        return head

    api.get_alembic_version = head_revision
    return api.Gradebook(gradebook_url(course_root))


def _score_notebook(summary: str, grades: list[CodeGrade]) -> dict:
    """The ``autograder`` notebook: the summary, then one locked test cell per graded function.

    Each test cell's source says what it scores; its output is the kit's report for that
    function, a plain-text stream (nbconvert and formgrader escape it). Running the cell scores
    nothing: it raises, so ``nbgrader autograde`` would give it 0, never full points.
    """
    import nbformat

    summary_cell = nbformat.v4.new_markdown_cell(summary or "Scored by the kit's autograder.", id=SUMMARY_CELL)
    cells = [summary_cell]
    for grade in grades:
        source = (f"# {grade.title}: {grade.points:g} points, scored by the kit's autograder in its sandbox\n"
                  "# (python -m autograder grade-all --gradebook COURSE), not by running this cell.\n"
                  "raise RuntimeError(\"scored by the kit's autograder: grade-all --gradebook\")")
        cell = nbformat.v4.new_code_cell(source, id=grade.grade_id)
        cell.metadata["nbgrader"] = {
            "grade": True,
            "solution": False,
            "locked": True,
            "points": float(grade.points),
            "grade_id": grade.grade_id,
            "schema_version": 3,
        }
        if grade.report:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=grade.report[:MAX_REPORT_CHARS])]
        cells.append(cell)
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    return notebook


def _define_assignment(gradebook, assignment: str, templates: dict[str, dict], scores: dict) -> None:
    """Mirror the released notebooks' graded cells in the gradebook (what ``SaveCells`` does).

    The ``autograder`` notebook's grade cells are ``scores``' (its notebook from
    :func:`_score_notebook`); when a course holds other ones (an earlier layout, or a run with
    or without the notebooks), that notebook is removed first, its grades with it: they are the
    kit's own, and every ``record`` call writes them again.
    """
    from nbgrader.api import MissingEntry

    gradebook.update_or_create_assignment(assignment)
    wanted = {cell["metadata"]["nbgrader"]["grade_id"]: float(cell["metadata"]["nbgrader"]["points"])
              for cell in scores["cells"] if "nbgrader" in cell.get("metadata", {})}
    try:
        existing = gradebook.find_notebook(AUTOGRADER_NOTEBOOK, assignment)
        held = {cell.name: cell.max_score for cell in existing.grade_cells}
    except MissingEntry:
        held = wanted
    if held != wanted:
        gradebook.remove_notebook(AUTOGRADER_NOTEBOOK, assignment)
    notebooks = {**templates, AUTOGRADER_NOTEBOOK: scores}
    for name, notebook in notebooks.items():
        gradebook.update_or_create_notebook(name, assignment)
        for cell in notebook["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader") or {}
            if "grade_id" not in meta:
                continue
            if meta.get("grade"):
                gradebook.update_or_create_grade_cell(
                    meta["grade_id"],
                    name,
                    assignment,
                    max_score=float(meta.get("points") or 0),
                    cell_type=cell["cell_type"],
                )
            if meta.get("solution"):
                gradebook.update_or_create_solution_cell(meta["grade_id"], name, assignment)


def _complete_submission(gradebook, submission) -> None:
    """Give ``submission`` a notebook and a grade for every notebook and grade cell its assignment
    has now (nbgrader creates them only with the submission, so a cell added later has none)."""
    from nbgrader.api import Grade, SubmittedNotebook

    held = {notebook.notebook_id: notebook for notebook in submission.notebooks}
    with gradebook.db.no_autoflush:
        for notebook in submission.assignment.notebooks:
            submitted = held.get(notebook.id)
            if submitted is None:
                submitted = SubmittedNotebook(notebook_id=notebook.id, assignment_id=submission.id)
                gradebook.db.add(submitted)
                gradebook.db.flush()
            graded = {grade.cell_id for grade in submitted.grades}
            for cell in notebook.grade_cells:
                if cell.id not in graded:
                    gradebook.db.add(Grade(cell_id=cell.id, notebook_id=submitted.id))
    gradebook.db.commit()


def write_timestamp(course_root: Path, assignment: str, student: str, stamp: str) -> Path:
    """``submitted/<student>/<assignment>/timestamp.txt``: formgrader counts a submission (and
    calls it autograded) only when this folder exists and its time is the gradebook's."""
    folder = Path(course_root) / "submitted" / student / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "timestamp.txt"
    _replace_file(path, stamp + "\n")
    return path


def _replace_file(path: Path, text: str) -> None:
    """Write ``path`` through a new file renamed over it: ``nbgrader autograde`` leaves its files
    read-only (0444), and a rename needs only the folder to be writable."""
    import os

    partial = path.with_name(f".{path.name}.kit-partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def record_submission(
    course_root: Path,
    assignment: str,
    student: str,
    notebooks: dict[str, dict],
    templates: dict[str, dict],
    *,
    grades: list[CodeGrade],
    summary: str = "",
    timestamp: str | None = None,
) -> None:
    """Put one graded submission where formgrader finds it; keep every manual grade.

    Writes ``autograded/<student>/<assignment>/<notebook>.ipynb`` (the rebuilt notebooks plus an
    ``autograder`` notebook holding the kit's scores, one test cell per graded function),
    ``submitted/<student>/<assignment>/timestamp.txt`` and the submission in ``gradebook.db``.
    Written answers need a manual grade: an empty answer is scored 0 at once; an answer a grader
    already scored keeps its manual score, and is flagged again only if its text changed since.
    The kit's scores are autograded scores, rewritten on every call, so a regrade never leaves a
    stale score behind; a grader's manual override of one stays, flagged again when the kit's
    score under it changed.

    Every Markdown or raw cell that differs from the template's is the student's text and is
    stored as an inert fenced code block (:func:`inert_markdown`): formgrader shows it verbatim,
    and no HTML, script, link or math in it is rendered.

    Parameters
    ----------
    notebooks : dict of str to dict
        Notebook name to the rebuilt notebook (nbformat 4 JSON) with the student's answers.
    templates : dict of str to dict
        Notebook name to the released notebook: defines the graded cells.
    grades : list of CodeGrade
        The kit's autograded score per graded function (the same cells for every student).
    summary : str
        Markdown written by the kit for the top of the ``autograder`` notebook; whatever it quotes
        from the submission (file names, notices) the caller has made inert already.
    timestamp : str, optional
        When the student submitted (ISO 8601); the time of the call when not given.
    """
    import datetime

    import nbformat

    root = Path(course_root)
    folder = root / "autograded" / student / assignment
    source = root / "source" / assignment
    source.mkdir(parents=True, exist_ok=True)
    for name, template in templates.items():
        target = source / f"{name}.ipynb"
        if not target.exists():
            target.write_text(json.dumps(template, indent=1), encoding="utf-8")
    previous = {name: _answer_texts(folder / f"{name}.ipynb") for name in templates}
    notebooks = {name: inert_text_cells(notebook, templates.get(name)) for name, notebook in notebooks.items()}
    scores = _score_notebook(summary, grades)
    folder.mkdir(parents=True, exist_ok=True)
    written = {**notebooks, AUTOGRADER_NOTEBOOK: scores}
    for name, notebook in written.items():
        _replace_file(folder / f"{name}.ipynb", nbformat.writes(nbformat.from_dict(notebook)))
    stamp = timestamp or datetime.datetime.now(datetime.timezone.utc).isoformat()
    write_timestamp(root, assignment, student, stamp)
    with _open_gradebook(root) as gradebook:
        _define_assignment(gradebook, assignment, templates, scores)
        gradebook.update_or_create_student(student)
        submission = gradebook.update_or_create_submission(assignment, student, timestamp=stamp)
        _complete_submission(gradebook, submission)
        for name, notebook in notebooks.items():
            answers = _answer_texts_of(notebook)
            for cell in notebook["cells"]:
                meta = cell.get("metadata", {}).get("nbgrader") or {}
                if not meta.get("grade") or meta.get("grade_id") not in answers:
                    continue
                grade = gradebook.find_grade(meta["grade_id"], name, assignment, student)
                text = answers[meta["grade_id"]]
                empty = text.strip() in ("", "YOUR ANSWER HERE")
                if grade.manual_score is None:
                    grade.auto_score = 0.0 if empty else None
                    grade.needs_manual_grade = not empty
                elif previous[name].get(meta["grade_id"]) != text:
                    grade.needs_manual_grade = True  # the score stays; the grader looks again
        for code in grades:
            grade = gradebook.find_grade(code.grade_id, AUTOGRADER_NOTEBOOK, assignment, student)
            changed = grade.auto_score is None or float(grade.auto_score) != float(code.score)
            grade.auto_score = float(code.score)
            grade.needs_manual_grade = grade.manual_score is not None and (changed or grade.needs_manual_grade)
        gradebook.db.commit()


def inert_text_cells(notebook: dict, template: dict | None) -> dict:
    """``notebook`` with each text cell the template does not hold made an inert Markdown block.

    A Markdown or raw cell whose text (stripped) is the template's cell of the same ``grade_id``,
    or one of the template's cells when it has no ``grade_id``, is the kit's own and stays as it
    is; any other is the student's text and becomes a fenced code block (raw cells become
    Markdown cells: nbconvert copies a raw cell's text into the page as it is).
    """
    trusted: dict[str, str] = {}
    anonymous: set[str] = set()
    for cell in (template or {}).get("cells", []):
        if cell.get("cell_type") in ("markdown", "raw"):
            text = _source_text(cell).strip()
            grade_id = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
            if grade_id:
                trusted[grade_id] = text
            else:
                anonymous.add(text)
    inert = copy.deepcopy(notebook)
    for cell in inert.get("cells", []):
        if cell.get("cell_type") not in ("markdown", "raw"):
            continue
        text = _source_text(cell)
        grade_id = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        kits_own = trusted.get(grade_id) == text.strip() if grade_id else text.strip() in anonymous
        if kits_own:
            continue
        cell["cell_type"] = "markdown"
        cell["source"] = inert_markdown(text)
        for key in ("format", "raw_mimetype"):
            cell.get("metadata", {}).pop(key, None)
        cell.pop("attachments", None)
    return inert


def _source_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _answer_texts_of(notebook: dict) -> dict[str, str]:
    texts = {}
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader") or {}
        if meta.get("grade_id"):
            texts[meta["grade_id"]] = _source_text(cell)
    return texts


def _answer_texts(path: Path) -> dict[str, str]:
    try:
        return _answer_texts_of(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def manual_scores(course_root: Path, assignment: str, student: str) -> dict[str, dict]:
    """Every grade of one submission: ``{notebook/grade_id: {auto, manual, flagged, max}}``."""
    scores = {}
    with _open_gradebook(course_root) as gradebook:
        submission = gradebook.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                scores[f"{notebook.name}/{grade.name}"] = {
                    "auto": grade.auto_score,
                    "manual": grade.manual_score,
                    "flagged": grade.needs_manual_grade,
                    "max": grade.max_score,
                    "score": grade.score,
                }
    return scores


def written_points(
    course_root: Path, assignment: str, students: list[str], answers: dict[str, set[str]]
) -> dict[str, tuple[float, int]]:
    """Student -> (points given so far, answers still to grade) for the written answers.

    ``answers`` names the answer cells (notebook -> grade_ids). The points are each answer's
    score in the gradebook (the grader's manual score, or 0 for an empty answer); an answer a
    grader has not scored yet adds nothing and counts as still to grade. A student the gradebook
    does not hold is left out. The gradebook is opened once for everyone.
    """
    from nbgrader.api import MissingEntry

    totals: dict[str, tuple[float, int]] = {}
    with _open_gradebook(course_root) as gradebook:
        for student in students:
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                continue
            points, waiting = 0.0, 0
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.name not in answers.get(notebook.name, set()):
                        continue
                    if grade.needs_manual_grade or grade.score is None:
                        waiting += 1
                    else:
                        points += float(grade.score)
            totals[student] = (points, waiting)
    return totals


def submitted_notebook_ids(course_root: Path, assignment: str, student: str) -> dict[str, str]:
    """Notebook name -> the id formgrader shows it under (``/formgrader/submissions/<id>``)."""
    with _open_gradebook(course_root) as gradebook:
        return {notebook.name: notebook.id for notebook in gradebook.find_submission(assignment, student).notebooks}


def set_manual_score(
    course_root: Path, assignment: str, student: str, notebook: str, grade_id: str, score: float
) -> None:
    """What a TA does in formgrader: give a manual score (tests and scripts use this)."""
    with _open_gradebook(course_root) as gradebook:
        grade = gradebook.find_grade(grade_id, notebook, assignment, student)
        grade.manual_score = float(score)
        grade.needs_manual_grade = False
        gradebook.db.commit()


def total_score(course_root: Path, assignment: str, student: str) -> float:
    with _open_gradebook(course_root) as gradebook:
        return float(gradebook.find_submission(assignment, student).score)
