"""Fixtures for the grader's tests: releases, sample submissions, fast limits."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.grading.demo import make_submission
from autograder.grading.sandbox import Limits
from autograder.release import build_release

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root: privilege drop, mount and network namespaces")
#: Short wall-clock limits so hostile submissions cost seconds, not minutes.
FAST = Limits(call_seconds=3.0, submission_seconds=40.0)


@pytest.fixture(scope="session")
def releases(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("releases")
    build_release(root / "solution", solutions=True)
    build_release(root / "starter")
    return {"solution": root / "solution", "starter": root / "starter"}


@pytest.fixture(scope="session")
def grader():
    """One grader (sandbox + zygote + cached plans) shared by the tests of a session."""
    from autograder.grading.runner import Grader

    with Grader(limits=FAST) as shared:
        shared.warm_up()
        yield shared


@pytest.fixture
def variant(releases, tmp_path):
    """Make a submission from a release with text edits: variant("name", edits=..., base="solution")."""

    def make(name: str, *, base: str = "solution", edits=None, append=None) -> Path:
        return make_submission(releases[base], tmp_path / name, edits=edits, append=append)

    return make

