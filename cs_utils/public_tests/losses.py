"""Public tests of the SVM and softmax losses, naive and vectorized."""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .compare import (
    RACE_FACTOR,
    finite,
    gradient_hint,
    memory_safe,
    no_loops_in,
    race,
    same_shape,
)
from .results import Failed
from .session import Session, explain

SVM_FILE = "cs_utils/classifiers/linear_svm.py"
SOFTMAX_FILE = "cs_utils/classifiers/softmax.py"
#: The grader's sizes (N, D, C): the race against the naive version, and the memory-safe run.
RACE_SIZE, MEMORY_SIZE = (250, 100, 10), (160, 2000, 40)


def _loss_problem(seed: int, N: int = 6, D: int = 5, C: int = 3, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 0.1, size=(D, C)) * scale
    X = rng.normal(0, 1.0, size=(N, D))
    X[:, -1] = 1.0  # the bias column
    y = np.arange(N) % C
    return W, X, y.astype(np.int64)


def _loss(session: Session, module: str, function: str, where: str, W, X, y, reg: float, *, inputs: bool = False):
    request = {"kind": "function", "module": module, "name": function, "return_inputs": inputs,
               "args": [{"array": "W"}, {"array": "X"}, {"array": "y"}, {"value": float(reg)}]}
    returned = session.call(function, request, {"W": W, "X": X, "y": y})
    if not returned.ok:
        raise Failed(explain(returned, function, where))
    if returned.numbers.get("result.0") is None or "result.1" not in returned.arrays:
        if "result" in returned.arrays or "result" in returned.numbers:
            raise Failed(f"{function} must return two values: (loss, dW)")
        raise Failed(f"{function} must return (loss, dW), with loss a number and dW an array")
    return returned.numbers["result.0"], returned.arrays["result.1"], returned


def loss_tests(family: str, variant: str) -> list[tuple[str, Callable[[Session], None]]]:
    module = f"cs_utils.classifiers.{'linear_svm' if family == 'svm' else 'softmax'}"
    where = SVM_FILE if family == "svm" else SOFTMAX_FILE
    function = f"{family}_loss_{variant}"
    naive = f"{family}_loss_naive"
    expected_start = ("C - 1", lambda C: C - 1.0) if family == "svm" else ("ln C", lambda C: math.log(C))

    def call(session, W, X, y, reg, **options):
        return _loss(session, module, function, where, W, X, y, reg, **options)

    def shapes(session):
        W, X, y = _loss_problem(1)
        loss, dW, _ = call(session, W, X, y, 0.1)
        same_shape(dW, W.shape, "dW", "(D, C), the same as W")
        finite(np.append(dW, loss), "the loss or dW")

    def small_weights(session):
        W, X, y = _loss_problem(2, N=20, D=8, C=5, scale=1e-4)
        loss, _, _ = call(session, W, X, y, 0.0)
        name, value = expected_start
        want = value(W.shape[1])
        if not abs(loss - want) < 1e-2:
            raise Failed(f"with tiny weights every score is about 0, so the loss should be close to "
                         f"{name} = {want:.4f}; got {loss:.4f}")

    def regularization(session):
        W, X, y = _loss_problem(3)
        reg = 0.7
        loss_0, dW_0, _ = call(session, W, X, y, 0.0)
        loss_r, dW_r, _ = call(session, W, X, y, reg)
        penalty, added = reg * float(np.sum(W * W)), loss_r - loss_0
        if not np.isclose(added, penalty, rtol=1e-6, atol=1e-10):
            if np.isclose(added, 0.0, atol=1e-12):
                raise Failed("the loss does not change with reg: add reg * np.sum(W * W)")
            if np.isclose(added, penalty / 2, rtol=1e-6):
                raise Failed("the penalty must be reg * np.sum(W * W), without a factor 1/2")
            raise Failed("the loss must grow by exactly reg * np.sum(W * W) when reg goes from 0 to reg")
        step = dW_r - dW_0
        if not np.allclose(step, 2 * reg * W, rtol=1e-6, atol=1e-10):
            if np.allclose(step, 0.0, atol=1e-12):
                raise Failed("dW does not change with reg: add the penalty's gradient 2 * reg * W")
            if np.allclose(step, reg * W, rtol=1e-6):
                raise Failed("the penalty's gradient is 2 * reg * W, not reg * W")
            raise Failed("dW must grow by exactly 2 * reg * W when reg goes from 0 to reg")

    def numerical_gradient(session):
        W, X, y = _loss_problem(4, N=6, D=4, C=3, scale=5.0)  # margins far from the hinge's kink
        reg, h = 0.0, 1e-5  # the penalty has its own test; without it a wrong factor shows plainly
        _, dW, _ = call(session, W, X, y, reg)
        same_shape(dW, W.shape, "dW", "(D, C), the same as W")
        numerical = np.zeros_like(W)
        for index in np.ndindex(*W.shape):
            plus, minus = W.copy(), W.copy()
            plus[index] += h
            minus[index] -= h
            numerical[index] = (call(session, plus, X, y, reg)[0] - call(session, minus, X, y, reg)[0]) / (2 * h)
        error = np.max(np.abs(dW - numerical)) / max(np.max(np.abs(numerical)), 1e-8)
        if not error < 1e-5:
            hint = gradient_hint(dW, numerical)
            raise Failed(hint or f"dW differs from the numerical gradient of your loss (relative error {error:.1e}); "
                                 "check the gradient one term at a time with cs_utils.gradient_check")

    def large_scores(session):
        # Scores in the thousands: a large offset per example, shared by its classes (the first
        # feature, with the same weight for every class), and spreads of tens between classes.
        W, X, y = _loss_problem(5, N=8, D=6, C=4, scale=100.0)
        X[:, 0] = np.linspace(10.0, 1000.0, len(X))
        W[0, :] = 100.0
        loss, dW, _ = call(session, W, X, y, 0.0)
        fix = ": subtract each row's largest score before np.exp (it changes no probability)"
        finite(loss, "the loss", fix)
        finite(dW, "dW", fix)

    def matches_naive(session):
        W, X, y = _loss_problem(6, N=12, D=7, C=4)
        try:
            want_loss, want_dW, _ = _loss(session, module, naive, where, W, X, y, 0.2)
        except Failed as failure:
            raise Failed(f"this test compares with {naive}, which failed first ({failure})") from None
        loss, dW, _ = call(session, W, X, y, 0.2)
        if not np.isclose(loss, want_loss, rtol=1e-6, atol=1e-10):
            raise Failed(f"the loss differs from {naive}'s ({loss:.6g} against {want_loss:.6g})")
        same_shape(dW, want_dW.shape, "dW", "(D, C), the same as W")
        if not np.allclose(dW, want_dW, rtol=1e-6, atol=1e-9):
            hint = gradient_hint(dW, want_dW)
            raise Failed(f"dW differs from {naive}'s" + (f"; {hint}" if hint else ""))

    def inputs_unchanged(session):
        W, X, y = _loss_problem(7)
        _, _, returned = call(session, W, X, y, 0.1, inputs=True)
        for position, (label, original) in enumerate((("W", W), ("X", X), ("y", y))):
            if not np.array_equal(returned.arrays.get(f"after.arg{position}"), original):
                raise Failed(f"{function} changed its input {label}: work on a copy, or avoid in-place operations")

    def no_loops(session):
        W, X, y = _loss_problem(8)
        call(session, W, X, y, 0.1)  # a stub has no loops either: it must work first
        no_loops_in(session, where, function)

    def request(name):
        return {"kind": "function", "module": module, "name": name,
                "args": [{"array": "W"}, {"array": "X"}, {"array": "y"}, {"value": 1e-3}]}

    def fast(session):
        small = _loss_problem(8)
        call(session, small[0], small[1], small[2], 0.1)  # it must work first (and say why if it does not)
        W, X, y = _loss_problem(9, *RACE_SIZE)
        race(session, f"{function}/race", request(function), request(naive), {"W": W, "X": X, "y": y}, function,
             naive, where)

    def memory(session):
        small = _loss_problem(8)
        call(session, small[0], small[1], small[2], 0.1)
        W, X, y = _loss_problem(10, *MEMORY_SIZE)
        memory_safe(session, f"{function}/memory", request(function), {"W": W, "X": X, "y": y}, function,
                    "(N, D, C)", where)

    tests = [
        ("returns (loss, dW) with dW shaped like W", shapes),
        (f"the loss is about {expected_start[0]} when every weight is tiny", small_weights),
        ("regularization adds reg * sum(W**2) to the loss and 2 * reg * W to dW", regularization),
        ("dW matches a numerical gradient of the loss", numerical_gradient),
    ]
    if family == "softmax":
        tests.append(("the loss and dW stay finite for scores in the thousands", large_scores))
    if variant == "vectorized":
        tests += [
            (f"agrees with your {naive}", matches_naive),
            ("contains no Python loops", no_loops),
            ("leaves W, X and y unchanged", inputs_unchanged),
            (f"is at least {RACE_FACTOR:g} times faster than your {naive} on a large input", fast),
            ("runs where an (N, D, C) array would not fit in memory", memory),
        ]
    return tests


#: This part's functions and their public tests (``cs_utils.check`` gathers every part's).
PUBLIC_TESTS = {f"{family}_loss_{variant}": loss_tests(family, variant)
                for family in ("svm", "softmax") for variant in ("naive", "vectorized")}
