"""Run the solution notebooks on a full CIFAR-10 and report time, accuracy and printed numbers.

The check behind the notebooks' promises: each runs end to end in at most 90 s on 2 cores and
reaches its accuracy target (kNN test >= 0.28, SVM and softmax validation >= 0.39). It also
prints every line of the notebooks' own output, so the "you should see" values in the text can
be compared with (or refreshed from) a real run.

Usage::

    CIFAR10_DIR=/path/to/cifar-10-batches-py python -m autograder.check_notebooks_real
    python -m autograder.check_notebooks_real --data /path/to/cifar-10-batches-py knn svm

Exit status 0 when every notebook meets its time budget and target, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.release import build_release

#: (results key, lowest acceptable value) per notebook.
TARGETS = {"knn": ("test_accuracy", 0.28), "svm": ("val_accuracy", 0.39), "softmax": ("val_accuracy", 0.39)}
#: Seconds each notebook may take end to end.
BUDGET_SECONDS = 90.0


@dataclass(frozen=True)
class NotebookReport:
    """What one executed notebook did."""

    name: str
    seconds: float
    cpu_seconds: float
    load_average: tuple[float, float, float]
    results: dict
    output: list[str] = field(repr=False)
    slowest_cells: list[tuple[float, str]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        metric, target = TARGETS[self.name]
        return self.seconds <= BUDGET_SECONDS and self.results.get(metric, -1.0) >= target


def run_notebook(release_root: Path, name: str, data_dir: Path, timeout: int = 600) -> NotebookReport:
    """Execute ``<release_root>/notebooks/<name>.ipynb`` with ``CIFAR10_DIR=data_dir``."""
    import nbformat
    from nbclient import NotebookClient

    path = release_root / "notebooks" / f"{name}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    os.environ["CIFAR10_DIR"] = str(data_dir)  # inherited by the kernel
    os.environ.setdefault("MPLBACKEND", "Agg")
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    children_before = os.times().children_user + os.times().children_system
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    cpu = os.times().children_user + os.times().children_system - children_before  # the kernel, once reaped
    output = [
        text
        for cell in notebook.cells
        for out in cell.get("outputs", [])
        if out.get("name") == "stdout"
        for text in out["text"].splitlines()
    ]
    results = json.loads((path.parent / "results" / f"{name}.json").read_text())
    return NotebookReport(name, seconds, cpu, os.getloadavg(), results, output, _slowest_cells(notebook))


def _slowest_cells(notebook, count: int = 6) -> list[tuple[float, str]]:
    """(seconds, first line) of the slowest code cells, from nbclient's execution timestamps."""
    from datetime import datetime

    timed = []
    for cell in notebook.cells:
        stamps = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in stamps and "shell.execute_reply" in stamps:
            begin = datetime.fromisoformat(stamps["iopub.execute_input"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(stamps["shell.execute_reply"].replace("Z", "+00:00"))
            first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
            timed.append(((end - begin).total_seconds(), first_line[:70]))
    return sorted(timed, reverse=True)[:count]


def run_all(data_dir: Path, names=tuple(TARGETS)) -> list[NotebookReport]:
    """Build the solution release in a temporary folder and run the named notebooks there."""
    with tempfile.TemporaryDirectory(prefix="notebooks-real-") as scratch:
        root = Path(scratch)
        build_release(root, solutions=True)
        return [run_notebook(root, name, data_dir) for name in names]


def _summary_line(report: NotebookReport) -> str:
    metric, target = TARGETS[report.name]
    cores = report.cpu_seconds / report.seconds if report.seconds else 0.0
    verdict = "ok" if report.ok else "FAILS"
    load = " ".join(f"{value:.1f}" for value in report.load_average)
    return (
        f"{report.name:>8} {report.seconds:7.1f} {report.cpu_seconds:6.1f} {cores:5.2f}  {load:<14}  "
        f"{metric} {report.results.get(metric)} (target {target}, budget {BUDGET_SECONDS:.0f} s): {verdict}  "
        f"{report.results}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.check_notebooks_real", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "names", nargs="*", metavar="NOTEBOOK", help=f"any of {', '.join(TARGETS)} (default: all three)"
    )
    parser.add_argument(
        "--data", default=os.environ.get("CIFAR10_DIR"), help="cifar-10-batches-py folder (default: $CIFAR10_DIR)"
    )
    parser.add_argument("--quiet", action="store_true", help="do not print the notebooks' output")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(TARGETS)
    if unknown:  # checked here: argparse rejects an empty list against choices on Python 3.11
        parser.error(f"unknown notebook {', '.join(sorted(unknown))}; choose from {', '.join(TARGETS)}")
    if not args.data:
        parser.error("give --data or set CIFAR10_DIR")
    reports = []
    with tempfile.TemporaryDirectory(prefix="notebooks-real-") as scratch:
        root = Path(scratch)
        build_release(root, solutions=True)
        for name in args.names or list(TARGETS):
            report = run_notebook(root, name, Path(args.data))
            reports.append(report)
            if not args.quiet:
                print(f"----- {report.name} output -----")
                print("\n".join(report.output), flush=True)
            print(_summary_line(report), flush=True)
            for cell_seconds, first_line in report.slowest_cells:
                print(f"          {cell_seconds:6.1f} s  {first_line}", flush=True)
    print(f"{'notebook':>8} {'wall s':>7} {'cpu s':>6} {'cores':>5}  load avg        result")
    for report in reports:
        print(_summary_line(report))
    return 0 if all(report.ok for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
