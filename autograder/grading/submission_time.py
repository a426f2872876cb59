"""When a submission was made, read from the submission itself (never the time it is graded).

Used when no platform says when the student submitted (Gradescope's export does:
:mod:`.gradescope_export`). A zip's time is its newest member: the Info-ZIP extended timestamp
(a true UTC time) when the zip carries one, else the member's DOS time, which is the zipping
computer's clock with no time zone and is written without an offset. A folder's time is its
newest file (modification time, UTC); a folder holding just one zip is graded as that zip and
timed as it too. Only names and times are read: no member is unpacked, no file opened.
"""
from __future__ import annotations

import datetime
import struct
import zipfile
from pathlib import Path

from autograder.grading.intake_limits import MAX_FILES, SubmissionError, walk
from autograder.grading.results import FROM_FILES, FROM_ZIP

#: Folders whose files are not the student's work (the intake ignores them too).
IGNORED = frozenset({"__pycache__", ".ipynb_checkpoints", "__MACOSX", ".git"})
#: The Info-ZIP "extended timestamp" extra field (``UT``): flags, then the UTC modification time.
EXTENDED_TIMESTAMP = 0x5455


def submitted_at(path: Path) -> tuple[str, str]:
    """``(time, source)`` of a submission folder or zip: an ISO 8601 time and
    :data:`~.results.FROM_ZIP` or :data:`~.results.FROM_FILES`, or ``("", "")`` when nothing in
    it has a time (an empty folder, an unreadable zip)."""
    path = Path(path)
    try:
        if path.is_dir():
            inner = _only_zip(path)
            return zip_time(inner) if inner is not None else folder_time(path)
        return zip_time(path)
    except (OSError, SubmissionError, zipfile.BadZipFile, ValueError):
        return "", ""


def zip_time(path: Path) -> tuple[str, str]:
    """The newest member's time of a zip (see the module docstring)."""
    newest: datetime.datetime | None = None
    with zipfile.ZipFile(path) as bundle:
        for member in bundle.infolist()[:MAX_FILES]:
            if member.is_dir():
                continue
            when = _member_time(member)
            if newest is None or _comparable(when) > _comparable(newest):
                newest = when
    return (newest.isoformat(), FROM_ZIP) if newest is not None else ("", "")


def folder_time(folder: Path) -> tuple[str, str]:
    """The newest modification time of the files in ``folder`` (UTC)."""
    newest = None
    for entry in walk(folder, prune=IGNORED):
        if entry.kind != "file" or entry.relative.name.startswith("."):
            continue
        stamp = folder.joinpath(*entry.relative.parts).lstat().st_mtime
        newest = stamp if newest is None else max(newest, stamp)
    if newest is None:
        return "", ""
    moment = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).replace(microsecond=0)
    return moment.isoformat(), FROM_FILES


def _member_time(member: zipfile.ZipInfo) -> datetime.datetime:
    utc = _extended_timestamp(member.extra)
    if utc is not None:
        return datetime.datetime.fromtimestamp(utc, datetime.timezone.utc)
    return datetime.datetime(*member.date_time)  # no offset: the zipping computer's clock


def _extended_timestamp(extra: bytes) -> int | None:
    """The modification time in an Info-ZIP extended timestamp field, or None."""
    offset = 0
    while offset + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, offset)
        body = extra[offset + 4:offset + 4 + size]
        if kind == EXTENDED_TIMESTAMP and len(body) >= 5 and body[0] & 1:
            return int(struct.unpack_from("<i", body, 1)[0])
        offset += 4 + size
    return None


def _comparable(moment: datetime.datetime) -> datetime.datetime:
    """Order times with and without an offset together (a naive time is read as UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.timezone.utc)


def _only_zip(folder: Path) -> Path | None:
    from autograder.grading.submission import _only_zip as only_zip

    return only_zip(folder)
