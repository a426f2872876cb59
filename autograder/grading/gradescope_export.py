"""Read Gradescope's "Export Submissions" folder: who submitted each folder, and when.

The export holds one folder per active submission (``submission_<id>/``, the files the students
uploaded) and ``submission_metadata.yml``, which maps each folder name to its record::

    submission_231456789:
      :submitters:
      - :name: Ada Lovelace
        :sid: '3034567'
        :email: ada@uni.edu
      :created_at: 2026-10-14 23:41:07.512338000 -07:00
      :score: 0.0
      :status: processed
      :results: {...}          # the autograder's results.json, if there was one
      :history: [...]          # earlier submissions, each with its own :created_at

A group submission lists every member under ``:submitters``. The keys start with a colon because
Gradescope writes Ruby symbols. Everything in the file is untrusted text: it is read with
``yaml.safe_load`` only (no Python or Ruby object is ever built from a tag), every field is
checked for its type, and names and e-mail addresses are kept as plain text that each sink
escapes (:mod:`.safe_text`, autoescaped HTML).

A zip of the export usually holds one folder (``assignment_<id>_export/``) with all of this in
it: :func:`export_root` finds it.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.grading.results import Submitter
from autograder.grading.safe_text import file_label, printable

METADATA = "submission_metadata.yml"
#: Largest metadata file read: 400 students with their autograder results and history are a few MB.
MAX_METADATA_BYTES = 64 << 20
#: Longest name, id or e-mail kept from the metadata.
MAX_FIELD_CHARS = 200
#: What names a student's output folder: their student id (``sid``) or their e-mail address.
NAME_BY = ("sid", "email")


class ExportError(ValueError):
    """The metadata file cannot be used; the message says what is wrong with it."""


@dataclass(frozen=True)
class ExportEntry:
    """One submission folder of the export, as the metadata describes it."""

    folder: str  # the folder's name in the export, e.g. "submission_231456789"
    submitters: tuple[Submitter, ...]
    submitted_at: str  # ISO 8601 with the offset Gradescope wrote, or "" when missing or unreadable
    score: float | None = None  # Gradescope's score at export time (informational)


def export_root(batch: Path) -> Path | None:
    """The folder holding ``submission_metadata.yml``: ``batch`` itself, or its only subfolder
    (an unzipped export keeps its ``assignment_<id>_export/`` folder); None if neither."""
    batch = Path(batch)
    if (batch / METADATA).is_file():
        return batch
    entries = [entry for entry in batch.iterdir() if not entry.name.startswith(".") and entry.name != "__MACOSX"]
    if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink() and (entries[0] / METADATA).is_file():
        return entries[0]
    return None


def read_metadata(path: Path) -> dict[str, ExportEntry]:
    """Folder name -> :class:`ExportEntry` for every record of ``submission_metadata.yml``.

    Raises
    ------
    ExportError
        If the file is too large, is not YAML, or its top level is not a mapping of folder names.
        A record with unusable fields is kept with what could be read (a missing time is "").
    """
    import yaml

    path = Path(path)
    if path.stat().st_size > MAX_METADATA_BYTES:
        raise ExportError(f"{path} is larger than {MAX_METADATA_BYTES >> 20} MB")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except yaml.YAMLError as error:
        raise ExportError(f"{path} is not readable YAML: {printable(' '.join(str(error).split()))[:300]}") from error
    if not isinstance(data, dict):
        raise ExportError(f"{path} does not map submission folders to their submitters")
    entries = {}
    for folder, record in data.items():
        if not isinstance(folder, str) or not _plain_name(folder):
            raise ExportError(f"{path} names a submission folder that cannot be one: {file_label(folder)!r}")
        record = record if isinstance(record, dict) else {}
        score = record.get(":score")
        entries[folder] = ExportEntry(
            folder,
            _submitters(record.get(":submitters")),
            iso_time(record.get(":created_at")),
            float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
        )
    return entries


def student_key(submitter: Submitter, name_by: str = "sid") -> str:
    """The name of a submitter's output folder: their sid or e-mail (the other one, then their
    name, when it is missing), reduced to letters, digits and ``._@+-``."""
    if name_by not in NAME_BY:
        raise ValueError(f"name_by must be one of {NAME_BY}; got {name_by!r}")
    order = (submitter.sid, submitter.email) if name_by == "sid" else (submitter.email, submitter.sid)
    for value in (*order, submitter.name):
        key = re.sub(r"[^A-Za-z0-9._@+-]", "_", value).strip(".")
        if key.strip("_"):
            return key
    return ""


def iso_time(value: object) -> str:
    """A time from the metadata as ISO 8601 (``2026-10-14T23:41:07.512338-07:00``), or "".

    ``yaml.safe_load`` already reads Gradescope's times (``2026-10-14 23:41:07.512338000 -07:00``)
    as datetimes; a time kept as text is parsed here.
    """
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, str):
        text = re.sub(r"\s*Z$", "+00:00", value.strip())
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # Ruby writes nanoseconds; Python reads microseconds
        text = re.sub(r"\s+([+-]\d\d:?\d\d)$", r"\1", text)
        try:
            return datetime.datetime.fromisoformat(text).isoformat()
        except ValueError:
            return ""
    return ""


def _submitters(value: object) -> tuple[Submitter, ...]:
    if not isinstance(value, list):
        return ()
    people = []
    for person in value:
        if isinstance(person, dict):
            people.append(Submitter(_field(person.get(":name")), _field(person.get(":sid")),
                                    _field(person.get(":email"))))
    return tuple(people)


def _field(value: object) -> str:
    """A name, id or e-mail as plain printable text (an id may be a YAML number); "" if missing."""
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return printable(" ".join(str(value).split()))[:MAX_FIELD_CHARS]


def _plain_name(name: str) -> bool:
    """A single folder name: no separator, no parent, nothing hidden."""
    return bool(name) and "/" not in name and "\\" not in name and "\0" not in name and not name.startswith(".")
