"""What a submission may hold, enforced while it is read: bytes, files, folders and their depth.

The caps are counted as the listing of a zip or a folder is read, before anything is unpacked or
copied, so a small archive of nested folders cannot cost the grader inodes or minutes. Breaking
one is the student's problem: a :class:`SubmissionError` whose message says what to do.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_TOTAL_BYTES = 20 << 20
MAX_FILES = 2000
#: Folders in a whole submission (zip or folder, copied or not) and how deeply they may nest; the
#: kit's layout has about ten, three deep.
MAX_FOLDERS = 2000
MAX_DEPTH = 32
TOO_MANY_FOLDERS = (f"the submission has more than {MAX_FOLDERS} folders: submit only cs_utils/ and notebooks/ "
                    "(python -m cs_utils.submit makes that zip)")
TOO_DEEP = (f"the submission has folders more than {MAX_DEPTH} levels deep: submit only cs_utils/ and notebooks/ "
            "(python -m cs_utils.submit makes that zip)")


class SubmissionError(ValueError):
    """The submission cannot be used as it is; the message is written for the student."""


@dataclass(frozen=True)
class Entry:
    """One entry of a submission folder, found by :func:`walk`."""

    relative: PurePosixPath
    kind: str  # "folder", "file", "symlink" or "other" (a FIFO, a socket, a device)


def walk(folder: Path, prune: frozenset[str] | set[str] = frozenset()) -> Iterator[Entry]:
    """Every entry under ``folder``, depth first in name order, never following a symbolic link.

    Folders named in ``prune`` are neither listed nor entered.

    Raises
    ------
    SubmissionError
        As soon as more than :data:`MAX_FOLDERS` folders were seen, or one is deeper than
        :data:`MAX_DEPTH`.
    """
    folders = 0
    pending = [PurePosixPath()]
    while pending:
        current = pending.pop()
        with os.scandir(Path(folder).joinpath(*current.parts)) as listing:
            entries = sorted(listing, key=lambda item: item.name)
        below = []
        for item in entries:
            relative = current / item.name
            if item.is_symlink():
                yield Entry(relative, "symlink")
            elif item.is_dir(follow_symlinks=False):
                if item.name in prune:
                    continue
                folders += 1
                if folders > MAX_FOLDERS:
                    raise SubmissionError(TOO_MANY_FOLDERS)
                if len(relative.parts) > MAX_DEPTH:
                    raise SubmissionError(TOO_DEEP)
                yield Entry(relative, "folder")
                below.append(relative)
            else:
                yield Entry(relative, "file" if item.is_file(follow_symlinks=False) else "other")
        pending += reversed(below)


def check_folders(names: Iterable[str]) -> None:
    """Raise :class:`SubmissionError` when the member names of a zip imply too many or too deep folders.

    A name ending in ``/`` is a folder and counts itself; a file counts the folders above it.
    """
    folders: set[tuple[str, ...]] = set()
    for name in names:
        parts = PurePosixPath(name).parts
        if not name.endswith("/"):
            parts = parts[:-1]
        if len(parts) > MAX_DEPTH:
            raise SubmissionError(TOO_DEEP)
        for depth in range(len(parts), 0, -1):  # the deepest first: its parents are known when it is
            if parts[:depth] in folders:
                break
            folders.add(parts[:depth])
        if len(folders) > MAX_FOLDERS:
            raise SubmissionError(TOO_MANY_FOLDERS)
