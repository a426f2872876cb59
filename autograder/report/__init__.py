"""The class report: ``python -m autograder report OUT/`` on a ``grade-all`` output folder.

Three steps, a module each:

1. :mod:`.data` reads every student's ``grading.json`` and computes the numbers (a folder it cannot
   read becomes a line of the report);
2. :mod:`.figures` draws them with Matplotlib (Agg, PNG);
3. :mod:`.page` and :mod:`.exports` write ``OUT/report.html`` (self-contained, escaped, no script),
   ``OUT/report.json`` and ``OUT/report.csv`` (a row per test).

The report shows automatic points only: the hand-graded written answers are not included.
"""
from __future__ import annotations

from autograder.report.write import ReportFiles, write_report

__all__ = ["ReportFiles", "write_report"]
