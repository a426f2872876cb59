"""``python -m cs_utils.submit``: validation first, then a zip of exactly the graded files.

Releases are built into temporary folders; "running" a notebook is faked by giving every code
cell an execution count and a small output, which is all the packager can see of a real run.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from autograder.grading.submission import MAX_TOTAL_BYTES as GRADER_MAX_BYTES
from autograder.release import build_release

NAMES = ("knn", "softmax", "svm")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    releases = {}
    for kind, solutions in (("solution", True), ("starter", False)):
        root = tmp_path_factory.mktemp(kind)
        build_release(root, solutions=solutions)
        releases[kind] = root
    return releases


def fake_run(notebook: Path, *, output_text: str = "ok\n") -> None:
    data = json.loads(notebook.read_text())
    count = 0
    for cell in data["cells"]:
        if cell["cell_type"] == "code":
            count += 1
            cell["execution_count"] = count
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": [output_text]}]
    notebook.write_text(json.dumps(data, indent=1))


def kit_from(release: Path, destination: Path, *, run: bool = True, results: bool = True) -> Path:
    """A student's kit folder: the release, notebooks run and saved, results written, plus litter."""
    shutil.copytree(release, destination)
    for name in NAMES:
        if run:
            fake_run(destination / "notebooks" / f"{name}.ipynb")
        if results:
            (destination / "notebooks" / "results").mkdir(exist_ok=True)
            (destination / "notebooks" / "results" / f"{name}.json").write_text(json.dumps({"val_accuracy": 0.3}))
    # what must never reach the zip
    (destination / "datasets" / "cifar-10-batches-py").mkdir(parents=True)
    (destination / "datasets" / "cifar-10-batches-py" / "data_batch_1").write_bytes(b"\0" * 1000)
    (destination / "notebooks" / ".ipynb_checkpoints").mkdir()
    (destination / "notebooks" / ".ipynb_checkpoints" / "knn-checkpoint.ipynb").write_text("{}")
    (destination / "cs_utils" / "__pycache__").mkdir(exist_ok=True)
    (destination / "cs_utils" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    return destination


def submit(kit: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cs_utils.submit", *args], cwd=kit, capture_output=True, text=True,
                          timeout=120)


def edit_cells(notebook: Path, change) -> None:
    data = json.loads(notebook.read_text())
    data["cells"] = change(data["cells"])
    notebook.write_text(json.dumps(data, indent=1))


def index_of(notebook: Path, grade_id: str) -> int:
    cells = json.loads(notebook.read_text())["cells"]
    return next(i for i, cell in enumerate(cells) if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def test_a_complete_submission_is_packed_with_a_manifest(built, tmp_path):
    kit = kit_from(built["solution"], tmp_path / "kit")
    result = submit(kit)
    assert result.returncode == 0, result.stderr
    assert "Upload this one file to Gradescope" in result.stdout and str(kit / "submission.zip") in result.stdout
    assert "warning" not in result.stderr.replace("is still empty", "")  # solution notebooks have answers
    with zipfile.ZipFile(kit / "submission.zip") as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("MANIFEST.json"))
        for entry in manifest["files"]:
            assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    expected = {f"notebooks/{n}.ipynb" for n in NAMES} | {f"notebooks/results/{n}.json" for n in NAMES}
    expected |= {
        p.relative_to(kit).as_posix() for p in (kit / "cs_utils").rglob("*.py") if "__pycache__" not in p.parts
    }
    assert names == expected | {"MANIFEST.json"}
    assert {entry["path"] for entry in manifest["files"]} == expected


def test_the_starter_is_packed_with_warnings(built, tmp_path):
    kit = kit_from(built["starter"], tmp_path / "kit")
    result = submit(kit, "--out", str(tmp_path / "out.zip"))
    assert result.returncode == 0, result.stderr
    assert "warning: svm_loss_naive still raises NotImplementedError" in result.stderr
    assert "warning: notebooks/knn.ipynb: the answer cell of knn-q1-question is still empty" in result.stderr
    assert (tmp_path / "out.zip").is_file()


@pytest.mark.parametrize(
    "damage, message",
    [
        ("missing notebook", "notebooks/svm.ipynb is missing"),
        ("not run", "notebooks/knn.ipynb has no outputs: run it from top to bottom"),
        ("missing results", "notebooks/results/softmax.json is missing: run the last cells of notebooks/softmax.ipynb"),
        ("deleted graded cell", "notebooks/svm.ipynb: the cell starting 'learning_rates"),
        ("duplicated graded cell", "appears 2 times"),
        ("graded cell not run", "has not been run"),
        ("package does not import", "cs_utils does not import: NameError: name 'undefined_name' is not defined "
                                    "(cs_utils/classifiers/softmax.py, line 2)"),
    ],
)
def test_an_incomplete_submission_is_refused(built, tmp_path, damage, message):
    kit = kit_from(built["solution"], tmp_path / "kit", run=damage != "not run")
    svm, knn = kit / "notebooks" / "svm.ipynb", kit / "notebooks" / "knn.ipynb"
    if damage == "missing notebook":
        svm.unlink()
    elif damage == "missing results":
        (kit / "notebooks" / "results" / "softmax.json").unlink()
    elif damage == "deleted graded cell":
        edit_cells(svm, lambda cells: [c for i, c in enumerate(cells) if i != index_of(svm, "svm-tuning")])
    elif damage == "duplicated graded cell":
        edit_cells(knn, lambda cells: cells + [cells[index_of(knn, "knn-best-k")]])
    elif damage == "graded cell not run":
        position = index_of(knn, "knn-final")
        edit_cells(
            knn,
            lambda cells: [
                dict(c, execution_count=None, outputs=[]) if i == position else c for i, c in enumerate(cells)
            ],
        )
    elif damage == "package does not import":
        (kit / "cs_utils" / "classifiers" / "softmax.py").write_text("import numpy as np\nundefined_name + 1\n")
    result = submit(kit)
    assert result.returncode == 1
    assert message in result.stderr, result.stderr
    assert "No zip written" in result.stderr
    assert not (kit / "submission.zip").exists()


def test_giant_outputs_and_oversized_submissions_are_refused(built, tmp_path):
    kit = kit_from(built["solution"], tmp_path / "kit")
    fake_run(kit / "notebooks" / "knn.ipynb", output_text="x" * (3 << 20))
    result = submit(kit)
    assert result.returncode == 1 and "has an output of 3.0 MB (at most 2 MB)" in result.stderr

    kit = kit_from(built["solution"], tmp_path / "kit2")
    (kit / "cs_utils" / "blob.py").write_text("# " + "x" * (16 << 20))
    result = submit(kit)
    assert result.returncode == 1 and "more than 15 MB; largest: cs_utils/blob.py" in result.stderr
    assert not (kit / "submission.zip").exists()


def load_reference_submit():
    from importlib.util import module_from_spec, spec_from_file_location

    from autograder import SOURCE_ROOT

    spec = spec_from_file_location("_submit_for_test", SOURCE_ROOT / "cs_utils" / "submit.py")
    module = module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_the_cap_is_below_the_graders_limit():
    assert load_reference_submit().MAX_TOTAL_BYTES < GRADER_MAX_BYTES


def strip_metadata(notebook: Path) -> None:
    """What Colab does to a notebook it saves: cell metadata gone (and no cell ids)."""
    data = json.loads(notebook.read_text())
    for cell in data["cells"]:
        cell["metadata"] = {}
        cell.pop("id", None)
    data["nbformat_minor"] = 4
    notebook.write_text(json.dumps(data, indent=1))


def test_notebooks_without_cell_metadata_are_recognised_by_content(built, tmp_path):
    kit = kit_from(built["solution"], tmp_path / "kit")
    for name in NAMES:
        strip_metadata(kit / "notebooks" / f"{name}.ipynb")
    result = submit(kit)
    assert result.returncode == 0, result.stderr

    knn = kit / "notebooks" / "knn.ipynb"
    cells = json.loads(knn.read_text())["cells"]
    best_k = next(
        i
        for i, cell in enumerate(cells)
        if "best_k = " in "".join(cell["source"]) and 'print("best k:"' in "".join(cell["source"])
    )
    question = next(i for i, cell in enumerate(cells) if "".join(cell["source"]).startswith("### Question 2"))
    edit_cells(
        knn,
        lambda cells: [*cells[: best_k + 1], cells[best_k], *cells[best_k + 1 : question + 1], *cells[question + 2 :]],
    )  # best-k duplicated, answer 2 deleted
    result = submit(kit)
    assert result.returncode == 1
    assert "notebooks/knn.ipynb: the cell starting 'best_k" in result.stderr and "appears 2 times" in result.stderr
    assert "the answer cell of knn-q2-question is missing" in result.stderr


def test_a_student_edit_to_a_graded_cell_still_matches(built, tmp_path):
    """Colab users change the setup cell and write their answer code: the cell is still found."""
    kit = kit_from(built["starter"], tmp_path / "kit")
    knn = kit / "notebooks" / "knn.ipynb"
    strip_metadata(knn)

    def answer(cells):
        for cell in cells:
            text = "".join(cell["source"])
            if text.startswith("best_k = 1"):
                cell["source"] = text.replace("best_k = 1", "best_k = 8").replace(
                    "# YOUR CODE HERE\nraise NotImplementedError()\n", "best_k = max(results, key=results.get)\n"
                )
            if 'KIT_DRIVE_FOLDER = ""' in text:
                cell["source"] = text.replace('KIT_DRIVE_FOLDER = ""', 'KIT_DRIVE_FOLDER = "cs231n/assignment1"')
        return cells

    edit_cells(knn, answer)
    result = submit(kit)
    assert result.returncode == 0, result.stderr
    assert "error:" not in result.stderr and "'best_k = 1' still has" not in result.stderr


def test_the_notebook_helper_on_colab(built, tmp_path):
    """On Colab the kernel's folder is /content, not the kit: the helper finds the kit by itself."""
    kit = kit_from(built["solution"], tmp_path / "kit")
    elsewhere = tmp_path / "content"
    elsewhere.mkdir()
    script = (
        "import sys, types\n"
        "sys.modules['google'] = types.ModuleType('google')\n"
        "sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
        f"sys.path.insert(0, {str(kit)!r})\n"
        "from cs_utils.submit import submit\n"
        "print('returned', submit())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"returned {kit / 'submission.zip'}" in result.stdout
    assert "Files panel" in result.stdout and "Upload this one file to" in result.stdout
    assert not (elsewhere / "submission.zip").exists()


# ---------------------------------------------------------------------------------- what students really do


def set_saved(path: Path, mtime: float) -> None:
    os.utime(path, (mtime, mtime))


def unzip(archive: Path, destination: Path) -> Path:
    with zipfile.ZipFile(archive) as bundle:
        bundle.extractall(destination)
    return destination


def test_a_browser_renamed_notebook_is_packed_under_its_own_name(built, tmp_path):
    """Only `knn (1).ipynb`: packed, unchanged, as notebooks/knn.ipynb; the grader reads the zip
    exactly as it reads the student's folder."""
    from autograder.grading.notebook_intake import take_in

    kit = kit_from(built["solution"], tmp_path / "kit")
    original = kit / "notebooks" / "knn.ipynb"
    renamed = kit / "notebooks" / "knn (1).ipynb"
    original.rename(renamed)
    result = submit(kit)
    assert result.returncode == 0, result.stderr
    assert ("warning: notebooks/knn.ipynb is not there, but notebooks/knn (1).ipynb is: it goes into the zip as "
            "notebooks/knn.ipynb, unchanged") in result.stderr
    assert "(a browser adds ' (1)' to a download when a file of that name exists)" in result.stderr
    assert "Name it knn.ipynb, in notebooks/, and this warning goes away" in result.stderr
    with zipfile.ZipFile(kit / "submission.zip") as archive:
        names = archive.namelist()
        assert archive.read("notebooks/knn.ipynb") == renamed.read_bytes()
    assert "notebooks/knn (1).ipynb" not in names

    from_folder = take_in(kit, "knn")
    from_zip = take_in(unzip(kit / "submission.zip", tmp_path / "unzipped"), "knn")
    assert from_folder.found == "notebooks/knn (1).ipynb" and from_zip.found == "notebooks/knn.ipynb"
    assert from_zip.answers == from_folder.answers and from_zip.notebook == from_folder.notebook


def test_a_renamed_notebook_beside_cs_utils_is_found(built, tmp_path):
    kit = kit_from(built["solution"], tmp_path / "kit")
    (kit / "notebooks" / "svm.ipynb").rename(kit / "Copy of svm.ipynb")
    result = submit(kit)
    assert result.returncode == 0, result.stderr
    assert "but Copy of svm.ipynb (in the kit folder, not in notebooks/) is: it goes into the zip as " \
        "notebooks/svm.ipynb" in result.stderr
    assert "a browser adds" not in result.stderr


def test_a_newer_copy_beside_the_notebook_stops_the_packing(built, tmp_path):
    """`knn.ipynb` and a newer, different `knn (1).ipynb`: which one holds the work is the student's call."""
    kit = kit_from(built["solution"], tmp_path / "kit")
    knn = kit / "notebooks" / "knn.ipynb"
    copy = kit / "notebooks" / "knn (1).ipynb"
    shutil.copyfile(knn, copy)
    edit_cells(copy, lambda cells: [*cells, {"cell_type": "markdown", "metadata": {}, "source": "more work"}])
    set_saved(knn, 1_700_000_000)
    set_saved(copy, 1_700_003_600)
    result = submit(kit)
    assert result.returncode == 1
    assert "error: notebooks/knn (1).ipynb (saved " in result.stderr
    assert "is newer than notebooks/knn.ipynb (saved " in result.stderr
    assert ("If your work is in 'knn (1).ipynb': delete knn.ipynb and rename 'knn (1).ipynb' to knn.ipynb. "
            "If not: delete 'knn (1).ipynb'") in result.stderr
    assert not (kit / "submission.zip").exists()


def test_an_older_copy_is_left_out_and_named(built, tmp_path):
    kit = kit_from(built["solution"], tmp_path / "kit")
    knn = kit / "notebooks" / "knn.ipynb"
    copy = kit / "notebooks" / "knn-Copy1.ipynb"
    shutil.copyfile(knn, copy)
    edit_cells(copy, lambda cells: cells[:3])
    set_saved(copy, 1_700_000_000)
    set_saved(knn, 1_700_003_600)
    identical = kit / "notebooks" / "Copy of knn.ipynb"
    shutil.copyfile(knn, identical)  # saved now, later than knn.ipynb, but the same bytes
    result = submit(kit)
    assert result.returncode == 0, result.stderr
    saved = time.strftime("%Y-%m-%d %H:%M", time.localtime(1_700_003_600))
    assert (f"warning: notebooks/knn.ipynb (saved {saved}) goes into the zip; left out: notebooks/Copy of knn.ipynb, "
            "notebooks/knn-Copy1.ipynb, older or identical copies of it" in result.stderr)
    with zipfile.ZipFile(kit / "submission.zip") as archive:
        notebooks = sorted(name for name in archive.namelist() if name.endswith(".ipynb"))
        assert archive.read("notebooks/knn.ipynb") == knn.read_bytes()
    assert notebooks == [f"notebooks/{name}.ipynb" for name in sorted(NAMES)]

    from autograder.grading.notebook_intake import take_in

    from_folder = take_in(kit, "knn")  # the grader, given the student's folder, reads knn.ipynb too
    from_zip = take_in(unzip(kit / "submission.zip", tmp_path / "unzipped"), "knn")
    assert from_folder.found == from_zip.found == "notebooks/knn.ipynb" and from_zip.answers == from_folder.answers


def test_several_copies_and_no_original_stop_the_packing(built, tmp_path):
    kit = kit_from(built["solution"], tmp_path / "kit")
    softmax = kit / "notebooks" / "softmax.ipynb"
    shutil.copyfile(softmax, kit / "notebooks" / "softmax (2).ipynb")
    softmax.rename(kit / "notebooks" / "softmax (1).ipynb")
    result = submit(kit)
    assert result.returncode == 1
    assert ("error: notebooks/softmax.ipynb is not there, and there are 2 copies of it: notebooks/softmax (1).ipynb "
            "(saved ") in result.stderr
    assert "Rename the one that holds your work to notebooks/softmax.ipynb, delete the others" in result.stderr


def test_the_packer_accepts_the_same_renamed_names_as_the_grader():
    from autograder.grading.notebook_intake import RENAMED

    module = load_reference_submit()
    assert module.RENAMED_COPY == RENAMED
    assert module.NOTEBOOK_NAMES == ("knn", "svm", "softmax")


def test_a_syntax_error_names_the_file_the_line_and_the_code(built, tmp_path):
    kit = kit_from(built["solution"], tmp_path / "kit")
    svm = kit / "cs_utils" / "classifiers" / "linear_svm.py"
    lines = svm.read_text().splitlines()
    body = next(i for i, line in enumerate(lines) if line.strip() == "loss = 0.0")
    lines[body] = lines[body].replace("loss = 0.0", "loss = (0.0")
    svm.write_text("\n".join(lines) + "\n")
    result = submit(kit)
    assert result.returncode == 1
    assert f"error: cs_utils/classifiers/linear_svm.py, line {body + 1}: '(' was never closed" in result.stderr
    assert "\n        loss = (0.0\n" in result.stderr and "save the file and run this again" in result.stderr
    assert "cs_utils does not import" not in result.stderr  # said once, with its line


def test_an_error_saved_in_a_graded_cell_is_a_warning(built, tmp_path):
    kit = kit_from(built["solution"], tmp_path / "kit")
    svm = kit / "notebooks" / "svm.ipynb"
    position = index_of(svm, "svm-tuning")
    error = {"output_type": "error", "ename": "ValueError", "evalue": "X has 3072 columns but W has 3073 rows",
             "traceback": ["Traceback (most recent call last)", "ValueError: X has 3072 columns"]}
    edit_cells(svm, lambda cells: [dict(c, outputs=[error]) if i == position else c for i, c in enumerate(cells)])
    result = submit(kit)
    assert result.returncode == 0, result.stderr
    assert (f"warning: notebooks/svm.ipynb: the cell starting 'learning_rates = [1e-7, 2e-7]' (cell {position + 1}) "
            "was saved showing an error (ValueError: X has 3072 columns but W has 3073 rows)") in result.stderr
    assert (kit / "submission.zip").is_file()


def test_packing_from_inside_notebooks(built, tmp_path):
    """`python -m` finds cs_utils only in the current folder; the script's path works from anywhere."""
    kit = kit_from(built["solution"], tmp_path / "kit")
    inside = kit / "notebooks"
    as_module = subprocess.run([sys.executable, "-m", "cs_utils.submit"], cwd=inside, capture_output=True, text=True,
                               timeout=120)
    assert as_module.returncode != 0 and "No module named 'cs_utils'" in as_module.stderr  # what the handout explains
    result = subprocess.run([sys.executable, "../cs_utils/submit.py"], cwd=inside, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"Wrote {kit / 'submission.zip'}" in result.stdout

    (kit / "submission.zip").unlink()
    result = submit(kit, "--kit", str(inside / "results"))
    assert result.returncode == 0, result.stderr and (kit / "submission.zip").is_file()
    result = submit(kit, "--kit", str(tmp_path))
    assert result.returncode == 1 and "is not inside a kit folder" in result.stderr
    from autograder import KIT_ROOT

    handout = (KIT_ROOT / "assignment" / "README.md").read_text(encoding="utf-8")
    assert "python ../cs_utils/submit.py" in handout and "No module named 'cs_utils'" in handout
    for name in NAMES:  # each notebook says how to hand in, from a notebook and from notebooks/
        text = (built["starter"] / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8")
        assert "from cs_utils.submit import submit; submit()" in text and "python ../cs_utils/submit.py" in text


def test_copies_in_both_places_without_the_original_are_listed(built, tmp_path):
    kit = kit_from(built["solution"], tmp_path / "kit")
    knn = kit / "notebooks" / "knn.ipynb"
    shutil.copyfile(knn, kit / "knn.ipynb")
    knn.rename(kit / "notebooks" / "knn (1).ipynb")
    result = submit(kit)
    assert result.returncode == 1
    assert ("there are 2 copies of it: notebooks/knn (1).ipynb (saved " in result.stderr
            and "knn.ipynb (in the kit folder, not in notebooks/) (saved " in result.stderr)
