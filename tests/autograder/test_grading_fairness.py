"""The grader is fair: correct code written differently earns every point, each common bug loses
points on exactly the tests that name it, and no function pays for another's bug.

Every variant of ``fairness_variants.py`` is one submission (the solution with that one function
rewritten), and the whole set is graded in one batch, the way a class is.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from fairness_variants import BUGS, CORRECT, keyed, without_naive_yardstick, write_submission

from autograder.grading import manifest, preflight
from autograder.grading.batch import grade_all
from autograder.grading.results import SubmissionResult
from autograder.grading.sandbox import Limits

pytestmark = pytest.mark.e2e  # grades some sixty submissions in sandboxes

LIMITS = Limits(call_seconds=10.0, submission_seconds=90.0)
VARIANTS = keyed()
FUNCTION_OF = {spec.id: spec.function for spec in manifest.TESTS}


def grade_variants(variants, solution: Path, root: Path) -> dict[str, SubmissionResult]:
    """Each variant as a submission (the solution with its change), graded in one batch as a class is."""
    for key, variant in variants.items():
        write_submission(variant, solution, root / "submissions" / key)
    summary = grade_all(root / "submissions", root / "out", workers=2, limits=LIMITS, progress=False,
                        accept=preflight.WEAKER, notebooks=False)
    return {result.student: result for result in summary.results}


@pytest.fixture(scope="module")
def graded(releases, tmp_path_factory) -> dict[str, SubmissionResult]:
    return grade_variants(VARIANTS, releases["solution"], tmp_path_factory.mktemp("fairness"))


def test_there_are_enough_variants():
    assert len(CORRECT) >= 20 and len(BUGS) >= 40, (len(CORRECT), len(BUGS))


def failing(result: SubmissionResult) -> dict[str, str]:
    return {t.spec.id: f"{t.outcome.detail} | {t.spec.failure_message}" for t in result.tests if not t.outcome.passed}


@pytest.mark.parametrize("key", [k for k, v in VARIANTS.items() if not v.fails])
def test_correct_code_written_differently_earns_every_point(graded, key):
    result = graded[key]
    assert result.status == "graded", result.staff_log[-1500:]
    assert failing(result) == {}, VARIANTS[key].name


@pytest.mark.parametrize("key", [k for k, v in VARIANTS.items() if v.fails])
def test_each_bug_loses_points_on_exactly_the_tests_that_name_it(graded, key):
    variant, result = VARIANTS[key], graded[key]
    assert result.status == "graded", result.staff_log[-1500:]
    failed = failing(result)
    assert set(failed) == set(variant.fails), (variant.name, failed)
    family = {"k_nearest_neighbor": "knn.", "linear_svm": "svm.", "softmax": "softmax.", "linear_classifier": "linear."}
    assert all(test.startswith(family[Path(variant.file).stem]) for test in failed), (
        variant.name, "a function of another module lost points")
    if not variant.append:  # a bug inside one function costs that function's tests only
        assert all(FUNCTION_OF[test] == variant.function.split(".")[-1] or FUNCTION_OF[test] == variant.function
                   for test in failed), (variant.name, "another function lost points")
    if variant.hint:
        assert any(variant.hint.lower() in text.lower() for text in failed.values()), (variant.name, failed)


NO_YARDSTICK = without_naive_yardstick()


@pytest.fixture(scope="module")
def graded_without_naive(releases, tmp_path_factory) -> dict[str, SubmissionResult]:
    return grade_variants(NO_YARDSTICK, releases["solution"], tmp_path_factory.mktemp("fairness-no-naive"))


def _own_failures(key: str, result: SubmissionResult) -> dict[str, str]:
    function = NO_YARDSTICK[key].function
    return {test: text for test, text in failing(result).items()
            if FUNCTION_OF[test] in (function, function.split(".")[-1])}


@pytest.mark.parametrize("key", [k for k, v in NO_YARDSTICK.items() if not v.fails])
def test_without_a_naive_yardstick_correct_vectorized_code_keeps_every_point(graded_without_naive, key):
    """The naive version raises, so speed is judged against the reference's time: a correct
    vectorized function, however written, still earns all its points (its naive twin loses its own)."""
    result = graded_without_naive[key]
    assert result.status == "graded", result.staff_log[-1500:]
    assert _own_failures(key, result) == {}, NO_YARDSTICK[key].name


@pytest.mark.parametrize("key", [k for k, v in NO_YARDSTICK.items() if v.fails])
def test_without_a_naive_yardstick_a_loop_still_fails_the_speed_test(graded_without_naive, key):
    """Against the reference's time, a vectorized function that loops is still too slow."""
    result = graded_without_naive[key]
    assert result.status == "graded", result.staff_log[-1500:]
    speed = [test for test in _own_failures(key, result) if test.endswith(".speed")]
    assert speed, (NO_YARDSTICK[key].name, _own_failures(key, result))


def test_the_no_yardstick_set_covers_every_raced_function():
    functions = {variant.function for variant in NO_YARDSTICK.values() if not variant.fails}
    assert len(functions) == 3 and any(variant.fails for variant in NO_YARDSTICK.values())
