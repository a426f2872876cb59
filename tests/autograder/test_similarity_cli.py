"""``python -m autograder similarity`` in a subprocess: exit codes, outputs, and the same scores
whatever Python's string-hash seed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from similarity_class import build_class

from autograder import KIT_ROOT, exit_codes
from autograder.grading.demo import write_samples

pytestmark = pytest.mark.e2e  # the command line in a subprocess


def similarity(*args: str, seed: str = "0", cwd: Path = KIT_ROOT) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(KIT_ROOT)}
    return subprocess.run([sys.executable, "-m", "autograder", "similarity", *args], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=600)


def test_the_command_writes_the_report_and_the_same_scores_under_any_hash_seed(releases, tmp_path):
    build_class(releases, tmp_path / "submissions")
    first = similarity(str(tmp_path / "submissions"), "--out", str(tmp_path / "one"), "--quiet", seed="1")
    second = similarity(str(tmp_path / "submissions"), "--out", str(tmp_path / "two"), seed="2")
    assert first.returncode == second.returncode == exit_codes.OK, first.stderr + second.stderr
    assert "reason to look, not proof" in first.stderr and "1 scored 0.5 or more" in first.stderr
    one = (tmp_path / "one" / "pairs.csv").read_text(encoding="utf-8")
    assert one == (tmp_path / "two" / "pairs.csv").read_text(encoding="utf-8")
    assert one.splitlines()[1].startswith("1,alice,bob,classmate,")
    assert (tmp_path / "one" / "index.html").is_file() and (tmp_path / "one" / "pairs" / "0001.html").is_file()


def test_unusable_inputs_get_named_exit_codes(tmp_path):
    (tmp_path / "submissions").mkdir()
    missing = similarity(str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert missing.returncode == exit_codes.BAD_INPUT and "is not a folder" in missing.stderr
    no_known = similarity(str(tmp_path / "submissions"), "--out", str(tmp_path / "out"), "--known",
                          str(tmp_path / "nowhere"))
    assert no_known.returncode == exit_codes.BAD_INPUT and "--known" in no_known.stderr
    (tmp_path / "submissions" / "a b").mkdir()
    (tmp_path / "submissions" / "a_b").mkdir()
    collision = similarity(str(tmp_path / "submissions"), "--out", str(tmp_path / "out"))
    assert collision.returncode == exit_codes.BAD_INPUT and "nothing was compared" in collision.stderr
    threshold = similarity(str(tmp_path / "submissions"), "--out", str(tmp_path / "out"), "--threshold", "0")
    assert threshold.returncode == exit_codes.USAGE
    common = similarity(str(tmp_path / "submissions"), "--out", str(tmp_path / "out"), "--ignore-common", "0")
    assert common.returncode == exit_codes.USAGE and "--ignore-common" in common.stderr


def test_the_demo_class_is_read_never_run(releases, tmp_path):
    """The demo's four samples: buggy is the solution with a few slips, the cheater's zip writes
    results.json files wherever it can when imported. Nothing is imported, so nothing is written."""
    submissions = write_samples(releases["starter"], releases["solution"], tmp_path / "submissions")
    (tmp_path / "cwd").mkdir()
    done = similarity(str(submissions), "--out", str(tmp_path / "report"), cwd=tmp_path / "cwd")
    assert done.returncode == exit_codes.OK, done.stderr
    assert list((tmp_path / "cwd").iterdir()) == [] and not (tmp_path / "results.json").exists()
    table = (tmp_path / "report" / "pairs.csv").read_text(encoding="utf-8").splitlines()
    assert table[1].startswith("1,buggy,solution,classmate,") and float(table[1].split(",")[4]) >= 0.9
    assert all(float(row.split(",")[4]) == 0 for row in table[1:] if "starter" in row.split(",")[1:3])
    html = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "cheater" in html and "Not compared" not in html
