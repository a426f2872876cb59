"""How each hidden test is run and judged, in the parent.

A test id from :mod:`.manifest` maps to a *plan builder*: given the reference implementation it
draws seeded inputs, computes the expected values with the reference, and returns a
:class:`Plan`: the calls the child must make (:class:`Call`, plain arrays and JSON) and a
*judge* that turns what came back (:class:`Returned`) into a :class:`~.results.Verdict`.

Judges are pure functions of the returned data and the expected values captured when the plan
was built. They accept what the plain CS231n contracts allow: labels returned as floats with
whole values, losses as NumPy scalars, float32 arrays within a looser tolerance.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Callable

import numpy as np

from autograder.grading.results import Verdict
from autograder.grading.static import python_loops

SVM_MODULE = "cs_utils.classifiers.linear_svm"
SOFTMAX_MODULE = "cs_utils.classifiers.softmax"
KNN_FILE = "cs_utils/classifiers/k_nearest_neighbor.py"
SVM_FILE = "cs_utils/classifiers/linear_svm.py"
SOFTMAX_FILE = "cs_utils/classifiers/softmax.py"
#: A correct vectorized call may take this many times the reference's time, plus the slack.
SPEED_FACTOR, SPEED_SLACK_SECONDS = 25.0, 0.25
#: Problem sizes of the speed tests: (num_test, num_train, D) and (N, D, C). Big enough that two
#: Python loops over them take well over a second, small enough to send in a few milliseconds.
KNN_SPEED_SIZE, LOSS_SPEED_SIZE = (200, 400, 100), (1000, 100, 10)


@dataclass(frozen=True)
class Call:
    """One call of a student function, described as plain data.

    ``key`` names the call: tests whose plans hold calls with the same key share one run. A
    ``timed`` call is sent alone, so the parent's clock measures that call and nothing else.
    """

    key: str
    request: dict
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    repeat: int = 1
    timed: bool = False


@dataclass(frozen=True)
class Returned:
    """What came back from one call, as read by the parent."""

    ok: bool
    error: str = ""  # exception type name, or "timeout", "died", "unreadable"
    numbers: dict[str, float] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0

    def describe_failure(self, function: str) -> str:
        if self.error == "timeout":
            return f"{function} did not finish within the time limit (infinite loop?)"
        if self.error == "died":
            return (f"the process running {function} stopped (a crash, os._exit, or the memory/CPU "
                    f"limit); other functions are still graded")
        if self.error == "unreadable":
            return f"what {function} returned could not be read as numbers"
        if self.error == "NotImplementedError":
            return f"{function} raised NotImplementedError: it is not implemented yet"
        return f"{function} raised {self.error}"


@dataclass(frozen=True)
class SourceView:
    """The student's files, for checks that read source (parsed with ``ast``, never imported)."""

    root: Path

    def text(self, relative: str) -> str | None:
        path = self.root / relative
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 1 << 20:
            return None
        return path.read_text(encoding="utf-8", errors="replace")


Judge = Callable[[tuple[Returned, ...], SourceView], Verdict]
#: Seconds the reference needs per repetition of a timed call.
Timing = Callable[["Call"], float]


@dataclass(frozen=True)
class Plan:
    calls: tuple[Call, ...]
    judge: Judge


# ------------------------------------------------------------------ comparing returned values


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    """Largest absolute difference over the largest magnitude; inf when anything is NaN or inf."""
    if not (np.all(np.isfinite(got)) and np.all(np.isfinite(expected))):
        return float("inf")
    scale = max(float(np.max(np.abs(expected), initial=0.0)), float(np.max(np.abs(got), initial=0.0)), 1e-12)
    return float(np.max(np.abs(got - expected), initial=0.0)) / scale


def check_array(got: np.ndarray | None, expected: np.ndarray, what: str, shape_words: str, *, tolerance: float = 1e-6,
                integers: bool = False) -> Verdict:
    """Compare one returned array with the expected one; explain a difference without values."""
    if got is None:
        return Verdict(False, f"{what} was not returned")
    if got.shape != expected.shape:
        if got.size == expected.size:
            return Verdict(False, f"{what} has the right number of entries but the wrong shape: it must be {shape_words}")
        return Verdict(False, f"{what} has the wrong shape: it must be {shape_words}")
    if integers:
        if not np.all(np.isfinite(got)) or np.any(got != np.round(got)):
            return Verdict(False, f"{what} must hold whole-number labels")
        wrong = int(np.sum(got.astype(np.int64) != expected))
        if wrong:
            return Verdict(False, f"{what} is wrong for {wrong} of {expected.size} examples")
        return Verdict(True)
    if not np.all(np.isfinite(got)):
        return Verdict(False, f"{what} contains NaN or inf")
    if got.dtype == np.float32:
        tolerance = max(tolerance, 1e-4)
    error = relative_error(got.astype(np.float64), expected)
    if error > tolerance:
        return Verdict(False, f"{what} differs from the correct values (relative error {error:.1e})")
    return Verdict(True)


def check_loss(got: float | None, expected: float, *, W: np.ndarray, reg: float, tolerance: float = 1e-6) -> Verdict:
    if got is None or not isinstance(got, float):
        return Verdict(False, "the loss was not returned as a number (return loss, dW)")
    if not np.isfinite(got):
        return Verdict(False, "the loss is NaN or inf")
    if abs(got - expected) <= tolerance * max(abs(expected), 1.0):
        return Verdict(True)
    penalty = reg * float(np.sum(W * W))
    if penalty and abs(got + penalty - expected) <= 1e-6 * max(abs(expected), 1.0):
        return Verdict(False, "the loss is missing the regularization term reg * sum(W**2)")
    if penalty and abs(got - penalty / 2 - expected) <= 1e-6 * max(abs(expected), 1.0):
        return Verdict(False, "the regularization term should be reg * sum(W**2), without a factor 1/2")
    if expected and 0.2 < got / expected < 5 and abs(got / expected - round(got / expected)) < 1e-3 and round(got / expected) != 1:
        return Verdict(False, f"the loss is off by a factor of about {round(got / expected)}")
    return Verdict(False, f"the loss differs from the correct value (relative error {abs(got - expected) / max(abs(expected), 1e-12):.1e})")


def check_gradient(got: np.ndarray | None, expected: np.ndarray, *, W: np.ndarray, reg: float) -> Verdict:
    verdict = check_array(got, expected, "dW", "(D, C), the same as W", tolerance=1e-6)
    if verdict.passed or got is None or got.shape != expected.shape or not np.all(np.isfinite(got)):
        return verdict
    got = got.astype(np.float64)
    if reg and relative_error(got + 2 * reg * W, expected) < 1e-6:
        return Verdict(False, "dW is missing the regularization gradient: add 2 * reg * W")
    if reg and relative_error(got + reg * W, expected) < 1e-6:
        return Verdict(False, "the regularization gradient should be 2 * reg * W, not reg * W")
    if not np.any(got):
        return Verdict(False, "dW is all zeros")
    denominator = float(np.sum(expected * expected))
    if denominator:
        factor = float(np.sum(got * expected)) / denominator
        if relative_error(got, factor * expected) < 1e-6:
            if factor < 0:
                return Verdict(False, "dW has the wrong sign")
            if abs(factor - round(factor)) < 1e-3 and round(factor) > 1:
                return Verdict(False, f"dW is off by a factor of about {round(factor)}: check where you divide by N")
            if factor > 0 and abs(1 / factor - round(1 / factor)) < 1e-3 and round(1 / factor) > 1:
                return Verdict(False, f"dW is too small by a factor of about {round(1 / factor)}: did you divide by N twice?")
    return verdict


def check_loss_and_gradient(returned: Returned, want_loss: float, want_dW: np.ndarray, *,
                            W: np.ndarray, reg: float) -> Verdict:
    """The first of: the returned loss, the returned gradient, against the expected ones."""
    return _all((check_loss(_loss_value(returned), want_loss, W=W, reg=reg),
                 check_gradient(returned.arrays.get("result.1"), want_dW, W=W, reg=reg)))


def _first_failure(returned: tuple[Returned, ...], function: str) -> Verdict | None:
    for item in returned:
        if not item.ok:
            return Verdict(False, item.describe_failure(function))
    return None


def _all(verdicts) -> Verdict:
    for verdict in verdicts:
        if not verdict.passed:
            return verdict
    return Verdict(True)


# ------------------------------------------------------------------ problem generators


def rng_for(test_id: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(test_id.encode()), seed])


def loss_problem(rng: np.random.Generator, N: int, D: int, C: int, *, scale: float = 1.0):
    W = rng.normal(0, 0.01, size=(D, C)) * scale
    X = rng.normal(0, 10.0, size=(N, D))
    X[:, -1] = 1.0  # the bias column
    y = rng.integers(0, C, size=N)
    y[: min(N, C)] = rng.permutation(C)[: min(N, C)]  # every class appears when N >= C
    reg = float(rng.uniform(0.05, 0.5)) / scale**2  # keep the penalty from swamping the data term
    return W, X, y.astype(np.int64), reg


def _loss_call(key: str, module: str, name: str, problem, *, return_inputs: bool = False, timed: bool = False) -> Call:
    W, X, y, reg = problem
    request = {"kind": "function", "module": module, "name": name, "return_inputs": return_inputs,
               "args": [{"array": "W"}, {"array": "X"}, {"array": "y"}, {"value": reg}]}
    return Call(key, request, {"W": W, "X": X, "y": y}, timed=timed)


def _loss_value(item: Returned) -> float | None:
    if "result.0" not in item.numbers:
        return None
    value = item.numbers["result.0"]
    return value if isinstance(value, float) else None


def _knn_call(key: str, method: str, X_train, y_train, argument, *, k: int | None = None,
              return_inputs: bool = False, timed: bool = False) -> Call:
    request = {"kind": "knn", "method": method, "args": [{"array": "arg"}], "return_inputs": return_inputs}
    if k is not None:
        request["kwargs"] = {"k": {"value": k}}
    return Call(key, request, {"X_train": X_train, "y_train": y_train, "arg": argument}, timed=timed)


def _reference_seconds(function: Callable[[], object], repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _timed(timing: Timing | None, call: Call, run_here: Callable[[], object]) -> float:
    """The reference's seconds for a timed call: measured by ``timing`` (in a sandbox), or here if
    that is not given or fails (a sandbox that cannot start must not fail every submission)."""
    if timing is not None:
        for _ in range(2):
            try:
                return timing(call)
            except Exception:
                continue
    return _reference_seconds(run_here)


def _speed_verdict(item: Returned, reference_seconds: float, function: str) -> Verdict:
    allowed = SPEED_FACTOR * reference_seconds + SPEED_SLACK_SECONDS
    per_call = item.seconds
    if per_call > allowed:
        return Verdict(False, f"{function} took {per_call:.2f} s per call; a vectorized solution needs well under {allowed:.2f} s")
    return Verdict(True)


def _no_loops_verdict(source: SourceView, relative: str, qualified: str) -> Verdict:
    text = source.text(relative)
    if text is None:
        return Verdict(False, f"{relative} is missing or unreadable")
    loops = python_loops(text, qualified)
    if loops is None:
        return Verdict(False, f"{qualified} was not found in {relative} (or the file does not parse)")
    if loops:
        return Verdict(False, f"{qualified} contains Python loops: {', '.join(loops)}")
    return Verdict(True)


# ------------------------------------------------------------------ kNN plans

KNN_SIZES = ((5, 7, 4), (12, 20, 30), (1, 9, 3))  # (num_test, num_train, D)


def _knn_problem(rng, num_test, num_train, D):
    X_train = rng.uniform(0, 255, size=(num_train, D))
    y_train = rng.integers(0, 10, size=num_train).astype(np.int64)
    X = rng.uniform(0, 255, size=(num_test, D))
    return X_train, y_train, X


def _distance_plans(ref: ModuleType, method: str, short: str, seed: int) -> dict[str, Callable[[], Plan]]:
    function = method
    plans = {}

    def random_plan() -> Plan:
        rng = rng_for(f"knn.{short}.random", seed)
        calls, expected = [], []
        for number, size in enumerate(KNN_SIZES):
            X_train, y_train, X = _knn_problem(rng, *size)
            knn = ref.KNearestNeighbor()
            knn.train(X_train, y_train)
            expected.append(knn.compute_distances_two_loops(X))
            calls.append(_knn_call(f"{method}/random/{number}", method, X_train, y_train, X))

        def judge(returned, source):
            return _first_failure(returned, function) or _all(
                check_array(item.arrays.get("result"), want, "dists", "(num_test, num_train)", tolerance=1e-6)
                for item, want in zip(returned, expected)
            )

        return Plan(tuple(calls), judge)

    def unchanged_plan() -> Plan:
        rng = rng_for(f"knn.{short}.inputs_unchanged", seed)
        X_train, y_train, X = _knn_problem(rng, 6, 8, 5)
        knn = ref.KNearestNeighbor()
        knn.train(X_train, y_train)
        want = knn.compute_distances_two_loops(X)
        call = _knn_call(f"{method}/unchanged", method, X_train, y_train, X, return_inputs=True)

        def judge(returned, source):
            item = returned[0]
            failure = _first_failure(returned, function)
            if failure:
                return failure
            correct = check_array(item.arrays.get("result"), want, "dists", "(num_test, num_train)")
            if not correct.passed:
                return correct
            for name, original in (("after.X_train", X_train), ("after.arg0", X)):
                after = item.arrays.get(name)
                if after is None or after.shape != original.shape or not np.array_equal(after, original):
                    return Verdict(False, f"{function} changed {'self.X_train' if 'train' in name else 'X'}")
            return Verdict(True)

        return Plan((call,), judge)

    plans[f"knn.{short}.random"] = random_plan
    plans[f"knn.{short}.inputs_unchanged"] = unchanged_plan
    return plans


def _knn_extra_plans(ref: ModuleType, seed: int, timing: Timing | None = None) -> dict[str, Callable[[], Plan]]:
    def single_plan() -> Plan:
        rng = rng_for("knn.two_loops.single", seed)
        X_train, y_train, X = _knn_problem(rng, 1, 1, 6)
        want = np.sqrt(np.sum((X - X_train) ** 2)).reshape(1, 1)
        call = _knn_call("two_loops/single", "compute_distances_two_loops", X_train, y_train, X)

        def judge(returned, source):
            return _first_failure(returned, "compute_distances_two_loops") or check_array(
                returned[0].arrays.get("result"), want, "dists", "(1, 1)")

        return Plan((call,), judge)

    def near_duplicates_plan() -> Plan:
        rng = rng_for("knn.no_loops.near_duplicates", seed)
        X_train = rng.uniform(100, 255, size=(15, 64))
        X = X_train[[3, 3, 7, 11]] + rng.normal(0, 1e-7, size=(4, 64))  # almost identical rows
        X[1] = X_train[3]  # and one exact duplicate
        y_train = rng.integers(0, 10, size=15).astype(np.int64)
        knn = ref.KNearestNeighbor()
        knn.train(X_train, y_train)
        want = knn.compute_distances_two_loops(X)
        call = _knn_call("no_loops/near_duplicates", "compute_distances_no_loops", X_train, y_train, X)

        def judge(returned, source):
            failure = _first_failure(returned, "compute_distances_no_loops")
            if failure:
                return failure
            got = returned[0].arrays.get("result")
            if got is None or got.shape != want.shape:
                return Verdict(False, "dists has the wrong shape: it must be (num_test, num_train)")
            if not np.all(np.isfinite(got)):
                return Verdict(False, "dists contains NaN for (nearly) identical points: clip negative squared distances at 0")
            if np.any(got < 0) or np.max(np.abs(got - want)) > 1e-3 * np.max(want):
                return Verdict(False, "dists is wrong for (nearly) identical points")
            return Verdict(True)

        return Plan((call,), judge)

    def no_loops_plan() -> Plan:
        rng = rng_for("knn.no_loops.no_python_loops", seed)
        X_train, y_train, X = _knn_problem(rng, 7, 11, 5)
        knn = ref.KNearestNeighbor()
        knn.train(X_train, y_train)
        want = knn.compute_distances_two_loops(X)
        call = _knn_call("no_loops/static", "compute_distances_no_loops", X_train, y_train, X)

        def judge(returned, source):
            return _first_failure(returned, "compute_distances_no_loops") or _all((
                check_array(returned[0].arrays.get("result"), want, "dists", "(num_test, num_train)"),
                _no_loops_verdict(source, KNN_FILE, "KNearestNeighbor.compute_distances_no_loops"),
            ))

        return Plan((call,), judge)

    def speed_plan() -> Plan:
        rng = rng_for("knn.no_loops.speed", seed)
        X_train, y_train, X = _knn_problem(rng, *KNN_SPEED_SIZE)
        knn = ref.KNearestNeighbor()
        knn.train(X_train, y_train)
        want = knn.compute_distances_no_loops(X)
        call = _knn_call("no_loops/speed", "compute_distances_no_loops", X_train, y_train, X, timed=True)
        reference_seconds = _timed(timing, call, lambda: knn.compute_distances_no_loops(X))

        def judge(returned, source):
            return _first_failure(returned, "compute_distances_no_loops") or _all((
                check_array(returned[0].arrays.get("result"), want, "dists", "(num_test, num_train)", tolerance=1e-6),
                _speed_verdict(returned[0], reference_seconds, "compute_distances_no_loops"),
            ))

        return Plan((call,), judge)

    def labels_plan(test_id: str, k: int, sizes, make=None) -> Callable[[], Plan]:
        def build() -> Plan:
            rng = rng_for(test_id, seed)
            calls, expected = [], []
            for number, (num_test, num_train) in enumerate(sizes):
                if make is None:
                    dists = rng.permutation(num_test * num_train).reshape(num_test, num_train).astype(float) + 1.0
                    y_train = rng.integers(0, 5, size=num_train).astype(np.int64)
                else:
                    dists, y_train = make(rng)
                knn = ref.KNearestNeighbor()
                knn.train(np.zeros((len(y_train), 1)), y_train)
                expected.append(knn.predict_labels(dists, k=k))
                calls.append(_knn_call(f"predict_labels/{test_id}/{number}", "predict_labels", np.zeros((len(y_train), 1)),
                                       y_train, dists, k=k))

            def judge(returned, source):
                return _first_failure(returned, "predict_labels") or _all(
                    check_array(item.arrays.get("result"), want, "y_pred", "(num_test,)", integers=True)
                    for item, want in zip(returned, expected))

            return Plan(tuple(calls), judge)

        return build

    def tied_votes(rng):
        # Distinct distances; the k = 4 nearest hold two examples of label a and two of b > a.
        # Even rows put the b's closest, so "first among the nearest" breaks the tie wrongly too.
        num_test, num_train = 6, 12
        y_train = rng.permutation(np.repeat(np.arange(6), 2)).astype(np.int64)
        dists = np.empty((num_test, num_train))
        for row in range(num_test):
            a, b = sorted(rng.choice(6, size=2, replace=False))
            first, second = (np.flatnonzero(y_train == b), np.flatnonzero(y_train == a))
            if row % 2:
                first, second = second, first
            nearest = [*first, *second]
            rest = [j for j in rng.permutation(num_train) if j not in nearest]
            dists[row, nearest + rest] = np.arange(1, num_train + 1, dtype=float) + rng.uniform(0, 0.5)
        return dists, y_train

    def _tie_sizes():
        return ((6, 12),)

    return {
        "knn.two_loops.single": single_plan,
        "knn.no_loops.near_duplicates": near_duplicates_plan,
        "knn.no_loops.no_python_loops": no_loops_plan,
        "knn.no_loops.speed": speed_plan,
        "knn.predict_labels.k1": labels_plan("knn.predict_labels.k1", 1, ((8, 10), (3, 25))),
        "knn.predict_labels.majority": labels_plan("knn.predict_labels.majority", 5, ((8, 30), (4, 12))),
        "knn.predict_labels.ties": labels_plan("knn.predict_labels.ties", 4, _tie_sizes(), tied_votes),
        "knn.predict_labels.single": labels_plan("knn.predict_labels.single", 3, ((1, 9),)),
    }


# ------------------------------------------------------------------ loss plans

LOSS_SIZES = ((10, 6, 3), (40, 25, 10), (7, 13, 5))  # (N, D, C)


def _loss_plans(ref: ModuleType, family: str, seed: int, timing: Timing | None = None) -> dict[str, Callable[[], Plan]]:
    module = SVM_MODULE if family == "svm" else SOFTMAX_MODULE
    relative = SVM_FILE if family == "svm" else SOFTMAX_FILE
    naive, vectorized = f"{family}_loss_naive", f"{family}_loss_vectorized"
    reference = {naive: getattr(ref, naive), vectorized: getattr(ref, vectorized)}
    plans: dict[str, Callable[[], Plan]] = {}

    def random_plan(variant: str, what: str, sizes=LOSS_SIZES, scale: float = 1.0, tag: str = "random") -> Callable[[], Plan]:
        name = naive if variant == "naive" else vectorized

        def build() -> Plan:
            rng = rng_for(f"{family}.{tag}", seed)  # loss and gradient tests share their problems
            calls, expected = [], []
            for number, size in enumerate(sizes):
                problem = loss_problem(rng, *size, scale=scale)
                expected.append((problem, *reference[name](*problem)))
                calls.append(_loss_call(f"{name}/{tag}/{number}", module, name, problem))

            def judge(returned, source):
                failure = _first_failure(returned, name)
                if failure:
                    return failure
                verdicts = []
                for item, ((W, X, y, reg), loss, dW) in zip(returned, expected):
                    if what in ("loss", "both"):
                        verdicts.append(check_loss(_loss_value(item), loss, W=W, reg=reg))
                    if what in ("gradient", "both"):
                        verdicts.append(check_gradient(item.arrays.get("result.1"), dW, W=W, reg=reg))
                return _all(verdicts)

            return Plan(tuple(calls), judge)

        return build

    for variant in ("naive", "vectorized"):
        plans[f"{family}.{variant}.loss"] = random_plan(variant, "loss")
        plans[f"{family}.{variant}.gradient"] = random_plan(variant, "gradient")
        plans[f"{family}.{variant}.edge"] = random_plan(variant, "both", sizes=((1, 4, 2), (1, 1, 2), (3, 2, 2)), tag="edge")
        plans[f"{family}.{variant}.large_scores"] = random_plan(variant, "both", sizes=((20, 30, 10),), scale=1e5, tag="large")

    def matches_naive() -> Plan:
        rng = rng_for(f"{family}.vectorized.matches_naive", seed)
        problem = loss_problem(rng, 30, 20, 7)
        calls = (_loss_call(f"{naive}/agree", module, naive, problem), _loss_call(f"{vectorized}/agree", module, vectorized, problem))
        want_loss, want_dW = reference[naive](*problem)

        def judge(returned, source):
            failure = _first_failure(returned, f"{naive} or {vectorized}")
            if failure:
                return failure
            first, second = returned
            loss_a, loss_b = _loss_value(first), _loss_value(second)
            dW_a, dW_b = first.arrays.get("result.1"), second.arrays.get("result.1")
            if loss_a is None or loss_b is None or dW_a is None or dW_b is None:
                return Verdict(False, "both functions must return (loss, dW)")
            if not (np.isfinite(loss_a) and np.isfinite(loss_b) and np.all(np.isfinite(dW_a)) and np.all(np.isfinite(dW_b))):
                return Verdict(False, "a loss or a gradient is NaN or inf")
            if abs(loss_a - loss_b) > 1e-6 * max(abs(loss_a), 1.0):
                return Verdict(False, "the two losses differ")
            if dW_a.shape != dW_b.shape or relative_error(dW_a.astype(float), dW_b.astype(float)) > 1e-6:
                return Verdict(False, "the two gradients differ")
            if abs(loss_b - want_loss) > 1e-6 * max(abs(want_loss), 1.0) or relative_error(dW_b.astype(float), want_dW) > 1e-6:
                return Verdict(False, "the two versions agree with each other but not with the correct values")
            return Verdict(True)

        return Plan(calls, judge)

    def no_loops() -> Plan:
        rng = rng_for(f"{family}.vectorized.no_python_loops", seed)
        problem = loss_problem(rng, 12, 9, 4)
        want_loss, want_dW = reference[vectorized](*problem)

        def judge(returned, source):
            failure = _first_failure(returned, vectorized)
            if failure:
                return failure
            W, X, y, reg = problem
            return _all((check_loss_and_gradient(returned[0], want_loss, want_dW, W=W, reg=reg),
                         _no_loops_verdict(source, relative, vectorized)))

        return Plan((_loss_call(f"{vectorized}/static", module, vectorized, problem),), judge)

    def speed() -> Plan:
        rng = rng_for(f"{family}.vectorized.speed", seed)
        problem = loss_problem(rng, *LOSS_SPEED_SIZE)
        want_loss, want_dW = reference[vectorized](*problem)
        call = _loss_call(f"{vectorized}/speed", module, vectorized, problem, timed=True)
        reference_seconds = _timed(timing, call, lambda: reference[vectorized](*problem))

        def judge(returned, source):
            failure = _first_failure(returned, vectorized)
            if failure:
                return failure
            W, X, y, reg = problem
            return _all((check_loss_and_gradient(returned[0], want_loss, want_dW, W=W, reg=reg),
                         _speed_verdict(returned[0], reference_seconds, vectorized)))

        return Plan((call,), judge)

    def unchanged() -> Plan:
        rng = rng_for(f"{family}.vectorized.inputs_unchanged", seed)
        problem = loss_problem(rng, 15, 8, 4)
        want_loss, want_dW = reference[vectorized](*problem)

        def judge(returned, source):
            failure = _first_failure(returned, vectorized)
            if failure:
                return failure
            W, X, y, reg = problem
            correct = check_loss_and_gradient(returned[0], want_loss, want_dW, W=W, reg=reg)
            if not correct.passed:
                return correct
            for position, (label, original) in enumerate((("W", W), ("X", X), ("y", y))):
                after = returned[0].arrays.get(f"after.arg{position}")
                if after is None or after.shape != original.shape or not np.array_equal(after, original):
                    return Verdict(False, f"{vectorized} changed its input {label}")
            return Verdict(True)

        return Plan((_loss_call(f"{vectorized}/unchanged", module, vectorized, problem, return_inputs=True),), judge)

    plans[f"{family}.vectorized.matches_naive"] = matches_naive
    plans[f"{family}.vectorized.no_python_loops"] = no_loops
    plans[f"{family}.vectorized.speed"] = speed
    plans[f"{family}.vectorized.inputs_unchanged"] = unchanged
    return plans


# ------------------------------------------------------------------ linear classifier plans


def _least_squares_loss(W, X, y):
    targets = np.zeros((len(y), W.shape[1]))
    targets[np.arange(len(y)), y] = 1.0
    residual = X @ W - targets
    return 0.5 * float(np.sum(residual * residual)) / len(y)


def _train_plans(ref: ModuleType, seed: int) -> dict[str, Callable[[], Plan]]:
    rng = rng_for("linear.train", seed)
    N, D, C = 60, 6, 4
    X = rng.normal(0, 1.0, size=(N, D))
    y = rng.integers(0, C, size=N).astype(np.int64)
    y[:C] = np.arange(C)
    settings = {"learning_rate": 0.05, "reg": 1e-3, "num_iters": 25, "batch_size": 16, "seed": 7}
    call = Call("train/probe", {"kind": "train", **settings}, {"X": X, "y": y})
    function = "LinearClassifier.train"

    def recorded(item: Returned, name: str) -> np.ndarray | None:
        return item.arrays.get(name)

    def minibatches(returned, source):
        failure = _first_failure(returned, function)
        if failure:
            return failure
        item = returned[0]
        sizes = recorded(item, "batch_sizes")
        if sizes is None or len(sizes) != settings["num_iters"]:
            return Verdict(False, "self.loss must be called once per iteration")
        if np.any(sizes != settings["batch_size"]):
            return Verdict(False, "each minibatch must hold batch_size examples")
        batches_X, batches_y = recorded(item, "batches_X"), recorded(item, "batches_y")
        if batches_X is None or batches_y is None or batches_X.shape[-1] != D:
            return Verdict(False, "the minibatch must be rows of X (shape (batch_size, D))")
        rows = {row.tobytes(): label for row, label in zip(X, y)}
        for batch_X, batch_y in zip(batches_X, batches_y):
            for row, label in zip(batch_X, batch_y):
                if row.tobytes() not in rows:
                    return Verdict(False, "the minibatch holds rows that are not rows of X")
                if rows[row.tobytes()] != label:
                    return Verdict(False, "y_batch must hold the labels of the rows in X_batch")
        distinct = {batch.tobytes() for batch in batches_X}
        if len(distinct) < settings["num_iters"] // 2:
            return Verdict(False, "the minibatches must be drawn at random each iteration")
        return Verdict(True)

    def update(returned, source):
        failure = _first_failure(returned, function)
        if failure:
            return failure
        item = returned[0]
        weights, grads, final = recorded(item, "weights"), recorded(item, "grads"), recorded(item, "final_W")
        history = recorded(item, "history")
        if weights is None or grads is None or final is None or len(weights) != settings["num_iters"]:
            return Verdict(False, "self.loss must be called once per iteration and self.W kept")
        lr = settings["learning_rate"]
        steps = [*weights[1:], final]
        for before, grad, after in zip(weights, grads, steps):
            if after.shape != before.shape or relative_error(after, before - lr * grad) > 1e-8:
                return Verdict(False, "each iteration must update W -= learning_rate * grad")
        if history is None or len(history) != settings["num_iters"]:
            return Verdict(False, "train must return loss_history with one loss per iteration")
        return Verdict(True)

    def lowers(returned, source):
        failure = _first_failure(returned, function)
        if failure:
            return failure
        weights, final = recorded(returned[0], "weights"), recorded(returned[0], "final_W")
        if weights is None or final is None or final.shape != (D, C):
            return Verdict(False, "train did not produce weights of shape (D, C)")
        if not _least_squares_loss(final, X, y) < _least_squares_loss(weights[0], X, y):
            return Verdict(False, "the loss on the training set did not go down")
        return Verdict(True)

    def weights_shape(returned, source):
        failure = _first_failure(returned, function)
        if failure:
            return failure
        final = recorded(returned[0], "final_W")
        if final is None or final.shape != (D, C):
            return Verdict(False, "self.W must have shape (D, C) after training")
        if recorded(returned[0], "batch_sizes") is None or len(recorded(returned[0], "batch_sizes")) != settings["num_iters"]:
            return Verdict(False, "train must run num_iters iterations")
        return Verdict(True)

    def predict_plan(test_id: str, N_predict: int) -> Callable[[], Plan]:
        def build() -> Plan:
            local = rng_for(test_id, seed)
            W = local.normal(size=(9, 5))
            Xp = local.normal(size=(N_predict, 9))
            classifier = ref.LinearClassifier()
            classifier.W = W
            want = classifier.predict(Xp)
            call = Call(f"predict/{test_id}", {"kind": "predict"}, {"W": W, "X": Xp})

            def judge(returned, source):
                return _first_failure(returned, "LinearClassifier.predict") or check_array(
                    returned[0].arrays.get("result"), want, "y_pred", "(N,)", integers=True)

            return Plan((call,), judge)

        return build

    return {
        "linear.train.minibatches": lambda: Plan((call,), minibatches),
        "linear.train.update": lambda: Plan((call,), update),
        "linear.train.lowers_loss": lambda: Plan((call,), lowers),
        "linear.train.weights_shape": lambda: Plan((call,), weights_shape),
        "linear.predict.argmax": predict_plan("linear.predict.argmax", 40),
        "linear.predict.single": predict_plan("linear.predict.single", 1),
    }


def plan_builders(ref: ModuleType, seed: int = 0, timing: Timing | None = None) -> dict[str, Callable[[], Plan]]:
    """Every test id's plan builder; builders are called lazily and their plans cached by the caller.

    ``timing(call)`` gives the reference's seconds per repetition of a timed call, measured the
    way a student's call is (the grader runs the reference in a sandboxed child). Without it the
    reference is timed in this process.
    """
    builders: dict[str, Callable[[], Plan]] = {}
    builders.update(_distance_plans(ref, "compute_distances_two_loops", "two_loops", seed))
    builders.update(_distance_plans(ref, "compute_distances_one_loop", "one_loop", seed))
    builders.update(_distance_plans(ref, "compute_distances_no_loops", "no_loops", seed))
    builders.update(_knn_extra_plans(ref, seed, timing))
    builders.update(_loss_plans(ref, "svm", seed, timing))
    builders.update(_loss_plans(ref, "softmax", seed, timing))
    builders.update(_train_plans(ref, seed))
    return builders
