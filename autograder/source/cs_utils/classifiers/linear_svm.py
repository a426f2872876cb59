"""Multiclass support vector machine (hinge) loss and its gradient.

Letters used below: ``N`` examples, ``D`` features (the last one is the constant bias feature),
``C`` classes.

* ``X`` : ndarray of shape (N, D), one example per row;
* ``y`` : ndarray of shape (N,), ints in [0, C), the correct class of each row;
* ``W`` : ndarray of shape (D, C), one weight column (template) per class;
* scores ``s = X @ W`` : shape (N, C).

The loss of example ``i`` adds up, over every wrong class ``j``, how far its score comes within a
margin of 1 of the correct score:

    L_i = sum_{j != y_i} max(0, s_ij - s_i,y_i + 1)

The total loss is the mean of ``L_i`` over the N examples plus the L2 penalty
``reg * sum(W ** 2)`` (no factor 1/2), so the penalty's gradient is ``2 * reg * W``.

The hinge ``max(0, .)`` has a kink at 0; use the gradient of the flat side there (a margin
counts only when it is strictly positive).
"""
from __future__ import annotations

import numpy as np

from ._validation import check_loss_inputs


def svm_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """SVM loss and gradient, written with explicit loops over examples and classes.

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
        Mean hinge loss plus ``reg * sum(W ** 2)``.
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
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1  # delta = 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]  # raising s_j raises the loss
                dW[:, y[i]] -= X[i]  # raising the correct score lowers it
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    ### END SOLUTION
    return float(loss), dW


def svm_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
    """SVM loss and gradient without Python loops.

    Same inputs and outputs as :func:`svm_loss_naive`.

    Hint: compute all margins at once as an (N, C) array, zero the correct-class entries, then
    build an (N, C) coefficient matrix that says how much each example's row of ``X`` counts
    toward each column of ``dW``; ``dW`` is then one matrix product.

    Two matrix products are all you need: ``X @ W`` for the scores and ``X.T @ coefficients``
    for the gradient.
    """
    W, X, y, reg = check_loss_inputs(W, X, y, reg)
    loss, dW = 0.0, np.zeros_like(W)  # replace both
    ### BEGIN SOLUTION
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X @ W  # (N, C)
    correct_class_scores = scores[rows, y][:, np.newaxis]  # (N, 1)
    margins = np.maximum(0.0, scores - correct_class_scores + 1.0)  # (N, C)
    margins[rows, y] = 0.0  # the correct class contributes nothing
    loss = margins.sum() / num_train + reg * np.sum(W * W)

    coefficients = (margins > 0).astype(W.dtype)  # (N, C): +1 for every violating class
    coefficients[rows, y] = -coefficients.sum(axis=1)  # the correct class, once per violation
    dW = X.T @ coefficients / num_train + 2 * reg * W  # (D, C)
    ### END SOLUTION
    return float(loss), dW
