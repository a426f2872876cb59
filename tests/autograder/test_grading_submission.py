import os
import stat
import subprocess
import zipfile

import pytest

from autograder.grading import intake_limits
from autograder.grading import submission as sub
from autograder.grading.safe_text import MAX_LABEL_CHARS
from autograder.grading.submission import (
    NameCollision,
    Submission,
    SubmissionError,
    content_hash,
    discover,
    materialize,
)


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
    with pytest.raises(SubmissionError, match="the zip is damaged or not a zip file: re-create it"):
        materialize(Submission("y", tmp_path / "junk.zip"), tmp_path / "out2")


def layout(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_loose_files_are_laid_over_the_starter_package(releases, tmp_path):
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "knn.ipynb").write_text("{}")
    (loose / "k_nearest_neighbor.py").write_text("x = 2\n")
    (loose / "notes.txt").write_text("not a module\n")
    starter = releases["starter"] / "cs_utils"
    notes = materialize(Submission("loose", loose), tmp_path / "out", starter=starter)
    out = tmp_path / "out"
    assert notes == ["no cs_utils/ folder: graded k_nearest_neighbor.py, knn.ipynb laid over the starter "
                     "cs_utils/ (every other file is the starter's)"]
    assert (out / "notebooks" / "knn.ipynb").read_text() == "{}"
    assert (out / "cs_utils" / "classifiers" / "k_nearest_neighbor.py").read_text() == "x = 2\n"
    for relative in ("data_utils.py", "notebook_setup.py", "classifiers/linear_svm.py"):  # not uploaded: the release's
        assert (out / "cs_utils" / relative).read_bytes() == (starter / relative).read_bytes()
    assert not list(out.rglob("notes.txt"))


def test_loose_files_in_a_zip_shallowest_first(releases, tmp_path):
    archive = write_zip(tmp_path / "files.zip", {"softmax.py": "x = 1\n", "old/softmax.py": "x = 0\n",
                                                 "Downloads/svm.ipynb": "{}", "notes.txt": "no"})
    materialize(Submission("z", archive), tmp_path / "out", starter=releases["starter"] / "cs_utils")
    out = tmp_path / "out"
    assert (out / "cs_utils" / "classifiers" / "softmax.py").read_text() == "x = 1\n"
    assert (out / "notebooks" / "svm.ipynb").read_text() == "{}"
    assert not list(out.rglob("notes.txt"))


def test_a_folder_holding_one_zip_is_graded_as_that_zip(releases, tmp_path):
    folder = tmp_path / "upload"
    folder.mkdir()
    write_zip(folder / "handin.zip", {"mine/cs_utils/__init__.py": "", "mine/cs_utils/x.py": "A = 1\n"})
    notes = materialize(Submission("u", folder), tmp_path / "out", starter=releases["starter"] / "cs_utils")
    assert layout(tmp_path / "out") == ["cs_utils/__init__.py", "cs_utils/x.py"]  # the layout as submitted
    assert notes == []
    assert content_hash(folder) == content_hash(folder / "handin.zip")  # the same submission, the same key
    (folder / "softmax.py").write_text("y = 1\n")  # loose files beside the zip: they are the upload
    materialize(Submission("u", folder), tmp_path / "out2", starter=releases["starter"] / "cs_utils")
    assert (tmp_path / "out2" / "cs_utils" / "classifiers" / "softmax.py").read_text() == "y = 1\n"


def test_a_loose_upload_is_refused_when_nothing_in_it_belongs_to_the_assignment(tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "essay.py").write_text("print('hi')\n")
    with pytest.raises(SubmissionError, match="none of the assignment's files"):
        materialize(Submission("j", tmp_path / "junk"), tmp_path / "out")


def test_discover_finds_folders_and_zips_with_safe_names(tmp_path):
    (tmp_path / "alice").mkdir()
    write_zip(tmp_path / "carol.zip", {"cs_utils/__init__.py": ""})
    (tmp_path / "bob smith").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "notes.txt").write_text("")
    assert [s.student for s in discover(tmp_path)] == ["alice", "bob_smith", "carol"]


@pytest.mark.parametrize("first, second", [("alice", "alice.zip"), ("a b", "a_b"), ("a<b", "a>b"), ("Bob", "bob"),
                                           ("???", "!!!")])
def test_two_entries_that_would_share_a_student_are_an_error_naming_both(tmp_path, first, second):
    for name in (first, second):
        if name.endswith(".zip"):
            write_zip(tmp_path / name, {"cs_utils/__init__.py": ""})
        else:
            (tmp_path / name).mkdir()
    with pytest.raises(NameCollision, match="would both be graded as student") as caught:
        discover(tmp_path)
    assert f"'{first}'" in str(caught.value) and f"'{second}'" in str(caught.value)


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


def tree(root, files: dict[str, bytes]):
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def test_content_hash_frames_paths_and_contents(tmp_path):
    """Pairs that gave one hash when paths and bytes were simply concatenated."""
    pairs = [
        ({"cs_utils/x": b"hello", "cs_utils/y": b""}, {"cs_utils/x": b"hellocs_utils/y\0"}),  # bytes spell a name
        ({"cs_utils/a": b"", "cs_utils/b": b"c"}, {"cs_utils/a": b"cs_utils/b\0c"}),  # where a file ends
        ({"cs_utils/m.py": b"symlink\0/etc/passwd"}, {"cs_utils/m.py": ("/etc/passwd", "link")}),
    ]
    for number, (one, two) in enumerate(pairs):
        first, second = tmp_path / f"one{number}", tmp_path / f"two{number}"
        tree(first, one)
        for name, data in two.items():
            if isinstance(data, tuple):
                (second / name).parent.mkdir(parents=True, exist_ok=True)
                (second / name).symlink_to(data[0])
            else:
                tree(second, {name: data})
        assert content_hash(first) != content_hash(second), number


def test_content_hash_of_a_zip_differs_from_a_folder_holding_the_same_bytes(tmp_path):
    archive = write_zip(tmp_path / "s.zip", {"cs_utils/__init__.py": ""})
    folder = tmp_path / "folder"
    folder.mkdir()
    assert content_hash(archive) != content_hash(folder)
    assert content_hash(archive) == content_hash(archive)


def test_content_hash_reads_names_that_are_not_utf8(tmp_path):
    folder = tmp_path / "s"
    (folder / "cs_utils").mkdir(parents=True)
    (folder / "cs_utils" / os.fsdecode(b"caf\xe9.py")).write_text("x")
    assert len(content_hash(folder)) == 64


def encrypted_zip(path, members):
    """A zip whose members carry the "encrypted" flag bit (bit 0 of the general purpose flags) in
    their local and central headers, as ``zip -P`` writes them."""
    write_zip(path, members)
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start >= 0:
            data[start + offset] |= 0x1
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    assert all(member.flag_bits & 0x1 for member in zipfile.ZipFile(path).infolist())
    return path


def test_an_encrypted_zip_is_the_students_problem(tmp_path):
    archive = encrypted_zip(tmp_path / "locked.zip", {"cs_utils/__init__.py": "", "cs_utils/x.py": "A = 1\n"})
    with pytest.raises(SubmissionError, match="^the zip is encrypted: re-create it without a password$"):
        materialize(Submission("locked", archive), tmp_path / "out")


@pytest.mark.skipif(subprocess.run(["which", "zip"], capture_output=True).returncode != 0, reason="no zip command")
def test_a_zip_made_with_a_password_by_the_zip_command_is_reported(tmp_path):
    tree(tmp_path / "src", {"cs_utils/__init__.py": b"", "cs_utils/x.py": b"A = 1\n"})
    subprocess.run(["zip", "-q", "-r", "-P", "secret", str(tmp_path / "p.zip"), "cs_utils"], cwd=tmp_path / "src",
                   check=True)
    with pytest.raises(SubmissionError, match="the zip is encrypted"):
        materialize(Submission("p", tmp_path / "p.zip"), tmp_path / "out")


def corrupted(path, members, *, damage):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in members.items():
            bundle.writestr(name, data)
    data = bytearray(path.read_bytes())
    damage(data)
    path.write_bytes(bytes(data))
    return path


def flip_member_data(data: bytearray) -> None:
    start = data.index(b"cs_utils/x.py") + len("cs_utils/x.py")  # the first local header's name, then its data
    for offset in range(start + 5, start + 25):
        data[offset] ^= 0xFF


@pytest.mark.parametrize("damage, message", [
    (flip_member_data, "^the zip is damaged: cs_utils/x.py cannot be unpacked; re-create the zip"),
    (lambda data: data.__delitem__(slice(len(data) // 2, None)), "^the zip is damaged or not a zip file"),
], ids=["corrupted data", "truncated"])
def test_a_damaged_zip_is_the_students_problem(tmp_path, damage, message):
    members = {"cs_utils/x.py": "\n".join(f"VALUE_{i} = {i * i}" for i in range(2000)), "cs_utils/__init__.py": ""}
    archive = corrupted(tmp_path / "broken.zip", members, damage=damage)
    with pytest.raises(SubmissionError, match=message):
        materialize(Submission("broken", archive), tmp_path / "out")


def test_file_names_in_notes_lose_control_characters_and_stay_short(tmp_path):
    hostile = "knn <img src=x onerror=alert(1)>\r\x1b[2J" + "x" * 200 + ".ipynb"
    archive = write_zip(tmp_path / "eve.zip", {"cs_utils/__init__.py": "", hostile: "{}",
                                               "/etc/evil\n# Heading.py": "x"})
    notes = materialize(Submission("eve", archive), tmp_path / "out")
    assert len(notes) == 2
    for note in notes:
        assert note.isprintable() and "\x1b" not in note and len(note) < 2 * MAX_LABEL_CHARS + 100, note
    folder = tmp_path / "frank"
    (folder / "cs_utils").mkdir(parents=True)
    (folder / "cs_utils" / "__init__.py").write_text("")
    os.symlink("/etc/passwd", folder / "cs_utils" / "evil\n<img src=x onerror=alert(1)>.py")
    notes = materialize(Submission("frank", folder), tmp_path / "out2")
    assert len(notes) == 1 and notes[0].isprintable() and "<img" in notes[0]  # printable; render escapes it


def nested_zip(path, *, folders: int, depth: int):
    """``folders`` chains of empty folders ``depth`` deep, plus a file at the bottom of each."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("cs_utils/__init__.py", "")
        for chain in range(folders):
            name = "cs_utils/" + "/".join([f"d{chain}"] + ["d"] * (depth - 1)) + "/"
            bundle.writestr(zipfile.ZipInfo(name), "")
            bundle.writestr(name + "x.py", "")
    return path


@pytest.mark.parametrize("folders, depth, message", [(50, 40, "levels deep"), (1100, 1, "more than 10 folders")])
def test_a_zip_of_nested_or_many_folders_is_refused_before_anything_is_unpacked(tmp_path, monkeypatch, folders,
                                                                               depth, message):
    monkeypatch.setattr(intake_limits, "MAX_FOLDERS", 10)
    monkeypatch.setattr(intake_limits, "TOO_MANY_FOLDERS", "the submission has more than 10 folders")
    archive = nested_zip(tmp_path / "deep.zip", folders=folders, depth=depth)
    out = tmp_path / "out"
    with pytest.raises(SubmissionError, match=message):
        materialize(Submission("deep", archive), out)
    assert sum(1 for _ in out.rglob("*")) == 0  # no folder was created


def test_the_real_folder_limits_hold_for_a_zip_of_thousands_of_empty_folders(tmp_path):
    with zipfile.ZipFile(tmp_path / "many.zip", "w") as bundle:
        bundle.writestr("cs_utils/__init__.py", "")
        for number in range(intake_limits.MAX_FOLDERS + 5):
            bundle.writestr(zipfile.ZipInfo(f"cs_utils/junk/{number}/"), "")
    with pytest.raises(SubmissionError, match=f"more than {intake_limits.MAX_FOLDERS} folders"):
        materialize(Submission("many", tmp_path / "many.zip"), tmp_path / "out")


def test_a_folder_of_nested_folders_is_refused_while_it_is_walked(tmp_path):
    folder = tmp_path / "deep"
    (folder / "cs_utils").mkdir(parents=True)
    (folder / "cs_utils" / "__init__.py").write_text("")
    (folder / "cs_utils" / "/".join(["d"] * (intake_limits.MAX_DEPTH + 1))).mkdir(parents=True)
    with pytest.raises(SubmissionError, match="levels deep"):
        materialize(Submission("deep", folder), tmp_path / "out")
    assert content_hash(folder) == content_hash(folder)  # a key still, never an error (grading says why)
    wide = tmp_path / "wide"
    for number in range(intake_limits.MAX_FOLDERS + 1):
        (wide / "cs_utils" / str(number)).mkdir(parents=True)
    with pytest.raises(SubmissionError, match="folders"):
        materialize(Submission("wide", wide), tmp_path / "out2")
