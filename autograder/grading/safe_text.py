"""Text the grader did not write, made safe for the place it is written to.

Every sink that shows text to a person escapes or neutralises what it quotes: a student's file
name, an answer, an error name, a traceback. One function per kind of sink:

* :func:`file_label`: a file name quoted in a message (no control characters, bounded length);
* :func:`markdown_text`: one line of Markdown prose (``feedback.md``, Gradescope ``output`` in
  ``md`` format): HTML special characters become entities and Markdown punctuation is
  backslash-escaped, so the text renders as exactly the characters it holds;
* :func:`inert_markdown`: a block of untrusted text (a written answer in formgrader, a staff
  traceback) as a fenced code block that no line of the text can close: every Markdown renderer
  shows it verbatim, escapes it, and MathJax skips it;
* :func:`spreadsheet_cell`: a CSV cell that a spreadsheet will not read as a formula;
* :func:`exception_label`: the name of an exception the student's code raised, shown only when
  it is a builtin exception class.

Pure functions of their argument; nothing here knows about students or tests.
"""
from __future__ import annotations

import builtins
import re
import unicodedata

#: Longest file name quoted in a student-facing message; longer ones keep their start and end.
MAX_LABEL_CHARS = 80
#: What an unprintable character (control, format, separator) is shown as.
REPLACEMENT = "\N{REPLACEMENT CHARACTER}"
#: Unicode categories never shown as they are: control (newline, CR, ESC), format (bidirectional
#: overrides, zero-width characters), line and paragraph separators, unassigned and private use.
UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn", "Co", "Cs"})
#: Markdown punctuation that can start emphasis, code, links, images, tables, math or an escape;
#: an underscore only where it can (not inside a word: ``svm_loss_naive`` stays as it is).
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*\[\]{}|~$^]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
#: What can start a Markdown block at the beginning of a line: a heading, a list item, a rule.
BLOCK_MARKERS = ("#", "+", "-", "=")
NUMBERED_ITEM = re.compile(r"(\d+)[.)]")
#: A spreadsheet reads a cell starting with one of these as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, *, keep: str = "") -> str:
    """``text`` with every unprintable character (except those in ``keep``) replaced by U+FFFD."""
    return "".join(
        character if character in keep or unicodedata.category(character) not in UNPRINTABLE else REPLACEMENT
        for character in text
    )


def file_label(name: object, limit: int = MAX_LABEL_CHARS) -> str:
    """A file name as it may appear in a message: printable, at most ``limit`` characters.

    >>> file_label("knn\\n.ipynb") == "knn\\ufffd.ipynb"
    True
    """
    text = printable(str(name))
    if len(text) > limit:
        keep = (limit - 1) // 2
        text = text[:keep] + "\N{HORIZONTAL ELLIPSIS}" + text[len(text) - (limit - 1 - keep):]
    return text


def markdown_text(text: str) -> str:
    """One line of untrusted text for a Markdown (and HTML) renderer, shown exactly as written.

    HTML special characters become entities (no tag, no autolink), Markdown punctuation is
    backslash-escaped (no link, image, emphasis, code span or math), and a character that would
    start a block (a heading, a list item) is escaped too. Line breaks become spaces and other
    unprintable characters U+FFFD, so the text stays in the line (a list item, a table cell, a
    quote) where the caller put it.

    >>> print(markdown_text("<b>[a](javascript:b)</b>"))
    &lt;b&gt;\\[a\\](javascript:b)&lt;/b&gt;
    """
    line = printable(" ".join(str(text).split()))
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    line = MARKDOWN_PUNCTUATION.sub(r"\\\1", line)
    if line[:1] in BLOCK_MARKERS:
        return "\\" + line
    numbered = NUMBERED_ITEM.match(line)
    return line if numbered is None else f"{numbered[1]}\\{line[numbered.end(1):]}"


def inert_markdown(text: str) -> str:
    """Untrusted text as a Markdown fenced code block that shows it verbatim and runs nothing.

    The fence is one backtick longer than the longest run of backticks in the text (and at
    least three), so no line of the text can close the block; line endings are normalised and
    unprintable characters replaced. Empty text stays empty.

    >>> print(inert_markdown("<script>alert(1)</script>"))
    ```
    <script>alert(1)</script>
    ```
    """
    body = printable(str(text).replace("\r\n", "\n").replace("\r", "\n"), keep="\n\t").rstrip("\n")
    if not body.strip():
        return ""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{body}\n{fence}"


def spreadsheet_cell(value: str | float | int) -> str:
    """A CSV cell: numbers as they are (``-3`` stays a number), text never read as a formula.

    >>> spreadsheet_cell("=HYPERLINK(1)"), spreadsheet_cell(-3.0), spreadsheet_cell("-3")
    ("'=HYPERLINK(1)", '-3', "'-3")
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


#: What a student reads when their code raised an exception of a class that is not a builtin one.
OWN_EXCEPTION = "an exception of your own class"
#: The names of Python's builtin exception classes (``ValueError``, ``MemoryError``, ...).
BUILTIN_EXCEPTIONS = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
)


def exception_label(name: str) -> str:
    """The name of an exception as a student may read it: a builtin class's name, or a phrase.

    A class the student defined could be named after anything the code read (the hidden inputs
    included), so its name goes to the staff log only.

    >>> exception_label("IndexError"), exception_label("Leak_3_1_4")
    ('IndexError', 'an exception of your own class')
    """
    return name if name in BUILTIN_EXCEPTIONS else OWN_EXCEPTION
