"""Write the class report's three files into the ``grade-all`` output folder."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from autograder.report import data, exports, page


@dataclass(frozen=True)
class ReportFiles:
    report: data.ClassReport
    html: Path
    json: Path
    csv: Path


def write_report(out: Path) -> ReportFiles:
    """Read ``out`` (a ``grade-all`` output folder) and write ``report.html``, ``report.json`` and
    ``report.csv`` into it, each atomically.

    Raises
    ------
    NotADirectoryError
        If ``out`` is not a folder.
    """
    out = Path(out)
    if not out.is_dir():
        raise NotADirectoryError(f"{out} is not a folder: give the --out folder of grade-all")
    report = data.build_report(out)
    files = ReportFiles(report, out / "report.html", out / "report.json", out / "report.csv")
    _atomic_write(files.html, page.render(report))
    _atomic_write(files.json, data.dumps(report) + "\n")
    _atomic_write(files.csv, exports.tests_csv(report))
    return files


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
