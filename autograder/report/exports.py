"""The class report's numbers as files: ``report.json`` (everything) and ``report.csv`` (a row per test)."""
from __future__ import annotations

import csv
import io

from autograder.grading.safe_text import spreadsheet_cell
from autograder.report.data import ClassReport

CSV_FIELDS = ("test_id", "function", "name", "points", "students", "full", "partial", "zero",
              "share_full", "share_partial", "share_zero")


def tests_csv(report: ClassReport) -> str:
    """One row per test, hardest first, as in the page; no cell reads as a formula."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for test in report.tests:
        row: dict[str, str | float | int] = {
            "test_id": test.test_id, "function": test.function, "name": test.name, "points": test.points,
            "students": test.students, "full": test.full, "partial": test.partial, "zero": test.zero,
            "share_full": round(test.share_full, 4), "share_partial": round(test.share_partial, 4),
            "share_zero": round(test.share_zero, 4),
        }
        writer.writerow({key: spreadsheet_cell(value) for key, value in row.items()})
    return buffer.getvalue()
