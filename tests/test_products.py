"""The fast matrix products give the plain products' values in every branch they take."""
import numpy as np
import pytest

from cs_utils.classifiers import softmax_loss_naive, softmax_loss_vectorized, svm_loss_naive, svm_loss_vectorized
from cs_utils.classifiers.products import (
    FLOAT32_SCORES_BLOCK_ROWS,
    TRANSPOSED_SCORES_MIN_ROWS,
    class_scores,
    weight_gradient,
)

# Row counts on both sides of each threshold, and one that is not a multiple of the block size.
ROW_COUNTS = sorted({1, 7, FLOAT32_SCORES_BLOCK_ROWS, FLOAT32_SCORES_BLOCK_ROWS + 1,
                     TRANSPOSED_SCORES_MIN_ROWS - 1, TRANSPOSED_SCORES_MIN_ROWS,
                     3 * FLOAT32_SCORES_BLOCK_ROWS + 45})
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("num_rows", ROW_COUNTS)
def test_class_scores_equal_the_plain_product(rng, dtype, num_rows):
    X = rng.standard_normal((num_rows, 37)).astype(dtype)
    W = rng.standard_normal((37, 10)).astype(dtype)
    scores = class_scores(X, W)
    assert scores.shape == (num_rows, 10)
    assert scores.dtype == dtype
    np.testing.assert_allclose(scores, X.astype(np.float64) @ W.astype(np.float64), rtol=TOLERANCE[dtype],
                               atol=TOLERANCE[dtype] * 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("num_rows", ROW_COUNTS)
def test_weight_gradient_equals_the_plain_product(rng, dtype, num_rows):
    X = rng.standard_normal((num_rows, 37)).astype(dtype)
    G = rng.standard_normal((num_rows, 10)).astype(dtype)
    gradient = weight_gradient(X, G)
    assert gradient.shape == (37, 10)
    assert gradient.dtype == dtype
    expected = X.astype(np.float64).T @ G.astype(np.float64)
    np.testing.assert_allclose(gradient, expected, rtol=TOLERANCE[dtype] * 10, atol=TOLERANCE[dtype] * num_rows)


def test_mixed_dtypes_and_strided_inputs(rng):
    """float32 data with float64 weights, and a non-contiguous view of the data, take the fast paths too."""
    X = rng.standard_normal((4 * TRANSPOSED_SCORES_MIN_ROWS, 20))[::2, ::2]  # strided view, (2000, 10)
    W = rng.standard_normal((10, 3))
    np.testing.assert_allclose(class_scores(X, W), X @ W, rtol=1e-12)
    np.testing.assert_allclose(class_scores(X.astype(np.float32), W), X.astype(np.float32) @ W, rtol=1e-6)
    np.testing.assert_allclose(weight_gradient(X, X[:, :3]), X.T @ X[:, :3], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("naive, vectorized", [(svm_loss_naive, svm_loss_vectorized),
                                               (softmax_loss_naive, softmax_loss_vectorized)])
def test_vectorized_losses_on_the_fast_paths_agree_with_the_loops(rng, dtype, naive, vectorized):
    num_rows = TRANSPOSED_SCORES_MIN_ROWS + FLOAT32_SCORES_BLOCK_ROWS + 3  # past both thresholds
    X = rng.standard_normal((num_rows, 12)).astype(dtype)
    W = (0.1 * rng.standard_normal((12, 10))).astype(dtype)
    y = rng.integers(0, 10, num_rows)
    loss, dW = vectorized(W, X, y, 0.05)
    expected_loss, expected_dW = naive(W.astype(np.float64), X.astype(np.float64), y, 0.05)
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    assert loss == pytest.approx(expected_loss, rel=rtol)
    np.testing.assert_allclose(dW, expected_dW, rtol=rtol, atol=rtol * np.abs(expected_dW).max())
