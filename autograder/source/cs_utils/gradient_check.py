"""Check an analytic gradient against finite differences.

Let ``f`` be a function of an array ``x`` that returns a number (a loss). Nudging one entry
``x[i]`` by a small step ``h`` in both directions gives the *centred difference*

    numerical[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h),

where ``e_i`` is 1 at entry ``i`` and 0 elsewhere. For a smooth ``f`` it differs from the true
partial derivative by about ``h**2``, so with the default ``h = 1e-5`` it agrees with a correct
analytic gradient to many digits.

Two numbers ``a`` and ``b`` are compared by their *relative error*

    rel_error = |a - b| / (|a| + |b| + eps),

which is 0 when they agree, close to 1 when they have nothing in common, and does not depend on
the scale of the loss. The small ``eps`` (default ``1e-8``) keeps the ratio defined when both
numbers are 0, and stops differences below the rounding noise of a finite difference (about
``1e-16 * |f| / h``) from looking alarming. Rough guide: below ``1e-7`` is a correct gradient,
around ``1e-4`` is usual near a kink, above ``1e-2`` the gradient is probably wrong.

Kinks
-----
The SVM's ``max(0, margin)`` is not differentiable where the margin is 0: the slope jumps.
If such a *kink* lies within ``h`` of ``x[i]``, the centred difference mixes the slopes of both
sides and disagrees with any analytic gradient, although nothing is wrong.
:func:`grad_check_sparse` recognises these checks and says so instead of reporting a mismatch.

How it decides: it evaluates ``f`` at five points ``x[i] + k h/2`` for ``k = -2, ..., 2`` and
takes the slopes of the four half-steps between them. A smooth function bends steadily, so from
one half-step to the next its slope changes by the same amount (``f'' h/2``, up to ``h**2``
terms). At a kink the slope changes all at once, in one or two of the half-steps. The *spread*
of the three slope changes (largest minus smallest) measures this unevenness; the check is
marked ``at_kink`` when the spread exceeds ``kink_tol`` (default ``1e-4``) times the largest
slope and also exceeds the rounding noise of the evaluations. For a single kink the centred
difference is off by at most that spread, so a kink too small to be flagged moves the relative
error by at most about ``kink_tol``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: Default floor of the relative-error denominator; see the module docstring.
EPS = 1e-8
#: Default tolerance of the kink test; see the module docstring.
KINK_TOL = 1e-4


@dataclass(frozen=True)
class GradientCheck:
    """The result of comparing one entry of an analytic gradient with its centred difference.

    Attributes
    ----------
    index : tuple of int
        Position of the checked entry in ``x``.
    numerical : float
        Centred difference ``(f(x + h) - f(x - h)) / (2 h)`` at that entry.
    analytic : float
        The analytic gradient at that entry.
    rel_error : float
        ``|numerical - analytic| / (|numerical| + |analytic| + eps)``.
    at_kink : bool
        True when ``f`` has a kink within ``h`` of ``x[index]`` (the slopes on the two sides
        differ), so a larger ``rel_error`` is expected there.
    """

    index: tuple[int, ...]
    numerical: float
    analytic: float
    rel_error: float
    at_kink: bool

    def __str__(self) -> str:
        position = ", ".join(str(i) for i in self.index)
        line = (
            f"x[{position}]: numerical {self.numerical:+.6e}, analytic {self.analytic:+.6e}, "
            f"relative error {self.rel_error:.2e}"
        )
        if self.at_kink:
            line += "  (at a kink: the one-sided slopes differ, so a larger error here is expected)"
        return line


def rel_error(a, b, eps: float = EPS) -> float:
    """Largest relative error between two arrays of the same shape.

    Parameters
    ----------
    a, b : array_like of the same shape
        For example a naive and a vectorized gradient, or two distance matrices.
    eps : float
        Floor of the denominator, so that two zeros give 0 rather than NaN.

    Returns
    -------
    float
        ``max(|a - b| / (|a| + |b| + eps))`` over all entries.

    Examples
    --------
    >>> rel_error([1.0, 0.0], [1.0, 0.0])
    0.0
    >>> round(rel_error([1.0], [3.0]), 6)
    0.5
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error compares arrays of the same shape; got {a.shape} and {b.shape}.")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + eps)))


def eval_numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, verbose: bool = True, h: float = 1e-5
) -> np.ndarray:
    """Centred-difference gradient of ``f`` at ``x``, one entry at a time.

    Costs ``2 * x.size`` calls of ``f``: use it on small problems, or use
    :func:`grad_check_sparse` to check a few entries of a large one.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a number. It must read ``x`` afresh on every call (as a loss of the
        weights does), because ``x`` is changed in place between calls.
    x : ndarray of any shape, floating point
        The point at which to differentiate. Each entry is perturbed in place by ``+h`` and
        ``-h`` and then restored to its exact old value, so ``x`` is unchanged on return (also
        when ``f`` raises).
    verbose : bool
        Print each index and its partial derivative.
    h : float
        Step size.

    Returns
    -------
    grad : ndarray of the same shape as x, float64
        ``grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)``.

    Examples
    --------
    >>> x = np.array([1.0, -2.0])
    >>> grad = eval_numerical_gradient(lambda v: float(np.sum(v ** 2)), x, verbose=False)
    >>> np.allclose(grad, 2 * x)
    True
    """
    _check_point(x, h)
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        f_plus, f_minus = _evaluate_at(f, x, index, (h, -h))
        grad[index] = (f_plus - f_minus) / (2 * h)
        if verbose:
            print(index, grad[index])
    return grad


def grad_check_sparse(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    analytic_grad: np.ndarray,
    num_checks: int = 10,
    h: float = 1e-5,
    seed: int | np.random.Generator | None = 0,
    verbose: bool = True,
    *,
    eps: float = EPS,
    kink_tol: float = KINK_TOL,
) -> list[GradientCheck]:
    """Compare ``analytic_grad`` with centred differences at a few random entries of ``x``.

    Parameters
    ----------
    f : callable
        ``f(x)`` returns a number, e.g. ``lambda w: svm_loss_naive(w, X, y, 0.0)[0]``.
    x : ndarray of any shape, floating point
        The point of the check (usually the weights ``W``). Perturbed in place and restored
        exactly: unchanged on return.
    analytic_grad : ndarray of the same shape as x
        The gradient to check, e.g. the ``dW`` returned with the loss.
    num_checks : int
        How many distinct entries to check (all of them if ``x`` has fewer).
    h : float
        Step size of the finite differences.
    seed : int, numpy Generator or None
        Chooses the entries, through ``np.random.default_rng(seed)``: the same seed checks the
        same entries, and the global ``np.random`` state is neither used nor changed.
    verbose : bool
        Print one line per check; a check at a kink says so.
    eps : float
        Floor of the relative-error denominator.
    kink_tol : float
        Sensitivity of the kink test (see the module docstring); smaller flags more.

    Returns
    -------
    list of GradientCheck
        One record per checked entry, in the order checked.

    Notes
    -----
    Each check calls ``f`` five times (see "Kinks" in the module docstring). The ``numerical``
    value is exactly the one :func:`eval_numerical_gradient` computes for that entry.
    """
    _check_point(x, h)
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(
            f"analytic_grad has shape {analytic_grad.shape} but x has shape {x.shape}; "
            "pass the gradient with respect to x itself (for a loss of W, the dW returned with it)."
        )
    if isinstance(num_checks, bool) or not isinstance(num_checks, (int, np.integer)) or num_checks < 1:
        raise ValueError(f"num_checks must be a positive integer; got {num_checks!r}.")
    rng = np.random.default_rng(seed)
    flat_positions = rng.choice(x.size, size=min(int(num_checks), x.size), replace=False)

    records = []
    for flat in flat_positions:
        index = tuple(int(i) for i in np.unravel_index(flat, x.shape))
        values = _evaluate_at(f, x, index, (-h, -h / 2, 0.0, h / 2, h))  # x[index] + k h/2
        numerical = (values[4] - values[0]) / (2 * h)
        analytic = float(analytic_grad[index])
        record = GradientCheck(
            index=index,
            numerical=numerical,
            analytic=analytic,
            rel_error=rel_error(numerical, analytic, eps=eps),
            at_kink=_has_kink(values, h, kink_tol, np.finfo(x.dtype).eps),
        )
        if verbose:
            print(record)
        records.append(record)
    return records


def _has_kink(values: Sequence[float], h: float, kink_tol: float, machine_eps: float) -> bool:
    """Kink test on f at five equally spaced points ``h/2`` apart (module docstring, "Kinks")."""
    points = np.asarray(values)
    slopes = np.diff(points) / (h / 2)  # (4,): slope of each half-step
    changes = np.diff(slopes)  # (3,): all equal for a smooth bend, uneven at a kink
    spread = changes.max() - changes.min()
    # Each value carries a rounding error of about machine_eps * |f|; through the three
    # differences and the division by h/2 that grows to roughly 16 * machine_eps * |f| / h.
    noise = 32 * machine_eps * np.max(np.abs(points)) / h
    return bool(spread > kink_tol * np.max(np.abs(slopes)) and spread > noise)


def _evaluate_at(
    f: Callable[[np.ndarray], float], x: np.ndarray, index: tuple[int, ...], offsets: Sequence[float]
) -> list[float]:
    """``[f(x with x[index] + offset) for offset in offsets]``; ``x[index]`` restored exactly."""
    old_value = x[index]  # a NumPy scalar (a copy, not a view) of x's dtype: restoring is exact
    values = []
    try:
        for offset in offsets:
            x[index] = old_value + offset
            values.append(float(f(x)))
    finally:
        x[index] = old_value
    return values


def _check_point(x, h: float) -> None:
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"x must be a NumPy array, changed in place during the check; got {type(x).__name__}. "
            "Pass the array itself, e.g. W, not a copy or a list."
        )
    if x.dtype.kind != "f":
        raise TypeError(
            f"x must hold floating-point numbers (float64 recommended); got dtype {x.dtype}. "
            "An integer array cannot hold x + h: convert it with x.astype(np.float64)."
        )
    if not np.isfinite(h) or h <= 0:
        raise ValueError(f"h must be a small positive step such as 1e-5; got {h!r}.")
