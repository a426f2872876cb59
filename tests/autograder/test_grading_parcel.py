"""Submissions travel to Dask workers as bytes (``distributed_batch.pack``/``unpack``): the intake on
the worker must read exactly what it reads from the original, whatever the student sent, and the
kit must work without ``distributed`` installed."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import KIT_ROOT, exit_codes
from autograder.grading import distributed_batch
from autograder.grading.distributed_batch import ClusterError, Parcel, pack, unpack
from autograder.grading.intake_limits import MAX_DEPTH, MAX_FILES, MAX_TOTAL_BYTES, SubmissionError
from autograder.grading.submission import Submission, materialize, student_name

SVM = "def svm_loss_naive(W, X, y, reg):\n    return 0.0, W * 0\n"


def intake(submission: Submission, where: Path):
    """What the grader's intake makes of a submission: every file it copied and its notes, or
    the refusal it gives the student."""
    try:
        notes = materialize(submission, where)
    except SubmissionError as error:
        return f"refused: {error}"
    return {path.relative_to(where).as_posix(): path.read_bytes()
            for path in sorted(where.rglob("*")) if path.is_file()}, notes


def through_a_parcel(submission: Submission, scratch: Path):
    parcel = pickle.loads(pickle.dumps(pack(submission)))  # as Dask sends it
    (scratch / "private").mkdir()
    received = unpack(parcel, submission.student, scratch / "private")
    if isinstance(received, distributed_batch._Refused):
        return f"refused: {received.message}"
    return intake(received, scratch / "copy")


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def zipped(archive: Path, files: dict[str, str]) -> Path:
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    return archive


def layout(root: Path) -> Path:
    return write(root, {"cs_utils/classifiers/linear_svm.py": SVM, "notebooks/knn.ipynb": "{}"})


def nested_with_a_stray_notebook(root: Path) -> Path:
    return write(root, {"alice/cs_utils/classifiers/linear_svm.py": SVM, "alice/svm.ipynb": "{}",
                        "alice/knn.ipynb": "{}", "alice/notebooks/knn.ipynb": "{\"a\": 1}",
                        "alice/datasets/cifar.bin": b"\0" * 1000, "other/cs_utils/x.py": "x = 1\n",
                        "__pycache__/junk.pyc": b"junk"})


def loose_files(root: Path) -> Path:
    return write(root, {"linear_svm.py": SVM, "deep/softmax.py": "# softmax\n", "Copy of svm.ipynb": "{}",
                        "report.pdf": b"%PDF"})


def links(root: Path) -> Path:
    layout(root)
    for index in range(12):  # more than the notes list: the rest are counted
        os.symlink("/etc/passwd", root / "cs_utils" / f"link{index}.py")
    os.symlink("../../etc", root / "notebooks" / "escape")
    return root


def macos_folder_beside_a_zip(root: Path) -> Path:
    write(root, {"__MACOSX/._sub.zip": b"resource fork"})
    zipped(root / "sub.zip", {"cs_utils/classifiers/linear_svm.py": SVM})
    return root


def only_a_zip(root: Path) -> Path:
    zipped(root / "mine.zip", {"a1/cs_utils/classifiers/linear_svm.py": SVM, "a1/notebooks/svm.ipynb": "{}"})
    return root


def fifo_named_like_a_file_beside_a_zip(root: Path) -> Path:
    zipped(root / "sub.zip", {"cs_utils/classifiers/linear_svm.py": SVM})
    os.mkfifo(root / "linear_svm.py")
    return root


def too_deep(root: Path) -> Path:
    return write(root, {"cs_utils/a.py": "", "/".join(["d"] * (MAX_DEPTH + 2)) + "/f.py": ""})


def too_large(root: Path) -> Path:
    layout(root)
    (root / "cs_utils" / "big.npy").write_bytes(b"\1" * (MAX_TOTAL_BYTES // 2 + 1))
    with open(root / "cs_utils" / "huge.npy", "wb") as handle:  # sparse: costs no disk
        handle.truncate(10 * MAX_TOTAL_BYTES)
    return root


def too_many_files(root: Path) -> Path:
    layout(root)
    for index in range(MAX_FILES + 1):
        (root / "cs_utils" / f"m{index:04d}.py").write_text("")
    return root


def nothing_to_grade(root: Path) -> Path:
    return write(root, {"readme.txt": "I did not do it"})


FOLDERS = [layout, nested_with_a_stray_notebook, loose_files, links, macos_folder_beside_a_zip, only_a_zip,
           fifo_named_like_a_file_beside_a_zip, too_deep, too_large, too_many_files, nothing_to_grade]


@pytest.mark.parametrize("make", FOLDERS, ids=[make.__name__ for make in FOLDERS])
def test_a_folder_reaches_the_worker_as_the_intake_reads_it(make, tmp_path):
    original = make(tmp_path / "batch" / "student")
    submission = Submission(student_name(original), original)
    expected = intake(submission, tmp_path / "local")
    assert through_a_parcel(submission, tmp_path) == expected


ZIPS = {
    "layout": {"cs_utils/classifiers/linear_svm.py": SVM, "notebooks/knn.ipynb": "{}"},
    "unsafe": {"../../evil.py": "x", "/abs.py": "x", "cs_utils/ok.py": "ok"},
    "nothing": {"notes.txt": "nothing"},
}


@pytest.mark.parametrize("name", sorted(ZIPS))
def test_a_zip_reaches_the_worker_as_its_bytes(name, tmp_path):
    archive = zipped(tmp_path / "batch" / f"{name}.zip", ZIPS[name])
    submission = Submission(student_name(archive), archive)
    assert pack(submission) == Parcel("zip", data=archive.read_bytes())
    assert through_a_parcel(submission, tmp_path) == intake(submission, tmp_path / "local")


def test_a_damaged_zip_is_refused_on_the_worker_with_the_same_words(tmp_path):
    archive = tmp_path / "batch" / "broken.zip"
    archive.parent.mkdir()
    archive.write_bytes(b"PK\3\4 not really a zip")
    submission = Submission("broken", archive)
    expected = intake(submission, tmp_path / "local")
    assert isinstance(expected, str) and expected.startswith("refused: the zip is damaged")
    assert through_a_parcel(submission, tmp_path) == expected


def test_a_zip_over_the_cluster_cap_travels_as_a_refusal(tmp_path, monkeypatch):
    monkeypatch.setattr(distributed_batch, "MAX_PARCEL_ZIP_BYTES", 1000)
    archive = zipped(tmp_path / "big.zip", {"cs_utils/a.py": "x" * 5000, "pad.bin": os.urandom(2000).hex()})
    assert pack(Submission("big", archive)).kind == "refused"


def test_a_parcel_cannot_write_outside_its_folder(tmp_path):
    for place in ("../escape.py", "/etc/cron.d/x", "a/../../b"):
        entries = (distributed_batch.ParcelEntry("cs_utils/a.py", "file", data=b"x"),
                   distributed_batch.ParcelEntry(place, "file", data=b"x"))
        with pytest.raises(ValueError, match="unsafe place"):
            unpack(Parcel("folder", entries=entries), "eve", tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing was written


@pytest.mark.e2e  # a command line in a subprocess
def test_the_kit_imports_and_grades_locally_without_distributed():
    code = ("import sys\nsys.modules['distributed'] = None\nsys.modules['dask'] = None\n"
            "import autograder.cli, autograder.grading.batch, autograder.grading.distributed_batch\n"
            "from autograder.grading import distributed_batch as d\n"
            "try:\n    d.grade_all('.', '/nonexistent', scheduler='tcp://127.0.0.1:9')\n"
            "except d.ClusterError as error:\n    print(error)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=KIT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "needs the 'distributed' package" in done.stdout and "requirements-instructor.txt" in done.stdout


@pytest.mark.e2e  # a command line in a subprocess
def test_no_scheduler_at_the_address_is_a_clear_error_with_its_own_exit_code(tmp_path):
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ClusterError, match="could not reach the Dask scheduler"):
        distributed_batch.grade_all(tmp_path, tmp_path / "out", scheduler=f"tcp://127.0.0.1:{port}",
                                    connect_seconds=2)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(tmp_path), "--out",
                           str(tmp_path / "out"), "--scheduler", f"tcp://127.0.0.1:{port}", "--quiet"],
                          cwd=KIT_ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert done.returncode == exit_codes.CLUSTER, done.stderr
    assert "could not reach the Dask scheduler" in done.stderr
