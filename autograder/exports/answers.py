"""Each student's written answers as one page to grade by hand (Gradescope, or on paper).

otter's route for hand-graded questions is a PDF of the written answers, uploaded to a separate
Gradescope assignment; this module writes that page. The answers are read exactly as the grader
reads them: the submission is copied through the grader's intake
(:func:`~autograder.grading.submission.materialize`, its limits and refusals) and every notebook
rebuilt on the released template (:func:`~autograder.grading.notebook_intake.take_in_all`), so a
renamed notebook, a split or retyped answer cell and Colab's lost metadata are handled the same
way. Nothing is run.

The page (``DIR/<student>.html``) is self-contained: the question as the notebook states it, then
the student's answer as plain text. An answer is untrusted Markdown: it is never rendered, only
escaped (jinja2's autoescape) and shown with its line breaks, so ``<script>``, an ``<img
onerror>`` or a ``javascript:`` link appear as the characters they are. A Content-Security-Policy
that allows no script, no request and no frame backs this up. Each question starts a new page
when printed, so question *k* is on page *k + 1* (the first page names the student), the same
for every student: Gradescope's template maps pages to questions once.

:func:`print_pdf` prints a page with headless Chromium (``--print-to-pdf``).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import jinja2

from autograder.grading import gradebook
from autograder.grading.notebook_intake import NOTEBOOK_NAMES, load_template, take_in_all
from autograder.grading.results import Submitter
from autograder.grading.submission import Submission, SubmissionError, discover, materialize

#: The text of an answer cell nobody wrote in (the release's placeholder).
PLACEHOLDER = "YOUR ANSWER HERE"
#: Longest answer shown; the rest is cut with a note (a 12 MB notebook could hold a huge one).
MAX_ANSWER_CHARS = 20000
#: How long Chromium may take to print one page.
PDF_SECONDS = 60
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Chromium's switches for printing: no sandbox (it runs as root in containers), no GPU, no
#: network chatter, no header or footer on the PDF. Scripts are kept out by the page's own
#: Content-Security-Policy (turning them off with ``--blink-settings=scriptEnabled=false`` makes
#: Chromium 156 write no PDF at all).
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--no-pdf-header-footer")


class PdfUnavailable(RuntimeError):
    """No Chromium to print with; the message says how to get one."""


class PdfFailed(RuntimeError):
    """Chromium did not print a page (it failed, took too long, or wrote nothing)."""


@dataclass(frozen=True)
class Question:
    """One written question of the release."""

    notebook: str
    grade_id: str
    title: str  # the question's heading ("Question 1 (2 points)")
    text: str  # the question as the notebook states it (Markdown source, the kit's own)
    points: float


@dataclass(frozen=True)
class AnswerPage:
    """One student's page: who, when, their answers (grade_id -> text) and what went wrong."""

    student: str
    submitters: tuple[Submitter, ...] = ()
    submitted_at: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    pdf_pages: int = 0  # pages of the printed PDF (0: not printed)


def questions(names: tuple[str, ...] = NOTEBOOK_NAMES) -> list[Question]:
    """Every written question of the release, in notebook order: each answer cell and the Markdown
    cell before it (the question)."""
    wanted = gradebook.answer_cells()
    found = []
    for name in names:
        cells = load_template(name).notebook["cells"]
        for index, cell in enumerate(cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade_id") not in wanted.get(name, set()):
                continue
            before = _source(cells[index - 1]) if index and cells[index - 1]["cell_type"] == "markdown" else ""
            title, _, text = before.partition("\n")
            if not title.startswith("#"):
                title, text = f"{name}: {meta['grade_id']}", before
            found.append(Question(name, meta["grade_id"], title.lstrip("# ").strip(), unwrap(text.strip()),
                                  float(meta.get("points") or 0)))
    return found


def unwrap(text: str) -> str:
    r"""The kit's Markdown source with its hard line wraps joined (the page wraps lines itself);
    blank lines and list items keep their line breaks.

    >>> print(unwrap("Some rows are\nbright.\n\n1. one\n2. two"))
    Some rows are bright.
    <BLANKLINE>
    1. one
    2. two
    """
    lines: list[str] = []
    for line in text.splitlines():
        starts_item = re.match(r"\s*(\d+[.)]|[-*+])\s", line) is not None
        if lines and lines[-1].strip() and line.strip() and not starts_item:
            lines[-1] = f"{lines[-1].rstrip()} {line.strip()}"
        else:
            lines.append(line)
    return "\n".join(lines)


def read_answers(submission: Submission) -> AnswerPage:
    """The written answers of one submission, read through the grader's intake; never raises for
    the submission's own problems (they are on the page)."""
    with tempfile.TemporaryDirectory(prefix="answers-") as scratch:
        root = Path(scratch) / "submission"
        try:
            notes = materialize(submission, root)
        except SubmissionError as error:
            return AnswerPage(submission.student, submission.submitters, submission.submitted_at,
                              problems=(str(error),))
        intakes = take_in_all(root)
    answers = {grade_id: text for intake in intakes.values() for grade_id, text in intake.answers.items()}
    problems = tuple(notes) + tuple(problem for intake in intakes.values() for problem in intake.problems)
    return AnswerPage(submission.student, submission.submitters, submission.submitted_at, answers, problems)


def render_page(page: AnswerPage, asked: list[Question]) -> str:
    """The self-contained HTML of one student's answers (see the module docstring)."""
    items = []
    for question in asked:
        text = page.answers.get(question.grade_id, "")
        blank = text.strip() in ("", PLACEHOLDER)
        if len(text) > MAX_ANSWER_CHARS:
            text = text[:MAX_ANSWER_CHARS] + f"\n\n[... cut: the answer is {len(text)} characters long]"
        items.append({"question": question, "answer": "" if blank else text})
    return _environment().get_template("answers.html.j2").render(page=page, items=items,
                                                                 total=sum(q.points for q in asked))


def render_index(pages: list[AnswerPage]) -> str:
    return _environment().get_template("answers_index.html.j2").render(pages=pages)


def find_chromium() -> Path:
    """Chromium to print with: ``$CHROMIUM``, else the first of :data:`CHROMIUM_NAMES` on PATH."""
    named = os.environ.get("CHROMIUM")
    for candidate in ([named] if named else []) + [shutil.which(name) or "" for name in CHROMIUM_NAMES]:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise PdfUnavailable("no Chromium found: install it (Debian: apt-get install chromium) or set CHROMIUM to "
                         "its path; the HTML pages print to PDF from any browser too")


def print_pdf(html: Path, pdf: Path, chromium: Path | None = None) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium.

    Raises
    ------
    PdfUnavailable
        If there is no Chromium.
    PdfFailed
        If Chromium fails, takes longer than :data:`PDF_SECONDS` or writes no PDF (it can exit 0
        without one).
    """
    browser = chromium or find_chromium()
    html, pdf = Path(html), Path(pdf)
    pdf.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="answers-chromium-") as profile:
        try:
            subprocess.run([str(browser), *CHROMIUM_ARGS, f"--user-data-dir={profile}",
                            f"--print-to-pdf={pdf.resolve()}", Path(html).resolve().as_uri()],
                           check=True, capture_output=True, timeout=PDF_SECONDS, stdin=subprocess.DEVNULL)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            raise PdfFailed(f"{browser} could not print {html.name}: {error}") from error
    if not pdf.is_file() or pdf.stat().st_size == 0:
        raise PdfFailed(f"{browser} wrote no PDF for {html.name}")
    return pdf


def write_all(batch: Path, out: Path, *, name_by: str = "sid", pdf: bool = False) -> list[AnswerPage]:
    """Write ``out/<student>.html`` (and ``.pdf`` with ``pdf``) for every submission of ``batch``
    (a folder of submissions or a Gradescope export, as ``grade-all`` reads it), and
    ``out/index.html``; return the pages.

    Raises
    ------
    PdfUnavailable
        With ``pdf``, before anything is written, if there is no Chromium.
    PdfFailed
        If Chromium does not print a page (the pages before it are written).
    """
    chromium = find_chromium() if pdf else None
    asked = questions()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    for submission in discover(batch, name_by):
        page = read_answers(submission)
        html = out / f"{submission.student}.html"
        _atomic_write(html, render_page(page, asked))
        if chromium is not None:
            printed = print_pdf(html, out / f"{submission.student}.pdf", chromium)
            page = replace(page, pdf_pages=pdf_page_count(printed.read_bytes()))
        pages.append(page)
    _atomic_write(out / "index.html", render_index(pages))
    return pages


def pdf_page_count(pdf: bytes) -> int:
    """The number of pages of a PDF as Chromium writes it (each page object is plain text)."""
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("autograder.exports", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined)


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
