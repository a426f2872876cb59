import math

import numpy as np
import pytest

from autograder.grading.checks import check_array, check_gradient, check_loss


def problem(rng):
    W = rng.normal(size=(5, 3))
    return W, rng.normal(size=(5, 3)), 0.3


def test_missing_regularization_gradient_is_named(rng):
    W, data_grad, reg = problem(rng)
    verdict = check_gradient(data_grad, data_grad + 2 * reg * W, W=W, reg=reg)
    assert not verdict.passed and verdict.detail == "dW is missing the regularization gradient: add 2 * reg * W"


def test_half_regularization_gradient_is_named(rng):
    W, data_grad, reg = problem(rng)
    verdict = check_gradient(data_grad + reg * W, data_grad + 2 * reg * W, W=W, reg=reg)
    assert verdict.detail == "the regularization gradient should be 2 * reg * W, not reg * W"


def test_factor_of_two_and_sign_and_zeros(rng):
    W, grad, reg = problem(rng)
    assert check_gradient(2 * grad, grad, W=W, reg=reg).detail == "dW is about twice the correct value"
    assert check_gradient(-grad, grad, W=W, reg=reg).detail == "dW has the wrong sign"
    assert check_gradient(np.zeros_like(grad), grad, W=W, reg=reg).detail == "dW is all zeros"
    assert check_gradient(grad.T.copy(), grad, W=W, reg=reg).detail.startswith("dW has the right number of entries")


def test_loss_without_penalty_and_nan(rng):
    W, _, reg = problem(rng)
    full = 2.0 + reg * float(np.sum(W * W))
    assert check_loss(2.0, full, W=W, reg=reg).detail == "the loss is missing the regularization term reg * sum(W**2)"
    assert check_loss(float("nan"), full, W=W, reg=reg).detail == "the loss is NaN or inf"
    assert check_loss(full, full, W=W, reg=reg).passed


def test_labels_returned_as_floats_are_accepted_and_fractions_are_not():
    expected = np.array([0, 2, 1])
    assert check_array(np.array([0.0, 2.0, 1.0]), expected, "y_pred", "(N,)", integers=True).passed
    assert not check_array(np.array([0.0, 2.5, 1.0]), expected, "y_pred", "(N,)", integers=True).passed


def test_messages_never_quote_values(rng):
    W, grad, reg = problem(rng)
    detail = check_gradient(grad + 0.123456, grad, W=W, reg=reg).detail
    assert detail == "dW differs from the correct values"


def test_a_scale_mistake_is_named_by_its_kind_never_by_its_number(rng):
    W, grad, reg = problem(rng)
    N = 7
    assert check_gradient(N * grad, grad, W=W, reg=reg, N=N).detail == (
        "dW is about N times too large: divide the sum over examples by N")
    assert check_gradient(grad / N, grad, W=W, reg=reg, N=N).detail == (
        "dW is about N times too small: did you divide by N twice?")
    assert check_gradient(3 * grad, grad, W=W, reg=reg, N=N).detail == (
        "dW is a whole multiple of the correct value: check where you divide by N")
    assert check_gradient(grad / 3, grad, W=W, reg=reg, N=N).detail == (
        "dW is the correct value divided by a whole number: did you divide by N twice?")
    assert check_loss(1.25 * N, 1.25, W=W, reg=0.0, N=N).detail == (
        "the loss is about N times too large: divide the sum over examples by N")
    assert check_loss(2.5, 1.25, W=W, reg=0.0, N=N).detail == "the loss is about twice the correct value"
    assert check_loss(1.3, 1.25, W=W, reg=0.0, N=N).detail == "the loss differs from the correct value"
    penalty = reg * float(np.sum(W * W))
    assert check_loss(N * 1.25 + penalty, 1.25 + penalty, W=W, reg=reg, N=N).detail == (
        "the data term of the loss is about N times too large: divide the sum over examples by N")
    assert check_gradient(N * grad + 2 * reg * W, grad + 2 * reg * W, W=W, reg=reg, N=N).detail == (
        "the data term of dW is about N times too large: divide the sum over examples by N")


def test_wrong_labels_are_reported_without_a_count():
    expected = np.arange(20) % 4
    one_wrong, all_wrong = expected.copy(), (expected + 1) % 4
    one_wrong[3] = 0 if expected[3] else 1
    details = {check_array(got, expected, "y_pred", "(N,)", integers=True).detail for got in (one_wrong, all_wrong)}
    assert details == {"some labels in y_pred are wrong"}


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e4])
def test_a_wrong_answer_gets_the_same_words_whatever_the_hidden_values(rng, scale):
    """The detail is a function of the kind of mistake only: no number moves with the inputs."""
    seen = set()
    for _ in range(20):
        W, grad, reg = problem(rng)
        grad = grad * scale
        noise = grad + rng.normal(size=grad.shape) * scale
        seen.add(check_gradient(noise, grad, W=W, reg=reg, N=5).detail)
        loss = float(rng.uniform(0.5, 3.0)) * scale
        seen.add(check_loss(loss * float(rng.uniform(1.1, 1.9)), loss, W=W, reg=reg, N=5).detail)
    assert seen == {"dW differs from the correct values", "the loss differs from the correct value"}


def test_the_reference_is_timed_in_the_sandbox_and_here_only_when_that_fails_twice():
    from autograder.grading.checks.judging import reference_seconds_for
    from autograder.grading.checks.plans import Call

    solo, ran_here = Call("x/speed", {"kind": "race"}), []

    def here():
        ran_here.append(True)

    assert reference_seconds_for(lambda call: 0.125, solo, here) == 0.125 and not ran_here
    attempts = []

    def flaky(call):
        attempts.append(call.key)
        if len(attempts) == 1:
            raise RuntimeError("the sandbox could not start")
        return 0.25

    assert reference_seconds_for(flaky, solo, here) == 0.25 and attempts == ["x/speed"] * 2 and not ran_here

    tries = []

    def broken(call):
        tries.append(call.key)
        raise RuntimeError("never")

    seconds = reference_seconds_for(broken, solo, here)
    assert tries == ["x/speed"] * 2  # two tries in the sandbox, then here
    assert len(ran_here) == 3 and math.isfinite(seconds) and seconds >= 0  # timed here, best of three runs
