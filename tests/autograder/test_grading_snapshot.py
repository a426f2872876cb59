"""The in-memory copy of a submission the parent reads before any student code runs."""
from __future__ import annotations

import os

from autograder.grading.snapshot import SubmissionFiles


def test_read_keeps_regular_files_and_skips_links_and_fifos(tmp_path):
    (tmp_path / "cs_utils").mkdir()
    (tmp_path / "cs_utils" / "a.py").write_text("x = 1\n")
    (tmp_path / "secret.txt").write_text("not theirs")
    (tmp_path / "cs_utils" / "link.py").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "linked").symlink_to(tmp_path / "cs_utils", target_is_directory=True)
    os.mkfifo(tmp_path / "cs_utils" / "pipe")
    files = SubmissionFiles.read(tmp_path).files
    assert files == {"cs_utils/a.py": b"x = 1\n", "secret.txt": b"not theirs"}


def test_a_change_wins_over_a_folder_or_a_file_in_its_way(tmp_path):
    files = SubmissionFiles({
        "notebooks/svm.ipynb/x": b"a folder named like the notebook",
        "notebooks/svm (1).ipynb": b"{}",
        "notebooks/results": b"a file where a folder is needed",
    })
    files.write_into(tmp_path / "copy", {"notebooks/svm.ipynb": b"rebuilt", "notebooks/results/svm.json": None,
                                         "notebooks/results/knn.json": b"{}"})
    assert (tmp_path / "copy" / "notebooks" / "svm.ipynb").read_bytes() == b"rebuilt"
    assert (tmp_path / "copy" / "notebooks" / "results" / "knn.json").read_bytes() == b"{}"
    assert (tmp_path / "copy" / "notebooks" / "svm (1).ipynb").is_file()


def test_paths_outside_the_copy_are_refused(tmp_path):
    for bad in ("../escape.py", "/etc/passwd", "a/../../b"):
        try:
            SubmissionFiles({bad: b"x"}).write_into(tmp_path / "copy")
        except ValueError:
            continue
        raise AssertionError(f"{bad} was written")
