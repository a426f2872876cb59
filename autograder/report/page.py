"""The class report as one self-contained HTML page.

Rendered by Jinja2 with autoescaping on for every value, so a student's name, a folder name or a
message shows as the characters it holds; the figures are PNG ``data:`` URIs; the page has no
script, and its Content-Security-Policy allows none, nor any request to the network.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from autograder.grading.preflight import FULL
from autograder.grading.results import FORGED_CHANNEL, OUTSIDE_PATH, PATCHED_MODULE, REPLY_FLOOD
from autograder.report import figures
from autograder.report.data import ClassReport

TEMPLATE = "report.html.j2"
#: What each integrity event class means, for the page.
KINDS = (
    (PATCHED_MODULE, "the submission's source assigns to an attribute of a module the student did not write "
                     "(NumPy's comparisons, a builtin, an entry of sys.modules)"),
    (OUTSIDE_PATH, "the submission's source names a file outside the submission (an absolute path, ../) and "
                   "calls a file function: an attempt to read the solutions, a classmate's work or the results, "
                   "or to plant files (those folders are hidden from student code, so it found nothing)"),
    (FORGED_CHANNEL, "the grader received a reply on the control channel that the harness did not write "
                     "(forged or garbled frames)"),
    (REPLY_FLOOD, "a function sent back far more data than any answer needs; the grader stopped reading"),
)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,  # every value is escaped unless marked safe; nothing here is
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )


def render(report: ClassReport) -> str:
    """The page for ``report``."""
    return _environment().get_template(TEMPLATE).render(
        report=report,
        histogram_png=figures.data_uri(figures.score_histogram(report)) if report.graded else "",
        pass_rates_png=figures.data_uri(figures.pass_rates(report)) if report.tests else "",
        weaker_isolation=any(mode != FULL for mode in report.isolation),
        kinds=KINDS,
    )
