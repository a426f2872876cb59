"""Smoke test of bench/grading_throughput.py: both tools grade three submissions and the table prints."""
from __future__ import annotations

import subprocess
import sys

import pytest

from autograder import KIT_ROOT


@pytest.mark.slow
def test_the_throughput_bench_runs_in_tiny_mode():
    done = subprocess.run([sys.executable, str(KIT_ROOT / "bench" / "grading_throughput.py"), "--tiny"], cwd=KIT_ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["tool", "submissions"]
    grade_all, nbgrader = lines[1].split(), lines[2].split()
    assert grade_all[:2] == ["autograder", "grade-all"] and grade_all[-3:] == ["100.0", "/", "100"]
    assert nbgrader[:2] == ["nbgrader", "autograde"] and float(nbgrader[-3]) == float(nbgrader[-1])  # full marks too
    assert lines[3].startswith("grade-all / nbgrader: ") and "steady state" in lines[3]
