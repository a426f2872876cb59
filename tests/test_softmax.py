"""The reference softmax loss against brute force, numerical gradients and stability checks."""
import math

import numpy as np
import pytest
from loss_checks import brute_force_softmax_loss, numerical_gradient, random_problem
from tolerances import assert_close, close_to

from cs_utils.classifiers import softmax_loss_naive, softmax_loss_vectorized

LOSSES = [softmax_loss_naive, softmax_loss_vectorized]
SHAPES = [(1, 1, 2), (1, 4, 3), (5, 1, 2), (13, 6, 4), (30, 9, 10)]


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("num_train, dim, num_classes", SHAPES)
@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_loss_matches_brute_force(rng, loss_fn, num_train, dim, num_classes, reg):
    W, X, y = random_problem(rng, num_train, dim, num_classes)
    loss, dW = loss_fn(W, X, y, reg)
    assert isinstance(loss, float)
    assert dW.shape == W.shape
    assert loss == close_to(brute_force_softmax_loss(W, X, y, reg), 1e-10)


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("num_train, dim, num_classes", SHAPES)
def test_gradient_matches_numerical(rng, loss_fn, num_train, dim, num_classes):
    W, X, y = random_problem(rng, num_train, dim, num_classes)
    _, dW = loss_fn(W, X, y, 0.7)
    expected = numerical_gradient(lambda V: brute_force_softmax_loss(V, X, y, 0.7), W)
    assert_close(dW, expected, 1e-5)  # central differences with h = 1e-6


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("scale", [1e3, 1e5, 1e8])
def test_huge_scores_stay_finite(rng, loss_fn, scale):
    W, X, y = random_problem(rng, 8, 5, 4)
    loss, dW = loss_fn(W * scale, X, y, 0.0)
    assert np.isfinite(loss) and np.all(np.isfinite(dW))
    # Scores of size `scale` are summed from products of that size: rounding scales with it.
    assert loss == close_to(brute_force_softmax_loss(W * scale, X, y, 0.0), 1e-9, scale=scale)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_lecture_example_scores(loss_fn):
    # One example with scores (3.2, 5.1, -1.7) for (cat, car, frog), correct class cat.
    W = np.diag([3.2, 5.1, -1.7])
    loss, _ = loss_fn(W, np.ones((1, 3)), np.array([0]), 0.0)
    assert loss == pytest.approx(2.04, abs=0.005)
    assert loss / math.log(10) == pytest.approx(0.89, abs=0.005)  # the same loss with log base 10


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_small_weights_give_ln_c(rng, loss_fn):
    W, X, y = random_problem(rng, 50, 20, 10, scale=1e-6)
    loss, _ = loss_fn(W, X, y, 0.0)
    assert loss == pytest.approx(math.log(10), abs=1e-3)


def test_naive_and_vectorized_agree_on_cifar_sized_batch(rng):
    W, X, y = random_problem(rng, 64, 3073, 10, scale=1e-4)
    X *= 60.0
    loss_naive, dW_naive = softmax_loss_naive(W, X, y, 2.5e4)
    loss_vec, dW_vec = softmax_loss_vectorized(W, X, y, 2.5e4)
    assert loss_naive == close_to(loss_vec, 1e-10)
    assert_close(dW_naive, dW_vec, 1e-9)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_inputs_are_not_mutated(rng, loss_fn):
    W, X, y = random_problem(rng, 6, 4, 3)
    copies = [W.copy(), X.copy(), y.copy()]
    loss_fn(W, X, y, 0.1)
    for original, copy in zip((W, X, y), copies, strict=True):
        np.testing.assert_array_equal(original, copy)
