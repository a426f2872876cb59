"""Hidden tests of the kNN distances, votes, speed and the whole predict."""
from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np

from autograder.grading.checks.judging import (
    check_array,
    first_failed_of,
    first_failure,
    knn_call,
    no_loops_verdict,
    reference_seconds_for,
    rng_for,
    speed_verdict,
)
from autograder.grading.checks.plans import KNN_FILE, KNN_SPEED_SIZE, Plan, Timing
from autograder.grading.results import Verdict

KNN_SIZES = ((5, 7, 4), (12, 20, 30), (1, 9, 3))  # (num_test, num_train, D)


def _knn_problem(rng, num_test, num_train, D):
    X_train = rng.uniform(0, 255, size=(num_train, D))
    y_train = rng.integers(0, 10, size=num_train).astype(np.int64)
    X = rng.uniform(0, 255, size=(num_test, D))
    return X_train, y_train, X


def distance_plans(ref: ModuleType, method: str, short: str, seed: int) -> dict[str, Callable[[], Plan]]:
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
            calls.append(knn_call(f"{method}/random/{number}", method, X_train, y_train, X))

        def judge(returned, source):
            return first_failure(returned, function) or first_failed_of(
                check_array(item.arrays.get("result"), want, "dists", "(num_test, num_train)", tolerance=1e-6)
                for item, want in zip(returned, expected, strict=True)
            )

        return Plan(tuple(calls), judge)

    def unchanged_plan() -> Plan:
        rng = rng_for(f"knn.{short}.inputs_unchanged", seed)
        X_train, y_train, X = _knn_problem(rng, 6, 8, 5)
        knn = ref.KNearestNeighbor()
        knn.train(X_train, y_train)
        want = knn.compute_distances_two_loops(X)
        call = knn_call(f"{method}/unchanged", method, X_train, y_train, X, return_inputs=True)

        def judge(returned, source):
            item = returned[0]
            failure = first_failure(returned, function)
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


def knn_extra_plans(ref: ModuleType, seed: int, timing: Timing | None = None) -> dict[str, Callable[[], Plan]]:
    def single_plan() -> Plan:
        rng = rng_for("knn.two_loops.single", seed)
        X_train, y_train, X = _knn_problem(rng, 1, 1, 6)
        want = np.sqrt(np.sum((X - X_train) ** 2)).reshape(1, 1)
        call = knn_call("two_loops/single", "compute_distances_two_loops", X_train, y_train, X)

        def judge(returned, source):
            return first_failure(returned, "compute_distances_two_loops") or check_array(
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
        call = knn_call("no_loops/near_duplicates", "compute_distances_no_loops", X_train, y_train, X)

        def judge(returned, source):
            failure = first_failure(returned, "compute_distances_no_loops")
            if failure:
                return failure
            got = returned[0].arrays.get("result")
            if got is None or got.shape != want.shape:
                return Verdict(False, "dists has the wrong shape: it must be (num_test, num_train)")
            if not np.all(np.isfinite(got)):
                return Verdict(
                    False, "dists contains NaN for (nearly) identical points: clip negative squared distances at 0"
                )
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
        call = knn_call("no_loops/static", "compute_distances_no_loops", X_train, y_train, X)

        def judge(returned, source):
            return first_failure(returned, "compute_distances_no_loops") or first_failed_of(
                (
                    check_array(returned[0].arrays.get("result"), want, "dists", "(num_test, num_train)"),
                    no_loops_verdict(source, KNN_FILE, "KNearestNeighbor.compute_distances_no_loops"),
                )
            )

        return Plan((call,), judge)

    def speed_plan() -> Plan:
        rng = rng_for("knn.no_loops.speed", seed)
        X_train, y_train, X = _knn_problem(rng, *KNN_SPEED_SIZE)
        knn = ref.KNearestNeighbor()
        knn.train(X_train, y_train)
        want = knn.compute_distances_no_loops(X)
        call = knn_call("no_loops/speed", "compute_distances_no_loops", X_train, y_train, X, timed=True)
        reference_seconds = reference_seconds_for(timing, call, lambda: knn.compute_distances_no_loops(X))

        def judge(returned, source):
            return first_failure(returned, "compute_distances_no_loops") or first_failed_of(
                (
                    check_array(
                        returned[0].arrays.get("result"), want, "dists", "(num_test, num_train)", tolerance=1e-6
                    ),
                    speed_verdict(returned[0], reference_seconds, "compute_distances_no_loops"),
                )
            )

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
                calls.append(
                    knn_call(
                        f"predict_labels/{test_id}/{number}",
                        "predict_labels",
                        np.zeros((len(y_train), 1)),
                        y_train,
                        dists,
                        k=k,
                    )
                )

            def judge(returned, source):
                return first_failure(returned, "predict_labels") or first_failed_of(
                    check_array(item.arrays.get("result"), want, "y_pred", "(num_test,)", integers=True)
                    for item, want in zip(returned, expected, strict=True)
                )

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
