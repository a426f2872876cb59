from autograder.grading import manifest
from autograder.grading.results import TestOutcome, TestSpec
from autograder.grading.scoring import NOT_RUN, build_result, could_not_grade, score_tests

SPECS = (TestSpec("t1", "f", 3, "one", "m1"), TestSpec("t2", "g", 2, "two", "m2"))


def test_points_come_from_the_specs_not_the_outcomes():
    outcomes = (TestOutcome("t1", True), TestOutcome("t2", False, "wrong"), TestOutcome("forged", True))
    result = build_result("bob", SPECS, outcomes)
    assert [t.score for t in result.tests] == [3.0, 0.0]
    assert (result.score, result.max_score) == (3.0, 5.0)
    assert "forged" in result.staff_log


def test_a_missing_outcome_scores_zero_as_not_run():
    scored = score_tests(SPECS, (TestOutcome("t2", True),))
    assert scored[0].score == 0 and scored[0].outcome.detail == NOT_RUN
    assert scored[1].score == 2


def test_duplicate_outcomes_cannot_count_twice():
    result = build_result("bob", SPECS, (TestOutcome("t1", True), TestOutcome("t1", True)))
    assert result.score == 3.0


def test_could_not_grade_gives_every_test_zero_and_a_visible_reason():
    result = could_not_grade("eve", SPECS, "Could not grade: no cs_utils.", staff_log="trace")
    assert result.status == "could_not_grade" and result.score == 0 and result.max_score == 5
    assert result.notices == ("Could not grade: no cs_utils.",)


def test_the_manifest_ids_are_unique():
    assert len(manifest.tests_by_id()) == len(manifest.TESTS)
