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
    done = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads((root / "results" / "results.json").read_text())
    validate_gradescope(document)
    return document


def test_the_bundle_has_the_scripts_at_its_root_and_the_grader_inside(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert {"setup.sh", "run_autograder", "requirements.txt"} <= names
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert "autograder/grading/manifest.py" in names and "autograder/grading/harness.py" in names
    assert "autograder/source/cs_utils/classifiers/linear_svm.py" in names  # the reference, for the parent
    assert not any(name.startswith((".git", "tests/", "notebooks/")) or "__pycache__" in name for name in names)
    with zipfile.ZipFile(bundle) as archive:
        assert "-r requirements.txt" in archive.read("setup.sh").decode()


def test_run_autograder_grades_the_folder_layout(bundle, releases, tmp_path):
    root = autograder_root(bundle, tmp_path)
    shutil.copytree(releases["solution"] / "cs_utils", root / "submission" / "cs_utils")
    document = run_autograder(root)
    assert document["score"] == 100
    assert all(test["status"] == "passed" for test in document["tests"])


@pytest.mark.slow
def test_run_autograder_grades_an_uploaded_zip(bundle, releases, tmp_path):
    root = autograder_root(bundle, tmp_path)
    zip_folder(releases["starter"] / "cs_utils", root / "submission" / "handin.zip")
    document = run_autograder(root)
    assert document["score"] == 0 and len(document["tests"]) >= 40


@pytest.mark.slow
def test_run_autograder_grades_loose_files(bundle, releases, tmp_path):
    root = autograder_root(bundle, tmp_path)
    for path in (releases["solution"] / "cs_utils" / "classifiers").glob("*.py"):
        shutil.copyfile(path, root / "submission" / path.name)  # dragged in one by one, no folders
    document = run_autograder(root)
    assert document["score"] == 100


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
        handle.writestr("notes.txt", "not a module\n")
    staged = gradescope.stage(loose_zip, tmp_path / "s3")
    assert (staged / "cs_utils" / "classifiers" / "softmax.py").read_text() == "x = 1\n"
    assert not list(staged.rglob("notes.txt"))
    empty = tmp_path / "empty"
    empty.mkdir()
    assert gradescope.stage(empty, tmp_path / "s4") == empty  # the grader then says what is missing
