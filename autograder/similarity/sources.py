"""What each student wrote, as text: the graded modules without the released starter code.

A submission is read through the grader's own intake (:func:`~autograder.grading.submission.materialize`:
zips, folders and loose files, with its caps on sizes, file counts and folder depth, symlinks and
unsafe zip paths refused) into a scratch folder, and nothing in it is ever imported or run. Of
each graded module (``cs_utils/classifiers/*.py`` holding a solution region in the reference
source) only the lines the student added or changed are kept: the module is compared line by
line with the released starter module (:mod:`difflib`, statement by statement, each reduced to its tokens with names
made alike and comments dropped: :func:`statements`), and every line that matches the starter
is left out. Two students who wrote nothing therefore have empty documents, and the
docstrings, hints and argument checks every student received never count as similarity.

A known public solution is one entry of the instructor's folder: a folder or zip (read like a
submission, its modules found by file name at any depth, so a CS231n-style ``cs231n/classifiers/``
works), or a single ``.py`` file (compared with the starter module of the same name, or whole).
"""
from __future__ import annotations

import ast
import bisect
import difflib
import functools
import os
import re
import stat
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from autograder import SOURCE_ROOT
from autograder.grading.intake_limits import SubmissionError
from autograder.grading.safe_text import file_label, printable
from autograder.grading.submission import STARTER, Submission, discover, materialize
from autograder.release import find_solution_regions

#: Whose code a document holds.
STUDENT, KNOWN = "student", "known"
#: A graded module larger than this is not compared: the reference modules are under 10 kB, and
#: tokenizing costs about 40 microseconds a token, so the cap bounds a hostile module to seconds.
MAX_MODULE_BYTES = 64 << 10
#: Lines of one graded module that are compared; the rest is left out (and a note says so).
MAX_MODULE_LINES = 2000


@dataclass(frozen=True)
class Document:
    """The code one student (or one known solution) wrote, ready to fingerprint.

    Attributes
    ----------
    name : str
        The student's name as ``grade-all`` keys it, or the known solution's file name.
    kind : str
        :data:`STUDENT` or :data:`KNOWN`.
    runs : tuple of str
        The added lines of every graded module, one run of consecutive lines each, under a
        comment naming its module and line numbers (comments never count in the comparison).
    notes : tuple of str
        What could not be read, for the report.
    """

    name: str
    kind: str
    runs: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The runs one after the other, a blank line between two: what is shown and fingerprinted."""
        return "\n".join(self.runs)


def graded_modules(source_root: Path = SOURCE_ROOT) -> tuple[str, ...]:
    """The modules holding solution regions, as paths relative to the package root's parent.

    >>> "cs_utils/classifiers/linear_svm.py" in graded_modules()
    True
    """
    found = []
    for path in sorted((source_root / "cs_utils").rglob("*.py")):
        relative = path.relative_to(source_root).as_posix()
        if find_solution_regions(path.read_text(encoding="utf-8"), relative):
            found.append(relative)
    return tuple(found)


def own_code(text: str, starter: str, label: str) -> str:
    """:func:`own_runs` joined by blank lines.

    >>> student = "def f(x):\\n    y = 2 * x  # twice\\n    return y\\n"
    >>> print(own_code(student, "def f(a):\\n    return a\\n", "m.py"), end="")
    # m.py, line 2
    y = 2 * x  # twice
    """
    return "\n".join(own_runs(text, starter, label))


def own_runs(text: str, starter: str, label: str) -> list[str]:
    """The lines of ``text`` that are not the starter's, in runs headed by ``# label, lines a-b``.

    The two modules are compared statement by statement (:func:`statements`): each statement
    reduced to its tokens with every name replaced by one letter, without comments, blanks,
    parentheses or trailing commas. So a starter statement that was re-indented, renamed,
    commented, or reformatted by a tool such as black (long lines split, parentheses and trailing
    commas added) stays the starter's, and a line that only holds a comment is nobody's code.
    Docstrings are left out on both sides: an edited docstring is prose, and a fragment of one
    would read as code to the tokenizer.
    """
    lines = _without_docstrings(text)
    found = statements("\n".join(lines))
    matcher = difflib.SequenceMatcher(None, _starter_shapes(starter), [shape for _, _, shape in found],
                                      autojunk=False)
    runs = []
    for tag, _, _, first, last in matcher.get_opcodes():
        if tag not in ("insert", "replace"):
            continue
        top, bottom = found[first][0], found[last - 1][1] + 1
        where = f"line {top + 1}" if bottom == top + 1 else f"lines {top + 1}-{bottom}"
        block = textwrap.dedent("\n".join(lines[top:bottom]))
        runs.append(f"# {label}, {where}\n{block}\n")
    return runs


@functools.lru_cache(maxsize=32)
def _starter_shapes(starter: str) -> tuple[str, ...]:
    """The statement shapes of a starter module, computed once per module (each student needs them)."""
    return tuple(shape for _, _, shape in statements("\n".join(_without_docstrings(starter))))


def statements(text: str) -> list[tuple[int, int, str]]:
    """Each statement of ``text`` as ``(first line, last line, shape)``, lines counted from 0.

    A statement is a logical line: it goes on while a bracket is open. Its shape is its tokens
    (Pygments' Python lexer) with every name ``V`` and every string ``S``, without comments,
    blanks, parentheses or a comma before a closing bracket. Lines holding only comments or
    blanks belong to no statement.

    >>> statements("total = add(\\n    x, 'a',\\n)  # sum\\n\\n# note\\nreturn (total)")
    [(0, 2, 'V=VV,S'), (5, 5, 'returnV')]
    """
    shapes, depths = _line_tokens(text)
    found: list[tuple[int, int, str]] = []
    first, parts = None, []
    for number, (shape, depth) in enumerate(zip(shapes, depths, strict=True)):
        if first is None and not shape:
            continue
        if first is None:
            first = number
        parts.append(shape)
        if depth <= 0:
            joined = re.sub(r",(?=[)\]}])", "", "".join(parts))
            found.append((first, number, joined.replace("(", "").replace(")", "")))
            first, parts = None, []
    if first is not None:
        joined = re.sub(r",(?=[)\]}])", "", "".join(parts))
        found.append((first, len(shapes) - 1, joined.replace("(", "").replace(")", "")))
    return found


def _line_tokens(text: str) -> tuple[list[str], list[int]]:
    """Each line's tokens (names ``V``, strings ``S``, no comment or blank; a token spanning lines
    belongs to its first line) and how many brackets are open at its end."""
    from pygments import token
    from pygments.lexers import PythonLexer

    starts = [0, *(index + 1 for index, character in enumerate(text) if character == "\n")]
    shapes = [""] * len(starts)
    opened = [0] * len(starts)
    for index, kind, value in PythonLexer().get_tokens_unprocessed(text):
        if kind in token.Comment or kind in token.Text or not value.strip():
            continue
        line = bisect.bisect_right(starts, index) - 1
        if kind in token.Name:
            value = "V"
        elif kind in token.String:
            value = "S" if not shapes[line].endswith("S") else ""
        elif kind in token.Punctuation or kind in token.Operator:
            opened[line] += sum(value.count(c) for c in "([{") - sum(value.count(c) for c in ")]}")
        shapes[line] += value
    depths, depth = [], 0
    for change in opened:
        depth = max(0, depth + change)
        depths.append(depth)
    return shapes, depths


def _without_docstrings(text: str) -> list[str]:
    """The lines of ``text``, each line of a docstring made empty (numbering kept).

    The text is parsed by :func:`ast.parse`, which reads it and runs nothing; when it cannot be
    parsed (a syntax error, nesting too deep for the parser), the lines are returned unchanged.
    """
    lines = text.splitlines()
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # MemoryError: the parser's stack
        return lines
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(node, DOCUMENTED) or not body:
            continue
        first = body[0]
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)) or first.end_lineno is None:
            continue
        start, end = first.lineno - 1, first.end_lineno - 1
        if lines[start][: first.col_offset].strip() or lines[end][first.end_col_offset or 0:].strip():
            continue  # code shares a line with the docstring: keep the lines
        lines[start : end + 1] = [""] * (end + 1 - start)
    return lines


#: The nodes whose first statement may be a docstring.
DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def read_module(path: Path) -> tuple[str | None, str | None]:
    """The text of one file (at most :data:`MAX_MODULE_BYTES`, :data:`MAX_MODULE_LINES` lines) and a note.

    Never follows a symbolic link, never blocks on a FIFO; undecodable bytes become U+FFFD and
    control characters (other than tab and newline) too, so the text is safe to show. Returns
    ``(None, None)`` when the file is absent and ``(None, note)`` when it is not used.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, None
    except OSError:
        return None, f"{file_label(path.name)} could not be read"
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None, f"{file_label(path.name)} is not a regular file"
        data = handle.read(MAX_MODULE_BYTES + 1)
    if len(data) > MAX_MODULE_BYTES:
        return None, f"{file_label(path.name)} is larger than {MAX_MODULE_BYTES >> 10} kB: not compared"
    lines = data.decode("utf-8", errors="replace").splitlines()
    note = None
    if len(lines) > MAX_MODULE_LINES:
        lines = lines[:MAX_MODULE_LINES]
        note = f"{file_label(path.name)} has more than {MAX_MODULE_LINES} lines: only the first were compared"
    return printable("\n".join(lines), keep="\n\t") + "\n", note


def layout_document(name: str, kind: str, root: Path, starter: Path, modules: tuple[str, ...]) -> Document:
    """The document of a materialized submission: its own lines of every graded module under ``root``."""
    runs: list[str] = []
    notes = []
    for module in modules:
        text, note = read_module(root.joinpath(*module.split("/")))
        if note:
            notes.append(note)
        if text is None:
            continue
        starter_text, _ = read_module(starter.parent.joinpath(*module.split("/")))
        runs += own_runs(text, starter_text or "", module.rsplit("/", 1)[-1])
    return Document(name, kind, tuple(runs), tuple(notes))


def read_submission(submission: Submission, starter: Path = STARTER,
                    modules: tuple[str, ...] | None = None, kind: str = STUDENT) -> Document:
    """One submission's document, read through the grader's intake into a scratch folder.

    Never raises for a submission: what stops the reading (the intake's refusal, an unreadable
    file, a failure of this check itself) becomes the document's note, shown on the report, and
    its text stays empty, so the rest of the class is still compared.
    """
    modules = graded_modules() if modules is None else modules
    with tempfile.TemporaryDirectory(prefix="kit-similarity-") as scratch:
        root = Path(scratch) / "submission"
        try:
            materialize(submission, root, starter=starter)
            return layout_document(submission.student, kind, root, starter, modules)
        except SubmissionError as error:
            note = f"not compared: {error}"
        except OSError as error:
            note = f"not compared: it could not be read ({error.strerror or type(error).__name__})"
        except Exception as error:  # our failure, not the student's: say so, and go on with the class
            note = f"not compared: the similarity check failed on it ({type(error).__name__}: {error})"
        return Document(submission.student, kind, (), (note,))


def read_submissions(folder: Path, starter: Path = STARTER, *, progress: bool = False) -> list[Document]:
    """Every student of a ``grade-all`` folder, named as ``grade-all`` names them (with
    ``progress``, a progress bar on stderr).

    Raises
    ------
    NameCollision
        If two entries would be the same student (see :func:`~autograder.grading.submission.discover`).
    """
    from tqdm import tqdm

    modules = graded_modules()
    submissions = discover(folder)
    return [read_submission(submission, starter, modules)
            for submission in tqdm(submissions, unit="submission", desc="reading", dynamic_ncols=True,
                                   disable=not progress)]


def read_known(folder: Path, starter: Path = STARTER) -> list[Document]:
    """Every known solution of the instructor's folder: each folder, ``.zip`` or ``.py`` file is one."""
    modules = graded_modules()
    by_name = {module.rsplit("/", 1)[-1]: module for module in modules}
    documents = []
    for entry in sorted(Path(folder).iterdir()):
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        label = file_label(entry.name)
        if entry.is_dir() or (entry.is_file() and entry.suffix.lower() == ".zip"):
            documents.append(read_submission(Submission(label, entry), starter, modules, kind=KNOWN))
        elif entry.is_file() and entry.suffix == ".py":
            text, note = read_module(entry)
            module = by_name.get(entry.name)
            starter_text = read_module(starter.parent.joinpath(*module.split("/")))[0] if module else None
            runs = own_runs(text, starter_text or "", label) if text is not None else []
            documents.append(Document(label, KNOWN, tuple(runs), (note,) if note else ()))
    return documents
