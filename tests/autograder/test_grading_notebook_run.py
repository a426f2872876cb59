"""Notebook parts of the grader: results files (schema, reproduction) and notebooks run in the sandbox."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from notebook_edits import set_answer
from points import ALL_POINTS, CODE_POINTS

from autograder.grading import manifest, results_check
from autograder.grading.runner import Grader
from autograder.grading.snapshot import SubmissionFiles
from autograder.grading.submission import Submission
from autograder.release import build_release

pytestmark = pytest.mark.e2e  # student notebooks run in the sandbox

GOOD = {"svm": {"learning_rate": 2e-7, "reg": 1e3, "val_accuracy": 0.392, "test_accuracy": 0.389,
                "num_iters": 1500, "init_scale": 1e-4, "seed": 0},
        "knn": {"best_k": 8, "test_accuracy": 0.282}}


def test_well_formed_results_pass_the_schema():
    assert results_check.schema_problems("svm", GOOD["svm"]) == []
    assert results_check.schema_problems("softmax", GOOD["svm"]) == []
    assert results_check.schema_problems("knn", GOOD["knn"]) == []


@pytest.mark.parametrize("name, data, message", [
    ("knn", {"best_k": 0, "test_accuracy": 0.3}, "best_k"),
    ("knn", {"best_k": "8", "test_accuracy": 0.3}, "best_k"),
    ("svm", {**GOOD["svm"], "val_accuracy": 1.5}, "val_accuracy"),
    ("svm", {k: v for k, v in GOOD["svm"].items() if k != "seed"}, "'seed' is a required property"),
    ("softmax", [1, 2], "the file"),
])
def test_odd_results_are_reported(name, data, message):
    problems = results_check.schema_problems(name, data)
    assert problems and message in " ".join(problems)
    assert not results_check.check_submitted(name, data).passed


def test_missing_results_file_is_a_reported_entry():
    assert results_check.read_submitted(SubmissionFiles({}), "knn") is None
    broken = SubmissionFiles({"notebooks/results/knn.json": b"{oops"})
    assert results_check.read_submitted(broken, "knn") is None
    assert results_check.read_submitted(SubmissionFiles({"notebooks/results/knn.json": b"{}"}), "knn") == {}
    assert "missing or not valid JSON" in results_check.check_submitted("knn", None).detail


def test_without_real_data_the_results_are_not_verified(tmp_path):
    assert results_check.real_data_dir({"CIFAR10_DIR": str(tmp_path)}) is None
    sentence = results_check.reproduce(None, tmp_path, "svm", GOOD["svm"], None, [])
    assert sentence.startswith("not verified (no data)")


def test_notebook_tests_are_modest_and_informational_entries_are_free():
    assert 0 < manifest.max_score(manifest.NOTEBOOK_TESTS) <= 10
    assert all(t.points == 0 for t in manifest.NOTEBOOK_TESTS if t.id.endswith("submitted_results"))


# ---------------------------------------------------------------------------------- in the sandbox


@pytest.fixture(scope="module")
def solution_kit(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("solution")
    build_release(root, solutions=True)
    return root


def _submission(root: Path, kit: Path, edit=None) -> Submission:
    folder = root / "student"
    shutil.copytree(kit / "cs_utils", folder / "cs_utils")
    shutil.copytree(kit / "notebooks", folder / "notebooks")
    results = folder / "notebooks" / "results"
    results.mkdir(exist_ok=True)
    (results / "svm.json").write_text(json.dumps(GOOD["svm"]))
    if edit:
        edit(folder)
    return Submission("student", folder)


@pytest.mark.slow
def test_solution_notebooks_run_and_pass(tmp_path, solution_kit):
    with Grader(notebooks=True, hide=(tmp_path,)) as grader:
        result = grader.grade(_submission(tmp_path, solution_kit))
    scored = {t.spec.id: t for t in result.tests}
    for name in ("knn", "svm", "softmax"):
        assert scored[f"notebook.{name}.runs"].outcome.passed, scored[f"notebook.{name}.runs"].outcome.detail
        assert scored[f"notebook.{name}.results"].outcome.passed
    assert "not verified (no data)" in scored["notebook.svm.submitted_results"].outcome.detail
    assert not scored["notebook.knn.submitted_results"].outcome.passed  # not submitted: reported, 0 points anyway
    assert result.score == result.max_score == ALL_POINTS
    assert result.notebook_answers["knn"]["knn-best-k"].startswith("best_k")


@pytest.mark.slow
def test_a_looping_or_dying_notebook_costs_its_own_tests_only(tmp_path, solution_kit):
    def edit(folder):
        set_answer(folder, "svm", "svm-tuning", "while True:\n    pass\n")
        set_answer(folder, "knn", "knn-best-k", "import os\nos._exit(3)\n")

    with Grader(notebooks=True, notebook_seconds=25, hide=(tmp_path,)) as grader:
        result = grader.grade(_submission(tmp_path, solution_kit, edit))
    scored = {t.spec.id: t for t in result.tests}
    assert not scored["notebook.svm.runs"].outcome.passed
    assert not scored["notebook.knn.runs"].outcome.passed and not scored["notebook.knn.results"].outcome.passed
    assert scored["notebook.softmax.runs"].outcome.passed and scored["notebook.softmax.results"].outcome.passed
    assert sum(t.score for t in result.tests if not t.spec.id.startswith("notebook.")) == CODE_POINTS


def test_the_reproduction_program_runs_the_students_code_in_the_sandbox(tmp_path, solution_kit):
    """The retraining program compiles, runs in a confined child that sees the data, and reports
    an accuracy the parent reads from the pipe (here a small synthetic CIFAR-10)."""
    from autograder.grading.sandbox import Isolation, Limits, Sandbox
    from autograder.synthetic_data import write_synthetic_cifar10

    data = write_synthetic_cifar10(tmp_path / "cifar", images_per_batch=60, test_images=100, seed=0)
    frame = tmp_path / "frame"
    frame.mkdir(mode=0o711)
    work = frame / "work"
    shutil.copytree(solution_kit / "cs_utils", work / "cs_utils")
    submitted = {"best_k": 1, "test_accuracy": 0.5}
    (work / "notebooks" / "results").mkdir(parents=True)
    (work / "notebooks" / "results" / "knn.json").write_text(json.dumps(submitted))
    log: list[str] = []
    with Sandbox(Isolation.detect(slot=9), Limits(), visible=(data,)) as sandbox:
        sandbox.prepare_folder(work)
        sentence = results_check.reproduce(sandbox, work, "knn", submitted, data, log)
    assert sentence.startswith(("verified", "NOT reproduced")), (sentence, log)
