"""Check your functions with the public tests, run the way the grader runs them.

From a terminal in the kit folder::

    python -m cs_utils.check                         # every function
    python -m cs_utils.check svm_loss_vectorized     # one function (or several, or: knn svm softmax linear)

In a notebook::

    from cs_utils.check import check
    check("svm_loss_vectorized")

Each test prints PASS or FAIL, and a failure comes with a hint. The exit code is 0 when every
selected test passed, 1 when one failed, 2 for an unknown name and 3 when the test process could
not start.

How it runs: your saved ``cs_utils`` files (not what a notebook has in memory) are copied to a
scratch folder, and a fresh process imports them there and calls one function at a time. That
process is the grader's own sandbox (``cs_utils/_grading``, a byte-for-byte copy of the grader's
runtime): the same time limit per call, the same memory limit, no network where the machine
allows it (full isolation needs root, which Colab has; on a laptop it is best-effort). An
infinite loop or a crash therefore costs one function's tests, never your notebook.

These tests need no answer key. They check properties every correct solution has (shapes,
worked examples small enough to do by hand, naive and vectorized versions agreeing, analytic
against numerical gradients, no Python loops where the task forbids them). The grader runs
*other* tests on inputs you do not see, so passing here is necessary, not sufficient.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from cs_utils._grading import sandbox as _sandbox
from cs_utils._grading.static import python_loops

PACKAGE_ROOT = Path(__file__).resolve().parent
KNN_FILE = "cs_utils/classifiers/k_nearest_neighbor.py"
SVM_FILE = "cs_utils/classifiers/linear_svm.py"
SOFTMAX_FILE = "cs_utils/classifiers/softmax.py"
LINEAR_FILE = "cs_utils/classifiers/linear_classifier.py"
#: Files larger than this are not read back from the sandboxed process.
MAX_OUTPUT_BYTES = 64 << 20
IGNORED = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Outcome:
    """One public test: which function, what it checks, and a hint when it failed."""

    function: str
    name: str
    passed: bool
    hint: str = ""


@dataclass
class Report:
    """Every outcome of one run, in order; ``notes`` says how isolated the run was."""

    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [outcome for outcome in self.outcomes if not outcome.passed]

    @property
    def ok(self) -> bool:
        return not self.failed

    def text(self, *, verbose: bool = False) -> str:
        lines, current, previous = [], None, ""
        for outcome in self.outcomes:
            if outcome.function != current:
                current, previous = outcome.function, ""
                lines.append(current)
            lines.append(f"  {'PASS' if outcome.passed else 'FAIL'}  {outcome.name}")
            if outcome.hint:
                lines.append(f"        hint: {'the same' if outcome.hint == previous else outcome.hint}")
                previous = outcome.hint
        total, passed = len(self.outcomes), len(self.outcomes) - len(self.failed)
        lines.append("")
        lines.append(f"{passed} of {total} public tests passed."
                     + ("" if self.failed else " The grader also runs hidden tests on other inputs."))
        if verbose:
            lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<check report: {len(self.outcomes) - len(self.failed)} of {len(self.outcomes)} passed>"


class Failed(Exception):
    """Raised inside a test: the message is the hint the student reads."""


# ---------------------------------------------------------------------------------- running calls


@dataclass
class Returned:
    """What came back from one call: plain numbers and arrays, or why there is nothing."""

    ok: bool
    error: str = ""
    message: str = ""
    numbers: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)


class Session:
    """The student's package copied into a scratch folder, and one sandboxed process calling it."""

    def __init__(self, package: Path = PACKAGE_ROOT, limits: _sandbox.Limits = _sandbox.Limits()):
        self.limits = limits
        # As root the sandboxed process runs as a dedicated uid that is swept after each stop; the
        # grader uses uid_base + worker slot, so a check takes a slot of its own (1000 up).
        self.isolation = _sandbox.Isolation.detect(slot=1000 + os.getpid() % 1000)
        self.sandbox = _sandbox.Sandbox(self.isolation, limits)
        self.root = Path(tempfile.mkdtemp(prefix="cs_utils-check-"))
        os.chmod(self.root, 0o711)  # the sandboxed uid (as root) may pass, not list
        self.work, self.io = self.root / "work", self.root / "io"
        shutil.copytree(package, self.work / "cs_utils", ignore=IGNORED)
        self.io.mkdir(mode=0o711)
        self.sandbox.prepare_folder(self.work)
        self.notes = list(self.isolation.notes)
        self.child: _sandbox.Child | None = None
        self.broken: dict[str, str] = {}
        self.calls = 0

    def close(self) -> None:
        self._stop()
        self.sandbox.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def source(self, relative: str) -> str:
        return (self.work / relative).read_text(encoding="utf-8", errors="replace")

    def call(self, function: str, request: dict, arrays: dict) -> Returned:
        """Run one call in the sandbox; a timeout or crash marks ``function`` broken for the rest."""
        if function in self.broken:
            return Returned(False, self.broken[function])
        if self.child is None or not self.child.alive:
            self.child, notes = self.sandbox.spawn(self.work)
            self.notes += [note for note in notes if note not in self.notes]
            if self.child is None:
                raise RuntimeError("could not start the test process: " + "; ".join(notes))
        self.calls += 1
        folder = self.io / str(self.calls)
        folder.mkdir(mode=0o700)
        for name, array in arrays.items():
            np.save(folder / f"{name}.npy", np.asarray(array), allow_pickle=False)
        self.sandbox.prepare_folder(folder)
        reply = self.child.call({"dir": str(folder), "call": request, "repeat": 1}, self.limits.call_seconds)
        if reply.state != "done":
            self._stop()
            self.broken[function] = reply.state
            return Returned(False, reply.state)
        try:
            return self._read(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _read(self, folder: Path) -> Returned:
        directory = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            raw = _sandbox.read_plain_file(directory, "outputs.json", 1 << 20)
            if raw is None:
                return Returned(False, "unreadable")
            report = json.loads(raw)
            status, outputs = report["status"], report["outputs"]
            if not status.get("ok"):
                return Returned(False, str(status.get("error")), str(status.get("message", "")))
            numbers, arrays = {}, {}
            for name, described in outputs.items():
                if described.get("kind") == "number":
                    numbers[name] = float(described["value"])
                elif described.get("kind") == "array":
                    data = _sandbox.read_plain_file(directory, f"{name}.npy", MAX_OUTPUT_BYTES)
                    if data is not None:
                        arrays[name] = np.load(io.BytesIO(data), allow_pickle=False)
            return Returned(True, numbers=numbers, arrays=arrays)
        finally:
            os.close(directory)

    def _stop(self) -> None:
        if self.child is not None:
            self.sandbox.kill(self.child)
            self.child = None


def _explain(returned: Returned, function: str, where: str) -> str:
    if returned.error == "NotImplementedError":
        return f"{function} is not implemented yet: write its body in {where} and delete the raise"
    if returned.error == "timeout":
        return f"{function} did not finish within the time limit: an infinite loop, or far too slow?"
    if returned.error == "died":
        return f"the process running {function} stopped: a crash, or it used too much memory or CPU"
    if returned.error == "unreadable":
        return f"what {function} returned could not be read back"
    message = f": {returned.message}" if returned.message else ""
    return f"{function} raised {returned.error}{message}"


def _value(returned: Returned, function: str, where: str, name: str = "result"):
    if not returned.ok:
        raise Failed(_explain(returned, function, where))
    if name in returned.arrays:
        return returned.arrays[name]
    if name in returned.numbers:
        return returned.numbers[name]
    raise Failed(f"{function} returned nothing usable (missing return?)")


# ---------------------------------------------------------------------------------- comparing


def _same_shape(got, shape: tuple, what: str, words: str) -> np.ndarray:
    got = np.asarray(got)
    if got.shape != shape:
        swapped = " (rows and columns swapped?)" if got.shape == shape[::-1] and len(shape) == 2 else ""
        raise Failed(f"{what} must have shape {words} = {shape}; got {got.shape}{swapped}")
    return got


def _finite(got, what: str, fix: str = "") -> None:
    if not np.all(np.isfinite(got)):
        raise Failed(f"{what} contains NaN or inf{fix}")


def _factor(got: np.ndarray, want: np.ndarray) -> float | None:
    """The number ``f`` with ``got == f * want``, if there is one."""
    denominator = float(np.sum(want * want))
    if not denominator:
        return None
    factor = float(np.sum(got * want)) / denominator
    return factor if np.allclose(got, factor * want, rtol=1e-5, atol=1e-8) else None


def _gradient_hint(got: np.ndarray, want: np.ndarray) -> str:
    if not np.any(got):
        return "dW is all zeros: did you fill it in?"
    factor = _factor(got, want)
    if factor is not None and factor < 0:
        return "dW has the wrong sign"
    if factor is not None and factor > 1.5 and abs(factor - round(factor)) < 0.05:
        return f"dW is {round(factor)} times too large: check where you divide by N"
    if factor is not None and 0 < factor < 0.75 and abs(1 / factor - round(1 / factor)) < 0.05:
        return f"dW is {round(1 / factor)} times too small: did you divide by N twice?"
    return ""


# ---------------------------------------------------------------------------------- loss tests


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
        raise Failed(_explain(returned, function, where))
    if returned.numbers.get("result.0") is None or "result.1" not in returned.arrays:
        if "result" in returned.arrays or "result" in returned.numbers:
            raise Failed(f"{function} must return two values: (loss, dW)")
        raise Failed(f"{function} must return (loss, dW), with loss a number and dW an array")
    return returned.numbers["result.0"], returned.arrays["result.1"], returned


def _loss_tests(family: str, variant: str) -> list[tuple[str, Callable[[Session], None]]]:
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
        _same_shape(dW, W.shape, "dW", "(D, C), the same as W")
        _finite(np.append(dW, loss), "the loss or dW")

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
        _same_shape(dW, W.shape, "dW", "(D, C), the same as W")
        numerical = np.zeros_like(W)
        for index in np.ndindex(*W.shape):
            plus, minus = W.copy(), W.copy()
            plus[index] += h
            minus[index] -= h
            numerical[index] = (call(session, plus, X, y, reg)[0] - call(session, minus, X, y, reg)[0]) / (2 * h)
        error = np.max(np.abs(dW - numerical)) / max(np.max(np.abs(numerical)), 1e-8)
        if not error < 1e-5:
            hint = _gradient_hint(dW, numerical)
            raise Failed(hint or f"dW differs from the numerical gradient of your loss (relative error {error:.1e}); "
                                 "check the gradient one term at a time with cs_utils.gradient_check")

    def large_scores(session):
        W, X, y = _loss_problem(5, N=8, D=6, C=4, scale=1e4)  # scores in the thousands
        loss, dW, _ = call(session, W, X, y, 0.0)
        fix = ": subtract each row's largest score before np.exp (it changes no probability)"
        _finite(loss, "the loss", fix)
        _finite(dW, "dW", fix)

    def matches_naive(session):
        W, X, y = _loss_problem(6, N=12, D=7, C=4)
        try:
            want_loss, want_dW, _ = _loss(session, module, naive, where, W, X, y, 0.2)
        except Failed as failure:
            raise Failed(f"this test compares with {naive}, which failed first ({failure})") from None
        loss, dW, _ = call(session, W, X, y, 0.2)
        if not np.isclose(loss, want_loss, rtol=1e-6, atol=1e-10):
            raise Failed(f"the loss differs from {naive}'s ({loss:.6g} against {want_loss:.6g})")
        _same_shape(dW, want_dW.shape, "dW", "(D, C), the same as W")
        if not np.allclose(dW, want_dW, rtol=1e-6, atol=1e-9):
            hint = _gradient_hint(dW, want_dW)
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
        _no_loops(session, where, function)

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
        ]
    return tests


def _no_loops(session: Session, where: str, qualified: str) -> None:
    loops = python_loops(session.source(where), qualified)
    if loops is None:
        raise Failed(f"{qualified} was not found in {where}, or the file has a syntax error")
    if loops:
        raise Failed(f"found {', '.join(loops)} of {where}: use array operations instead")


# ---------------------------------------------------------------------------------- kNN tests

#: A worked example small enough to check by hand: 3-4-5 triangles.
KNN_TRAIN = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0], [1.0, 1.0]])
KNN_TEST = np.array([[0.0, 0.0], [3.0, 0.0]])
KNN_DISTS = np.array([[0.0, 5.0, 10.0, math.sqrt(2)], [3.0, 4.0, math.sqrt(73), math.sqrt(5)]])


def _knn(session: Session, method: str, X_train, y_train, argument, *, k: int | None = None, inputs: bool = False):
    request = {"kind": "knn", "method": method, "args": [{"array": "arg"}], "return_inputs": inputs}
    if k is not None:
        request["kwargs"] = {"k": {"value": k}}
    returned = session.call(method, request, {"X_train": X_train, "y_train": y_train, "arg": argument})
    return _value(returned, method, KNN_FILE), returned


def _distance_tests(method: str) -> list[tuple[str, Callable[[Session], None]]]:
    labels = np.arange(len(KNN_TRAIN), dtype=np.int64)

    def worked_example(session):
        dists, _ = _knn(session, method, KNN_TRAIN, labels, KNN_TEST)
        dists = _same_shape(dists, KNN_DISTS.shape, "dists", "(num_test, num_train)")
        _finite(dists, "dists")
        if np.allclose(dists, KNN_DISTS**2):
            raise Failed("these are squared distances: take the square root")
        if not np.allclose(dists, KNN_DISTS, rtol=1e-7, atol=1e-9):
            raise Failed("dists[i, j] must be the Euclidean distance between test example i and training example j")

    def agrees(session):
        rng = np.random.default_rng(11)
        X_train, X = rng.uniform(0, 255, size=(9, 6)), rng.uniform(0, 255, size=(5, 6))
        y_train = np.arange(9) % 3
        try:
            want, _ = _knn(session, "compute_distances_two_loops", X_train, y_train, X)
        except Failed as failure:
            raise Failed(f"this test compares with compute_distances_two_loops, which failed first ({failure})") from None
        got, _ = _knn(session, method, X_train, y_train, X)
        got = _same_shape(got, np.shape(want), "dists", "(num_test, num_train)")
        if not np.allclose(got, want, rtol=1e-7, atol=1e-6):
            raise Failed("the distances differ from those of compute_distances_two_loops")

    def unchanged(session):
        rng = np.random.default_rng(12)
        X_train, X = rng.uniform(0, 255, size=(7, 4)), rng.uniform(0, 255, size=(3, 4))
        _, returned = _knn(session, method, X_train, np.zeros(7, dtype=np.int64), X, inputs=True)
        if not np.array_equal(returned.arrays.get("after.X_train"), X_train):
            raise Failed(f"{method} changed self.X_train (avoid in-place operations on it)")
        if not np.array_equal(returned.arrays.get("after.arg0"), X):
            raise Failed(f"{method} changed X (avoid in-place operations on it)")

    def duplicates(session):
        rng = np.random.default_rng(13)
        X_train = rng.uniform(100, 255, size=(10, 64))
        X = X_train[[2, 5, 5]].copy()
        dists, _ = _knn(session, method, X_train, np.arange(10) % 3, X)
        dists = _same_shape(dists, (3, 10), "dists", "(num_test, num_train)")
        _finite(dists, "dists", ": rounding makes tiny squared distances slightly negative; clip them at 0 before "
                                "the square root (np.maximum)")
        if not np.all(np.abs(dists[[0, 1, 2], [2, 5, 5]]) < 1e-3):
            raise Failed("a test example identical to a training example must be at distance (almost) 0")

    def no_loops(session):
        _knn(session, method, KNN_TRAIN, labels, KNN_TEST)  # a stub has no loops either: it must work first
        _no_loops(session, KNN_FILE, f"KNearestNeighbor.{method}")

    tests = [("computes the distances of a small worked example", worked_example)]
    if method != "compute_distances_two_loops":
        tests.append(("agrees with your compute_distances_two_loops", agrees))
    if method == "compute_distances_no_loops":
        tests += [("identical points give distance 0, not NaN", duplicates), ("contains no Python loops", no_loops)]
    tests.append(("leaves X and self.X_train unchanged", unchanged))
    return tests


def _labels(session: Session, dists, y_train, k: int) -> np.ndarray:
    got, _ = _knn(session, "predict_labels", np.zeros((len(y_train), 1)), y_train, np.asarray(dists, float), k=k)
    got = _same_shape(got, (len(dists),), "y_pred", "(num_test,)")
    if not np.all(np.isfinite(got)) or np.any(got != np.round(got)):
        raise Failed("y_pred must hold whole-number labels")
    return got


def _label_tests() -> list[tuple[str, Callable[[Session], None]]]:
    y_train = np.array([4, 1, 1, 7, 2], dtype=np.int64)
    dists = np.array([[3.0, 1.0, 5.0, 0.5, 9.0],   # nearest: 7; then 1, 4
                      [0.1, 8.0, 7.0, 6.0, 2.0]])  # nearest: 4; then 2, 7

    def k1(session):
        got = _labels(session, dists, y_train, 1)
        if not np.array_equal(got, [7, 4]):
            raise Failed("with k = 1 each prediction is the label of the closest training example "
                         "(the smallest entry of its row of dists)")

    def majority(session):
        votes = np.array([[0.2, 0.3, 0.4, 0.1, 0.9]])  # nearest three: 7, 4, 1... and 1 twice among four
        got = _labels(session, votes, y_train, 4)
        if not np.array_equal(got, [1]):
            raise Failed("with k = 4 the four nearest labels are 7, 4, 1, 1: the most common one (1) wins")

    def tie(session):
        tied = np.array([[0.1, 0.2, 9.0, 9.0, 9.0],    # nearest two: 4 and 1, one vote each
                         [9.0, 9.0, 9.0, 0.1, 0.2]])   # nearest two: 7 and 2
        got = _labels(session, tied, y_train, 2)
        if not np.array_equal(got, [1, 2]):
            raise Failed("a tied vote goes to the smaller label (np.argmax of np.bincount returns the first maximum)")

    def single(session):
        _labels(session, dists[:1], y_train, 1)

    return [("k = 1 picks the label of the closest training example", k1),
            ("k > 1 takes a majority vote", majority),
            ("a tie goes to the smaller label", tie),
            ("returns shape (1,) for one test example", single)]


# ---------------------------------------------------------------------------------- linear classifier tests


def _train_tests() -> list[tuple[str, Callable[[Session], None]]]:
    settings = {"learning_rate": 0.05, "reg": 1e-3, "num_iters": 12, "batch_size": 8, "seed": 3}
    N, D, C = 40, 5, 3
    rng = np.random.default_rng(21)
    X, y = rng.normal(size=(N, D)), (np.arange(N) % C).astype(np.int64)
    function = "LinearClassifier.train"
    cache: dict = {}

    def probe(session) -> Returned:
        if "returned" not in cache:  # the four tests share one training run
            cache["returned"] = session.call(function, {"kind": "train", **settings}, {"X": X, "y": y})
        returned = cache["returned"]
        if not returned.ok:
            raise Failed(_explain(returned, function, LINEAR_FILE))
        return returned

    def minibatches(session):
        sizes = probe(session).arrays.get("batch_sizes")
        if sizes is None or len(sizes) != settings["num_iters"]:
            raise Failed("call self.loss once per iteration, on the minibatch")
        if np.any(sizes != settings["batch_size"]):
            raise Failed("each minibatch must hold batch_size examples (np.random.choice(num_train, batch_size))")

    def history(session):
        losses = probe(session).arrays.get("history")
        if losses is None or len(losses) != settings["num_iters"]:
            raise Failed("train must return loss_history, one loss per iteration")

    def weights(session):
        final = probe(session).arrays.get("final_W")
        if final is None or final.shape != (D, C):
            raise Failed("after train, self.W must have shape (D, C), with C = max(y) + 1")

    def lowers(session):
        losses = probe(session).arrays.get("history")
        if losses is None or len(losses) < 2 or not np.all(np.isfinite(losses)):
            raise Failed("train must return a finite loss per iteration")
        if not losses[-3:].mean() < losses[:3].mean():
            raise Failed("the loss did not go down: the update is W -= learning_rate * grad")

    return [("samples minibatches of batch_size examples", minibatches),
            ("returns one loss per iteration", history),
            ("leaves self.W with shape (D, C)", weights),
            ("lowers the loss with a small learning rate", lowers)]


def _predict_tests() -> list[tuple[str, Callable[[Session], None]]]:
    function = "LinearClassifier.predict"
    W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, -0.5]])
    X = np.array([[0.0, 2.0, 1.0, 0.0], [3.0, 1.0, 0.0, 1.0], [0.0, 0.0, 0.0, -1.0]])

    def run(session, rows):
        returned = session.call(function, {"kind": "predict"}, {"W": W, "X": rows})
        return np.asarray(_value(returned, function, LINEAR_FILE))

    def argmax(session):
        got = _same_shape(run(session, X), (3,), "y_pred", "(N,)")
        if not np.array_equal(got, [1, 0, 2]):
            raise Failed("each prediction is the column of the largest score in X @ self.W (np.argmax along axis 1)")

    def single(session):
        _same_shape(run(session, X[:1]), (1,), "y_pred", "(N,)")

    return [("predicts the highest-scoring class", argmax), ("returns shape (1,) for one example", single)]


# ---------------------------------------------------------------------------------- the registry

#: Function name -> its public tests, in the order of the assignment.
TESTS: dict[str, list[tuple[str, Callable[[Session], None]]]] = {
    "compute_distances_two_loops": _distance_tests("compute_distances_two_loops"),
    "compute_distances_one_loop": _distance_tests("compute_distances_one_loop"),
    "compute_distances_no_loops": _distance_tests("compute_distances_no_loops"),
    "predict_labels": _label_tests(),
    "svm_loss_naive": _loss_tests("svm", "naive"),
    "svm_loss_vectorized": _loss_tests("svm", "vectorized"),
    "LinearClassifier.train": _train_tests(),
    "LinearClassifier.predict": _predict_tests(),
    "softmax_loss_naive": _loss_tests("softmax", "naive"),
    "softmax_loss_vectorized": _loss_tests("softmax", "vectorized"),
}
#: Names that select several functions at once.
GROUPS = {
    "knn": [name for name in TESTS if "distances" in name or name == "predict_labels"],
    "svm": ["svm_loss_naive", "svm_loss_vectorized"],
    "softmax": ["softmax_loss_naive", "softmax_loss_vectorized"],
    "linear": ["LinearClassifier.train", "LinearClassifier.predict"],
}
ALIASES = {"train": "LinearClassifier.train", "predict": "LinearClassifier.predict"}


def select(names) -> list[str]:
    """Turn function, short or group names into function names; ValueError for unknown ones."""
    if not names:
        return list(TESTS)
    chosen: list[str] = []
    for name in names:
        name = name.split(".", 1)[1] if name.startswith("KNearestNeighbor.") else name
        found = GROUPS.get(name) or [ALIASES.get(name, name)]
        for function in found:
            if function not in TESTS:
                raise ValueError(f"no public tests for {name!r}; choose from: {', '.join([*TESTS, *GROUPS])}")
            if function not in chosen:
                chosen.append(function)
    return chosen


def run_checks(names=(), *, package: Path = PACKAGE_ROOT, limits: _sandbox.Limits = _sandbox.Limits()) -> Report:
    """Run the public tests of ``names`` (all functions when empty) and return the report."""
    report = Report()
    with Session(package, limits) as session:
        for function in select(list(names)):
            for label, test in TESTS[function]:
                try:
                    test(session)
                    report.outcomes.append(Outcome(function, label, True))
                except Failed as failure:
                    report.outcomes.append(Outcome(function, label, False, str(failure)))
        report.notes = session.notes
    return report


def check(*names: str, verbose: bool = False) -> Report:
    """Notebook helper: run the public tests of ``names`` (all when none), print and return the report.

    Examples
    --------
    ``check("svm_loss_naive", "svm_loss_vectorized")`` or ``check("knn")``.
    """
    report = run_checks(names)
    print(report.text(verbose=verbose))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cs_utils.check",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run the public tests of your cs_utils functions in the grader's sandbox.",
        epilog=("examples:\n"
                "  python -m cs_utils.check\n"
                "  python -m cs_utils.check svm_loss_naive svm_loss_vectorized\n"
                "  python -m cs_utils.check knn\n"
                f"\nnames: {', '.join(TESTS)}\ngroups: {', '.join(GROUPS)}"),
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="functions or groups to check (default: all)")
    parser.add_argument("-v", "--verbose", action="store_true", help="also say how isolated the test process was")
    args = parser.parse_args(argv)
    try:
        select(args.names)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        report = run_checks(args.names)
    except RuntimeError as error:  # the sandboxed interpreter could not start: nothing was tested
        print(f"error: {error}\nThe tests run in a fresh `{sys.executable} -I`, which must be able to import "
              "NumPy (a NumPy installed with `pip install --user` is not visible there).", file=sys.stderr)
        return 3
    print(report.text(verbose=args.verbose))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
