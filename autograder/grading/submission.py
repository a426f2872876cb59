"""Find submissions, hash them, and copy one safely into a scratch folder.

This is the one intake of every command (``grade``, ``grade-all``, the Gradescope bundle), so a
submission is read the same way wherever it is graded. A submission is a folder or a ``.zip`` in
the student layout: ``cs_utils/`` and ``notebooks/``, possibly one folder deeper
(``alice/cs_utils/...``). Only those folders are copied, plus an assignment notebook lying beside
``cs_utils/``, which goes into ``notebooks/``. A folder without ``cs_utils/`` that holds exactly
one zip is graded as that zip. Without any ``cs_utils/`` folder, the assignment's files uploaded
loose (``linear_svm.py``, ``softmax.py``, ``knn.ipynb``, ...; found by name, shallowest first) are
laid over the released starter package, so the files a student never edits come from the release;
a note tells the student which files were graded that way. Zip members with
absolute paths, ``..`` parts or symlink modes are refused, and so are symlinks in folders; sizes
are capped while bytes are read, not from the zip's own claims, and so are the number of folders
and their depth. An encrypted, damaged or oddly compressed zip is the student's to fix and says
so. Every file name quoted in a message goes through :func:`~.safe_text.file_label`.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from autograder import KIT_ROOT, SOURCE_ROOT
from autograder.grading import submission_time
from autograder.grading.intake_limits import (
    MAX_FILES,
    MAX_TOTAL_BYTES,
    SubmissionError,
    check_folders,
    walk,
)
from autograder.grading.notebook_intake import NOTEBOOK_NAMES, RENAMED
from autograder.grading.results import FROM_GRADESCOPE, SubmissionResult, Submitter
from autograder.grading.safe_text import file_label

#: Top-level folders of the student layout that are copied into the sandbox.
STUDENT_FOLDERS = ("cs_utils", "notebooks")
#: Notes about skipped members shown to the student; the rest are counted in one more note.
MAX_SKIPPED_NOTES = 10
IGNORED = {"__pycache__", ".ipynb_checkpoints", ".DS_Store", "__MACOSX"}
#: Bumped whenever :func:`content_hash` changes, so old keys never match new ones.
HASH_SCHEME = b"kit-submission-content-v2"
ENCRYPTED = "the zip is encrypted: re-create it without a password"
NOT_A_ZIP = "the zip is damaged or not a zip file: re-create it (python -m cs_utils.submit) and submit again"
UNSUPPORTED = ("the zip uses a compression method the grader cannot read: re-create it with the usual (deflate) "
               "compression, for example with python -m cs_utils.submit")


try:
    from lzma import LZMAError as _LZMAError
except ImportError:  # a Python built without lzma: zipfile refuses LZMA members (NotImplementedError)
    _LZMAError = zlib.error  # type: ignore[misc, assignment]


class NameCollision(ValueError):
    """Two entries of a batch folder would be graded as the same student; the message names both."""


@dataclass(frozen=True)
class Submission:
    """One student's submission, as found on disk, with when and by whom it was submitted."""

    student: str
    path: Path
    submitted_at: str = ""  # ISO 8601; "" when nothing says (see :mod:`.submission_time`)
    time_source: str = ""  # FROM_GRADESCOPE, FROM_ZIP, FROM_FILES (:mod:`.results`) or ""
    submitters: tuple[Submitter, ...] = ()  # from Gradescope's export; empty otherwise


def stamp(result: SubmissionResult, submission: Submission) -> SubmissionResult:
    """``result`` with the submission's time and submitters (what the grader itself never knows)."""
    return replace(result, submitted_at=submission.submitted_at, time_source=submission.time_source,
                   submitters=submission.submitters)


def student_name(path: Path) -> str:
    """A safe folder name for a student: letters, digits and ``._@+-`` only."""
    stem = path.name[:-4] if path.name.lower().endswith(".zip") and path.is_file() else path.name
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", stem).strip(".") or "student"


def discover(batch: Path, name_by: str = "sid") -> list[Submission]:
    """Every subfolder or zip of ``batch`` is one student (hidden entries skipped), sorted by name.

    Each is timed from its own files (:func:`.submission_time.submitted_at`). A Gradescope export
    (``submission_metadata.yml`` in ``batch`` or in its only subfolder) is read as
    :func:`discover_export` says.

    Raises
    ------
    NameCollision
        If two entries get the same student name, ignoring case (``alice`` and ``alice.zip``,
        ``a b`` and ``a_b``, ``Bob`` and ``bob`` on a case-insensitive disk): a numbered name
        would depend on which entries exist, so a later run could give one student's output
        folder (and gradebook entry) to another.
    """
    from autograder.grading import gradescope_export

    root = gradescope_export.export_root(Path(batch))
    if root is not None:
        return discover_export(root, name_by)
    found: dict[str, Submission] = {}  # by the name folded to lower case: one output folder everywhere
    for entry in sorted(Path(batch).iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip"):
            _add(found, Submission(student_name(entry), entry, *submission_time.submitted_at(entry)), batch)
    return list(found.values())


def discover_export(root: Path, name_by: str = "sid") -> list[Submission]:
    """The submissions of a Gradescope export folder (:mod:`.gradescope_export`), sorted by name.

    A folder the metadata describes is named after its first submitter's sid (or e-mail, with
    ``name_by="email"``), carries every submitter (a group has several) and the time Gradescope
    recorded (a record naming nobody keeps the folder's name). A folder the metadata does not list
    is named and timed as in a plain batch.

    Raises
    ------
    NameCollision
        If two folders would be graded as the same student, or one person is a submitter of two.
    ExportError
        If the metadata file cannot be read.
    """
    from autograder.grading import gradescope_export

    records = gradescope_export.read_metadata(root / gradescope_export.METADATA)
    found: dict[str, Submission] = {}
    owner: dict[str, str] = {}  # each submitter's key -> the folder they submitted
    for entry in sorted(Path(root).iterdir()):
        if entry.name.startswith(".") or entry.is_symlink() or entry.name == "__MACOSX":
            continue
        if not (entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip")):
            continue
        record = records.get(entry.name) or records.get(entry.name[:-4] if entry.is_file() else "")  # or a zip of it
        if record is None:
            _add(found, Submission(student_name(entry), entry, *submission_time.submitted_at(entry)), root)
            continue
        keys = [key for key in (gradescope_export.student_key(p, name_by) for p in record.submitters) if key]
        for key in keys:
            if owner.setdefault(key.casefold(), entry.name) != entry.name:
                raise NameCollision(
                    f"'{file_label(key)}' submitted both '{file_label(owner[key.casefold()])}' and "
                    f"'{file_label(entry.name)}' in {root}: keep one of them in the export")
        when, source = (record.submitted_at, FROM_GRADESCOPE) if record.submitted_at else \
            submission_time.submitted_at(entry)
        name = keys[0] if keys else student_name(entry)  # nobody named: the folder's name
        _add(found, Submission(name, entry, when, source, record.submitters), root)
    return sorted(found.values(), key=lambda submission: submission.student)


def _add(found: dict[str, Submission], submission: Submission, batch: Path) -> None:
    """Add ``submission`` under its student name folded to lower case, or raise
    :class:`NameCollision` when that name is taken (one output folder per student, everywhere)."""
    other = found.get(submission.student.casefold())
    if other is not None:
        raise NameCollision(
            f"'{file_label(other.path.name)}' and '{file_label(submission.path.name)}' in {batch} would both be "
            f"graded as student '{submission.student}': rename or remove one of them"
        )
    found[submission.student.casefold()] = submission


def content_hash(path: Path) -> str:
    """A key that changes whenever the submission does: SHA-256 over a tagged, length-framed record.

    A zip is hashed as its bytes (so is a folder that holds just one zip: it is graded as that
    zip); a folder as one record per entry (kind, path, and the link
    target or the SHA-256 of the file), each field preceded by its length, so no two different
    submissions give the same sequence of bytes. Paths are the raw file-system bytes. A folder
    over the intake limits (:func:`~.intake_limits.walk`) is hashed up to where the walk stopped,
    plus a "refused" record: such a submission always ends as "could not grade", which is never
    reused, and the hash stays cheap.

    Raises
    ------
    OSError
        If the submission cannot be read.
    """
    digest = hashlib.sha256()
    path = Path(path)
    if path.is_dir():
        path = _only_zip(path) or path  # graded as that zip (see materialize), so keyed as it too
    if path.is_file():
        _frame(digest, HASH_SCHEME, b"zip")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    _frame(digest, HASH_SCHEME, b"folder")
    try:
        for entry in walk(path):
            full = path.joinpath(*entry.relative.parts)
            name = os.fsencode(entry.relative.as_posix())
            if entry.kind == "symlink":
                _frame(digest, b"symlink", name, os.fsencode(os.readlink(full)))
            elif entry.kind == "file":
                _frame(digest, b"file", name, _file_digest(full))
            else:
                _frame(digest, entry.kind.encode(), name)
    except SubmissionError as error:
        _frame(digest, b"refused", str(error).encode())
    return digest.hexdigest()


def _frame(digest, *fields: bytes) -> None:
    """Add one record: the number of fields, then each field's length (8 bytes) and bytes."""
    digest.update(len(fields).to_bytes(1, "big"))
    for field in fields:
        digest.update(len(field).to_bytes(8, "big") + field)


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as reader:
        for block in iter(lambda: reader.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


#: The released starter package that loose uploads are laid over.
STARTER = KIT_ROOT / "cs_utils"


def materialize(submission: Submission, destination: Path, starter: Path = STARTER) -> list[str]:
    """Copy the student layout of ``submission`` into ``destination``; return notes for the student.

    ``starter`` is the released ``cs_utils/`` that loose files are laid over (see the module
    docstring).

    Raises
    ------
    SubmissionError
        If neither a ``cs_utils/`` folder nor any of the assignment's files is found, the zip is
        unreadable, or a size cap is exceeded.
    """
    destination.mkdir(parents=True, exist_ok=True)
    path = submission.path
    if path.is_dir():
        inner_zip = _only_zip(path)
        notes = _copy_folder(path, destination) if inner_zip is None else _extract_zip(inner_zip, destination)
    else:
        notes = _extract_zip(path, destination)
    if not (destination / "cs_utils").is_dir() or _laid_loose(notes):
        _fill_from_starter(destination, starter)
    return notes


def loose_places(source_root: Path = SOURCE_ROOT) -> dict[str, PurePosixPath]:
    """Basename -> place in the layout for files uploaded without their folders: every module of
    the reference package except ``__init__.py`` (a name found twice keeps its shallowest place)
    and the assignment notebooks."""
    places: dict[str, PurePosixPath] = {}
    modules = sorted((source_root / "cs_utils").rglob("*.py"), key=lambda p: (len(p.parts), p))
    for path in modules:
        relative = PurePosixPath(path.relative_to(source_root).as_posix())
        if "__pycache__" not in relative.parts and path.name != "__init__.py":
            places.setdefault(path.name, relative)
    places.update({f"{name}.ipynb": PurePosixPath("notebooks", f"{name}.ipynb") for name in NOTEBOOK_NAMES})
    return places


LOOSE_NOTE = "no cs_utils/ folder: graded {files} laid over the starter cs_utils/ (every other file is the starter's)"


def _laid_loose(notes: list[str]) -> bool:
    return any(note.startswith("no cs_utils/ folder: graded") for note in notes)


def _only_zip(folder: Path) -> Path | None:
    """The one ``.zip`` at the top of a folder that has no subfolders and no loose assignment
    files of its own, else None."""
    try:
        entries = [entry for entry in os.scandir(folder) if not entry.name.startswith(".")]
    except OSError:
        return None
    if any(entry.is_dir(follow_symlinks=False) for entry in entries):
        return None
    places = loose_places()
    if any(entry.name in places or _is_assignment_notebook(entry.name) for entry in entries):
        return None  # loose files beside the zip: they are the upload
    archives = [e for e in entries if e.name.lower().endswith(".zip") and e.is_file(follow_symlinks=False)]
    return Path(archives[0].path) if len(archives) == 1 else None


def _fill_from_starter(destination: Path, starter: Path) -> None:
    """Copy every file of ``starter`` that the loose upload did not provide."""
    if not starter.is_dir():
        return
    for path in sorted(starter.rglob("*")):
        relative = path.relative_to(starter)
        if not path.is_file() or "__pycache__" in relative.parts or path.suffix == ".pyc":
            continue
        target = destination / "cs_utils" / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def _layout_prefix(paths: list[PurePosixPath]) -> PurePosixPath:
    """The folder holding ``cs_utils/``: the root, or the shallowest folder that has it."""
    candidates = [p.parents[len(p.parts) - p.parts.index("cs_utils") - 1] for p in paths if "cs_utils" in p.parts]
    if not candidates:
        raise SubmissionError("no cs_utils/ folder was found in the submission; submit the kit's folder layout")
    return min(candidates, key=lambda p: len(p.parts))


def _placements(paths: list[PurePosixPath]) -> tuple[dict[PurePosixPath, PurePosixPath], list[str]]:
    """Where each file of the submission goes in the student layout, and notes for the student.

    Files under ``cs_utils/`` and ``notebooks/`` (below the folder holding ``cs_utils/``) keep
    their place. A notebook lying beside ``cs_utils/`` instead of in ``notebooks/`` (a common
    upload mistake) is moved into ``notebooks/``, unless ``notebooks/`` has a file of that name.
    Everything else is left out.
    """
    if not any("cs_utils" in p.parts for p in paths):
        return _loose_placements(paths)
    prefix = _layout_prefix(paths)
    placed: dict[PurePosixPath, PurePosixPath] = {}
    loose: list[tuple[PurePosixPath, PurePosixPath]] = []
    for relative in paths:
        try:
            inner = relative.relative_to(prefix)
        except ValueError:
            continue
        if not inner.parts or IGNORED.intersection(inner.parts):
            continue
        if inner.parts[0] in STUDENT_FOLDERS and len(inner.parts) > 1:
            placed[relative] = inner
        elif len(inner.parts) == 1 and _is_assignment_notebook(inner.name):
            loose.append((relative, PurePosixPath("notebooks", inner.name)))
    notes = []
    taken = set(placed.values())
    for relative, inner in loose:
        if inner in taken:
            notes.append(f"ignored {file_label(relative.name)} beside cs_utils/: notebooks/{file_label(inner.name)} "
                         f"was graded instead")
        else:
            placed[relative] = inner
            taken.add(inner)
            notes.append(f"{file_label(relative.name)} was beside cs_utils/ instead of in notebooks/; "
                         f"graded it as notebooks/{file_label(inner.name)}")
    return placed, notes


def _loose_placements(paths: list[PurePosixPath]) -> tuple[dict[PurePosixPath, PurePosixPath], list[str]]:
    """Placements for an upload without ``cs_utils/``: the assignment's files by name, shallowest
    (then first in name order) first; a renamed notebook goes into ``notebooks/`` as it is named.

    Raises
    ------
    SubmissionError
        If none of the assignment's files is there.
    """
    places = loose_places()
    placed: dict[PurePosixPath, PurePosixPath] = {}
    taken: set[PurePosixPath] = set()
    for relative in sorted(paths, key=lambda p: (len(p.parts), p)):
        if IGNORED.intersection(relative.parts):
            continue
        target = places.get(relative.name)
        if target is None and _is_assignment_notebook(relative.name):
            target = PurePosixPath("notebooks", relative.name)
        if target is not None and target not in taken:
            placed[relative] = target
            taken.add(target)
    if not placed:
        raise SubmissionError(
            "no cs_utils/ folder and none of the assignment's files (k_nearest_neighbor.py, linear_svm.py, "
            "softmax.py, the notebooks, ...) were found in the submission; submit the zip that "
            "python -m cs_utils.submit makes"
        )
    files = ", ".join(sorted(file_label(target.name) for target in placed.values()))
    return placed, [LOOSE_NOTE.format(files=files)]


def _is_assignment_notebook(name: str) -> bool:
    """``knn.ipynb``, or a renamed copy such as ``Copy of svm.ipynb`` (see :mod:`.notebook_intake`)."""
    return any(re.match(RENAMED.format(name=notebook), name, re.IGNORECASE) for notebook in NOTEBOOK_NAMES)


def _extract_zip(archive: Path, destination: Path) -> list[str]:
    try:
        with zipfile.ZipFile(archive) as bundle:
            return _unpack(bundle, destination)
    except zipfile.BadZipFile as error:  # not a zip at all, or its directory is damaged
        raise SubmissionError(NOT_A_ZIP) from error
    except (FileExistsError, NotADirectoryError, IsADirectoryError) as error:  # in our fresh scratch folder
        raise SubmissionError("the zip file holds the same path twice, or a file and a folder of the same "
                              "name") from error


def _unpack(bundle: zipfile.ZipFile, destination: Path) -> list[str]:
    """Check the listing (limits, encryption, unsafe paths), then unpack what the layout places."""
    members = bundle.infolist()
    check_folders(m.filename.replace("\\", "/") for m in members)
    if any(member.flag_bits & 0x1 for member in members):
        raise SubmissionError(ENCRYPTED)
    skipped: list[str] = []
    safe: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
    for member in (m for m in members if not m.is_dir()):
        name = member.filename.replace("\\", "/")
        relative = PurePosixPath(name)
        if name.startswith("/") or ".." in relative.parts or re.match(r"^[A-Za-z]:", name):
            skipped.append(f"skipped '{file_label(name)}': paths in a zip must stay inside it")
        elif stat.S_ISLNK(member.external_attr >> 16):
            skipped.append(f"skipped '{file_label(name)}': symbolic links are not accepted")
        else:
            safe.append((member, relative))
    placed, notes = _placements([relative for _, relative in safe])
    total, count = 0, 0
    for member, relative in safe:
        inner = placed.get(relative)
        if inner is None:
            continue
        count += 1
        if count > MAX_FILES:
            raise SubmissionError(f"the submission has more than {MAX_FILES} files")
        target = destination.joinpath(*inner.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as sink:
            for block in _member_blocks(bundle, member):
                total += len(block)
                if total > MAX_TOTAL_BYTES:
                    raise SubmissionError(f"the submission is larger than {MAX_TOTAL_BYTES >> 20} MB unpacked")
                sink.write(block)
    return _capped(skipped) + notes


def _member_blocks(bundle: zipfile.ZipFile, member: zipfile.ZipInfo) -> Iterator[bytes]:
    """The bytes of one member; a failure to decompress is the zip's (the student's) problem.

    Errors while *writing* (a full disk) are raised by the caller, outside this generator, and
    stay the grader's own.
    """
    damaged = (f"the zip is damaged: {file_label(member.filename)} cannot be unpacked; re-create the zip "
               f"(python -m cs_utils.submit) and submit again")
    try:
        with bundle.open(member) as source:
            while block := source.read(1 << 16):
                yield block
    except NotImplementedError as error:  # an unknown or unavailable compression method
        raise SubmissionError(UNSUPPORTED) from error
    except (zipfile.BadZipFile, zlib.error, EOFError, _LZMAError) as error:  # bad CRC, truncated data
        raise SubmissionError(damaged) from error
    except OSError as error:  # bz2's "Invalid data stream" has no errno; a real I/O error does
        if error.errno is not None:
            raise
        raise SubmissionError(damaged) from error


def _capped(notes: list[str]) -> list[str]:
    if len(notes) <= MAX_SKIPPED_NOTES:
        return notes
    return [*notes[:MAX_SKIPPED_NOTES], f"and {len(notes) - MAX_SKIPPED_NOTES} more files were skipped"]


def _copy_folder(folder: Path, destination: Path) -> list[str]:
    skipped: list[str] = []
    files: list[PurePosixPath] = []
    for entry in walk(folder, prune=IGNORED):
        if entry.kind == "symlink":
            skipped.append(f"skipped '{file_label(entry.relative.as_posix())}': symbolic links are not accepted")
        elif entry.kind == "file":
            files.append(entry.relative)
    placed, notes = _placements(files)
    total, count = 0, 0
    for relative in files:
        inner = placed.get(relative)
        if inner is None:
            continue
        count += 1
        if count > MAX_FILES:
            raise SubmissionError(f"the submission has more than {MAX_FILES} files")
        source = folder.joinpath(*relative.parts)
        total += source.stat().st_size
        if total > MAX_TOTAL_BYTES:
            raise SubmissionError(f"the submission is larger than {MAX_TOTAL_BYTES >> 20} MB")
        target = destination.joinpath(*inner.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as reader, open(target, "xb") as sink:
            sink.write(reader.read(MAX_TOTAL_BYTES + 1))
    return _capped(skipped) + notes
