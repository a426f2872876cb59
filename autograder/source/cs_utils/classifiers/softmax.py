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
    ### BEGIN SOLUTION
    num_train, num_classes = X.shape[0], W.shape[1]
    for i in range(num_train):
        scores = X[i] @ W  # (C,)
        scores = scores - np.max(scores)  # shift: same probabilities, no overflow
        exp_scores = np.exp(scores)
        normalizer = np.sum(exp_scores)
        loss += np.log(normalizer) - scores[y[i]]  # -ln p_y, without forming a tiny p_y
        for j in range(num_classes):
            probability = exp_scores[j] / normalizer
            dW[:, j] += (probability - (j == y[i])) * X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    ### END SOLUTION
    return float(loss), dW


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """Softmax loss and gradient without Python loops.

    Same inputs and outputs as :func:`softmax_loss_naive`.

    Two matrix products are all you need: ``X @ W`` for the scores and ``X.T @ dscores`` for
    the gradient.
    """
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    loss, dW = 0.0, np.zeros_like(W)  # replace both
    ### BEGIN SOLUTION
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X @ W  # (N, C)
    scores -= scores.max(axis=1, keepdims=True)  # stability shift, row by row
    exp_scores = np.exp(scores)
    normalizers = exp_scores.sum(axis=1)  # (N,)
    loss = np.mean(np.log(normalizers) - scores[rows, y]) + reg * np.sum(W * W)

    dscores = exp_scores / normalizers[:, np.newaxis]  # (N, C) probabilities
    dscores[rows, y] -= 1.0  # p - onehot(y)
    dW = X.T @ dscores / num_train + 2 * reg * W  # (D, C)
    ### END SOLUTION
    return float(loss), dW
