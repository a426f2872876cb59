"""Run the rebuilt notebooks in a confined child and judge what they did.

For each notebook the intake could rebuild: write it over the student's copy in the scratch
folder, delete the results file the student submitted (the run must produce its own), and ask a
fresh sandboxed child to run :mod:`.notebook_runner` with ``subprocess.call`` (the harness's
ordinary ``function`` call). The runner and its kernel are the child's descendants: same uid,
namespaces and limits; the parent's wall clock (``budget`` plus a margin) kills the whole group
and, as root, every process of the grading uid. The data is a small synthetic CIFAR-10 that the
parent writes once and links into each submission's root-owned frame (read-only for the child).

The parent then reads the runner's status file and the results file the notebook wrote, both as
plain, size-capped files (no symlinks), and judges them against its own schema. Nothing a
notebook writes can add tests or points: the specs are the parent's (:data:`manifest.NOTEBOOK_TESTS`).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.grading.notebook_intake import Intake
from autograder.grading.sandbox import Limits, Sandbox, read_plain_file

RUNNER_SOURCE = Path(__file__).with_name("notebook_runner.py").read_text(encoding="utf-8")
STATUS_FILE = ".notebook-status.json"
MAX_STATUS_BYTES = 256 << 10
MAX_RESULTS_BYTES = 64 << 10
#: Seconds for the runner to start and stop its kernel, on top of the notebook's own budget.
MARGIN_SECONDS = 20.0
#: Answer cells whose success is a test (the others are prose).
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


def run_notebooks(sandbox: Sandbox, work: Path, data: Path, intakes: dict[str, Intake], *,
                  budget: float, log: list[str]) -> dict[str, NotebookRun]:
    """Run every usable rebuilt notebook, one child each; ``budget`` seconds of wall clock each."""
    runs = {}
    notebooks = work / "notebooks"
    notebooks.mkdir(exist_ok=True)
    for name, intake in intakes.items():
        results = notebooks / "results" / f"{name}.json"
        if results.exists() or results.is_symlink():
            results.unlink()
        if intake.notebook is None:
            continue
        target = notebooks / f"{name}.ipynb"
        if target.is_symlink():
            target.unlink()
        target.write_text(json.dumps(intake.notebook), encoding="utf-8")
    sandbox.prepare_folder(work)
    for name, intake in intakes.items():
        if intake.notebook is not None:
            runs[name] = _run_one(sandbox, work, data, name, budget, log)
    return runs


def _run_one(sandbox: Sandbox, work: Path, data: Path, name: str, budget: float, log: list[str]) -> NotebookRun:
    start = time.monotonic()
    status_path = work / STATUS_FILE
    if status_path.exists() or status_path.is_symlink():
        status_path.unlink()
    started = run_program(sandbox, work, RUNNER_SOURCE, [str(work / "notebooks" / f"{name}.ipynb"), str(status_path),
                                                         str(data), str(budget)],
                          budget + MARGIN_SECONDS, log, f"notebook {name}")
    if not started:
        return NotebookRun(name, False, stopped="could not run the notebook: the sandbox did not start")
    status = read_json(work, STATUS_FILE, MAX_STATUS_BYTES)
    produced = read_json(work / "notebooks" / "results", f"{name}.json", MAX_RESULTS_BYTES)
    seconds = time.monotonic() - start
    log.append(f"notebook {name}: {seconds:.1f} s")
    if not isinstance(status, dict) or not isinstance(status.get("cells"), dict):
        return NotebookRun(name, False, stopped="could not run the notebook (no kernel started)",
                           results=produced, seconds=seconds)
    stopped = str(status.get("stopped", ""))[:300]
    if not status.get("finished") and not stopped:
        stopped = "budget"  # killed by the parent's clock
    cells = {str(k)[:80]: str(v)[:60] for k, v in list(status["cells"].items())[:500]}
    return NotebookRun(name, True, cells, stopped, produced if isinstance(produced, dict) else None, seconds)


def run_program(sandbox: Sandbox, work: Path, source: str, args: list[str], seconds: float, log: list[str],
                label: str, limits: Limits | None = None) -> bool:
    """Run ``python -I -c source *args`` as a descendant of a fresh confined child; False if none started.

    The harness's ``function`` call of ``subprocess.call`` starts it, so the program inherits the
    child's confinement; after ``seconds`` of wall clock the child's group is killed (and, as
    root, every process of the grading uid).
    """
    child, notes = sandbox.spawn(work, limits)
    log += notes
    if child is None:
        return False
    try:
        call = {"kind": "function", "module": "subprocess", "name": "call",
                "args": [{"value": [sys.executable, "-I", "-c", source, *args]}]}
        reply = child.call_batch([(call, 1, [])], seconds, time.monotonic() + seconds)[-1]
        if reply.state != "done":
            log.append(f"{label}: {reply.state} after {reply.seconds:.1f} s; process group killed")
    finally:
        output = bytes(child.output).decode(errors="replace")
        if output.strip():
            log.append(f"{label} output:\n{output[-4000:]}")
        sandbox.kill(child)
    return True


def read_json(folder: Path, name: str, cap: int):
    """A small JSON file a child wrote: regular file, no symlink, at most ``cap`` bytes; else None."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        data = read_plain_file(fd, name, cap)
    finally:
        os.close(fd)
    if data is None:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None
