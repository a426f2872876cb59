import os
import stat
import zipfile

import pytest

from autograder.grading import submission as sub
from autograder.grading.submission import Submission, SubmissionError, content_hash, discover, materialize


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data in members.items():
            if isinstance(data, tuple):  # (target, "symlink")
                info = zipfile.ZipInfo(name)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                bundle.writestr(info, data[0])
            else:
                bundle.writestr(name, data)
    return path


def test_zip_with_a_top_folder_is_unpacked_to_the_student_layout(tmp_path):
    archive = write_zip(tmp_path / "alice.zip", {"alice/cs_utils/__init__.py": "", "alice/cs_utils/x.py": "A = 1\n",
                                                 "alice/other.txt": "ignored"})
    notes = materialize(Submission("alice", archive), tmp_path / "out")
    assert notes == []
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.py")) == [
        "cs_utils/__init__.py", "cs_utils/x.py"]
    assert not (tmp_path / "out" / "other.txt").exists()


def test_path_traversal_and_symlinks_in_a_zip_are_refused(tmp_path):
    archive = write_zip(tmp_path / "evil.zip", {"cs_utils/__init__.py": "", "../../escaped.py": "x",
                                                "/abs/escaped.py": "x", "cs_utils/link.py": ("/etc/passwd", "symlink")})
    notes = materialize(Submission("evil", archive), tmp_path / "out")
    assert len(notes) == 3
    assert not (tmp_path / "escaped.py").exists() and not (tmp_path.parent / "escaped.py").exists()
    assert not (tmp_path / "out" / "cs_utils" / "link.py").exists()


def test_zip_bomb_is_stopped_by_the_size_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(sub, "MAX_TOTAL_BYTES", 1000)
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("cs_utils/big.py", "#" * 100000)
    with pytest.raises(SubmissionError, match="larger than"):
        materialize(Submission("bomb", archive), tmp_path / "out")


def test_symlinks_in_a_folder_are_skipped_and_reported(tmp_path):
    folder = tmp_path / "bob"
    (folder / "cs_utils").mkdir(parents=True)
    (folder / "cs_utils" / "__init__.py").write_text("")
    os.symlink("/etc/passwd", folder / "cs_utils" / "stolen.py")
    notes = materialize(Submission("bob", folder), tmp_path / "out")
    assert any("symbolic links" in note for note in notes)
    assert not (tmp_path / "out" / "cs_utils" / "stolen.py").exists()


def test_no_cs_utils_or_a_broken_zip_is_a_submission_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionError, match="no cs_utils/ folder"):
        materialize(Submission("x", tmp_path / "empty"), tmp_path / "out1")
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(SubmissionError, match="could not be read"):
        materialize(Submission("y", tmp_path / "junk.zip"), tmp_path / "out2")


def test_discover_finds_folders_and_zips_with_unique_safe_names(tmp_path):
    (tmp_path / "alice").mkdir()
    write_zip(tmp_path / "alice.zip", {"cs_utils/__init__.py": ""})
    (tmp_path / "bob smith").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "notes.txt").write_text("")
    assert [s.student for s in discover(tmp_path)] == ["alice", "alice-2", "bob_smith"]


def test_content_hash_follows_content_not_timestamps(tmp_path):
    folder = tmp_path / "s"
    (folder / "cs_utils").mkdir(parents=True)
    (folder / "cs_utils" / "a.py").write_text("1")
    first = content_hash(folder)
    os.utime(folder / "cs_utils" / "a.py", (0, 0))
    assert content_hash(folder) == first
    (folder / "cs_utils" / "a.py").write_text("2")
    assert content_hash(folder) != first


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
def test_a_notebook_beside_cs_utils_is_graded_as_if_it_were_in_notebooks(tmp_path, packed):
    members = {"carol/cs_utils/__init__.py": "", "carol/knn.ipynb": "{\"loose\": 1}",
               "carol/svm.ipynb": "{\"loose\": 2}", "carol/notebooks/svm.ipynb": "{\"in place\": 3}",
               "carol/notes/softmax.ipynb": "{\"elsewhere\": 4}", "carol/scratch.ipynb": "{\"mine\": 5}"}
    if packed:
        source = write_zip(tmp_path / "carol.zip", members)
    else:
        source = tmp_path / "carol"
        for name, text in members.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text)
    out = tmp_path / "out"
    notes = materialize(Submission("carol", source), out)
    assert (out / "notebooks" / "knn.ipynb").read_text() == "{\"loose\": 1}"
    assert (out / "notebooks" / "svm.ipynb").read_text() == "{\"in place\": 3}"  # the one in notebooks/ wins
    assert not (out / "notebooks" / "softmax.ipynb").exists()  # only notebooks right beside cs_utils/ move
    assert not (out / "notebooks" / "scratch.ipynb").exists()  # and only the assignment's
    assert sorted(notes) == [
        "ignored svm.ipynb beside cs_utils/: notebooks/svm.ipynb was graded instead",
        "knn.ipynb was beside cs_utils/ instead of in notebooks/; graded it as notebooks/knn.ipynb",
    ]
