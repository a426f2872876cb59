import numpy as np

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
    assert "off by a factor of about 2" in check_gradient(2 * grad, grad, W=W, reg=reg).detail
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
    assert "0.123" not in detail and "relative error" in detail
