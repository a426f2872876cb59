"""Smoke test of bench/grading_throughput.py: every side grades two submissions and the table prints.

It checks the bench's plumbing and that every side graded what it should (full marks, the three
notebooks run); the speeds it prints are the bench's business, never asserted here.
"""
from __future__ import annotations

import subprocess
import sys

import pytest
from points import ALL_POINTS, CODE_POINTS

from autograder import KIT_ROOT


@pytest.mark.slow
def test_the_throughput_bench_runs_in_tiny_mode():
    done = subprocess.run([sys.executable, str(KIT_ROOT / "bench" / "grading_throughput.py"), "--tiny"], cwd=KIT_ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["tool", "submissions"]
    tools = [line[:40].strip() for line in lines[1:6]]
    assert tools[0].startswith("grade-all --no-notebooks, ") and tools[2].startswith("grade-all, notebooks, ")
    assert tools[1] == "nbgrader autograde, code-test notebook" and tools[3] == "grade-all, notebooks, 1 worker"
    assert tools[4] == "nbgrader autograde, kit's 3 notebooks"
    results = [line.split("  ")[-1].strip() for line in lines[1:6]]
    assert results[0] == f"{CODE_POINTS:.1f} / {CODE_POINTS:g}"
    assert results[2] == results[3] == f"{ALL_POINTS:.1f} / {ALL_POINTS:g}"
    assert results[1] == "19.0 / 19"  # nbgrader's code-test notebook: full marks too
    assert results[4] == "3.0 / 3 notebooks run"
    assert lines[6].startswith("code only: grade-all / nbgrader ") and lines[7].startswith("with notebooks: ")
    assert [line.split(":")[0] for line in lines[8:11]] == ["goal"] * 3 and lines[11].startswith("machine: ")
