"""The similarity report's one figure: how the pair scores are spread, with the threshold marked.

Most pairs of a class score near 0, so the counts are on a log scale; a pair standing apart on
the right is what the instructor looks for. Built on an Agg canvas (never ``pyplot``), as the
class report's figures are, and returned as PNG bytes.
"""
from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from autograder.similarity.detect import CLASSMATE, KNOWN_SOLUTION, Pair

#: Score bands of the histogram: twenty, 0.05 wide.
BINS = [index / 20 for index in range(21)]
#: Okabe and Ito's colour-blind safe blue and orange, as in the class report.
COLOURS = {CLASSMATE: "#0072B2", KNOWN_SOLUTION: "#E69F00"}


def score_histogram(pairs: list[Pair], threshold: float) -> bytes:
    """Pairs per band of score, classmates and known solutions side by side, as PNG bytes."""
    figure = Figure(figsize=(7.0, 3.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    series = {source: [pair.score for pair in pairs if pair.source == source] for source in COLOURS}
    shown = {source: scores for source, scores in series.items() if scores}
    if shown:
        axes.hist(list(shown.values()), bins=BINS, color=[COLOURS[s] for s in shown],
                  label=[f"{s} pairs ({len(v)})" for s, v in shown.items()], log=True)
        axes.legend(fontsize=8, frameon=False)
    axes.axvline(threshold, color="#D55E00", linestyle="--", linewidth=1)
    axes.annotate(f"threshold {threshold:g}", (threshold, 1), xycoords=("data", "axes fraction"),
                  xytext=(4, -12), textcoords="offset points", fontsize=8, color="#D55E00")
    axes.set_xlim(0, 1)
    axes.set_xlabel("score (0: no matching run; 1: each one's code all found in the other)")
    axes.set_ylabel("pairs (log scale)")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
