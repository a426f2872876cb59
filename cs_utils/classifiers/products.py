"""The two matrix products of a linear classifier, each computed the way BLAS runs it fastest.

Every vectorized loss in this package needs the same two products:

* the class scores ``X @ W``: (N, D) times (D, C), giving (N, C);
* the weight gradient ``X.T @ G``: (D, N) times (N, C), giving (D, C), where ``G`` holds the
  gradient of the loss with respect to the scores.

With ``C`` = 10 classes both products are "tall and narrow": they stream the whole data matrix
``X`` through memory to produce few numbers, and the BLAS library (OpenBLAS, the one NumPy ships)
picks different inner kernels depending on how the operands are laid out. Writing a product
transposed, ``A @ B = (B.T @ A.T).T``, or a few hundred rows at a time, computes the same
numbers through different kernels, and on a 2-core Xeon (OpenBLAS 0.3, SkylakeX kernels) that
changes the speed a lot:

=======================================  =========================================
product                                  time of the faster way, relative to the
                                         plain ``A @ B``
=======================================  =========================================
``X.T @ G``, any dtype and N             0.3 to 0.85 as ``(G.T @ X).T``
``X @ W``, float64, N >= 1000            0.67 to 0.9 as ``(W.T @ X.T).T``
``X @ W``, float32, N > 512              0.6 to 1.0 in blocks of 512 rows
``X @ W``, small N                       the plain product is the fastest
=======================================  =========================================

The data matrices had D = 3073 columns (CIFAR-10's 3072 pixels and the bias). Kernel choices
also depend on the width: at D = 3072, float32 ``(G.T @ X).T`` was 1.15 times *slower* than the
plain product, while every other row held.

These functions apply that table, so the loss functions can read like the math. They return the
same values as the plain products up to floating-point rounding (a few units in the last place,
because the sums run in a different order). ``docs/PERFORMANCE.md`` has the measurements and
``bench/run.py`` repeats them.

You do not need these helpers: ``X @ W`` and ``X.T @ G`` are correct answers everywhere in the
assignment. They only make the reference solution faster.
"""
from __future__ import annotations

import numpy as np

#: From this many rows on, a float64 ``X @ W`` runs faster as ``(W.T @ X.T).T``.
TRANSPOSED_SCORES_MIN_ROWS = 1000
#: A float32 ``X @ W`` runs fastest this many rows at a time.
FLOAT32_SCORES_BLOCK_ROWS = 512


def class_scores(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Return the class scores ``X @ W``.

    Parameters
    ----------
    X : ndarray of shape (N, D), float32 or float64
        One example per row.
    W : ndarray of shape (D, C), same dtype as ``X``
        One weight column per class.

    Returns
    -------
    ndarray of shape (N, C)
        ``scores[i, j]`` is the score of example ``i`` for class ``j``. The array may be stored
        in Fortran (column-major) order; every NumPy operation treats it the same.
    """
    num_rows = X.shape[0]
    if X.dtype == np.float64 and num_rows >= TRANSPOSED_SCORES_MIN_ROWS:
        return (W.T @ X.T).T
    if X.dtype == np.float32 and num_rows > FLOAT32_SCORES_BLOCK_ROWS:
        scores = np.empty((num_rows, W.shape[1]), dtype=np.result_type(X, W))
        for start in range(0, num_rows, FLOAT32_SCORES_BLOCK_ROWS):
            block = slice(start, start + FLOAT32_SCORES_BLOCK_ROWS)
            np.matmul(X[block], W, out=scores[block])
        return scores
    return X @ W


def weight_gradient(X: np.ndarray, score_gradient: np.ndarray) -> np.ndarray:
    """Return ``X.T @ score_gradient``: the gradient of a loss with respect to ``W``.

    By the chain rule, if ``scores = X @ W`` and ``G`` is the gradient of the loss with respect
    to ``scores``, the gradient with respect to ``W`` is ``X.T @ G``.

    Parameters
    ----------
    X : ndarray of shape (N, D), float32 or float64
        The examples the scores came from.
    score_gradient : ndarray of shape (N, C), same dtype as ``X``
        Gradient of the loss with respect to each score.

    Returns
    -------
    ndarray of shape (D, C)
        The gradient with respect to the weights (before any division by ``N`` or
        regularization term), possibly in Fortran order.
    """
    return (score_gradient.T @ X).T
