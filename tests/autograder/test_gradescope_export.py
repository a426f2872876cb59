"""Gradescope's "Export Submissions" folder as the input of grade-all, and submission times.

The fixture ``exports/gradescope_export/submission_metadata.yml`` is written by hand. Gradescope
documents only the autograder's JSON counterpart of this file
(https://gradescope-autograders.readthedocs.io/en/latest/submission_metadata/: ``created_at``,
``users`` with ``name``/``email``/``id``); the export's YAML layout (``submission_<id>`` keys,
Ruby-symbol fields ``:submitters`` with ``:name``/``:sid``/``:email``, ``:created_at`` written by
Ruby as ``2026-10-14 23:41:07.512338000 -07:00`` or ``... Z``, ``:score``, ``:status``,
``:results``, ``:history``) follows the public tools that read real exports, found with the
kit's code search: a Rust loader built on serde_yaml (``submission_`` prefix, ``:created_at``
ending in ``Z``, ``:history``), and Python scripts that read it with ``yaml.safe_load`` (an
integer-looking ``:sid`` may be unquoted, a group lists every member under ``:submitters``).
"""
from __future__ import annotations

import csv
import datetime
import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import KIT_ROOT, exit_codes
from autograder.grading import gradescope_export, preflight
from autograder.grading.batch import grade_all
from autograder.grading.results import FROM_FILES, FROM_GRADESCOPE, FROM_ZIP, SubmissionResult, Submitter
from autograder.grading.sandbox import Limits
from autograder.grading.submission import NameCollision, discover
from autograder.grading.submission_time import submitted_at

FIXTURE = Path(__file__).with_name("exports") / "gradescope_export"
ADA = "submission_231456789"
GROUP = "submission_231456790"
ALAN = "submission_231456791"
FAST = Limits(call_seconds=3.0, submission_seconds=40.0)
HOSTILE_NAME = '=HYPERLINK("http://evil.example/","<script>alert(1)</script> Lin")'


def make_export(root: Path, starter: Path | None = None) -> Path:
    """The fixture's metadata with its three submission folders (a copy of ``starter`` each, or a
    single answer file) and one folder the metadata does not list."""
    root.mkdir(parents=True)
    shutil.copy(FIXTURE / gradescope_export.METADATA, root)
    for folder in (ADA, GROUP, ALAN, "uploaded_by_hand"):
        if starter is not None:
            shutil.copytree(starter / "cs_utils", root / folder / "cs_utils")
        else:
            (root / folder).mkdir()
            (root / folder / "linear_svm.py").write_text("# work\n")
    return root


def test_the_metadata_gives_each_folder_its_submitters_and_the_time_gradescope_recorded():
    records = gradescope_export.read_metadata(FIXTURE / gradescope_export.METADATA)
    assert set(records) == {ADA, GROUP, ALAN}
    assert records[ADA].submitters == (Submitter("Ada Lovelace", "3034567", "ada.lovelace@uni.example.edu"),)
    assert records[ADA].submitted_at == "2026-10-14T23:41:07.512338-07:00"
    assert records[GROUP].submitted_at == "2026-10-16T07:15:00+00:00"
    assert [p.sid for p in records[GROUP].submitters] == ["3034568", "3034569"]  # an unquoted sid is a number
    assert records[GROUP].submitters[1].name == HOSTILE_NAME  # kept as text; every sink escapes it
    assert records[ALAN].submitters[0].sid == "" and records[ALAN].score is None


def test_an_export_is_discovered_by_sid_with_times_and_groups(tmp_path):
    export = make_export(tmp_path / "export")
    by_student = {s.student: s for s in discover(export)}
    assert set(by_student) == {"3034567", "3034568", "alan.turing@uni.example.edu", "uploaded_by_hand"}
    ada = by_student["3034567"]
    assert ada.path.name == ADA and ada.time_source == FROM_GRADESCOPE
    assert ada.submitted_at == "2026-10-14T23:41:07.512338-07:00"
    assert len(by_student["3034568"].submitters) == 2  # the group: graded once, a row per member
    loose = by_student["uploaded_by_hand"]  # not in the metadata: timed from its own files
    assert loose.time_source == FROM_FILES and loose.submitters == ()


def test_an_export_can_name_students_by_email_and_sits_in_its_own_folder(tmp_path):
    make_export(tmp_path / "unzipped" / "assignment_4242_export")
    names = {s.student for s in discover(tmp_path / "unzipped", name_by="email")}
    assert {"ada.lovelace@uni.example.edu", "grace.hopper@uni.example.edu"} <= names


def test_a_submission_folder_zipped_by_hand_keeps_its_metadata(tmp_path):
    export = make_export(tmp_path / "export")
    shutil.make_archive(str(export / ALAN), "zip", export / ALAN)
    shutil.rmtree(export / ALAN)
    alan = {s.student: s for s in discover(export)}["alan.turing@uni.example.edu"]
    assert alan.path.name == ALAN + ".zip" and alan.time_source == FROM_GRADESCOPE


def test_a_record_naming_nobody_keeps_the_folder_name_and_gradescopes_time(tmp_path):
    export = make_export(tmp_path / "export")
    text = (export / gradescope_export.METADATA).read_text()
    start = text.index(ALAN + ":")
    (export / gradescope_export.METADATA).write_text(
        text[:start] + f"{ALAN}:\n  :submitters: []\n  :created_at: 2026-10-15 08:00:00.000000000 Z\n")
    alan = {s.student: s for s in discover(export)}[ALAN]
    assert alan.submitted_at == "2026-10-15T08:00:00+00:00" and alan.submitters == ()


def test_a_person_in_two_submissions_stops_the_batch(tmp_path):
    export = make_export(tmp_path / "export")
    text = (export / gradescope_export.METADATA).read_text().replace("'3034569'", "'3034567'")
    (export / gradescope_export.METADATA).write_text(text)
    with pytest.raises(NameCollision, match="3034567"):
        discover(export)


@pytest.mark.parametrize("text", ["!!python/object/apply:os.system ['touch pwned']", "[1, 2]", "a: [unclosed"])
def test_metadata_that_is_not_a_plain_mapping_is_refused(tmp_path, text):
    (tmp_path / gradescope_export.METADATA).write_text(text)
    with pytest.raises(gradescope_export.ExportError):
        gradescope_export.read_metadata(tmp_path / gradescope_export.METADATA)
    assert not (tmp_path / "pwned").exists()


def test_without_metadata_a_zip_is_timed_by_its_newest_member(tmp_path):
    archive = tmp_path / "bob.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(zipfile.ZipInfo("cs_utils/a.py", date_time=(2026, 10, 14, 22, 0, 0)), "x")
        bundle.writestr(zipfile.ZipInfo("notebooks/knn.ipynb", date_time=(2026, 10, 14, 23, 58, 4)), "{}")
    assert submitted_at(archive) == ("2026-10-14T23:58:04", FROM_ZIP)  # the zipping computer's clock


def test_a_zip_with_info_zip_timestamps_is_timed_in_utc(tmp_path):
    archive = tmp_path / "carol.zip"
    moment = datetime.datetime(2026, 10, 15, 6, 30, tzinfo=datetime.timezone.utc)
    member = zipfile.ZipInfo("cs_utils/a.py", date_time=(2026, 10, 14, 23, 30, 0))
    member.extra = struct.pack("<HHBi", 0x5455, 5, 1, int(moment.timestamp()))
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(member, "x")
    assert submitted_at(archive) == ("2026-10-15T06:30:00+00:00", FROM_ZIP)


def test_without_metadata_a_folder_is_timed_by_its_newest_file_not_by_now(tmp_path):
    folder = tmp_path / "dave"
    (folder / "cs_utils").mkdir(parents=True)
    (folder / "__pycache__").mkdir()
    for name, when in (("cs_utils/a.py", 1_790_000_000), ("cs_utils/b.py", 1_790_003_600)):
        (folder / name).write_text("x")
        os.utime(folder / name, (when, when))
    (folder / "__pycache__" / "x.pyc").write_text("later, but not the student's work")
    assert submitted_at(folder) == (
        datetime.datetime.fromtimestamp(1_790_003_600, datetime.timezone.utc).isoformat(), FROM_FILES)


@pytest.mark.e2e
def test_grade_all_on_an_export_records_times_and_a_row_per_group_member(releases, tmp_path):
    export = make_export(tmp_path / "export", releases["starter"])
    out = tmp_path / "out"
    summary = grade_all(export, out, workers=2, limits=FAST, progress=False, notebooks=False,
                        accept=preflight.WEAKER)
    assert {r.student for r in summary.results} == {"3034567", "3034568", "alan.turing@uni.example.edu",
                                                    "uploaded_by_hand"}
    stored = SubmissionResult.from_json((out / "3034568" / "grading.json").read_text())
    assert stored.submitted_at == "2026-10-16T07:15:00+00:00" and stored.time_source == FROM_GRADESCOPE
    assert [p.sid for p in stored.submitters] == ["3034568", "3034569"]
    assert json.loads((out / "3034567" / "grading.json").read_text())["submitted_at"].endswith("-07:00")

    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"3034567", "3034568", "3034569", "alan.turing@uni.example.edu", "uploaded_by_hand"}
    grace, partner = rows["3034568"], rows["3034569"]
    assert partner["score"] == grace["score"] and partner["submission"] == "3034568"
    assert partner["submitted_at"] == "2026-10-16T07:15:00+00:00"
    assert partner["name"] == "'" + HOSTILE_NAME  # never a formula in a spreadsheet
    assert rows["3034567"]["name"] == "Ada Lovelace" and rows["3034567"]["email"] == "ada.lovelace@uni.example.edu"
    assert rows["uploaded_by_hand"]["time_source"] == FROM_FILES and rows["uploaded_by_hand"]["submitted_at"]


@pytest.mark.e2e
def test_the_command_names_students_by_email_and_refuses_broken_metadata(releases, tmp_path):
    export = make_export(tmp_path / "export", releases["starter"])
    out = tmp_path / "out"
    accept = "+".join(f"no-{name}" for name in sorted(preflight.WEAKER))

    def grade_all_command() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(export), "--out", str(out),
                               "--no-notebooks", "--quiet", "--workers", "2", "--name-by", "email",
                               "--accept-isolation", accept], cwd=KIT_ROOT, capture_output=True, text=True,
                              timeout=600)

    done = grade_all_command()
    assert done.returncode == exit_codes.OK, done.stderr
    assert {p.name for p in out.iterdir() if p.is_dir()} == {
        "ada.lovelace@uni.example.edu", "grace.hopper@uni.example.edu", "alan.turing@uni.example.edu",
        "uploaded_by_hand"}
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        assert "lin@uni.example.edu" in {row["student"] for row in csv.DictReader(handle)}

    (export / gradescope_export.METADATA).write_text("submission_1: [unclosed\n")
    broken = grade_all_command()
    assert broken.returncode == exit_codes.BAD_INPUT
    assert "Gradescope export" in broken.stderr and "nothing was graded" in broken.stderr
