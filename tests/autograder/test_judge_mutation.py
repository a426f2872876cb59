"""The judges' mutation check: the kept returns of the fairness suite tell a sound judge from a broken one."""
from __future__ import annotations

import subprocess
import sys

import pytest

from autograder import KIT_ROOT

pytestmark = pytest.mark.slow  # grades the fairness submissions once (about 30 s) and keeps 300 MB

TOOL = KIT_ROOT / "tools" / "judge_mutation.py"


def run(*arguments, tool=TOOL):
    return subprocess.run([sys.executable, str(tool), *map(str, arguments)], capture_output=True, text=True,
                          timeout=600)


def test_the_kept_returns_pass_today_and_a_loosened_judge_is_killed(tmp_path):
    cache = tmp_path / "cache.pickle"
    assert run("record", cache).returncode == 0
    today = run("check", cache)
    assert today.returncode == 0 and today.stdout.splitlines()[-1].startswith("survived"), today.stdout + today.stderr
    assert run("prepare", tmp_path).returncode == 0
    judge = tmp_path / "kit" / "autograder" / "grading" / "checks" / "knn.py"
    judge.write_text(judge.read_text().replace("tolerance=1e-6)", "tolerance=1e6)", 1))  # a mutant
    loosened = run("check", cache, tool=tmp_path / "kit" / "tools" / "judge_mutation.py")
    assert loosened.returncode == 1 and "knn.two_loops.random" in loosened.stdout, loosened.stdout
    judge.write_text(judge.read_text().replace("tolerance=1e6)", "tolerance=1e-6)", 1))
    plans = tmp_path / "kit" / "autograder" / "grading" / "checks" / "plans.py"
    plans.write_text(plans.read_text().replace("SPEED_SLACK_SECONDS = 10.0,", "SPEED_SLACK_SECONDS = 1000.0,", 1))
    generous = run("check", cache, tool=tmp_path / "kit" / "tools" / "judge_mutation.py")  # the old weak fallback
    assert generous.returncode == 1 and "without a naive yardstick" in generous.stdout, generous.stdout
    plans.write_text(plans.read_text().replace("SPEED_SLACK_SECONDS = 1000.0,", "SPEED_SLACK_SECONDS = 10.0,", 1))
    # a slip no fairness variant shows (the words for a call that ran out of time) is the unit tests' catch
    plans.write_text(plans.read_text().replace("(infinite loop?)", "(too slow?)", 1))
    reworded = run("check", cache, tool=tmp_path / "kit" / "tools" / "judge_mutation.py")
    assert reworded.returncode == 1 and "a unit test of the judges failed" in reworded.stdout, reworded.stdout
