"""Argument checks shared by the classifiers' public functions.

They run in the scaffold, before any student code, so a wrong shape fails with a message that
says what was expected, what arrived and how to fix it, instead of an IndexError deep inside a
loop. None of them copies a valid array: inputs are never mutated or duplicated.
"""
from __future__ import annotations

import numbers

import numpy as np


def as_feature_matrix(X, name: str = "X") -> np.ndarray:
    """Return ``X`` as a 2-D floating-point array of shape (N, D).

    Integer and boolean arrays (for example raw ``uint8`` pixels) are converted to float64 so that
    squares and products cannot overflow; float32 and float64 arrays are returned as they are.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D or has no rows or columns.
    TypeError
        If ``X`` is not numeric.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        hint = " Flatten each image first: X.reshape(len(X), -1)." if X.ndim > 2 else ""
        raise ValueError(f"{name} must be a 2-D array of shape (N, D), one row per example; got shape {X.shape}.{hint}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column; got shape {X.shape}.")
    if X.dtype.kind in "biu":
        return X.astype(np.float64)
    if X.dtype.kind != "f":
        raise TypeError(f"{name} must hold numbers; got dtype {X.dtype}.")
    return X


def as_labels(y, num_examples: int, name: str = "y", num_classes: int | None = None) -> np.ndarray:
    """Return ``y`` as a 1-D integer array of length ``num_examples``.

    Integer-valued floats (``3.0``) are accepted and converted; labels must lie in
    ``[0, num_classes)`` when ``num_classes`` is given, and be non-negative otherwise.

    Raises
    ------
    ValueError
        If the shape, the length or a label value is wrong.
    TypeError
        If a label is not a whole number.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels of shape ({num_examples},); got shape {y.shape}.")
    if len(y) != num_examples:
        raise ValueError(f"{name} has {len(y)} labels but there are {num_examples} examples; they must match.")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise TypeError(f"{name} must hold whole-number class labels; got non-integer values.")
        y = y.astype(np.int64)
    elif y.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class labels; got dtype {y.dtype}.")
    if len(y) and y.min() < 0:
        raise ValueError(f"{name} holds a negative label ({y.min()}); labels are class indices 0, 1, ..., C-1.")
    if num_classes is not None and len(y) and y.max() >= num_classes:
        raise ValueError(
            f"{name} holds label {y.max()} but W has only {num_classes} columns (classes 0..{num_classes - 1})."
        )
    return y


def check_loss_inputs(W, X, y, reg) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Validate the ``(W, X, y, reg)`` arguments of a linear-classifier loss function.

    Returns
    -------
    W : ndarray of shape (D, C)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,), ints in [0, C)
    reg : float, non-negative
    """
    W = as_feature_matrix(W, name="W")
    X = as_feature_matrix(X, name="X")
    if X.shape[1] != W.shape[0]:
        raise ValueError(_column_mismatch(X.shape[1], W.shape[0]))
    y = as_labels(y, X.shape[0], num_classes=W.shape[1])
    # np.asarray: NumPy's stubs do not list numbers.Real (np.isfinite converts the same way itself).
    if not isinstance(reg, numbers.Real) or not np.isfinite(np.asarray(reg)) or reg < 0:
        raise ValueError(f"reg must be a non-negative number; got {reg!r}.")
    return W, X, y, float(reg)


def _column_mismatch(x_columns: int, w_rows: int) -> str:
    message = f"X has {x_columns} columns but W has {w_rows} rows; they must be equal (D)."
    if x_columns + 1 == w_rows:
        message += " Did you forget the bias column? Append a column of ones to X."
    elif x_columns == w_rows + 1:
        message += " X has one column more than W has rows: was W made before the bias column was added?"
    return message
