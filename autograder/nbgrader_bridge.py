"""The one module that talks to nbgrader (and jupytext): instructor notebook → released notebook.

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

One extension: a source line ``# <include cs_utils/notebook_setup.py::locate_kit>`` is replaced by
that function's code (docstring dropped), read from the reference source. The first cell needs
the function before ``cs_utils`` is importable; this keeps the copy identical to the tested one.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

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


def function_source(path: Path, name: str) -> str:
    """The code of the top-level function ``name`` in the Python file ``path``, without its docstring."""
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            keep = list(range(node.lineno - 1, node.end_lineno))
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                dropped = set(range(first.lineno - 1, first.end_lineno))
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
    return notebook


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
