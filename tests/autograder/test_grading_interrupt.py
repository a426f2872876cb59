"""Ctrl-C during ``grade-all``: nothing new starts, the running work ends, ``grades.csv`` is written.

The batch is one quick submission (``a_quick``, graded first: names are sorted) followed by
submissions whose every student function sleeps for an hour, so whatever is running when the
interrupt comes cannot finish within the grace period and must be abandoned. The interrupt is
requested once ``a_quick`` has its files, which makes the outcome the same on any machine.
"""
from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from autograder import KIT_ROOT, exit_codes
from autograder.grading import batch as batch_module
from autograder.grading import preflight
from autograder.grading.batch import Interrupt, grade_all
from autograder.grading.demo import make_submission
from autograder.grading.sandbox import DEFAULT_UID_BASE, UID_SLOTS, Limits

pytestmark = pytest.mark.e2e  # batches in sandboxes

#: Long enough that a sleeping submission never finishes during the test's grace period.
PATIENT = Limits(call_seconds=120.0, submission_seconds=600.0)
SLEEPERS = ("b_sleeper", "c_sleeper", "d_sleeper", "e_sleeper")
SLEEP = "\n\nimport time as _time\n\n" + "".join(
    f"\ndef {name}(*args, **kwargs):\n    _time.sleep(3600)\n"
    for name in ("svm_loss_naive", "svm_loss_vectorized")
)


def make_batch(releases, root: Path) -> Path:
    batch = root / "batch"
    make_submission(releases["starter"], batch / "a_quick")
    for name in SLEEPERS:
        make_submission(releases["starter"], batch / name,
                        append={"cs_utils/classifiers/linear_svm.py": SLEEP})
    return batch


def when_done(path: Path, then) -> threading.Thread:
    """Call ``then()`` from a thread once ``path`` exists."""
    def watch() -> None:
        while not path.exists():
            time.sleep(0.05)
        then()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def orphaned_grading_processes() -> list[int]:
    """Processes of a grading uid that no grader holds (root only): none may outlive a batch.

    A grader holds its uid's lock (``sandbox.claim_uid``) until it has swept the uid, so a process
    under a uid whose lock is free was left behind. Uids other graders on this machine hold right
    now (a second test run, a batch) are theirs to sweep and are not looked at.
    """
    found = []
    folder = Path(tempfile.gettempdir())
    for uid in range(DEFAULT_UID_BASE, DEFAULT_UID_BASE + UID_SLOTS):
        lock = folder / f".grading-uid-{uid}.lock"
        if not lock.exists():
            continue
        fd = os.open(lock, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # held by a grader that is running
        try:
            found += [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and _owner(entry) == uid]
        finally:
            os.close(fd)
    return found


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def test_an_interrupt_abandons_the_running_submission_and_starts_no_other(releases, tmp_path, monkeypatch):
    monkeypatch.setattr(batch_module, "INTERRUPT_GRACE_SECONDS", 1.0)
    batch, out = make_batch(releases, tmp_path), tmp_path / "out"
    interrupt = Interrupt()
    when_done(out / "a_quick" / "grading.json", interrupt.request)
    summary = grade_all(batch, out, workers=1, limits=PATIENT, progress=False, notebooks=False,
                        accept=preflight.WEAKER, interrupt=interrupt)
    assert summary.interrupted and [r.student for r in summary.results] == ["a_quick"]
    assert summary.not_graded == len(SLEEPERS)
    assert not any((out / name).exists() for name in SLEEPERS)  # no files: the next run grades them
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith("a_quick,graded,0,")
    if os.geteuid() == 0:
        assert orphaned_grading_processes() == []

    again = Interrupt()
    again.request()  # interrupted before it starts: the stored result stands, nothing is graded
    resumed = grade_all(batch, out, workers=1, limits=PATIENT, progress=False, notebooks=False,
                        accept=preflight.WEAKER, interrupt=again)
    assert (resumed.graded, resumed.reused, resumed.not_graded) == (0, 1, len(SLEEPERS))


def test_ctrl_c_in_a_terminal_stops_grade_all_with_exit_130(releases, tmp_path):
    """The real thing: SIGINT to the whole foreground process group, as a terminal sends it."""
    batch, out = make_batch(releases, tmp_path), tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "grade-all", str(batch), "--out", str(out), "--workers", "2",
               "--quiet", "--no-notebooks", "--accept-isolation", "+".join(sorted(preflight.WEAKER))]
    process = subprocess.Popen(command, cwd=KIT_ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True)
    when_done(out / "a_quick" / "grading.json", lambda: os.killpg(process.pid, signal.SIGINT))
    try:
        _, stderr = process.communicate(timeout=300)  # a hang guard, not a speed requirement
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == exit_codes.INTERRUPTED, stderr
    assert "interrupted: 1 graded in this run" in stderr and "run the same command again" in stderr
    assert f"{len(SLEEPERS)} left for the next one" in stderr
    rows = (out / "grades.csv").read_text().splitlines()
    assert [row.split(",")[0] for row in rows[1:]] == ["a_quick"]
    if os.geteuid() == 0:
        assert orphaned_grading_processes() == []
