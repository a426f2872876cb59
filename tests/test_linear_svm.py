"""The reference SVM loss against brute force, numerical gradients and its contract details."""
import numpy as np
import pytest
from loss_checks import brute_force_svm_loss, numerical_gradient, random_problem
from tolerances import assert_close, close_to

from cs_utils.classifiers import svm_loss_naive, svm_loss_vectorized

LOSSES = [svm_loss_naive, svm_loss_vectorized]
SHAPES = [(1, 1, 2), (1, 4, 3), (5, 1, 2), (13, 6, 4), (30, 9, 10)]


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("num_train, dim, num_classes", SHAPES)
@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_loss_matches_brute_force(rng, loss_fn, num_train, dim, num_classes, reg):
    W, X, y = random_problem(rng, num_train, dim, num_classes)
    loss, dW = loss_fn(W, X, y, reg)
    assert isinstance(loss, float)
    assert dW.shape == W.shape
    assert loss == close_to(brute_force_svm_loss(W, X, y, reg), 1e-10)


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("num_train, dim, num_classes", SHAPES)
def test_gradient_matches_numerical_away_from_kinks(rng, loss_fn, num_train, dim, num_classes):
    W, X, y = random_problem(rng, num_train, dim, num_classes)
    margins = X @ W - (X @ W)[np.arange(num_train), y][:, None] + 1
    margins[np.arange(num_train), y] = 5.0
    if np.min(np.abs(margins)) < 1e-3:
        pytest.skip("random problem landed next to a hinge kink")
    _, dW = loss_fn(W, X, y, 0.7)
    expected = numerical_gradient(lambda V: brute_force_svm_loss(V, X, y, 0.7), W)
    assert_close(dW, expected, 1e-5)  # central differences with h = 1e-6


def test_naive_and_vectorized_agree_on_cifar_sized_batch(rng):
    W, X, y = random_problem(rng, 64, 3073, 10, scale=1e-4)
    X *= 60.0  # mean-subtracted pixels are tens of units
    loss_naive, dW_naive = svm_loss_naive(W, X, y, 2.5e4)
    loss_vec, dW_vec = svm_loss_vectorized(W, X, y, 2.5e4)
    assert loss_naive == close_to(loss_vec, 1e-10)
    assert_close(dW_naive, dW_vec, 1e-9)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_small_weights_give_loss_near_c_minus_one(rng, loss_fn):
    W, X, y = random_problem(rng, 50, 20, 10, scale=1e-6)
    loss, _ = loss_fn(W, X, y, 0.0)
    assert loss == pytest.approx(9.0, abs=1e-3)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_margin_exactly_zero_counts_as_flat(loss_fn):
    W = np.array([[1.0, 0.0]])  # scores (1, 0): wrong class margin is 0 - 1 + 1 = 0
    loss, dW = loss_fn(W, np.array([[1.0]]), np.array([0]), 0.0)
    assert loss == 0.0
    np.testing.assert_array_equal(dW, np.zeros_like(W))


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_inputs_are_not_mutated(rng, loss_fn):
    W, X, y = random_problem(rng, 6, 4, 3)
    copies = [W.copy(), X.copy(), y.copy()]
    loss_fn(W, X, y, 0.1)
    for original, copy in zip((W, X, y), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_float32_stays_float32(rng, loss_fn):
    W, X, y = random_problem(rng, 6, 4, 3)
    _, dW = loss_fn(W.astype(np.float32), X.astype(np.float32), y, 0.1)
    assert dW.dtype == np.float32


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_shape_mistakes_get_actionable_messages(rng, loss_fn):
    W, X, y = random_problem(rng, 4, 5, 3)
    with pytest.raises(ValueError, match="X has 4 columns but W has 5 rows.*forget the bias column"):
        loss_fn(W, X[:, :4], y, 0.0)
    with pytest.raises(ValueError, match="holds label 3 but W has only 3 columns"):
        loss_fn(W, X, np.array([0, 1, 2, 3]), 0.0)
    with pytest.raises(ValueError, match="reg must be a non-negative number"):
        loss_fn(W, X, y, -1.0)
    with pytest.raises(TypeError, match="whole-number class labels"):
        loss_fn(W, X, np.array([0.5, 1, 2, 0]), 0.0)
