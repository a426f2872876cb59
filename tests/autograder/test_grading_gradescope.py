"""The Gradescope bundle: the real ``run_autograder`` on a simulated ``/autograder`` in a temp folder."""
from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from gradescope_root import autograder_root, run_autograder
from points import ALL_POINTS, CODE_POINTS, WRITTEN_POINTS

from autograder import KIT_ROOT
from autograder.grading import gradescope
from autograder.grading.demo import zip_folder

pytestmark = pytest.mark.e2e  # the Gradescope bundle built and run


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return gradescope.build_bundle(tmp_path_factory.mktemp("bundle") / "autograder.zip")


def by_kind(document: dict) -> tuple[list[dict], list[dict], list[str]]:
    """The code tests, the notebook tests and the notes of a results.json."""
    notes = [test["output"] for test in document["tests"] if test["name"] == "Note about your submission"]
    notebook = [test for test in document["tests"] if ".ipynb" in test["name"]]
    code = [test for test in document["tests"] if test not in notebook and test["output"] not in notes]
    return code, notebook, notes


def test_the_bundle_has_the_scripts_at_its_root_and_the_grader_inside(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert {"setup.sh", "run_autograder", "requirements-grading.lock", "settings.json"} <= names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert "autograder/grading/manifest.py" in names and "autograder/grading/harness.py" in names
    assert "autograder/source/cs_utils/classifiers/linear_svm.py" in names  # the reference, for the parent
    assert "autograder/synthetic_data.py" in names  # the notebooks run on synthetic CIFAR-10
    assert {name for name in names if name.startswith("notebooks/")} == {
        "notebooks/knn.ipynb",
        "notebooks/svm.ipynb",
        "notebooks/softmax.ipynb",
    }  # the intake's templates
    assert "cs_utils/data_utils.py" in names  # the released starter, under loose uploads
    with zipfile.ZipFile(bundle) as archive:
        assert "raise NotImplementedError" in archive.read("cs_utils/classifiers/linear_svm.py").decode()
    assert not any(name.startswith((".git", "tests/", "assignment/")) or "__pycache__" in name for name in names)
    with zipfile.ZipFile(bundle) as archive:
        assert "-r requirements-grading.lock" in archive.read("setup.sh").decode()
        lock = archive.read("requirements-grading.lock").decode()
        settings = json.loads(archive.read("settings.json"))
    assert lock == (KIT_ROOT / "requirements-grading.lock").read_text()  # what `make` installs
    for package in ("numpy", "jsonschema", "nbformat", "ipython", "matplotlib"):
        assert re.search(rf"^{package}==[0-9.]+", lock, re.MULTILINE), package  # pinned exactly
    assert settings == {"accept_isolation": "", "notebooks": True}


def test_a_bundle_built_with_no_notebooks_grades_the_code_only_and_says_so(releases, tmp_path):
    bundle = gradescope.build_bundle(tmp_path / "code-only.zip", notebooks=False)
    root = autograder_root(bundle, tmp_path)
    for folder in ("cs_utils", "notebooks"):
        shutil.copytree(releases["solution"] / folder, root / "submission" / folder)
    document = run_autograder(root)
    code, notebook, _ = by_kind(document)
    assert document["score"] == CODE_POINTS and not notebook
    assert "the notebooks were not graded in this run (--no-notebooks)" in document["output"]


def test_the_bundle_needs_the_released_notebooks(tmp_path):
    fake_kit = tmp_path / "kit"
    for name in ("__init__.py", "exit_codes.py", "synthetic_data.py"):
        (fake_kit / "autograder").mkdir(parents=True, exist_ok=True)
        (fake_kit / "autograder" / name).write_text("")
    with pytest.raises(FileNotFoundError, match=r"knn\.ipynb is missing.*python -m autograder release"):
        gradescope.build_bundle(tmp_path / "autograder.zip", kit_root=fake_kit)


def test_run_autograder_grades_code_without_notebooks(bundle, releases, tmp_path):
    root = autograder_root(bundle, tmp_path)
    shutil.copytree(releases["solution"] / "cs_utils", root / "submission" / "cs_utils")
    document = run_autograder(root)
    code, notebook, notes = by_kind(document)
    assert document["score"] == CODE_POINTS == sum(test["max_score"] for test in code)
    assert all(test["status"] == "passed" for test in code)
    assert len(notebook) == 9 and all(test["status"] == "failed" and test["score"] == 0 for test in notebook)
    assert sum(test["max_score"] for test in notebook) == ALL_POINTS - CODE_POINTS
    assert any("notebooks/knn.ipynb is missing" in note for note in notes)
    assert document["output"] == (f"{CODE_POINTS:g} / {ALL_POINTS:g} automatic points for the code in cs_utils/ and "
                                  f"the notebooks. Written answers: {WRITTEN_POINTS:g} more points, graded by the "
                                  f"course staff separately ({ALL_POINTS + WRITTEN_POINTS:g} points in all).")


@pytest.mark.slow
def test_run_autograder_grades_the_notebooks_too(bundle, releases, tmp_path):
    root = autograder_root(bundle, tmp_path)
    for folder in ("cs_utils", "notebooks"):
        shutil.copytree(releases["solution"] / folder, root / "submission" / folder)
    document = run_autograder(root)
    code, notebook, _ = by_kind(document)
    assert document["score"] == ALL_POINTS == sum(test["max_score"] for test in document["tests"])
    assert all(test["status"] == "passed" for test in code)
    graded = [test for test in notebook if test["max_score"] > 0]
    assert len(graded) == 6 and all(test["status"] == "passed" for test in graded), graded


@pytest.mark.slow
def test_run_autograder_grades_an_uploaded_zip(bundle, releases, tmp_path):
    root = autograder_root(bundle, tmp_path)
    zip_folder(releases["starter"] / "cs_utils", root / "submission" / "handin.zip")
    document = run_autograder(root)
    assert document["score"] == 0 and len(document["tests"]) >= 40


@pytest.mark.slow
def test_run_autograder_grades_loose_files(bundle, releases, tmp_path):
    root = autograder_root(bundle, tmp_path)
    for path in [
        *(releases["solution"] / "cs_utils" / "classifiers").glob("*.py"),
        *(releases["solution"] / "notebooks").glob("*.ipynb"),
    ]:
        shutil.copyfile(path, root / "submission" / path.name)  # dragged in one by one, no folders
    document = run_autograder(root)
    assert document["score"] == ALL_POINTS, [test for test in document["tests"] if test["status"] == "failed"]
