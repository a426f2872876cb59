"""The class report's figures: Matplotlib's Agg backend, PNG bytes, nothing on screen.

Figures are built with :class:`matplotlib.figure.Figure` and an Agg canvas, never through
``pyplot``: no global figure state, no backend switch, safe in any process. Each function takes
the report's numbers and returns PNG bytes; :func:`data_uri` embeds them in the page.
"""
from __future__ import annotations

import base64
import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from autograder.report.data import ClassReport

#: Colours for full, partial and no points (colour-blind safe: Okabe and Ito).
FULL, PARTIAL, ZERO = "#009E73", "#E69F00", "#D55E00"
DPI = 100


def score_histogram(report: ClassReport) -> bytes:
    """Graded students per band of automatic points."""
    figure = Figure(figsize=(7.0, 3.4), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    lows = [low for low, _, _ in report.histogram]
    widths = [high - low for low, high, _ in report.histogram]
    counts = [n for _, _, n in report.histogram]
    axes.bar(lows, counts, width=widths, align="edge", color="#0072B2", edgecolor="white")
    top = max(report.max_scores, default=0.0)
    axes.set_xlabel(f"automatic points (of {top:g}; hand-graded answers not included)")
    axes.set_ylabel("students")
    axes.set_xlim(0, max(top, widths[0] if widths else 1.0))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole students
    axes.set_title(f"Automatic points of {report.graded} graded students")
    figure.tight_layout()
    return _png(figure)


def pass_rates(report: ClassReport) -> bytes:
    """One bar per test, hardest at the top: the shares of graded students with full, partial and no points."""
    tests = report.tests
    height = max(2.0, 0.22 * len(tests) + 1.2)
    figure = Figure(figsize=(8.0, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    rows = list(range(len(tests)))[::-1]  # the first (hardest) test at the top
    full = [100 * t.share_full for t in tests]
    partial = [100 * t.share_partial for t in tests]
    zero = [100 * t.share_zero for t in tests]
    axes.barh(rows, full, color=FULL, label="full points")
    axes.barh(rows, partial, left=full, color=PARTIAL, label="partial")
    axes.barh(rows, zero, left=[a + b for a, b in zip(full, partial, strict=True)], color=ZERO, label="no points")
    axes.set_yticks(rows, [f"{t.test_id} ({t.points:g})" for t in tests], fontsize=7)
    axes.set_xlim(0, 100)
    axes.set_xlabel("share of graded students (%)")
    axes.set_ylim(-0.6, len(tests) - 0.4)
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8, frameon=False)
    figure.tight_layout()
    return _png(figure)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    """A ``data:`` URI for PNG bytes, for an ``<img src>`` that needs no other file.

    >>> data_uri(b"abc")
    'data:image/png;base64,YWJj'
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
