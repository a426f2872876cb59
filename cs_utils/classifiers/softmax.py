"""Softmax (cross-entropy) loss and its gradient.

Letters and shapes as in :mod:`cs_utils.classifiers.linear_svm`: ``X`` (N, D), ``y`` (N,) ints in
[0, C), ``W`` (D, C), scores ``s = X @ W`` of shape (N, C).

The softmax turns a row of scores into probabilities,

    p_ij = exp(s_ij) / sum_k exp(s_ik),

and the loss of example ``i`` is the negative natural log of the probability of its correct
class, ``L_i = -ln p_i,y_i = ln sum_k exp(s_ik) - s_i,y_i``. The total loss is the mean of ``L_i``
plus ``reg * sum(W ** 2)``, whose gradient is ``2 * reg * W``. The gradient of ``L_i`` with
respect to the scores is ``p_i - onehot(y_i)``.

Numerical stability: ``exp(1000)`` overflows to ``inf``. Subtracting the row maximum from every
score first changes no probability (the factor ``exp(-max)`` cancels) and keeps every exponent
at most 0. Your loss must stay finite for scores of 1e3 and more.
"""
from __future__ import annotations

import numpy as np

from ._validation import check_loss_inputs


def softmax_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Softmax loss and gradient, written with explicit loops.

    Parameters
    ----------
    W : ndarray of shape (D, C)
        Weights.
    X : ndarray of shape (N, D)
        A minibatch of examples.
    y : ndarray of shape (N,), int
        Correct classes, ``0 <= y[i] < C``.
    reg : float
        Regularization strength (non-negative).

    Returns
    -------
    loss : float
        Mean cross-entropy (natural log) plus ``reg * sum(W ** 2)``.
    dW : ndarray of shape (D, C), same dtype as W
        Gradient of ``loss`` with respect to ``W``.
    """
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    dW = np.zeros_like(W)
    loss = 0.0
    # TODO: write your code here, then delete the raise below.
    raise NotImplementedError("softmax_loss_naive is not implemented yet")
    return float(loss), dW


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Softmax loss and gradient without Python loops.

    Same inputs and outputs as :func:`softmax_loss_naive`.

    Two matrix products are all you need: ``X @ W`` for the scores and ``X.T @ dscores`` for
    the gradient.
    """
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    loss, dW = 0.0, np.zeros_like(W)  # replace both
    # TODO: write your code here, then delete the raise below.
    raise NotImplementedError("softmax_loss_vectorized is not implemented yet")
    return float(loss), dW
