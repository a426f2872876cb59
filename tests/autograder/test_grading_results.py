import json
from dataclasses import replace

import pytest

from autograder.grading.results import (
    PATCHED_MODULE,
    SCHEMA_VERSION,
    TIMEOUT,
    GradingEvent,
    ScoredTest,
    SubmissionResult,
    TestOutcome,
    TestSpec,
)


def small_result() -> SubmissionResult:
    spec = TestSpec("a.b", "f", 2, "A B", "fix f")
    return SubmissionResult("alice", "graded", (ScoredTest(spec, TestOutcome("a.b", True, "", 0.1), 2.0),), 2.0, 2.0,
                            content_hash="abc", notices=("note",), staff_log="log")


def test_json_round_trip_keeps_everything():
    result = small_result()
    assert SubmissionResult.from_json(result.to_json()) == result


def test_json_carries_the_schema_version_and_refuses_another():
    text = small_result().to_json()
    assert f'"schema_version": {SCHEMA_VERSION}' in text
    with pytest.raises(ValueError, match="schema version"):
        SubmissionResult.from_json(text.replace(f'"schema_version": {SCHEMA_VERSION}', '"schema_version": 999'))


def test_specs_validate_visibility_and_points():
    with pytest.raises(ValueError, match="visibility of t must be one of"):
        TestSpec("t", "f", 1, "T", "m", visibility="sometimes")
    with pytest.raises(ValueError, match="points of t must be non-negative"):
        TestSpec("t", "f", -1, "T", "m")


def test_events_survive_the_round_trip_and_older_results_have_none():
    result = replace(small_result(), events=(GradingEvent(TIMEOUT, "f", "call f/0: timeout"),
                                             GradingEvent(PATCHED_MODULE, "cs_utils/a.py", "numpy.allclose on line 3")))
    assert SubmissionResult.from_json(result.to_json()) == result
    older = json.loads(small_result().to_json())
    del older["events"]  # written before events were recorded: same schema version, read as none
    assert SubmissionResult.from_json(json.dumps(older)).events == ()


def test_an_event_kind_must_be_known():
    with pytest.raises(ValueError, match="event kind must be one of"):
        GradingEvent("sneaky")
