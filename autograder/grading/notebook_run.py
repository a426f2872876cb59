"""Run a submission's rebuilt notebooks in one confined child and collect what they reported.

The caller (:meth:`runner.Grader.run_notebooks`) writes a fresh copy of the submission, with each
rebuilt notebook in place of the student's file and without the results files the student
submitted (the run must produce its own), before any child runs in it. A fresh sandboxed child
then runs :mod:`.notebook_runner` through the harness's ``program`` call: it imports NumPy,
Matplotlib and IPython's shell once and runs each notebook in a forked process of its own (no
Jupyter kernel), killing one that overruns its budget; all of it inherits the child's confinement.
The parent's wall clock (the notebooks' budgets plus a margin) is the backstop. The data is a
small synthetic CIFAR-10 that the parent writes once and links into the frame (read-only).

What the runs did comes back on the child's report pipe (:meth:`sandbox.Sandbox.spawn` with
``report=True``), never through a file: the parent does not look into the copy after the child
has run in it. Nothing a notebook reports can add tests or points: the specs are the parent's
(:data:`manifest.NOTEBOOK_TESTS`), and the parent judges the results against its own schema.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.sandbox import Limits, Sandbox

RUNNER_SOURCE = Path(__file__).with_name("notebook_runner.py").read_text(encoding="utf-8")
#: Seconds for the runner to start and stop its kernel, on top of the notebook's own budget.
MARGIN_SECONDS = 20.0
#: Size of the synthetic CIFAR-10 the notebooks run on.
SYNTHETIC_IMAGES_PER_BATCH, SYNTHETIC_TEST_IMAGES = 60, 100


@dataclass(frozen=True)
class NotebookRun:
    """What happened when one rebuilt notebook ran."""

    name: str
    ran: bool  # the runner started and reported
    cells: dict = field(default_factory=dict)  # cell label (grade_id or cell-N) -> "ok" / error name
    stopped: str = ""  # why it stopped early: "budget", "kernel died", "could not run: ..."
    results: dict | None = None  # the results JSON the run produced
    seconds: float = 0.0


def write_synthetic_data(folder: Path) -> Path:
    """The synthetic CIFAR-10 the notebooks run on, read-only (files 0444, folders 0755)."""
    from autograder.synthetic_data import write_synthetic_cifar10

    data = write_synthetic_cifar10(folder, images_per_batch=SYNTHETIC_IMAGES_PER_BATCH,
                                   test_images=SYNTHETIC_TEST_IMAGES, seed=0)
    for path in data.iterdir():
        os.chmod(path, 0o444)
    os.chmod(data, 0o755)
    os.chmod(folder, 0o755)
    return data


def link_data(data: Path, frame: Path) -> Path:
    """Hard links of ``data`` in the submission's frame (outside the child's writable copy)."""
    target = frame / "data" / data.name
    target.mkdir(parents=True)
    for path in data.iterdir():
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copy2(path, target / path.name)
        os.chmod(target / path.name, 0o444)
    os.chmod(target, 0o755)
    os.chmod(target.parent, 0o755)
    return target


def run_notebooks(sandbox: Sandbox, work: Path, data: Path, names: list[str], *, budget: float,
                  log: list[str]) -> dict[str, NotebookRun]:
    """Run ``work/notebooks/<name>.ipynb`` for each name (rebuilt by the caller), ``budget`` seconds each."""
    if not names:
        return {}
    start = time.monotonic()
    paths = [str(work / "notebooks" / f"{name}.ipynb") for name in names]
    report = run_program(sandbox, work, RUNNER_SOURCE, [str(data), str(budget), *paths],
                         budget * len(names) + MARGIN_SECONDS, log, "notebooks")
    seconds = time.monotonic() - start
    log.append(f"notebooks {', '.join(names)}: {seconds:.1f} s")
    if report is None:
        return {name: NotebookRun(name, False, stopped="could not run the notebook: the sandbox did not start")
                for name in names}
    messages = report_lines(report)
    if not any(message.get("started") for message in messages):
        return {name: NotebookRun(name, False, stopped="could not run the notebook (the runner did not start)")
                for name in names}
    return {name: _run_of(name, [m for m in messages if m.get("notebook") == name], log) for name in names}


def _run_of(name: str, messages: list[dict], log: list[str]) -> NotebookRun:
    """One notebook's run, from its report lines."""
    cells: dict[str, str] = {}
    produced, stopped, finished = None, "", False
    for message in messages:
        if "cell" in message and len(cells) < 500:
            cells[str(message["cell"])[:80]] = str(message.get("state", ""))[:60]
        if "results" in message:
            produced = message["results"] if isinstance(message["results"], dict) else None
        if message.get("finished"):
            finished, stopped = True, str(message.get("stopped", ""))[:300]
    if not finished:
        stopped = "kernel died"  # its process ended without a word: os._exit, a crash, the memory cap
    failed = {label: state for label, state in cells.items() if state != "ok"}
    if failed or stopped:
        log.append(f"notebook {name}: stopped {stopped!r}; cells that failed: {failed}")  # staff only
    return NotebookRun(name, True, cells, stopped, produced)


def report_lines(report: bytes) -> list[dict]:
    """The JSON objects of a program's report, one per complete line; anything else is skipped."""
    messages = []
    for line in report.split(b"\n")[:-1]:  # the last piece is an unfinished line, or empty
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(message, dict):
            messages.append(message)
    return messages


def run_program(sandbox: Sandbox, work: Path, source: str, args: list[str], seconds: float, log: list[str],
                label: str, limits: Limits | None = None) -> bytes | None:
    """Run ``python -I -c source *args`` as a descendant of a fresh confined child.

    Returns what the program wrote on its report pipe (its last argument is the descriptor), or
    None if no child started. After ``seconds`` of wall clock the child's group is killed (and,
    as root, every process of the grading uid).
    """
    child, notes = sandbox.spawn(work, limits, report=True)
    log += notes
    if child is None:
        return None
    try:
        call = {"kind": "program", "source": source, "args": args}
        reply = child.call_batch([(call, 1, [])], seconds, time.monotonic() + seconds)[-1]
        if reply.state != "done":
            log.append(f"{label}: {reply.state} after {reply.seconds:.1f} s; process group killed")
    finally:
        output = bytes(child.output).decode(errors="replace")
        if output.strip():
            log.append(f"{label} output:\n{output[-4000:]}")
        sandbox.kill(child)
    return bytes(child.report)
