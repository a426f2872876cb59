"""``grade-all --scheduler``: a real Dask scheduler and two worker processes on 127.0.0.1 grade the
demo's samples (and the solution uploaded as loose files) with the same ``results.json`` per
student and the same ``grades.csv`` as a local run; a second run grades nothing; a worker from
another kit is refused; a worker that dies mid-submission leaves a result; Ctrl-C abandons the
running submissions on the workers too."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from dask_cluster import LocalDask  # noqa: E402 (after the skip: it imports distributed)

from autograder import KIT_ROOT, exit_codes  # noqa: E402
from autograder.grading import batch as batch_module  # noqa: E402
from autograder.grading import distributed_batch, preflight  # noqa: E402
from autograder.grading.batch import Interrupt, grade_all  # noqa: E402
from autograder.grading.demo import make_submission, write_samples  # noqa: E402
from autograder.grading.results import COULD_NOT_GRADE, GRADED  # noqa: E402
from autograder.grading.runner import INTERNAL_ERROR  # noqa: E402
from autograder.grading.sandbox import DEFAULT_UID_BASE, UID_SLOTS, Limits  # noqa: E402

pytestmark = pytest.mark.e2e  # a cluster of processes, batches in sandboxes

ACCEPT = "+".join(sorted(preflight.WEAKER - {"namespaces"}))  # a cluster never accepts no-namespaces
HERE = Path(__file__).parent


@pytest.fixture(scope="module", autouse=True)
def namespaces_hold() -> None:
    """A cluster refuses every worker where student code would have a network: nothing to test here."""
    report = preflight.probe(notebooks=False)
    if "namespaces" in report.missing:
        pytest.skip("no namespaces on this machine, and a cluster never accepts no-namespaces: "
                    + "; ".join(report.details))


def add_loose(submissions: Path, solution: Path) -> None:
    """The solution's files dragged in one by one, without their folders."""
    loose = submissions / "loose"
    loose.mkdir()
    for path in [*(solution / "cs_utils" / "classifiers").glob("*.py"), *(solution / "notebooks").glob("*.ipynb")]:
        shutil.copyfile(path, loose / path.name)


@pytest.fixture(scope="module")
def samples(releases, tmp_path_factory) -> Path:
    submissions = write_samples(releases["starter"], releases["solution"],
                                tmp_path_factory.mktemp("dask-samples") / "submissions")
    add_loose(submissions, releases["solution"])
    return submissions


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalDask(tmp_path_factory.mktemp("dask-cluster")) as running:
        running.add_workers(2)
        yield running


def grade_all_command(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "grade-all", *args, "--quiet", "--accept-isolation",
                           ACCEPT], cwd=KIT_ROOT, capture_output=True, text=True, timeout=900, env=env)


def same_as_local(local: Path, remote: Path, students: list[str]) -> None:
    for student in students:
        expected = json.loads((local / student / "results.json").read_text())
        assert json.loads((remote / student / "results.json").read_text()) == expected, student
    assert (remote / "grades.csv").read_text() == (local / "grades.csv").read_text()


def students_of(submissions: Path) -> list[str]:
    return sorted(path.name.removesuffix(".zip") for path in submissions.iterdir())


def test_a_dask_run_matches_the_local_run_result_for_result_and_resumes(samples, cluster, tmp_path):
    local = grade_all_command(str(samples), "--out", str(tmp_path / "local"), "--workers", "2", "--no-notebooks")
    assert local.returncode == exit_codes.OK, local.stderr
    first = grade_all_command(str(samples), "--out", str(tmp_path / "dask"), "--no-notebooks",
                              "--scheduler", cluster.address)
    assert first.returncode == exit_codes.OK, first.stderr + cluster.logs()
    assert "5 submissions: 5 graded, 0 unchanged" in first.stderr and "isolation: " in first.stderr
    same_as_local(tmp_path / "local", tmp_path / "dask", students_of(samples))
    rows = (tmp_path / "dask" / "grades.csv").read_text().split()[1:]
    scores = {row.split(",")[0]: row.split(",")[2] for row in rows}
    assert scores["solution"] == scores["loose"] == "100"

    again = grade_all_command(str(samples), "--out", str(tmp_path / "dask"), "--no-notebooks",
                              "--scheduler", cluster.address)
    assert again.returncode == exit_codes.OK and "5 submissions: 0 graded, 5 unchanged" in again.stderr
    shutil.rmtree(tmp_path / "dask" / "buggy")  # as if that run had stopped before it
    third = grade_all_command(str(samples), "--out", str(tmp_path / "dask"), "--no-notebooks",
                              "--scheduler", cluster.address)
    assert third.returncode == exit_codes.OK and "5 submissions: 1 graded, 4 unchanged" in third.stderr
    same_as_local(tmp_path / "local", tmp_path / "dask", students_of(samples))


@pytest.mark.slow  # the notebooks of five submissions, twice
def test_with_notebooks_a_dask_run_matches_the_local_run(samples, cluster, tmp_path):
    local = grade_all_command(str(samples), "--out", str(tmp_path / "local"), "--workers", "2")
    assert local.returncode == exit_codes.OK, local.stderr
    remote = grade_all_command(str(samples), "--out", str(tmp_path / "dask"), "--scheduler", cluster.address)
    assert remote.returncode == exit_codes.OK, remote.stderr + cluster.logs()
    same_as_local(tmp_path / "local", tmp_path / "dask", students_of(samples))
    assert json.loads((tmp_path / "dask" / "solution" / "results.json").read_text())["score"] == 106


def another_kit(destination: Path) -> Path:
    """A copy of the kit whose grader differs by one comment line."""
    for folder in ("autograder", "cs_utils", "notebooks"):
        shutil.copytree(KIT_ROOT / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__"))
    with open(destination / "autograder" / "grading" / "checks" / "losses.py", "a") as handle:
        handle.write("# another version of the grader\n")
    return destination


def test_a_worker_from_another_kit_is_refused_and_grades_nothing(releases, tmp_path):
    batch = tmp_path / "batch"
    make_submission(releases["solution"], batch / "alice")
    messages: list[str] = []
    with LocalDask(tmp_path / "cluster") as cluster:
        cluster.add_workers(1, kit=another_kit(tmp_path / "other-kit"))
        with pytest.raises(distributed_batch.ClusterError, match="every worker .* was refused") as refused:
            distributed_batch.grade_all(batch, tmp_path / "out", scheduler=cluster.address, notebooks=False,
                                        progress=False, accept=preflight.WEAKER, say=messages.append)
        assert "its kit differs from the client's" in str(refused.value)
        assert not (tmp_path / "out" / "alice").exists()

        cluster.add_workers(1)  # this kit's: the batch goes there, never to the other one
        summary = distributed_batch.grade_all(batch, tmp_path / "out", scheduler=cluster.address, notebooks=False,
                                              progress=False, accept=preflight.WEAKER, say=messages.append)
    assert [(r.student, r.status, r.score) for r in summary.results] == [("alice", GRADED, 100.0)]
    assert summary.graded == 1 and summary.isolation
    refusals = [message for message in messages if "refused: its kit differs from the client's" in message]
    assert len(refusals) == 2, messages  # once per run, and only the other kit's worker


def test_a_worker_that_dies_mid_submission_is_replaced_once_then_could_not_grade(releases, tmp_path):
    batch = tmp_path / "batch"
    make_submission(releases["solution"], batch / "dies")  # the preload ends the worker process on it
    make_submission(releases["solution"], batch / "lives")
    with LocalDask(tmp_path / "cluster") as cluster:
        cluster.add_workers(1, preload=HERE / "dask_dying_worker.py")
        summary = distributed_batch.grade_all(batch, tmp_path / "out", scheduler=cluster.address, notebooks=False,
                                              progress=False, accept=preflight.WEAKER)
        log = cluster.logs()
    results = {result.student: result for result in summary.results}
    assert results["lives"].status == GRADED and results["lives"].score == 100, log
    dead = results["dies"]
    assert dead.status == COULD_NOT_GRADE and dead.notices == (INTERNAL_ERROR,)
    assert "lost twice" in dead.staff_log
    document = json.loads((tmp_path / "out" / "dies" / "results.json").read_text())
    assert document["extra_data"]["status"] == COULD_NOT_GRADE
    assert (tmp_path / "out" / "grades.csv").read_text().count("\n") == 3

    with LocalDask(tmp_path / "cluster2") as cluster:  # "could not grade" is never final: the next run grades it
        cluster.add_workers(1)
        rerun = distributed_batch.grade_all(batch, tmp_path / "out", scheduler=cluster.address, notebooks=False,
                                            progress=False, accept=preflight.WEAKER)
    assert (rerun.graded, rerun.reused) == (1, 1) and all(r.score == 100 for r in rerun.results)


PATIENT = Limits(call_seconds=120.0, submission_seconds=600.0)
SLEEP = "\n\nimport time as _time\n\n" + "".join(
    f"\ndef {name}(*args, **kwargs):\n    _time.sleep(3600)\n" for name in ("svm_loss_naive", "svm_loss_vectorized"))
SLEEPERS = ("b_sleeper", "c_sleeper", "d_sleeper", "e_sleeper")


def grading_processes() -> list[int]:
    """Processes of the dedicated grading uids (root only)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/status") as handle:
                    uids = next(line for line in handle if line.startswith("Uid:")).split()[1:]
            except (OSError, StopIteration):
                continue
            if any(DEFAULT_UID_BASE <= int(uid) < DEFAULT_UID_BASE + UID_SLOTS for uid in uids):
                found.append(int(entry))
    return found


def test_an_interrupt_abandons_the_running_submissions_on_the_workers(releases, cluster, tmp_path, monkeypatch):
    monkeypatch.setattr(batch_module, "INTERRUPT_GRACE_SECONDS", 1.0)
    batch, out = tmp_path / "batch", tmp_path / "out"
    make_submission(releases["starter"], batch / "a_quick")
    for name in SLEEPERS:
        make_submission(releases["starter"], batch / name, append={"cs_utils/classifiers/linear_svm.py": SLEEP})
    interrupt = Interrupt()

    def watch() -> None:
        while not (out / "a_quick" / "grading.json").exists():
            time.sleep(0.05)
        interrupt.request()

    threading.Thread(target=watch, daemon=True).start()
    summary = grade_all(batch, out, limits=PATIENT, progress=False, notebooks=False, accept=preflight.WEAKER,
                        interrupt=interrupt, scheduler=cluster.address)
    assert summary.interrupted and [r.student for r in summary.results] == ["a_quick"]
    assert summary.not_graded == len(SLEEPERS)
    assert not any((out / name).exists() for name in SLEEPERS)  # no files: the next run grades them
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith("a_quick,graded,0,")
    if os.geteuid() == 0:  # the workers kill the sleeping children of the abandoned submissions
        sleeping = set(grading_processes())  # (another grader on this machine may have some too)
        deadline = time.monotonic() + 30
        while sleeping & set(grading_processes()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not sleeping & set(grading_processes())

    again = Interrupt()
    again.request()  # interrupted before it starts: the stored result stands, nothing is graded
    resumed = grade_all(batch, out, limits=PATIENT, progress=False, notebooks=False, accept=preflight.WEAKER,
                        interrupt=again, scheduler=cluster.address)
    assert (resumed.graded, resumed.reused, resumed.not_graded) == (0, 1, len(SLEEPERS))
