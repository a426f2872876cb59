"""Tests for cs_utils.gradient_check: numerical gradients, sparse checks, kinks, rel_error."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cs_utils.classifiers.linear_svm import svm_loss_naive
from cs_utils.classifiers.softmax import softmax_loss_naive
from cs_utils.gradient_check import GradientCheck, eval_numerical_gradient, grad_check_sparse, rel_error

# A quadratic with a known gradient: f(x) = sum(A * x**2) + sum(b * x), grad = 2 A x + b.
A = np.array([[1.0, 2.0, 0.5], [3.0, 0.25, 1.5]])
B = np.array([[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6]])


def quadratic(x: np.ndarray) -> float:
    return float(np.sum(A * x**2) + np.sum(B * x))


def quadratic_grad(x: np.ndarray) -> np.ndarray:
    return 2 * A * x + B


@pytest.fixture
def point(rng) -> np.ndarray:
    return rng.normal(size=A.shape)


@pytest.fixture
def small_problem(rng):
    """W (D, C), X (N, D) with a bias column, y (N,): a tiny linear-classifier problem."""
    num_train, dim, num_classes = 12, 6, 4
    X = np.hstack([rng.normal(size=(num_train, dim - 1)), np.ones((num_train, 1))])
    y = rng.integers(0, num_classes, size=num_train)
    W = rng.normal(scale=0.1, size=(dim, num_classes))
    return W, X, y


# --- eval_numerical_gradient ------------------------------------------------------------------


def test_numerical_gradient_of_quadratic(point):
    grad = eval_numerical_gradient(quadratic, point, verbose=False)
    assert grad.shape == point.shape
    assert rel_error(grad, quadratic_grad(point)) < 1e-7


def test_numerical_gradient_of_sum_of_squares_on_3d_array(rng):
    x = rng.normal(size=(2, 3, 4))
    grad = eval_numerical_gradient(lambda v: float(np.sum(v**2)), x, verbose=False)
    assert rel_error(grad, 2 * x) < 1e-7


def test_numerical_gradient_leaves_x_unchanged(point):
    before = point.copy()
    eval_numerical_gradient(quadratic, point, verbose=False)
    np.testing.assert_array_equal(point, before)


def test_numerical_gradient_restores_x_when_f_raises(point):
    before = point.copy()
    calls = []

    def failing(x):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")
        return quadratic(x)

    with pytest.raises(RuntimeError, match="boom"):
        eval_numerical_gradient(failing, point, verbose=False)
    np.testing.assert_array_equal(point, before)


def test_numerical_gradient_prints_only_when_verbose(point, capsys):
    eval_numerical_gradient(quadratic, point, verbose=False)
    assert capsys.readouterr().out == ""
    eval_numerical_gradient(quadratic, point, verbose=True)
    assert len(capsys.readouterr().out.splitlines()) == point.size


def test_numerical_gradient_of_softmax_loss(small_problem):
    W, X, y = small_problem
    loss, dW = softmax_loss_naive(W, X, y, 0.1)
    numerical = eval_numerical_gradient(lambda w: softmax_loss_naive(w, X, y, 0.1)[0], W, verbose=False)
    assert rel_error(numerical, dW) < 1e-6


def test_integer_x_is_refused():
    with pytest.raises(TypeError, match="floating-point"):
        eval_numerical_gradient(quadratic, np.zeros((2, 3), dtype=int), verbose=False)


def test_list_x_is_refused():
    with pytest.raises(TypeError, match="NumPy array"):
        eval_numerical_gradient(lambda v: 0.0, [1.0, 2.0], verbose=False)


@pytest.mark.parametrize("h", [0.0, -1e-5, float("nan")])
def test_bad_step_is_refused(point, h):
    with pytest.raises(ValueError, match="h must be a small positive step"):
        eval_numerical_gradient(quadratic, point, verbose=False, h=h)


# --- grad_check_sparse ------------------------------------------------------------------------


def test_correct_gradient_passes(point):
    records = grad_check_sparse(quadratic, point, quadratic_grad(point), num_checks=5, verbose=False)
    assert len(records) == 5
    assert all(isinstance(r, GradientCheck) for r in records)
    assert all(r.rel_error < 1e-7 and not r.at_kink for r in records)
    for r in records:
        assert r.analytic == quadratic_grad(point)[r.index]


def test_record_is_frozen(point):
    record = grad_check_sparse(quadratic, point, quadratic_grad(point), num_checks=1, verbose=False)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.rel_error = 0.0
    assert [field.name for field in dataclasses.fields(record)] == [
        "index",
        "numerical",
        "analytic",
        "rel_error",
        "at_kink",
    ]


def test_numerical_value_matches_eval_numerical_gradient(point):
    full = eval_numerical_gradient(quadratic, point, verbose=False)
    for record in grad_check_sparse(quadratic, point, quadratic_grad(point), num_checks=6, verbose=False):
        assert record.numerical == full[record.index]


def test_wrong_gradient_gets_large_error_and_no_kink(point):
    wrong = quadratic_grad(point) + 1.0
    records = grad_check_sparse(quadratic, point, wrong, num_checks=6, verbose=False)
    assert all(r.rel_error > 1e-2 for r in records)
    assert not any(r.at_kink for r in records)


def test_wrong_softmax_gradient_is_caught(small_problem):
    W, X, y = small_problem
    loss, dW = softmax_loss_naive(W, X, y, 0.0)
    records = grad_check_sparse(lambda w: softmax_loss_naive(w, X, y, 0.0)[0], W, -dW, verbose=False)
    assert max(r.rel_error for r in records) > 0.5
    assert not any(r.at_kink for r in records)


def test_softmax_gradient_checks_out(small_problem):
    W, X, y = small_problem
    loss, dW = softmax_loss_naive(W, X, y, 0.05)
    records = grad_check_sparse(lambda w: softmax_loss_naive(w, X, y, 0.05)[0], W, dW, num_checks=24, verbose=False)
    assert all(r.rel_error < 1e-6 and not r.at_kink for r in records)


@pytest.mark.parametrize("offset", [0.0, 3e-6, -7e-6, 9.9e-6])
def test_abs_within_the_step_is_a_kink(offset):
    x = np.array([offset])
    records = grad_check_sparse(lambda v: float(np.abs(v).sum()), x, np.sign(x), num_checks=1, verbose=False)
    assert records[0].at_kink


def test_kink_explains_a_large_error():
    x = np.array([2e-6])  # |x| has its kink 2e-6 away, well within h = 1e-5
    (record,) = grad_check_sparse(lambda v: float(np.abs(v).sum()), x, np.sign(x), verbose=False)
    assert record.numerical == pytest.approx(0.2)  # mixes the slopes -1 and +1
    assert record.rel_error > 0.5
    assert record.at_kink


def test_hinge_kink_and_far_from_kink():
    def hinge(v):
        return float(np.maximum(0.0, 3.0 * v - 1.0).sum())  # kink at v = 1/3

    near = np.array([1 / 3 + 4e-6])
    far = np.array([1.0])
    assert grad_check_sparse(hinge, near, np.array([3.0]), verbose=False)[0].at_kink
    (record,) = grad_check_sparse(hinge, far, np.array([3.0]), verbose=False)
    assert not record.at_kink
    assert record.rel_error < 1e-8


def test_kink_just_outside_the_step_is_not_flagged():
    x = np.array([1.5e-5])  # the kink of |x| is 1.5 h away: both one-sided slopes are +1
    (record,) = grad_check_sparse(lambda v: float(np.abs(v).sum()), x, np.sign(x), verbose=False)
    assert not record.at_kink
    assert record.rel_error < 1e-8


def test_svm_loss_checks_out_or_is_at_a_kink(small_problem):
    W, X, y = small_problem
    loss, dW = svm_loss_naive(W, X, y, 0.1)
    f = lambda w: svm_loss_naive(w, X, y, 0.1)[0]  # noqa: E731
    records = grad_check_sparse(f, W, dW, num_checks=W.size, verbose=False)
    assert len(records) == W.size
    assert all(r.rel_error < 1e-7 or r.at_kink for r in records)


def test_svm_loss_at_a_constructed_kink(small_problem):
    W, X, y = small_problem
    # Move W[0, j] so that example 0's margin for class j is exactly 0: its hinge sits at W[0, j].
    j = (y[0] + 1) % W.shape[1]
    W = W.copy()
    scores = X[0] @ W
    W[0, j] -= (scores[j] - scores[y[0]] + 1.0) / X[0, 0]
    loss, dW = svm_loss_naive(W, X, y, 0.0)
    f = lambda w: svm_loss_naive(w, X, y, 0.0)[0]  # noqa: E731
    records = grad_check_sparse(f, W, dW, num_checks=W.size, verbose=False)
    (record,) = [r for r in records if r.index == (0, j)]
    assert record.at_kink


def test_same_seed_same_indices_and_global_state_untouched(point):
    np.random.seed(7)
    state = np.random.get_state()[1].copy()
    first = grad_check_sparse(quadratic, point, quadratic_grad(point), num_checks=4, seed=3, verbose=False)
    second = grad_check_sparse(quadratic, point, quadratic_grad(point), num_checks=4, seed=3, verbose=False)
    other = grad_check_sparse(quadratic, point, quadratic_grad(point), num_checks=4, seed=4, verbose=False)
    assert [r.index for r in first] == [r.index for r in second]
    assert [r.index for r in first] != [r.index for r in other]
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_generator_as_seed(point):
    by_int = grad_check_sparse(quadratic, point, quadratic_grad(point), num_checks=3, seed=5, verbose=False)
    by_rng = grad_check_sparse(
        quadratic, point, quadratic_grad(point), num_checks=3, seed=np.random.default_rng(5), verbose=False
    )
    assert [r.index for r in by_int] == [r.index for r in by_rng]


def test_indices_are_distinct_and_capped_at_size(point):
    records = grad_check_sparse(quadratic, point, quadratic_grad(point), num_checks=100, verbose=False)
    indices = [r.index for r in records]
    assert len(indices) == point.size == len(set(indices))
    assert all(isinstance(i, int) for index in indices for i in index)


def test_zero_gradients_give_zero_error_not_nan():
    x = np.array([0.5, -1.0, 2.0])
    records = grad_check_sparse(lambda v: 4.0, x, np.zeros(3), num_checks=3, verbose=False)
    assert all(r.rel_error == 0.0 and not r.at_kink for r in records)


def test_x_unchanged_after_sparse_check(small_problem):
    W, X, y = small_problem
    before = W.copy()
    loss, dW = svm_loss_naive(W, X, y, 0.0)
    grad_check_sparse(lambda w: svm_loss_naive(w, X, y, 0.0)[0], W, dW, verbose=False)
    np.testing.assert_array_equal(W, before)


def test_printing(point, capsys):
    grad_check_sparse(quadratic, point, quadratic_grad(point), num_checks=3, verbose=False)
    assert capsys.readouterr().out == ""
    records = grad_check_sparse(quadratic, point, quadratic_grad(point), num_checks=3)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert "relative error" in lines[0] and "kink" not in lines[0]
    assert lines == [str(r) for r in records]


def test_printed_line_explains_a_kink(capsys):
    grad_check_sparse(lambda v: float(np.abs(v).sum()), np.array([0.0]), np.array([1.0]))
    assert "at a kink: the one-sided slopes differ, so a larger error here is expected" in capsys.readouterr().out


def test_gradient_of_wrong_shape_is_refused(point):
    with pytest.raises(ValueError, match=r"analytic_grad has shape \(3, 2\) but x has shape \(2, 3\)"):
        grad_check_sparse(quadratic, point, np.zeros((3, 2)), verbose=False)


@pytest.mark.parametrize("num_checks", [0, -1, 2.5, True])
def test_bad_num_checks_is_refused(point, num_checks):
    with pytest.raises(ValueError, match="num_checks must be a positive integer"):
        grad_check_sparse(quadratic, point, quadratic_grad(point), num_checks=num_checks, verbose=False)


# --- rel_error --------------------------------------------------------------------------------


def test_rel_error_values():
    assert rel_error(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0, 0.0], [3.0, 0.0]) == pytest.approx(0.5)
    assert rel_error([1.0, -1.0], [1.0, 1.0]) == pytest.approx(1.0)


def test_rel_error_uses_eps_floor():
    assert rel_error([1e-12], [0.0]) < 1e-3
    assert rel_error([1e-12], [0.0], eps=0.0) == 1.0


def test_rel_error_shape_mismatch():
    with pytest.raises(ValueError, match=r"same shape; got \(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))
