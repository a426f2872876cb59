"""The student's files, read once by the parent before any of the student's code runs.

Once a child has run in a folder, everything in that folder belongs to the student's code: a
file can have become a symbolic link, a folder a link to somewhere else, a file a FIFO. A parent
running as root that looks there again (to parse a notebook, to read a source file for the loop
check, to write the next phase's notebook) would follow those links with root's rights. So the
grader never does: it reads what it needs from the copy it has just written and no child has
seen yet, keeps the bytes in memory (a submission is at most 20 MB), and every later phase (each
notebook run, the reproduction) runs in a fresh copy written from memory.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class SubmissionFiles:
    """Relative POSIX path -> bytes of every regular file of a submission copy.

    Examples
    --------
    >>> files = SubmissionFiles({"cs_utils/a.py": b"x = 1\\n"})
    >>> files.text("cs_utils/a.py")
    'x = 1\\n'
    >>> files.text("cs_utils/missing.py") is None
    True
    """

    files: Mapping[str, bytes]

    @classmethod
    def read(cls, folder: Path) -> SubmissionFiles:
        """Read every regular file under ``folder``; symbolic links and special files are skipped.

        Meant for a folder the parent wrote itself and no child has run in.
        """
        files: dict[str, bytes] = {}
        root = Path(folder)
        for current, folders, names in os.walk(root):
            folders[:] = sorted(name for name in folders if not Path(current, name).is_symlink())
            for name in sorted(names):
                path = Path(current, name)
                try:
                    handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
                except OSError:
                    continue
                with os.fdopen(handle, "rb") as reader:
                    if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
                        continue
                    files[path.relative_to(root).as_posix()] = reader.read()
        return cls(files)

    def text(self, relative: str) -> str | None:
        """A file decoded as UTF-8 (undecodable bytes replaced), or None when it is not there."""
        data = self.files.get(relative)
        return None if data is None else data.decode("utf-8", errors="replace")

    def write_into(self, folder: Path, changes: Mapping[str, bytes | None] | None = None) -> None:
        """Write the files into the empty folder ``folder``; ``changes`` adds, replaces (bytes)
        or leaves out (None) individual files."""
        wanted = dict(self.files)
        for relative, data in (changes or {}).items():
            # A change wins over whatever the submission had in its way: a folder of that name
            # (notebooks/svm.ipynb/...), or a file where the change needs a folder.
            wanted = {path: content for path, content in wanted.items()
                      if not path.startswith(relative + "/") and not relative.startswith(path + "/")}
            if data is None:
                wanted.pop(relative, None)
            else:
                wanted[relative] = data
        folder.mkdir(parents=True, exist_ok=True)
        for relative, data in wanted.items():
            parts = PurePosixPath(relative).parts
            if not parts or ".." in parts or PurePosixPath(relative).is_absolute():
                raise ValueError(f"not a relative path inside the submission: {relative!r}")
            target = folder.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as writer:
                writer.write(data)
