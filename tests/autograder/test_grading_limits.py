"""The sandbox's limits: one typed configuration, changed from the command line with --limit."""
from __future__ import annotations

import subprocess
import sys

import pytest

from autograder import KIT_ROOT, exit_codes
from autograder.grading.batch import grader_fingerprint
from autograder.grading.sandbox import Limits


def test_overrides_are_read_as_the_fields_types():
    limits = Limits().with_overrides(["call_seconds=20", "submission-seconds=180", "processes=10"])
    assert (limits.call_seconds, limits.submission_seconds, limits.processes) == (20.0, 180.0, 10)
    assert isinstance(limits.processes, int) and limits.address_space_bytes == Limits().address_space_bytes
    assert limits.differences() == "call_seconds=20.0;submission_seconds=180.0;processes=10"
    assert Limits().differences() == "" and Limits().with_overrides([]) == Limits()


@pytest.mark.parametrize("bad, words", [("call_second=3", "unknown limit"), ("call_seconds", "unknown limit"),
                                        ("processes=many", "whole number"), ("processes=2.5", "whole number"),
                                        ("call_seconds=-1", "positive"), ("call_seconds=nan", "finite"),
                                        ("call_seconds=inf", "finite")])
def test_a_bad_override_says_what_is_wrong(bad, words):
    with pytest.raises(ValueError, match=words):
        Limits().with_overrides([bad])


def test_changed_limits_change_the_resume_key_and_defaults_do_not():
    assert grader_fingerprint(0, False, Limits()) == grader_fingerprint(0, False)
    longer = Limits().with_overrides(["call_seconds=20"])
    assert grader_fingerprint(0, False, longer) != grader_fingerprint(0, False)
    assert grader_fingerprint(0, False, longer) == grader_fingerprint(0, False, Limits(call_seconds=20.0))


def test_the_command_line_refuses_an_unknown_limit_before_grading(tmp_path):
    (tmp_path / "batch").mkdir()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade-all", str(tmp_path / "batch"), "--out",
                           str(tmp_path / "out"), "--limit", "cal_seconds=5"],
                          cwd=KIT_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == exit_codes.USAGE
    assert "unknown limit 'cal_seconds=5'" in done.stderr and "call_seconds" in done.stderr
    assert not (tmp_path / "out").exists()
