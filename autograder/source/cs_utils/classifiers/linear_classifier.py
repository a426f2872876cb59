"""A linear classifier trained by minibatch stochastic gradient descent (SGD).

The model scores ``X @ W`` with ``W`` of shape (D, C) and predicts the highest-scoring class.
Training repeats ``num_iters`` times:

1. draw ``batch_size`` training examples at random, *with* replacement (cheaper than without,
   and just as good for SGD);
2. compute the loss and its gradient on that minibatch;
3. step against the gradient: ``W -= learning_rate * grad``.

The loss is whatever a subclass defines: :class:`LinearSVM` uses
:func:`~cs_utils.classifiers.linear_svm.svm_loss_vectorized`, :class:`Softmax` uses
:func:`~cs_utils.classifiers.softmax.softmax_loss_vectorized`.

Randomness: by default the minibatches and the initial weights come from NumPy's global random
state, so ``np.random.seed(0)`` before ``train`` makes a run repeatable. Passing ``seed=...``
instead uses a private generator and leaves the global state alone.
"""
from __future__ import annotations

import numpy as np

from ._validation import as_feature_matrix, as_labels
from .linear_svm import svm_loss_vectorized
from .softmax import softmax_loss_vectorized


class LinearClassifier:
    """Base class: SGD training and prediction for a linear score function ``X @ W``.

    Attributes
    ----------
    W : ndarray of shape (D, C) or None
        The weights; created by the first call to :meth:`train` as ``0.001 * randn(D, C)``
        with ``C = max(y) + 1``.
    """

    def __init__(self) -> None:
        self.W: np.ndarray | None = None

    def train(
        self,
        X: np.ndarray,
        y: np.ndarray,
        learning_rate: float = 1e-3,
        reg: float = 1e-5,
        num_iters: int = 100,
        batch_size: int = 200,
        verbose: bool = False,
        seed: int | None = None,
    ) -> list[float]:
        """Train by minibatch SGD.

        Parameters
        ----------
        X : ndarray of shape (N, D)
            Training examples (with the bias column, if you use one).
        y : ndarray of shape (N,), int
            Labels in ``[0, C)``.
        learning_rate : float
            Step size of each update.
        reg : float
            Regularization strength passed to the loss.
        num_iters : int
            Number of SGD steps.
        batch_size : int
            Examples per minibatch, drawn with replacement (without is accepted too).
        verbose : bool
            Print the loss every 100 iterations.
        seed : int or None
            ``None`` draws from NumPy's global random state (seed it with ``np.random.seed``);
            an int uses a private ``np.random.RandomState(seed)``.

        Returns
        -------
        loss_history : list of float
            The minibatch loss at every iteration, ``num_iters`` values.
        """
        X = as_feature_matrix(X, name="X")
        y = as_labels(y, X.shape[0], name="y")
        num_train, dim = X.shape
        num_classes = int(np.max(y)) + 1  # labels are 0, ..., C-1
        rng = np.random if seed is None else np.random.RandomState(seed)  # both have .randn, .choice
        if self.W is None:
            self.W = 0.001 * rng.randn(dim, num_classes)
        elif self.W.shape[0] != dim:
            raise ValueError(f"X has {dim} columns but the existing W has {self.W.shape[0]} rows.")

        loss_history: list[float] = []
        for iteration in range(num_iters):
            # Sample batch_size rows of X (and the matching labels) with replacement, into
            # X_batch of shape (batch_size, D) and y_batch of shape (batch_size,).
            # Hint: rng.choice.
            X_batch: np.ndarray | None = None
            y_batch: np.ndarray | None = None
            ### BEGIN SOLUTION
            batch_indices = rng.choice(num_train, batch_size, replace=True)
            X_batch = X[batch_indices]
            y_batch = y[batch_indices]
            ### END SOLUTION

            loss, grad = self.loss(X_batch, y_batch, reg)
            loss_history.append(float(loss))

            # Update the weights with one gradient-descent step.
            ### BEGIN SOLUTION
            self.W -= learning_rate * grad
            ### END SOLUTION

            if verbose and iteration % 100 == 0:
                print(f"iteration {iteration} / {num_iters}: loss {loss:f}")
        return loss_history

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predict the highest-scoring class of each example.

        Parameters
        ----------
        X : ndarray of shape (N, D)

        Returns
        -------
        y_pred : ndarray of shape (N,), int
        """
        if self.W is None:
            raise RuntimeError("This classifier has no weights yet; call train(X, y) first.")
        X = as_feature_matrix(X, name="X")
        if X.shape[1] != self.W.shape[0]:
            raise ValueError(f"X has {X.shape[1]} columns but W has {self.W.shape[0]} rows; they must be equal.")
        y_pred = np.zeros(X.shape[0], dtype=np.int64)  # replace
        ### BEGIN SOLUTION
        y_pred = np.argmax(X @ self.W, axis=1)  # (N,)
        ### END SOLUTION
        return y_pred

    def trained_weights(self) -> np.ndarray:
        """``self.W``, or a clear error when there are no weights yet."""
        if self.W is None:
            raise RuntimeError("This classifier has no weights yet; call train(X, y) first.")
        return self.W

    def loss(self, X_batch: np.ndarray, y_batch: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
        """Loss and gradient on a minibatch; subclasses define it.

        Parameters
        ----------
        X_batch : ndarray of shape (batch_size, D)
        y_batch : ndarray of shape (batch_size,), int
        reg : float

        Returns
        -------
        loss : float
        grad : ndarray of shape (D, C), same as ``self.W``
        """
        raise NotImplementedError("Use a subclass such as LinearSVM or Softmax, which defines the loss.")


class LinearSVM(LinearClassifier):
    """Linear classifier trained with the multiclass SVM (hinge) loss."""

    def loss(self, X_batch: np.ndarray, y_batch: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
        return svm_loss_vectorized(self.trained_weights(), X_batch, y_batch, reg)


class Softmax(LinearClassifier):
    """Linear classifier trained with the softmax (cross-entropy) loss."""

    def loss(self, X_batch: np.ndarray, y_batch: np.ndarray, reg: float) -> tuple[float, np.ndarray]:
        return softmax_loss_vectorized(self.trained_weights(), X_batch, y_batch, reg)
