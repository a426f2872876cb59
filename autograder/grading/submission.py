"""Find submissions, hash them, and copy one safely into a scratch folder.

A submission is a folder or a ``.zip`` in the student layout: ``cs_utils/`` and ``notebooks/``,
possibly one folder deeper (``alice/cs_utils/...``). Only those folders are copied, plus an
assignment notebook lying beside ``cs_utils/``, which goes into ``notebooks/``. Zip members with
absolute paths, ``..`` parts or symlink modes are refused, and so are symlinks in folders; sizes
are capped while bytes are read, not from the zip's own claims.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder.grading.notebook_intake import NOTEBOOK_NAMES, RENAMED

#: Top-level folders of the student layout that are copied into the sandbox.
STUDENT_FOLDERS = ("cs_utils", "notebooks")
MAX_TOTAL_BYTES = 20 << 20
MAX_FILES = 2000
IGNORED = {"__pycache__", ".ipynb_checkpoints", ".DS_Store", "__MACOSX"}


class SubmissionError(ValueError):
    """The submission cannot be used as it is; the message is written for the student."""


@dataclass(frozen=True)
class Submission:
    """One student's submission, as found on disk."""

    student: str
    path: Path


def student_name(path: Path) -> str:
    """A safe folder name for a student: letters, digits and ``._@+-`` only."""
    stem = path.name[:-4] if path.name.lower().endswith(".zip") and path.is_file() else path.name
    return re.sub(r"[^A-Za-z0-9._@+-]", "_", stem).strip(".") or "student"


def discover(batch: Path) -> list[Submission]:
    """Every subfolder or zip of ``batch`` is one student (hidden entries skipped), sorted by name."""
    found: dict[str, Submission] = {}
    for entry in sorted(Path(batch).iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip"):
            name = student_name(entry)
            unique, number = name, 2
            while unique in found:
                unique, number = f"{name}-{number}", number + 1
            found[unique] = Submission(unique, entry)
    return list(found.values())


def content_hash(path: Path) -> str:
    """SHA-256 of a zip's bytes, or of a folder's relative paths and file contents (no symlinks)."""
    digest = hashlib.sha256()
    path = Path(path)
    if path.is_file():
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = Path(root, name)
            digest.update(str(full.relative_to(path)).encode() + b"\0")
            if full.is_symlink():
                digest.update(b"symlink\0" + os.readlink(full).encode())
            elif full.is_file():
                digest.update(full.read_bytes())
    return digest.hexdigest()


def materialize(submission: Submission, destination: Path) -> list[str]:
    """Copy the student layout of ``submission`` into ``destination``; return notes for the student.

    Raises
    ------
    SubmissionError
        If there is no ``cs_utils/`` folder, the zip is unreadable, or a size cap is exceeded.
    """
    destination.mkdir(parents=True, exist_ok=True)
    if submission.path.is_file():
        return _extract_zip(submission.path, destination)
    return _copy_folder(submission.path, destination)


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
            notes.append(f"ignored {relative.name} beside cs_utils/: notebooks/{inner.name} was graded instead")
        else:
            placed[relative] = inner
            taken.add(inner)
            notes.append(f"{relative.name} was beside cs_utils/ instead of in notebooks/; "
                         f"graded it as notebooks/{inner.name}")
    return placed, notes


def _is_assignment_notebook(name: str) -> bool:
    """``knn.ipynb``, or a renamed copy such as ``Copy of svm.ipynb`` (see :mod:`.notebook_intake`)."""
    return any(re.match(RENAMED.format(name=notebook), name, re.IGNORECASE) for notebook in NOTEBOOK_NAMES)


def _extract_zip(archive: Path, destination: Path) -> list[str]:
    notes: list[str] = []
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.infolist() if not m.is_dir()]
            safe: list[tuple[zipfile.ZipInfo, PurePosixPath]] = []
            for member in members:
                name = member.filename.replace("\\", "/")
                relative = PurePosixPath(name)
                if name.startswith("/") or ".." in relative.parts or re.match(r"^[A-Za-z]:", name):
                    notes.append(f"skipped {name!r}: paths in a zip must stay inside it")
                    continue
                if stat.S_ISLNK(member.external_attr >> 16):
                    notes.append(f"skipped {name!r}: symbolic links are not accepted")
                    continue
                safe.append((member, relative))
            placed, placement_notes = _placements([relative for _, relative in safe])
            notes += placement_notes
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
                with bundle.open(member) as source, open(target, "xb") as sink:
                    while block := source.read(1 << 16):
                        total += len(block)
                        if total > MAX_TOTAL_BYTES:
                            raise SubmissionError(f"the submission is larger than {MAX_TOTAL_BYTES >> 20} MB unpacked")
                        sink.write(block)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as error:
        raise SubmissionError(f"the zip file could not be read ({error})") from error
    except FileExistsError as error:
        raise SubmissionError("the zip file holds the same path twice") from error
    return notes


def _copy_folder(folder: Path, destination: Path) -> list[str]:
    notes: list[str] = []
    files: list[PurePosixPath] = []
    for root, dirs, names in os.walk(folder):
        for name in dirs + names:
            full = Path(root, name)
            if full.is_symlink():
                notes.append(f"skipped {full.relative_to(folder)}: symbolic links are not accepted")
        dirs[:] = [d for d in dirs if not Path(root, d).is_symlink() and d not in IGNORED]
        files += [
            PurePosixPath(Path(root, n).relative_to(folder).as_posix())
            for n in names
            if Path(root, n).is_file() and not Path(root, n).is_symlink()
        ]
    placed, placement_notes = _placements(files)
    notes += placement_notes
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
    return notes
