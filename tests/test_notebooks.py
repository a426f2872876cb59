"""The released notebooks: built by nbgrader's preprocessors, free of solutions, and runnable.

Every notebook of the *solution* release is executed end to end with nbclient on a small
synthetic CIFAR-10 (``CIFAR10_DIR``), the way CI runs it; the results JSON it writes is checked.
The long run on the real data set is ``autograder/check_notebooks_real.py`` (and the ``slow``
test at the bottom).
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from autograder import KIT_ROOT, SOURCE_ROOT, nbgrader_bridge
from autograder.release import build_release, notebook_sources, release_differences

NOTEBOOKS = [source.stem for source in notebook_sources(SOURCE_ROOT)]
#: What each notebook must save, and the type of each value.
RESULT_KEYS = {
    "knn": {"best_k": int, "test_accuracy": float},
    "svm": {"learning_rate": float, "reg": float, "val_accuracy": float, "test_accuracy": float},
    "softmax": {"learning_rate": float, "reg": float, "val_accuracy": float, "test_accuracy": float},
}


@pytest.fixture(scope="module")
def solution_release(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("solution-release")
    build_release(root, solutions=True)
    return root


@pytest.fixture(scope="module")
def executed(solution_release, synthetic_cifar10_dir) -> dict:
    """Run every solution notebook once; {name: executed notebook}."""
    from nbclient import NotebookClient

    # The kernel inherits the environment: the data, and one BLAS thread (the matrices are tiny,
    # and on a busy 2-core CI machine spinning BLAS threads only slow everything down).
    settings = {"CIFAR10_DIR": str(synthetic_cifar10_dir), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    previous = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    runs = {}
    try:
        for name in NOTEBOOKS:
            path = solution_release / "notebooks" / f"{name}.ipynb"
            notebook = nbformat.read(path, as_version=4)
            client = NotebookClient(
                notebook,
                timeout=120,
                kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
            )
            client.execute()
            runs[name] = notebook
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return runs


def test_every_notebook_source_is_released():
    assert set(NOTEBOOKS) == {"knn", "svm", "softmax"}
    for name in NOTEBOOKS:
        assert (KIT_ROOT / "notebooks" / f"{name}.ipynb").is_file()


def test_committed_notebooks_are_up_to_date():
    stale = [problem for problem in release_differences(KIT_ROOT) if problem.startswith("notebooks/")]
    assert stale == [], "run 'python -m autograder release' and commit"


def test_release_is_byte_stable(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    build_release(first)
    build_release(second)
    for name in NOTEBOOKS:
        relative = Path("notebooks") / f"{name}.ipynb"
        assert (first / relative).read_bytes() == (second / relative).read_bytes()


def test_check_notices_an_edited_notebook_and_leaves_results_alone(tmp_path):
    build_release(tmp_path)
    results = tmp_path / "notebooks" / "results"
    results.mkdir()
    (results / "knn.json").write_text("{}")
    (tmp_path / "notebooks" / "knn.ipynb").write_text("{}")
    (tmp_path / "notebooks" / "old.ipynb").write_text("{}")
    problems = release_differences(tmp_path)
    assert "notebooks/knn.ipynb: changed" in problems
    assert any(p.startswith("notebooks/old.ipynb: extra") for p in problems)
    build_release(tmp_path)
    assert not (tmp_path / "notebooks" / "old.ipynb").exists()  # generated name with no source
    assert (results / "knn.json").read_text() == "{}"  # a student's results survive a release


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_student_notebook_has_no_solutions(name):
    student = nbformat.read(KIT_ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    source = nbgrader_bridge.read_source_notebook(SOURCE_ROOT / "notebooks" / f"{name}.py")
    text = nbformat.writes(student)
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    solution_cells = {c.id: c for c in source.cells if c.metadata.get("nbgrader", {}).get("solution")}
    assert solution_cells, "every notebook has answer cells"
    released = {c.id: c for c in student.cells}
    for cell_id, cell in solution_cells.items():
        stub = released[cell_id].source
        if cell.cell_type == "markdown":
            assert stub == "YOUR ANSWER HERE"
        else:  # exactly the scaffold, with each solution region replaced by nbgrader's stub
            expected = re.sub(
                r"### BEGIN SOLUTION\n.*?### END SOLUTION",
                "# YOUR CODE HERE\nraise NotImplementedError()",
                cell.source,
                flags=re.S,
            )
            assert stub == expected, cell_id
    for cell in student.cells:
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_graded_cells_carry_ids_points_and_locks(name):
    student = nbformat.read(KIT_ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    grade_ids = []
    for cell in student.cells:
        meta = cell.metadata.get("nbgrader")
        if not meta:
            continue
        grade_ids.append(meta["grade_id"])
        assert meta["grade_id"].startswith(f"{name}-")
        if meta.get("grade"):
            assert meta["points"] > 0 and meta.get("checksum")
        if meta.get("locked"):
            assert cell.metadata.get("editable") is False and cell.metadata.get("deletable") is False
    assert len(grade_ids) == len(set(grade_ids))
    assert any(cell.metadata.get("nbgrader", {}).get("grade") for cell in student.cells)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_setup_cells_hold_the_tested_locate_kit(name):
    student = nbformat.read(KIT_ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    code = nbgrader_bridge.function_source(SOURCE_ROOT / "cs_utils" / "notebook_setup.py", "locate_kit")
    code_cells = [cell for cell in student.cells if cell.cell_type == "code"]
    settings, setup = code_cells[0], code_cells[1]
    assert "KIT_DRIVE_FOLDER" in settings.source and "nbgrader" not in settings.metadata  # students edit it
    assert setup.metadata["nbgrader"]["grade_id"] == f"{name}-setup" and code in setup.source


def test_solution_release_keeps_answers_without_outputs(solution_release):
    for name in NOTEBOOKS:
        notebook = nbformat.read(solution_release / "notebooks" / f"{name}.ipynb", as_version=4)
        assert "BEGIN SOLUTION" in nbformat.writes(notebook)
        assert all(cell.get("outputs", []) == [] for cell in notebook.cells)


@pytest.mark.e2e  # a Jupyter kernel runs each notebook
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebook_runs_and_saves_its_results(name, executed, solution_release):
    notebook = executed[name]
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    results = json.loads((solution_release / "notebooks" / "results" / f"{name}.json").read_text())
    assert set(RESULT_KEYS[name]) <= set(results)
    for key, kind in RESULT_KEYS[name].items():
        assert isinstance(results[key], kind), (key, results[key])
    for key in ("test_accuracy", "val_accuracy"):
        if key in results:
            assert 0.3 <= results[key] <= 1.0  # the synthetic classes are easy to tell apart
    if name == "knn":
        assert results["best_k"] >= 1
    else:
        assert results["learning_rate"] > 0 and results["reg"] >= 0


@pytest.mark.slow
def test_notebooks_on_real_cifar10():
    """Full CIFAR-10 (``CIFAR10_DIR``): accuracy targets (``make notebooks-real`` reports the times)."""
    from autograder.check_notebooks_real import TARGETS, run_all

    if not os.environ.get("CIFAR10_DIR"):
        pytest.skip("set CIFAR10_DIR to a full cifar-10-batches-py folder")
    for report in run_all(Path(os.environ["CIFAR10_DIR"]), NOTEBOOKS):
        metric, target = TARGETS[report.name]
        assert report.results[metric] >= target, report
