"""The Gradescope bundle: the real ``run_autograder`` on a simulated ``/autograder`` in a temp folder."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.grading import gradescope
from autograder.grading.demo import zip_folder
from autograder.grading.render import validate_gradescope

pytestmark = pytest.mark.e2e  # the Gradescope bundle built and run


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return gradescope.build_bundle(tmp_path_factory.mktemp("bundle") / "autograder.zip")


def autograder_root(bundle: Path, where: Path) -> Path:
    """A fresh /autograder layout: source/ (the unzipped bundle), submission/, results/."""
    root = where / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        for member in archive.infolist():
            archive.extract(member, root / "source")
            mode = member.external_attr >> 16
            if mode:
                os.chmod(root / "source" / member.filename, stat.S_IMODE(mode))
    return root


def run_autograder(root: Path) -> dict:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "AUTOGRADER_ROOT": str(root),
           "AUTOGRADER_PYTHON": sys.executable}
    done = subprocess.run(
        [str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads((root / "results" / "results.json").read_text())
    validate_gradescope(document)
    return document


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
    assert {"setup.sh", "run_autograder", "requirements.txt"} <= names
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
        assert "-r requirements.txt" in archive.read("setup.sh").decode()
        requirements = archive.read("requirements.txt").decode()
    for package in ("numpy", "jsonschema", "nbclient", "nbformat", "jupyter_client", "ipykernel", "matplotlib"):
        assert f"{package}>=" in requirements


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
    assert document["score"] == 100 == sum(test["max_score"] for test in code)
    assert all(test["status"] == "passed" for test in code)
    assert len(notebook) == 9 and all(test["status"] == "failed" and test["score"] == 0 for test in notebook)
    assert sum(test["max_score"] for test in notebook) == 6
    assert any("notebooks/knn.ipynb is missing" in note for note in notes)
    assert document["output"] == "100 / 106 points for the code in cs_utils/ and the notebooks."


@pytest.mark.slow
def test_run_autograder_grades_the_notebooks_too(bundle, releases, tmp_path):
    root = autograder_root(bundle, tmp_path)
    for folder in ("cs_utils", "notebooks"):
        shutil.copytree(releases["solution"] / folder, root / "submission" / folder)
    document = run_autograder(root)
    code, notebook, _ = by_kind(document)
    assert document["score"] == 106 == sum(test["max_score"] for test in document["tests"])
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
    assert document["score"] == 106, [test for test in document["tests"] if test["status"] == "failed"]


def test_stage_finds_the_layout_a_zip_or_loose_files(releases, tmp_path):
    nested = tmp_path / "nested"
    shutil.copytree(releases["starter"] / "cs_utils", nested / "alice" / "cs_utils")
    assert gradescope.stage(nested, tmp_path / "s1") == nested
    zipped = tmp_path / "zipped"
    zipped.mkdir()
    archive = zip_folder(releases["starter"] / "cs_utils", zipped / "mine.zip")
    assert gradescope.stage(zipped, tmp_path / "s2") == archive
    loose_zip = tmp_path / "loose_zip"
    loose_zip.mkdir()
    with zipfile.ZipFile(loose_zip / "files.zip", "w") as handle:
        handle.writestr("softmax.py", "x = 1\n")
        handle.writestr("Downloads/svm.ipynb", "{}")
        handle.writestr("notes.txt", "not a module\n")
    staged = gradescope.stage(loose_zip, tmp_path / "s3")
    assert (staged / "cs_utils" / "classifiers" / "softmax.py").read_text() == "x = 1\n"
    assert (staged / "notebooks" / "svm.ipynb").read_text() == "{}"
    assert not list(staged.rglob("notes.txt"))
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "knn.ipynb").write_text("{}")
    (loose / "k_nearest_neighbor.py").write_text("x = 2\n")
    staged = gradescope.stage(loose, tmp_path / "s5", starter=releases["starter"] / "cs_utils")
    assert (staged / "notebooks" / "knn.ipynb").is_file()
    assert (staged / "cs_utils" / "classifiers" / "k_nearest_neighbor.py").read_text() == "x = 2\n"
    starter = releases["starter"] / "cs_utils"
    for relative in ("data_utils.py", "notebook_setup.py", "classifiers/linear_svm.py"):  # not uploaded: the release's
        assert (staged / "cs_utils" / relative).read_bytes() == (starter / relative).read_bytes()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert gradescope.stage(empty, tmp_path / "s4") == empty  # the grader then says what is missing
