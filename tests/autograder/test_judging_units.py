"""The shared judges one by one (``checks/judging.py``, ``Returned.describe_failure``).

What a student reads when a test fails is written here in full, and so is whether a failed value
test still counts as an attempt (``ATTEMPT``: the function's property tests then still earn their
points). The boundaries are the contract's: a tolerance is met when the error equals it, a vectorized
function passes the race when it is exactly ``RACE_FACTOR`` times faster, and so on. The numbers are
chosen to be exact in binary floating point, so each boundary holds on any machine.

``tools/judge_mutation.py check`` runs this module for every mutant of the judges that the fairness
suite did not notice.
"""
from __future__ import annotations

import json
import math
import warnings
from dataclasses import FrozenInstanceError

import numpy as np
import pytest

from autograder.grading.checks.judging import (
    ATTEMPT,
    _proportional,
    best_seconds,
    check_array,
    check_gradient,
    check_loss,
    check_loss_and_gradient,
    close_in_kind,
    first_failed_of,
    first_failure,
    loss_value,
    memory_verdict,
    no_loops_verdict,
    race_verdict,
    ran_and_returned_array,
    ran_and_returned_loss,
    relative_error,
    scale_words,
)
from autograder.grading.checks.losses import FAMILIES
from autograder.grading.checks.plans import (
    RACE_FACTOR,
    SPEED_FACTOR,
    SPEED_SLACK_SECONDS,
    Call,
    GradedFunction,
    Plan,
    Returned,
    SourceView,
)
from autograder.grading.results import Verdict

PASS = Verdict(True)


def failed(detail: str, attempt: bool = False) -> Verdict:
    """The verdict a judge must give: a failure with ``detail``, marked as an attempt or not."""
    return Verdict(False, detail, dict(ATTEMPT) if attempt else {})


def ok(numbers: dict | None = None, **arrays: np.ndarray) -> Returned:
    return Returned(True, numbers=numbers or {}, arrays=arrays)


# ------------------------------------------------------------------ plain data


def test_a_graded_function_names_the_module_it_lives_in():
    graded = GradedFunction("LinearClassifier.train", "cs_utils/classifiers/linear_classifier.py", "svm", "svm",
                            "train")
    assert graded.module == "cs_utils.classifiers.linear_classifier"


@pytest.mark.parametrize("value", [
    GradedFunction("predict", "cs_utils/classifiers/linear_classifier.py", "svm", "svm", "predict"),
    Call("key", {"kind": "knn"}), Returned(True), SourceView({}), Plan((), lambda returned, source: PASS),
    FAMILIES["svm"],
])
def test_the_plain_data_of_a_plan_cannot_be_changed_once_built(value):
    """Plans are built once and shared by every submission of a batch: nothing may rebind their parts."""
    name = next(iter(vars(value)))
    with pytest.raises(FrozenInstanceError):
        setattr(value, name, None)


# ------------------------------------------------------------------ relative_error


def test_relative_error_divides_the_largest_difference_by_the_largest_magnitude():
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.5])) == 0.5 / 2.5
    assert relative_error(np.array([4.0]), np.array([2.0])) == 2.0 / 4.0  # the returned value's magnitude counts
    assert relative_error(np.array([-4.0]), np.array([-3.0])) == 1.0 / 4.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1e-13]), np.zeros(1)) == 1e-13 / 1e-12  # never a division by zero
    assert relative_error(np.zeros(0), np.zeros(0)) == 0.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_relative_error_is_infinite_when_either_side_is_not_finite(bad):
    assert relative_error(np.array([1.0, bad]), np.array([1.0, 2.0])) == math.inf
    assert relative_error(np.array([1.0, 2.0]), np.array([1.0, bad])) == math.inf


# ------------------------------------------------------------------ check_array


def test_a_missing_or_misshapen_array_is_named():
    expected = np.arange(6.0).reshape(2, 3)
    assert check_array(None, expected, "dists", "(num_test, num_train)") == failed("dists was not returned")
    assert check_array(expected.T.copy(), expected, "dists", "(num_test, num_train)") == failed(
        "dists has the right number of entries but the wrong shape: it must be (num_test, num_train)", attempt=True)
    assert check_array(expected[:1], expected, "dists", "(num_test, num_train)") == failed(
        "dists has the wrong shape: it must be (num_test, num_train)")
    assert check_array(np.zeros(8), expected, "dists", "(num_test, num_train)") == failed(
        "dists has the wrong shape: it must be (num_test, num_train)")  # more entries than asked
    assert check_array(expected.ravel(), expected, "dists", "(num_test, num_train)").extra == ATTEMPT
    large = np.arange(600.0).reshape(20, 30)  # sizes past CPython's small integers: compared by value
    assert check_array(large.T.copy(), large, "dists", "(num_test, num_train)") == failed(
        "dists has the right number of entries but the wrong shape: it must be (num_test, num_train)", attempt=True)


def test_labels_must_be_whole_numbers_and_half_right_is_an_attempt():
    expected = np.array([0, 1, 2, 3])
    assert check_array(expected.astype(np.float64), expected, "y_pred", "(N,)", integers=True) == PASS
    assert check_array(expected + 0.5, expected, "y_pred", "(N,)", integers=True) == failed(
        "y_pred must hold whole-number labels")
    assert check_array(np.array([0.0, 1.0, 1.75, 3.0]), expected, "y_pred", "(N,)", integers=True) == failed(
        "y_pred must hold whole-number labels")  # a fraction that rounds up
    assert check_array(np.array([0.0, 1.0, np.nan, 3.0]), expected, "y_pred", "(N,)", integers=True) == failed(
        "y_pred must hold whole-number labels")
    assert check_array(np.array([0.0, 1.0, np.inf, 3.0]), expected, "y_pred", "(N,)", integers=True) == failed(
        "y_pred must hold whole-number labels")
    wrong = "some labels in y_pred are wrong"
    assert check_array(np.array([0, 1, 2, 0]), expected, "y_pred", "(N,)", integers=True) == failed(wrong, True)
    assert check_array(np.array([0, 1, 0, 0]), expected, "y_pred", "(N,)", integers=True) == failed(wrong, True)
    assert check_array(np.array([0, 0, 0, 0]), expected, "y_pred", "(N,)", integers=True) == failed(wrong)


def test_values_are_compared_within_the_tolerance_and_a_correlated_slip_is_an_attempt():
    expected = np.array([4.0, 2.0, 1.0])
    assert check_array(np.array([3.0, 2.0, 1.0]), expected, "dW", "(D, C)", tolerance=0.25) == PASS  # error 1/4
    assert check_array(np.array([2.75, 2.0, 1.0]), expected, "dW", "(D, C)", tolerance=0.25) == failed(
        "dW differs from the correct values", attempt=True)
    assert check_array(np.array([1.0, 2.0, 4.0]), expected, "dW", "(D, C)") == failed(
        "dW differs from the correct values")  # anti-correlated: no attempt
    assert check_array(np.array([4.0, np.nan, 1.0]), expected, "dW", "(D, C)") == failed(
        "dW contains NaN or inf")
    assert check_array(np.array([4.0, -np.inf, 1.0]), expected, "dW", "(D, C)") == failed(
        "dW contains NaN or inf")


def test_float32_answers_get_a_looser_tolerance_float64_ones_do_not():
    expected = np.array([1.0, 2.0, 3.0])
    off = expected * (1 + 5e-5)
    assert check_array(off.astype(np.float32), expected, "dists", "(N, M)") == PASS
    assert not check_array(off, expected, "dists", "(N, M)").passed
    assert not check_array((expected * (1 + 5e-4)).astype(np.float32), expected, "dists", "(N, M)").passed
    # only float32 earns the looser tolerance: not integers, not float16
    rounded = np.array([10000, 20000])  # 2.5e-5 away from [10000.5, 20000]
    assert check_array(rounded.astype(np.float32), np.array([10000.5, 20000.0]), "dists", "(N, M)") == PASS
    for dtype in (np.int64, np.int16, np.float16, np.float64):
        assert not check_array(rounded.astype(dtype), np.array([10000.5, 20000.0]), "dists", "(N, M)").passed
    # an explicit tolerance looser than float32's is kept
    assert check_array((expected * (1 + 5e-3)).astype(np.float32), expected, "dists", "(N, M)",
                       tolerance=1e-2) == PASS


# ------------------------------------------------------------------ close_in_kind


def test_an_answer_is_close_in_kind_when_it_follows_the_correct_one():
    expected = np.array([1.0, 2.0, 3.0, 4.0])
    assert close_in_kind(3 * expected + 1, expected)
    assert close_in_kind(np.array([1.0, 2.0, 3.0, 5.0]), expected)  # correlation 0.98
    assert not close_in_kind(np.array([1.0, 3.0, 2.0, 4.0]), expected)  # correlation 0.8
    assert not close_in_kind(-expected, expected)
    assert not close_in_kind(np.full(4, 2.0), expected)  # a constant placeholder
    assert not close_in_kind(expected, np.full(4, 2.0))
    assert not close_in_kind(np.array([1.0, np.nan, 3.0, 4.0]), expected)
    assert not close_in_kind(np.array([1.0]), np.array([1.0]))
    assert close_in_kind(np.array([1.0, 2.0]), np.array([0.0, 5.0]))  # two entries are enough
    assert close_in_kind(np.array([[1, 2], [3, 4]], dtype=np.int64), expected.reshape(2, 2))


def test_placeholders_are_recognised_without_numpy_warnings():
    """A constant or non-finite answer is decided before any correlation (which would warn and say NaN)."""
    expected = np.array([1.0, 2.0, 3.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not close_in_kind(np.zeros(4), expected)
        assert not close_in_kind(expected, np.ones(4))
        assert not close_in_kind(np.array([1.0, np.inf, 3.0, 4.0]), expected)
        assert not close_in_kind(np.array([np.nan, np.nan, np.nan, np.nan]), expected)
        assert not check_array(np.zeros(4), expected, "dW", "(D, C)").extra


# ------------------------------------------------------------------ scale_words


@pytest.mark.parametrize(("factor", "N", "words"), [
    (7.0, 7, "about N times too large: divide the sum over examples by N"),
    (1 / 7, 7, "about N times too small: did you divide by N twice?"),
    (2.0, 2, "about N times too large: divide the sum over examples by N"),  # N first, when N is 2
    (2.0, 7, "about twice the correct value"),
    (0.5, 7, "about half the correct value"),
    (2.0, None, "about twice the correct value"),
    (3.0, 7, "a whole multiple of the correct value: check where you divide by N"),
    (1 / 3, 7, "the correct value divided by a whole number: did you divide by N twice?"),
    (7.0, None, "a whole multiple of the correct value: check where you divide by N"),
    (1 / 7, None, "the correct value divided by a whole number: did you divide by N twice?"),
    (2.0009, 7, "about twice the correct value"),  # close to a whole number is enough
    (1 / 2.0009, 7, "about half the correct value"),
    (2.0011, 7, None),
    (2.5, 7, None),
    (1.0, 7, None),
    (1.0009, 7, None),
    (1.6, 7, None),  # rounds to 2 but is not close to it
    (0.4, 7, None),  # its inverse 2.5 is no whole number either
    (0.0005, 7, "the correct value divided by a whole number: did you divide by N twice?"),  # 1/2000
    (0.0, 7, None),
    (-2.0, 7, None),  # a sign is no scale
    (-0.5, None, None),
])
def test_a_whole_number_ratio_is_named_without_its_number(factor, N, words):
    assert scale_words(factor, N) == words


# ------------------------------------------------------------------ check_loss


def test_a_loss_is_a_float_within_the_tolerance():
    W = np.ones((2, 2))
    assert check_loss(None, 1.0, W=W, reg=0.0) == failed("the loss was not returned as a number (return loss, dW)")
    assert check_loss(1, 1.0, W=W, reg=0.0) == failed(  # type: ignore[arg-type]
        "the loss was not returned as a number (return loss, dW)")
    assert check_loss(np.float64(1.0), 1.0, W=W, reg=0.0) == PASS
    for bad in (math.nan, math.inf, -math.inf):
        assert check_loss(bad, 1.0, W=W, reg=0.0) == failed("the loss is NaN or inf")
    assert check_loss(5.0, 4.0, W=W, reg=0.0, tolerance=0.25) == PASS  # relative to the loss: 1 <= 0.25 * 4
    assert not check_loss(5.25, 4.0, W=W, reg=0.0, tolerance=0.25).passed
    assert check_loss(0.75, 0.5, W=W, reg=0.0, tolerance=0.25) == PASS  # absolute below 1: 0.25 <= 0.25 * 1
    assert not check_loss(0.875, 0.5, W=W, reg=0.0, tolerance=0.25).passed
    assert check_loss(-3.0, -4.0, W=W, reg=0.0, tolerance=0.25) == PASS  # the magnitude of a negative loss


def test_the_regularization_slips_of_a_loss_are_named():
    W, reg, data = np.full((2, 2), 0.5), 0.25, 1.5
    penalty = reg * 4 * 0.25  # reg * sum(W**2) = 0.25
    full = data + penalty
    assert check_loss(data, full, W=W, reg=reg) == failed(
        "the loss is missing the regularization term reg * sum(W**2)", attempt=True)
    assert check_loss(data + penalty / 2, full, W=W, reg=reg) == failed(
        "the regularization term should be reg * sum(W**2), without a factor 1/2", attempt=True)
    assert check_loss(data + 2 * penalty, full, W=W, reg=reg) == failed("the loss differs from the correct value")
    assert check_loss(data + 1e-3, full, W=W, reg=reg) == failed("the loss differs from the correct value")
    assert check_loss(data + penalty / 2 + 1e-3, full, W=W, reg=reg) == failed(
        "the loss differs from the correct value")
    # the regularization slips are recognised to 1e-6 of the loss, and to 1e-6 when the loss is below 1
    big = 4.0
    assert check_loss(big - penalty + 2e-6, big, W=W, reg=reg) == failed(
        "the loss is missing the regularization term reg * sum(W**2)", attempt=True)
    assert check_loss(big - penalty / 2 + 2e-6, big, W=W, reg=reg) == failed(
        "the regularization term should be reg * sum(W**2), without a factor 1/2", attempt=True)
    for slip in (penalty, penalty / 2):
        assert check_loss(big - slip + 5e-6, big, W=W, reg=reg) == failed("the loss differs from the correct value")
    small = 0.5
    assert check_loss(small - penalty + 0.75e-6, small, W=W, reg=reg) == failed(
        "the loss is missing the regularization term reg * sum(W**2)", attempt=True)
    assert check_loss(small - penalty / 2 + 0.75e-6, small, W=W, reg=reg) == failed(
        "the regularization term should be reg * sum(W**2), without a factor 1/2", attempt=True)
    assert check_loss(small - penalty + 1.5e-6, small, W=W, reg=reg) == failed(
        "the loss is about half the correct value", attempt=True)
    assert check_loss(small - penalty / 2 + 1.5e-6, small, W=W, reg=reg) == failed(
        "the data term of the loss is about half the correct value", attempt=True)
    # at exactly the allowance (exact in binary: a penalty of 2**-29 against a loss of 0, allowance 1e-6)
    tiny, W1 = 2.0**-29, np.ones((1, 1))
    assert (1e-6 - tiny) + tiny == 1e-6 and (1e-6 - tiny / 2) + tiny / 2 == 1e-6
    assert check_loss(1e-6 - tiny, 0.0, W=W1, reg=tiny, tolerance=1e-9) == failed(
        "the loss is missing the regularization term reg * sum(W**2)", attempt=True)
    assert check_loss(1e-6 - tiny / 2, 0.0, W=W1, reg=tiny, tolerance=1e-9) == failed(
        "the regularization term should be reg * sum(W**2), without a factor 1/2", attempt=True)
    # with no penalty at all there is no regularization slip to name
    assert check_loss(1.0, 1.25, W=W, reg=0.0) == failed("the loss differs from the correct value")


def test_the_scale_slips_of_a_loss_are_named_for_the_whole_loss_or_its_data_term():
    W, reg = np.full((2, 2), 0.5), 0.25  # penalty 0.25
    assert check_loss(3.0, 1.5, W=W, reg=0.0, N=5) == failed("the loss is about twice the correct value", True)
    assert check_loss(7.5, 1.5, W=W, reg=0.0, N=5) == failed(
        "the loss is about N times too large: divide the sum over examples by N", True)
    assert check_loss(5 * 1.5 + 0.25, 1.5 + 0.25, W=W, reg=reg, N=5) == failed(
        "the data term of the loss is about N times too large: divide the sum over examples by N", True)
    assert check_loss(-1.5, 1.5, W=W, reg=0.0, N=5) == failed("the loss differs from the correct value")
    assert check_loss(1.0, 0.0, W=W, reg=0.0, N=5) == failed("the loss differs from the correct value")
    # the data term is zero: only the whole loss can be compared
    assert check_loss(0.5, 0.25, W=W, reg=reg, N=5) == failed("the loss is about twice the correct value", True)


# ------------------------------------------------------------------ check_gradient


def gradient_problem():
    W = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
    data = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])
    return W, data, 0.5  # the penalty's gradient 2 * reg * W == W


def test_a_gradient_that_is_missing_or_not_finite_is_named():
    W, data, reg = gradient_problem()
    full = data + 2 * reg * W
    assert check_gradient(None, full, W=W, reg=reg) == failed("dW was not returned")
    assert check_gradient(full[:1], full, W=W, reg=reg) == failed(
        "dW has the wrong shape: it must be (D, C), the same as W")
    assert check_gradient(full.T.copy(), full, W=W, reg=reg) == failed(
        "dW has the right number of entries but the wrong shape: it must be (D, C), the same as W", True)
    with_nan = full.copy()
    with_nan[0, 0] = np.nan
    assert check_gradient(with_nan, full, W=W, reg=reg) == failed("dW contains NaN or inf")
    assert check_gradient(full.astype(np.float32), full, W=W, reg=reg) == PASS


def test_the_regularization_slips_of_a_gradient_are_named_only_with_a_penalty():
    W, data, reg = gradient_problem()
    full = data + 2 * reg * W
    assert check_gradient(data, full, W=W, reg=reg) == failed(
        "dW is missing the regularization gradient: add 2 * reg * W", True)
    assert check_gradient(data + reg * W, full, W=W, reg=reg) == failed(
        "the regularization gradient should be 2 * reg * W, not reg * W", True)
    assert check_gradient(np.zeros_like(full), full, W=W, reg=reg) == failed("dW is all zeros")
    assert check_gradient(np.zeros_like(full), 2 * reg * W, W=W, reg=reg) == failed(
        "dW is missing the regularization gradient: add 2 * reg * W", True)  # a zero data term, correct
    # without a penalty "missing" and "half" mean nothing: the difference is reported as it is
    assert check_gradient(data + 1e-3, data, W=W, reg=0.0) == failed("dW differs from the correct values", True)


def test_the_regularization_slips_of_a_gradient_are_named_below_a_relative_error_of_1e_6():
    """Exact in binary: with W = [[1, 0]] and dW = [[1, 0]], a data term [[0, off]] is off by a relative
    ``off`` once 2 * reg * W (reg 0.5), or reg * W (reg 1), is added."""
    W, expected = np.array([[1.0, 0.0]]), np.array([[1.0, 0.0]])
    missing, half = "dW is missing the regularization gradient: add 2 * reg * W", (
        "the regularization gradient should be 2 * reg * W, not reg * W")
    assert check_gradient(np.array([[0.0, 5e-7]]), expected, W=W, reg=0.5) == failed(missing, True)
    assert check_gradient(np.array([[0.0, 1e-6]]), expected, W=W, reg=0.5) == failed(
        "dW differs from the correct values")
    assert check_gradient(np.array([[0.0, 5e-7]]), expected, W=W, reg=1.0) == failed(half, True)
    assert check_gradient(np.array([[0.0, 1e-6]]), expected, W=W, reg=1.0) == failed(
        "the data term of dW is about twice the correct value", True)  # [[-2, 1e-6]] against [[-1, 0]]


def test_the_scale_and_sign_slips_of_a_gradient_are_named():
    W, data, reg = gradient_problem()
    full = data + 2 * reg * W
    assert check_gradient(-full, full, W=W, reg=reg) == failed("dW has the wrong sign", True)
    assert check_gradient(2 * full, full, W=W, reg=reg, N=4) == failed("dW is about twice the correct value", True)
    assert check_gradient(full / 4, full, W=W, reg=reg, N=4) == failed(
        "dW is about N times too small: did you divide by N twice?", True)
    assert check_gradient(4 * data + 2 * reg * W, full, W=W, reg=reg, N=4) == failed(
        "the data term of dW is about N times too large: divide the sum over examples by N", True)
    # only the whole dW's sign is named: a data term of the wrong sign is a plain difference
    assert check_gradient(-data + 2 * reg * W, full, W=W, reg=reg) == failed("dW differs from the correct values")
    assert check_gradient(full * 1.5, full, W=W, reg=reg, N=4) == failed("dW differs from the correct values", True)


def test_the_factor_between_two_arrays_is_found_only_when_there_is_one():
    expected = np.array([1.0, -2.0, 4.0])
    assert _proportional(3 * expected, expected) == 3.0
    assert _proportional(-expected / 2, expected) == -0.5
    assert _proportional(expected + np.array([0.0, 0.0, 1.0]), expected) is None
    assert _proportional(expected, np.zeros(3)) is None
    assert _proportional(np.zeros(3), expected) == 0.0


def test_loss_and_gradient_are_judged_loss_first():
    W, data, reg = gradient_problem()
    full = data + 2 * reg * W
    right = ok({"result.0": 1.5}, **{"result.1": full})
    assert check_loss_and_gradient(right, 1.5, full, W=W, reg=reg) == PASS
    wrong_loss = ok({"result.0": 3.0}, **{"result.1": -full})
    assert check_loss_and_gradient(wrong_loss, 1.5, full, W=W, reg=reg) == failed(
        "the loss is about twice the correct value", True)
    wrong_dW = ok({"result.0": 1.5}, **{"result.1": -full})
    assert check_loss_and_gradient(wrong_dW, 1.5, full, W=W, reg=reg) == failed("dW has the wrong sign", True)
    no_dW = ok({"result.0": 1.5})
    assert check_loss_and_gradient(no_dW, 1.5, full, W=W, reg=reg) == failed("dW was not returned", True)


# ------------------------------------------------------------------ combining verdicts


def test_a_failure_next_to_passes_is_an_attempt():
    assert first_failed_of([]) == PASS
    assert first_failed_of([PASS, PASS]) == PASS
    assert first_failed_of([PASS, failed("a"), failed("b")]) == failed("a", True)
    assert first_failed_of([failed("a"), failed("b", True)]) == failed("a")
    assert first_failed_of(iter([failed("a", True), failed("b")])) == failed("a", True)
    kept = Verdict(False, "a", {"note": 1})
    assert first_failed_of([kept, PASS]) == Verdict(False, "a", {"note": 1, **ATTEMPT})


def test_the_first_call_that_failed_is_described():
    assert first_failure((ok(), ok()), "f") is None
    assert first_failure((ok(), Returned(False, "timeout"), Returned(False, "ValueError")), "f") == failed(
        "f did not finish within the time limit (infinite loop?)")


@pytest.mark.parametrize(("error", "words"), [
    ("timeout", "predict did not finish within the time limit (infinite loop?)"),
    ("died", "the process running predict stopped (a crash, os._exit, or the memory/CPU limit); other functions "
             "are still graded"),
    ("unreadable", "what predict returned could not be read as numbers"),
    ("too much", "predict returned far more data than a correct answer; the grader stopped reading it"),
    ("NotImplementedError", "predict raised NotImplementedError: it is not implemented yet"),
    ("ZeroDivisionError", "predict raised ZeroDivisionError"),
    ("wrong_input", "predict raised wrong_input"),  # a student's own exception class, named in lower case
])
def test_every_kind_of_failed_call_is_described_in_words(error, words):
    # the error's name arrives in the child's JSON reply: an equal string, never the same object
    arrived = json.loads(json.dumps({"error": error}))["error"]
    assert Returned(False, arrived).describe_failure("predict") == words


def test_the_source_view_reads_a_submitted_file_up_to_a_megabyte():
    most = b"#" * (1 << 20)
    view = SourceView({"small.py": b"x = 1\n", "most.py": most, "huge.py": most + b"#", "odd.py": b"\xff = 1"})
    assert view.text("small.py") == "x = 1\n" and view.text("most.py") == most.decode()
    assert view.text("huge.py") is None and view.text("missing.py") is None
    assert view.text("odd.py") == "\ufffd = 1"


def test_the_loss_is_read_only_when_it_is_a_float():
    assert loss_value(ok({"result.0": 2.5})) == 2.5
    assert loss_value(ok({"result.0": 2})) is None
    assert loss_value(ok({"result.1": 2.5})) is None


# ------------------------------------------------------------------ speed


def raced(fast: float | None, slow: float | None, *, ok_: bool = True) -> Returned:
    numbers = {name: value for name, value in (("result.0", fast), ("result.1", slow)) if value is not None}
    return Returned(ok_, "" if ok_ else "ValueError", numbers=numbers)


def solo(seconds: float | None, *, ok_: bool = True) -> Returned:
    return Returned(ok_, "" if ok_ else "died", numbers={} if seconds is None else {"result.0": seconds})


SLOWER_THAN_NAIVE = ("svm_loss_vectorized is not much faster than your svm_loss_naive: it should need no Python loop "
                     "and no array larger than the inputs and the result")
LATE = "svm_loss_vectorized took far longer than a vectorized solution"


def verdict(race: Returned, alone: Returned, yardstick: bool = True, reference: float = 0.25) -> Verdict:
    return race_verdict(race, alone, "svm_loss_vectorized", "svm_loss_naive", yardstick, reference)


def test_the_race_passes_a_function_race_factor_times_faster_than_the_naive_one():
    assert verdict(raced(0.25, 0.25 * RACE_FACTOR), solo(99.0)) == PASS  # exactly the factor
    assert verdict(raced(0.25, 0.25 * RACE_FACTOR - 0.125), solo(0.0)) == failed(SLOWER_THAN_NAIVE)
    assert verdict(raced(0.0, 0.0), solo(0.0)) == PASS


@pytest.mark.parametrize("race", [
    raced(0.25, 99.0, ok_=False),  # the race broke
    raced(None, 99.0), raced(0.25, None),  # a time is missing
    raced(math.nan, 99.0), raced(0.25, math.inf),
])
def test_without_a_clean_race_the_solo_time_is_compared_with_the_reference(race):
    limit = SPEED_FACTOR * 0.25 + SPEED_SLACK_SECONDS
    assert verdict(race, solo(limit)) == PASS
    assert verdict(race, solo(limit + 0.125)) == failed(LATE)


def test_a_naive_version_that_cannot_serve_leaves_the_verdict_to_the_solo_time():
    limit = SPEED_FACTOR * 0.25 + SPEED_SLACK_SECONDS
    assert verdict(raced(99.0, 0.25), solo(limit), yardstick=False) == PASS  # the race alone would fail it
    assert verdict(raced(0.25, 99.0), solo(limit + 0.125), yardstick=False) == failed(LATE)
    assert verdict(raced(0.25, 99.0), solo(None, ok_=False), yardstick=False) == failed(
        "the process running svm_loss_vectorized stopped (a crash, os._exit, or the memory/CPU limit); other "
        "functions are still graded")
    for seconds in (None, math.nan, math.inf):
        assert verdict(raced(0.25, 99.0), solo(seconds), yardstick=False) == failed(
            "the grader could not time svm_loss_vectorized")


def test_best_seconds_is_the_fastest_of_the_runs():
    runs = []
    ticks = iter([0.25, 0.75, 10.0, 12.0, 20.0, 21.5])  # runs of 0.5, 2 and 1.5 seconds
    assert best_seconds(lambda: runs.append(1), repeats=3, clock=lambda: next(ticks)) == 0.5
    assert len(runs) == 3
    seconds = best_seconds(lambda: runs.append(1))
    assert len(runs) == 6 and math.isfinite(seconds) and seconds >= 0


# ------------------------------------------------------------------ no loops


LOOPY = b"""
def helper(x):
    return [v for v in x]

def vectorized(x):
    for _ in range(2):
        pass
    while False:
        pass
    return helper(x) + [v for v in x]

def clean(x):
    return x * 2
"""


def test_the_loops_of_a_function_are_named_with_their_lines():
    source = SourceView({"m.py": LOOPY})
    assert no_loops_verdict(source, "m.py", "clean") == PASS
    detail = no_loops_verdict(source, "m.py", "vectorized").detail
    assert detail.startswith("vectorized contains Python loops: ") and detail.count(" on line ") == 3
    assert no_loops_verdict(source, "m.py", "missing") == failed("missing was not found in m.py (or the file does "
                                                                 "not parse)")
    assert no_loops_verdict(SourceView({}), "m.py", "clean").detail == (
        "clean was not found in m.py (or the file does not parse)")


# ------------------------------------------------------------------ a property test needs a real answer


def test_a_property_test_needs_a_real_loss_and_gradient():
    W = np.ones((2, 3))
    real = ok({"result.0": 1.0}, **{"result.1": np.ones((2, 3))})
    assert ran_and_returned_loss((real,), "f", W) == PASS
    assert ran_and_returned_loss((Returned(False, "timeout"),), "f", W) == failed(
        "f did not finish within the time limit (infinite loop?)")
    for numbers in ({}, {"result.0": math.nan}, {"result.0": math.inf}):
        assert ran_and_returned_loss((ok(numbers, **{"result.1": np.ones((2, 3))}),), "f", W) == failed(
            "f did not return the loss as a finite number (return loss, dW)")
    for arrays in ({}, {"result.1": np.ones((3, 2))}, {"result.1": np.ones((2, 2))}, {"result.1": np.ones(6)}):
        assert ran_and_returned_loss((ok({"result.0": 1.0}, **arrays),), "f", W) == failed(
            "f did not return dW with the shape of W")
    for dW in (np.zeros((2, 3)), np.full((2, 3), np.nan), np.array([[1.0, np.inf, 1.0], [1.0, 1.0, 1.0]])):
        assert ran_and_returned_loss((ok({"result.0": 1.0}, **{"result.1": dW}),), "f", W) == failed(
            "f returned a dW that is all zeros, NaN or inf")


def test_a_property_test_needs_a_real_array_of_the_right_size():
    assert ran_and_returned_array((ok(result=np.ones(6)),), "f", "dists", 6) == PASS
    assert ran_and_returned_array((Returned(False, "died"),), "f", "dists", 6).detail.startswith(
        "the process running f stopped")
    for arrays in ({}, {"result": np.ones(5)}, {"result": np.ones(7)}):
        assert ran_and_returned_array((ok(**arrays),), "f", "dists", 6) == failed(
            "f did not return dists with one entry per pair")
    for bad in (np.zeros(6), np.array([1.0, 1.0, np.nan, 1.0, 1.0, 1.0])):
        assert ran_and_returned_array((ok(result=bad),), "f", "dists", 6) == failed(
            "f returned dists that are all zeros, NaN or inf")
        assert ran_and_returned_array((ok(result=bad),), "f", "dists", 6, real=False) == PASS


def test_a_memory_safe_call_must_run_and_return_something_real():
    oom = "f ran out of memory on a large input: build no (N, D, C) array"
    assert memory_verdict(Returned(False, "MemoryError"), "f", "(N, D, C)") == failed(oom)
    assert memory_verdict(Returned(False, "died"), "f", "(N, D, C)") == failed(oom)
    assert memory_verdict(Returned(False, "timeout"), "f", "(N, D, C)") == failed(
        "f did not finish within the time limit (infinite loop?)")
    zeros = "f returned only zeros on a large input"
    assert memory_verdict(ok(), "f", "(N, D, C)") == failed(zeros)
    assert memory_verdict(ok(**{"result.1": np.ones(3, dtype=np.int64)}), "f", "(N, D, C)") == failed(zeros)
    assert memory_verdict(ok(**{"result.1": np.ones(3, dtype=bool)}), "f", "(N, D, C)") == failed(zeros)
    assert memory_verdict(ok(**{"result.1": np.zeros(3)}), "f", "(N, D, C)") == failed(zeros)
    assert memory_verdict(ok(**{"result.0": np.zeros(2), "result.1": np.ones(3)}), "f", "(N, D, C)") == PASS
    assert memory_verdict(ok(**{"result.1": np.ones(3, dtype=np.float32)}), "f", "(N, D, C)") == PASS
