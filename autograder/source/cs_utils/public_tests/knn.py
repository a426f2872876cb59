"""Public tests of the k-nearest-neighbour distances and votes."""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .compare import (
    RACE_FACTOR,
    finite,
    memory_safe,
    no_helpers_in,
    no_loops_in,
    race,
    same_shape,
)
from .results import Failed
from .session import Session, value_of

KNN_FILE = "cs_utils/classifiers/k_nearest_neighbor.py"
#: The grader's sizes (num_test, num_train, D): the race against the one-loop version, the memory-safe run.
RACE_SIZE, MEMORY_SIZE = (500, 20, 20), (64, 250, 800)

#: A worked example small enough to check by hand: 3-4-5 triangles.
KNN_TRAIN = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0], [1.0, 1.0]])
KNN_TEST = np.array([[0.0, 0.0], [3.0, 0.0]])
KNN_DISTS = np.array([[0.0, 5.0, 10.0, math.sqrt(2)], [3.0, 4.0, math.sqrt(73), math.sqrt(5)]])


def _knn(session: Session, method: str, X_train, y_train, argument, *, k: int | None = None, inputs: bool = False):
    request = {"kind": "knn", "method": method, "args": [{"array": "arg"}], "return_inputs": inputs}
    if k is not None:
        request["kwargs"] = {"k": {"value": k}}
    returned = session.call(method, request, {"X_train": X_train, "y_train": y_train, "arg": argument})
    return value_of(returned, method, KNN_FILE), returned


def distance_tests(method: str) -> list[tuple[str, Callable[[Session], None]]]:
    labels = np.arange(len(KNN_TRAIN), dtype=np.int64)

    def worked_example(session):
        dists, _ = _knn(session, method, KNN_TRAIN, labels, KNN_TEST)
        dists = same_shape(dists, KNN_DISTS.shape, "dists", "(num_test, num_train)")
        finite(dists, "dists")
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
            raise Failed(
                f"this test compares with compute_distances_two_loops, which failed first ({failure})"
            ) from None
        got, _ = _knn(session, method, X_train, y_train, X)
        got = same_shape(got, np.shape(want), "dists", "(num_test, num_train)")
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
        # Each test row is a training row nudged by 1e-9: the squared distances are about 1e-15, while
        # rounding in ||x||^2 - 2 x.t + ||t||^2 is near 1e-9, so some come out negative (as the grader's).
        rng = np.random.default_rng(13)
        X_train = rng.uniform(100, 255, size=(20, 256))
        X = X_train[:16] + rng.normal(0, 1e-9, size=(16, 256))
        dists, _ = _knn(session, method, X_train, np.arange(20) % 3, X)
        dists = same_shape(dists, (16, 20), "dists", "(num_test, num_train)")
        finite(
            dists,
            "dists",
            ": rounding makes tiny squared distances slightly negative; clip them at 0 before "
            "the square root (np.maximum)",
        )
        if not np.all(np.abs(dists[np.arange(16), np.arange(16)]) < 1e-3):
            raise Failed("a test example identical to a training example must be at distance (almost) 0")

    def no_loops(session):
        _knn(session, method, KNN_TRAIN, labels, KNN_TEST)  # a stub has no loops either: it must work first
        no_loops_in(session, KNN_FILE, f"KNearestNeighbor.{method}")

    def knn_request(name):
        return {"kind": "knn", "method": name, "args": [{"array": "arg"}]}

    def fast(session):
        _knn(session, method, KNN_TRAIN, labels, KNN_TEST)  # it must work first (and say why if it does not)
        rng = np.random.default_rng(14)
        num_test, num_train, dim = RACE_SIZE
        arrays = {"X_train": rng.uniform(0, 255, size=(num_train, dim)), "y_train": np.zeros(num_train, np.int64),
                  "arg": rng.uniform(0, 255, size=(num_test, dim))}
        race(session, f"{method}/race", knn_request(method), knn_request("compute_distances_one_loop"), arrays,
             method, "compute_distances_one_loop", KNN_FILE)

    def memory(session):
        _knn(session, method, KNN_TRAIN, labels, KNN_TEST)
        rng = np.random.default_rng(15)
        num_test, num_train, dim = MEMORY_SIZE
        arrays = {"X_train": rng.uniform(0, 255, size=(num_train, dim)), "y_train": np.zeros(num_train, np.int64),
                  "arg": rng.uniform(0, 255, size=(num_test, dim))}
        memory_safe(session, f"{method}/memory", knn_request(method), arrays, method, "(num_test, num_train, D)",
                    KNN_FILE)

    def no_helpers(session):
        _knn(session, method, KNN_TRAIN, labels, KNN_TEST)  # a stub uses no helper either: it must work first
        no_helpers_in(session, KNN_FILE, f"KNearestNeighbor.{method}")

    tests = [("computes the distances of a small worked example", worked_example),
             ("uses no distance helper (np.linalg.norm, SciPy, scikit-learn)", no_helpers)]
    if method != "compute_distances_two_loops":
        tests.append(("agrees with your compute_distances_two_loops", agrees))
    if method == "compute_distances_no_loops":
        tests += [("identical points give distance 0, not NaN", duplicates), ("contains no Python loops", no_loops),
                  (f"is at least {RACE_FACTOR:g} times faster than your compute_distances_one_loop on a large input",
                   fast),
                  ("runs where a (num_test, num_train, D) array would not fit in memory", memory)]
    tests.append(("leaves X and self.X_train unchanged", unchanged))
    return tests


def _labels(session: Session, dists, y_train, k: int) -> np.ndarray:
    got, _ = _knn(session, "predict_labels", np.zeros((len(y_train), 1)), y_train, np.asarray(dists, float), k=k)
    got = same_shape(got, (len(dists),), "y_pred", "(num_test,)")
    if not np.all(np.isfinite(got)) or np.any(got != np.round(got)):
        raise Failed("y_pred must hold whole-number labels")
    return got


def label_tests() -> list[tuple[str, Callable[[Session], None]]]:
    y_train = np.array([4, 1, 1, 7, 2], dtype=np.int64)
    dists = np.array(
        [
            [3.0, 1.0, 5.0, 0.5, 9.0],  # nearest: 7; then 1, 4
            [0.1, 8.0, 7.0, 6.0, 2.0],
        ]
    )  # nearest: 4; then 2, 7

    def k1(session):
        got = _labels(session, dists, y_train, 1)
        if not np.array_equal(got, [7, 4]):
            raise Failed(
                "with k = 1 each prediction is the label of the closest training example "
                "(the smallest entry of its row of dists)"
            )

    def majority(session):
        votes = np.array([[0.2, 0.3, 0.4, 0.1, 0.9]])  # nearest three: 7, 4, 1... and 1 twice among four
        got = _labels(session, votes, y_train, 4)
        if not np.array_equal(got, [1]):
            raise Failed("with k = 4 the four nearest labels are 7, 4, 1, 1: the most common one (1) wins")

    def tie(session):
        tied = np.array(
            [
                [0.1, 0.2, 9.0, 9.0, 9.0],  # nearest two: 4 and 1, one vote each
                [9.0, 9.0, 9.0, 0.1, 0.2],
            ]
        )  # nearest two: 7 and 2
        got = _labels(session, tied, y_train, 2)
        if not np.array_equal(got, [1, 2]):
            raise Failed("a tied vote goes to the smaller label (np.argmax of np.bincount returns the first maximum)")

    def single(session):
        _labels(session, dists[:1], y_train, 1)

    return [
        ("k = 1 picks the label of the closest training example", k1),
        ("k > 1 takes a majority vote", majority),
        ("a tie goes to the smaller label", tie),
        ("returns shape (1,) for one test example", single),
    ]


#: This part's functions and their public tests (``cs_utils.check`` gathers every part's).
PUBLIC_TESTS = {
    **{method: distance_tests(method) for method in
       ("compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops")},
    "predict_labels": label_tests(),
}
