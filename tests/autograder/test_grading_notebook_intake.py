"""Notebook intake: find, read and rebuild submitted notebooks on the release template."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from autograder.grading import notebook_intake
from autograder.release import build_release


@pytest.fixture(scope="module")
def solution_notebooks(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("solution-release")
    build_release(root, solutions=True)
    return {
        name: json.loads((root / "notebooks" / f"{name}.ipynb").read_text()) for name in notebook_intake.NOTEBOOK_NAMES
    }


def _write(root: Path, name: str, notebook: dict | str, filename: str | None = None) -> Path:
    folder = root / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (filename or f"{name}.ipynb")
    path.write_text(notebook if isinstance(notebook, str) else json.dumps(notebook))
    return path


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _index(notebook: dict, grade_id: str) -> int:
    return next(i for i, c in enumerate(notebook["cells"]) if _grade_id(c) == grade_id)


def _answers(notebook: dict) -> dict[str, str]:
    template = notebook_intake.load_template("knn")
    return {
        e["grade_id"]: "".join(notebook["cells"][_index(notebook, e["grade_id"])]["source"])
        for e in template.entries
        if e["kind"] != "locked"
    }


def test_the_untouched_solution_is_taken_in_without_problems(tmp_path, solution_notebooks):
    _write(tmp_path, "knn", solution_notebooks["knn"])
    intake = notebook_intake.take_in(tmp_path, "knn")
    assert intake.problems == ()
    assert intake.answers["knn-best-k"] == _answers(solution_notebooks["knn"])["knn-best-k"].rstrip("\n")


def test_colab_stripped_metadata_still_finds_every_answer(tmp_path, solution_notebooks):
    notebook = copy.deepcopy(solution_notebooks["knn"])
    expected = _answers(notebook)
    for cell in notebook["cells"]:
        cell["metadata"] = {}
    _write(tmp_path, "knn", notebook)
    intake = notebook_intake.take_in(tmp_path, "knn")
    assert intake.problems == ()
    assert {k: v.rstrip("\n") for k, v in expected.items()} == intake.answers
    rebuilt = {_grade_id(c): c["source"] for c in intake.notebook["cells"] if _grade_id(c)}
    assert rebuilt["knn-cross-validation"] == intake.answers["knn-cross-validation"]


def test_deleted_locked_cell_is_restored_and_deleted_answer_reported(tmp_path, solution_notebooks):
    notebook = copy.deepcopy(solution_notebooks["knn"])
    del notebook["cells"][_index(notebook, "knn-final")]
    del notebook["cells"][_index(notebook, "knn-q2-answer")]
    _write(tmp_path, "knn", notebook)
    intake = notebook_intake.take_in(tmp_path, "knn")
    assert any("was deleted; the original was restored" in p for p in intake.problems)
    assert any("answer cell of knn-q2-question is missing" in p for p in intake.problems)
    final = intake.notebook["cells"][_index(intake.notebook, "knn-final")]
    assert "knn.json" in final["source"]


def test_edited_locked_cell_is_replaced_by_the_original(tmp_path, solution_notebooks):
    notebook = copy.deepcopy(solution_notebooks["knn"])
    notebook["cells"][_index(notebook, "knn-final")]["source"] = "summary = {'best_k': 1, 'test_accuracy': 1.0}"
    _write(tmp_path, "knn", notebook)
    intake = notebook_intake.take_in(tmp_path, "knn")
    assert any("read-only but was edited" in p for p in intake.problems)
    assert "test_accuracy': 1.0" not in intake.notebook["cells"][_index(intake.notebook, "knn-final")]["source"]


def test_duplicated_answer_keeps_the_last_edited_copy(tmp_path, solution_notebooks):
    notebook = copy.deepcopy(solution_notebooks["knn"])
    index = _index(notebook, "knn-best-k")
    first = copy.deepcopy(notebook["cells"][index])
    first["source"] = "best_k = 3\n"
    notebook["cells"].insert(index - 1, first)  # not next to the other copy
    _write(tmp_path, "knn", notebook)
    intake = notebook_intake.take_in(tmp_path, "knn")
    assert any("appears 2 times" in p for p in intake.problems)
    assert intake.answers["knn-best-k"] != "best_k = 3"


def test_split_answer_is_joined(tmp_path, solution_notebooks):
    notebook = copy.deepcopy(solution_notebooks["svm"])
    index = _index(notebook, "svm-tuning")
    cell = notebook["cells"][index]
    lines = "".join(cell["source"]).splitlines(keepends=True)
    half = len(lines) // 2
    second = copy.deepcopy(cell)
    cell["source"], second["source"] = "".join(lines[:half]), "".join(lines[half:])
    second["metadata"] = {}  # the second half as a cell the student added
    notebook["cells"].insert(index + 1, second)
    _write(tmp_path, "svm", notebook)
    intake = notebook_intake.take_in(tmp_path, "svm")
    assert any("split into 2 cells" in p for p in intake.problems)
    assert _lines(intake.answers["svm-tuning"]) == _lines("".join(lines))


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_retyped_answer_is_graded_in_the_template_type(tmp_path, solution_notebooks):
    notebook = copy.deepcopy(solution_notebooks["knn"])
    cell = notebook["cells"][_index(notebook, "knn-q1-answer")]
    cell.update(cell_type="code", outputs=[], execution_count=None)
    _write(tmp_path, "knn", notebook)
    intake = notebook_intake.take_in(tmp_path, "knn")
    assert any("changed to a code cell" in p for p in intake.problems)
    rebuilt = intake.notebook["cells"][_index(intake.notebook, "knn-q1-answer")]
    assert rebuilt["cell_type"] == "markdown" and rebuilt["source"] == intake.answers["knn-q1-answer"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "holds no notebook object"),
        (json.dumps({"nbformat": 5, "cells": []}), "notebook format 5"),
        (json.dumps({"nbformat": 4, "cells": "x"}), "no list of cells"),
    ],
)
def test_malformed_notebook_is_reported(tmp_path, text, message):
    _write(tmp_path, "knn", text)
    intake = notebook_intake.take_in(tmp_path, "knn")
    assert not intake.usable
    assert any(message in p for p in intake.problems)


def test_renamed_notebook_is_found(tmp_path, solution_notebooks):
    _write(tmp_path, "knn", solution_notebooks["knn"], filename="knn (1).ipynb")
    intake = notebook_intake.take_in(tmp_path, "knn")
    assert intake.found == "notebooks/knn (1).ipynb"
    assert any("graded notebooks/knn (1).ipynb instead" in p for p in intake.problems)
    assert intake.answers["knn-best-k"].startswith("best_k")


def test_missing_notebook_is_reported(tmp_path):
    intake = notebook_intake.take_in(tmp_path, "softmax")
    assert intake.found is None and not intake.usable
    assert intake.problems == (
        "notebooks/softmax.ipynb is missing: its written answers and notebook code earn no points",
    )
