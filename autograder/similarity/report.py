"""Write the similarity report: ``pairs.csv`` and ``index.html`` with one page per flagged pair.

The pages are rendered by Jinja2 with autoescaping on, so every student name, file name and line
of code is HTML-escaped; they carry their own style, no script, and a Content-Security-Policy
that forbids loading anything, so they open offline and nothing in them can run. Every CSV cell
goes through :func:`~autograder.grading.safe_text.spreadsheet_cell`, like ``grades.csv``.

copydetect's own HTML report is not used: it loads Bootstrap's CSS and JavaScript from a CDN
and writes file names into the page unescaped.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import jinja2

from autograder.grading.safe_text import spreadsheet_cell
from autograder.report.figures import data_uri
from autograder.similarity.detect import NOISE_THRESHOLD, Pair
from autograder.similarity.figure import score_histogram
from autograder.similarity.sources import STUDENT, Document

#: The columns of pairs.csv.
CSV_FIELDS = ("rank", "student_a", "student_b", "source", "score", "share_a", "share_b", "matched")
#: Pairs listed on index.html (every pair is in pairs.csv).
MAX_ROWS = 300
#: Flagged pairs that get a side-by-side page, highest first.
MAX_PAGES = 200
TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Row:
    """One line of the table on index.html."""

    rank: int
    pair: Pair
    page: str | None


def write_csv(path: Path, pairs: list[Pair]) -> Path:
    """``pairs.csv``: one row per pair in the order given (highest score first)."""
    partial = path.with_suffix(".csv.tmp")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_FIELDS)
        for rank, pair in enumerate(pairs, start=1):
            writer.writerow([spreadsheet_cell(value) for value in (
                rank, pair.a.name, pair.b.name, pair.source, round(pair.score, 4), round(pair.share_a, 4),
                round(pair.share_b, 4), pair.matched)])
    os.replace(partial, path)
    return path


def segments(text: str, spans: tuple[tuple[int, int], ...]) -> list[tuple[str, bool]]:
    """``text`` cut into pieces, each marked True when it lies in one of ``spans``.

    >>> segments("abcdef", ((1, 3),))
    [('a', False), ('bc', True), ('def', False)]
    """
    pieces, position = [], 0
    for start, end in sorted(spans):
        start, end = max(start, position), min(end, len(text))
        if start >= end:
            continue
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((text[start:end], True))
        position = end
    if position < len(text):
        pieces.append((text[position:], False))
    return pieces


def write_report(out: Path, pairs: list[Pair], documents: list[Document], known: list[Document], *,
                 threshold: float, modules: tuple[str, ...], ignore_common: int | None = None) -> Path:
    """Write ``out/pairs.csv``, ``out/index.html`` and ``out/pairs/NNNN.html``; return the index."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "pairs").mkdir(exist_ok=True)
    for stale in (out / "pairs").glob("*.html"):  # from an earlier run over other submissions
        stale.unlink()
    write_csv(out / "pairs.csv", pairs)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    rows = []
    for rank, pair in enumerate(pairs, start=1):
        page = None
        if pair.score >= threshold and pair.matched and rank <= MAX_PAGES:
            page = f"pairs/{rank:04d}.html"
            html = environment.get_template("pair.html").render(
                rank=rank, pair=pair, left=segments(pair.a.text, pair.spans_a),
                right=segments(pair.b.text, pair.spans_b))
            (out / page).write_text(html, encoding="utf-8")
        if rank <= MAX_ROWS:
            rows.append(Row(rank, pair, page))
    everyone = [*documents, *known]
    index = environment.get_template("index.html").render(
        modules=[module.rsplit("/", 1)[-1] for module in modules], noise=NOISE_THRESHOLD,
        threshold=threshold, ignore_common=ignore_common,
        histogram=data_uri(score_histogram(pairs, threshold)),
        students=len(documents), known=len(known), total=len(pairs),
        flagged=[row for row in rows if row.page], rows=rows, hidden=max(0, len(pairs) - MAX_ROWS),
        unread=[(document.name, note) for document in everyone for note in document.notes],
        empty=[d.name for d in documents if d.kind == STUDENT and not d.text.strip() and not d.notes],
    )
    (out / "index.html").write_text(index, encoding="utf-8")
    return out / "index.html"
