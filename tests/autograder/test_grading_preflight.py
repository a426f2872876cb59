"""Preflight: the grader probes its own sandbox and refuses a weaker mode nobody accepted."""
from __future__ import annotations

import json
import os

import pytest
from points import CODE_POINTS

from autograder.grading import notebook_run, preflight
from autograder.grading.batch import grade_all
from autograder.grading.demo import make_submission
from autograder.grading.sandbox import Isolation, Limits

IS_ROOT = os.geteuid() == 0
FAST = Limits(call_seconds=3.0, submission_seconds=40.0)
EVERYTHING = ("uid-drop", "namespaces", "scratch", "cgroups")


@pytest.fixture
def without_confinement(monkeypatch):
    """The machine of a grader in a container without CAP_SYS_ADMIN, run as a plain user: the
    child keeps the grader's uid and gets no namespaces."""
    monkeypatch.setattr(Isolation, "detect", staticmethod(
        lambda slot=0, uid_base=0: Isolation(uid=None, gid=None, namespaces=False, notes=("simulated",))))


def test_accepted_modes_are_parsed_by_name():
    assert preflight.parse_accepted("") == frozenset()
    assert preflight.parse_accepted("no-uid-drop+no-cgroups") == {"uid-drop", "cgroups"}
    assert preflight.parse_accepted("no-scratch, no-namespaces") == {"scratch", "namespaces"}
    with pytest.raises(ValueError, match="unknown isolation promise.*kernel"):
        preflight.parse_accepted("no-kernel")


def test_require_refuses_what_was_not_accepted_and_names_the_mode():
    report = preflight.Report(("uid-drop", "cgroups"), ("no-uid-drop: ...", "no-cgroups: ..."))
    assert report.mode == "no-uid-drop+no-cgroups"
    with pytest.raises(preflight.IsolationRefused, match=r"--accept-isolation no-cgroups\+no-uid-drop"):
        preflight.require(report, {"uid-drop"})
    assert preflight.require(report, {"uid-drop", "cgroups"}) == "no-uid-drop+no-cgroups"
    assert preflight.require(preflight.Report((), ()), ()) == preflight.FULL


def test_a_kernel_that_does_not_start_cannot_be_accepted():
    report = preflight.Report((), ("kernel: no kernel",), kernel_problem="no kernel")
    with pytest.raises(preflight.IsolationRefused, match="grader problem, not the students'"):
        preflight.require(report, preflight.WEAKER)


@pytest.mark.skipif(not IS_ROOT, reason="the full mode needs root")
def test_as_root_every_promise_holds():
    report = preflight.probe(FAST)
    assert report.missing == () and report.mode == preflight.FULL, report.details


def test_without_confinement_every_promise_is_reported(without_confinement):
    report = preflight.probe(FAST)
    assert set(report.missing) == set(EVERYTHING), report.details
    assert any("read a world-readable file outside its folder" in d for d in report.details)
    assert any("reached a listener on 127.0.0.1" in d for d in report.details)


@pytest.mark.e2e  # a Jupyter kernel in the sandbox
def test_notebooks_need_a_kernel_that_starts_in_the_sandbox(monkeypatch):
    assert preflight.probe(FAST, notebooks=True).kernel_problem == ""
    monkeypatch.setattr(notebook_run, "RUNNER_SOURCE", "import sys; sys.exit(3)")  # an unreachable kernel
    report = preflight.probe(FAST, notebooks=True)
    assert "a one-cell notebook did not run inside the sandbox" in report.kernel_problem


@pytest.mark.e2e  # grades a batch
def test_a_batch_refuses_a_weaker_mode_unless_accepted_and_records_it(without_confinement, releases, tmp_path):
    submissions = tmp_path / "submissions"
    make_submission(releases["solution"], submissions / "alice")
    with pytest.raises(preflight.IsolationRefused, match="no-uid-drop"):
        grade_all(submissions, tmp_path / "out", limits=FAST, progress=False, notebooks=False)
    assert not (tmp_path / "out").exists()  # nothing was graded, nothing written
    summary = grade_all(submissions, tmp_path / "out", limits=FAST, progress=False, accept=preflight.WEAKER,
                        notebooks=False)
    mode = "+".join(f"no-{name}" for name in EVERYTHING)
    assert summary.isolation == mode
    stored = json.loads((tmp_path / "out" / "alice" / "grading.json").read_text())
    assert stored["isolation"] == mode and f"isolation: {mode}" in stored["staff_log"]


@pytest.mark.e2e  # grades a submission
@pytest.mark.skipif(not IS_ROOT, reason="control groups are written as root")
def test_a_promise_that_breaks_while_grading_makes_the_result_ours_to_fix(monkeypatch, releases, tmp_path):
    from autograder.grading import cgroups
    from autograder.grading.runner import Grader
    from autograder.grading.submission import Submission

    if not cgroups.detect().available:
        pytest.skip("no control groups here")

    def refuse(self, pid):
        raise OSError("the kernel refused")

    monkeypatch.setattr(cgroups.Group, "add", refuse)
    submission = make_submission(releases["solution"], tmp_path / "alice")
    with Grader(limits=FAST, isolation_mode=preflight.FULL, hide=(tmp_path,)) as grader:
        result = grader.grade(Submission("alice", submission))
    assert result.status == "could_not_grade" and result.isolation == preflight.FULL
    assert "promises broken while grading: cgroups" in result.staff_log
    with Grader(limits=FAST, isolation_mode="no-cgroups", hide=(tmp_path,)) as grader:
        accepted = grader.grade(Submission("alice", submission))
    assert accepted.status == "graded" and accepted.score == CODE_POINTS
