"""Turn outcomes into points: pure functions of the manifest and the outcomes.

Points come only from the specs. An outcome for an id the manifest does not know is ignored
(and reported to staff); a spec without an outcome scores 0 as "not run".
"""
from __future__ import annotations

from autograder.grading.results import (
    COULD_NOT_GRADE,
    GRADED,
    ScoredTest,
    SubmissionResult,
    TestOutcome,
    TestSpec,
)

NOT_RUN = "this test did not run"


def score_tests(specs: tuple[TestSpec, ...], outcomes: tuple[TestOutcome, ...]) -> tuple[ScoredTest, ...]:
    """Join each spec with its outcome (first one wins) and award its points if it passed."""
    by_id: dict[str, TestOutcome] = {}
    for outcome in outcomes:
        by_id.setdefault(outcome.test_id, outcome)
    scored = []
    for spec in specs:
        outcome = by_id.get(spec.id, TestOutcome(spec.id, False, NOT_RUN))
        scored.append(ScoredTest(spec, outcome, float(spec.points) if outcome.passed else 0.0))
    return tuple(scored)


def unknown_outcomes(specs: tuple[TestSpec, ...], outcomes: tuple[TestOutcome, ...]) -> list[str]:
    known = {spec.id for spec in specs}
    return sorted({o.test_id for o in outcomes} - known)


def build_result(student: str, specs: tuple[TestSpec, ...], outcomes: tuple[TestOutcome, ...], *,
                 content_hash: str = "", seconds: float = 0.0, notices: tuple[str, ...] = (),
                 staff_log: str = "") -> SubmissionResult:
    """A graded result: scores from the specs, totals from the scores."""
    tests = score_tests(specs, outcomes)
    unknown = unknown_outcomes(specs, outcomes)
    if unknown:
        staff_log += f"\nignored outcomes for unknown test ids: {', '.join(unknown)}"
    return SubmissionResult(
        student=student,
        status=GRADED,
        tests=tests,
        score=sum(test.score for test in tests),
        max_score=float(sum(spec.points for spec in specs)),
        content_hash=content_hash,
        seconds=round(seconds, 3),
        notices=notices,
        staff_log=staff_log.strip(),
    )


def could_not_grade(student: str, specs: tuple[TestSpec, ...], reason: str, *, staff_log: str = "",
                    content_hash: str = "", seconds: float = 0.0) -> SubmissionResult:
    """A result for a submission the grader could not grade: every test 0, the reason visible."""
    tests = tuple(ScoredTest(spec, TestOutcome(spec.id, False, reason), 0.0) for spec in specs)
    return SubmissionResult(
        student=student,
        status=COULD_NOT_GRADE,
        tests=tests,
        score=0.0,
        max_score=float(sum(spec.points for spec in specs)),
        content_hash=content_hash,
        seconds=round(seconds, 3),
        notices=(reason,),
        staff_log=staff_log.strip(),
    )
