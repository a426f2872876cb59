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
    memory_verdict,
    no_loops_verdict,
    race_call,
    race_verdict,
    ran_and_returned_array,
    reference_seconds_for,
    rng_for,
    seeded_knn_call,
    solo_call,
)
from autograder.grading.checks.plans import (
    AFTER_DEADLINE,
    KNN_FILE,
    KNN_MEMORY_SIZE,
    KNN_SPEED_SIZE,
    GradedFunction,
    Plan,
    Timing,
    hidden_test,
)
from autograder.grading.results import Verdict
from autograder.grading.static import forbidden_helpers, loops_in_calls

# -- the declarations: the part's functions, and each hidden test with its points and hint --------------------
PART_FUNCTIONS = tuple(GradedFunction(name, KNN_FILE, notebook="knn", part="knn", kind="knn") for name in (
    "compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops", "predict_labels"))
PART_TESTS = (
    hidden_test("knn.two_loops.no_helpers", "compute_distances_two_loops", 1,
                "kNN distances, two loops: no distance helper",
       "compute_distances_two_loops must compute the distances itself, with no np.linalg.norm, SciPy or scikit-learn "
       "(the rules forbid them in the distance functions)."),
    hidden_test("knn.two_loops.random", "compute_distances_two_loops", 3, "kNN distances, two loops: random problems",
       "dists[i, j] must be the Euclidean distance sqrt(sum((X[i] - X_train[j])**2)) between test example i and "
       "training example j."),
    hidden_test("knn.two_loops.single", "compute_distances_two_loops", 1,
       "kNN distances, two loops: one test and one training example",
       "With a single test and a single training example dists must have shape (1, 1)."),
    hidden_test("knn.two_loops.inputs_unchanged", "compute_distances_two_loops", 1,
       "kNN distances, two loops: inputs left unchanged",
       "compute_distances_two_loops must not modify X or self.X_train (avoid in-place operations on them)."),
    hidden_test("knn.one_loop.no_helpers", "compute_distances_one_loop", 1,
                "kNN distances, one loop: no distance helper",
       "compute_distances_one_loop must compute the distances itself, with no np.linalg.norm, SciPy or scikit-learn "
       "(the rules forbid them in the distance functions)."),
    hidden_test("knn.one_loop.random", "compute_distances_one_loop", 3, "kNN distances, one loop: random problems",
       "Fill a whole row dists[i, :] per iteration: subtract X[i] from every row of self.X_train by broadcasting."),
    hidden_test("knn.one_loop.inputs_unchanged", "compute_distances_one_loop", 1,
       "kNN distances, one loop: inputs left unchanged",
       "compute_distances_one_loop must not modify X or self.X_train."),
    hidden_test("knn.no_loops.no_helpers", "compute_distances_no_loops", 1,
                "kNN distances, no loops: no distance helper",
       "compute_distances_no_loops must compute the distances itself, with no np.linalg.norm, SciPy or scikit-learn "
       "(the rules forbid them in the distance functions)."),
    hidden_test("knn.no_loops.random", "compute_distances_no_loops", 3, "kNN distances, no loops: random problems",
       "Expand ||x - t||^2 = ||x||^2 - 2 x.t + ||t||^2: one matrix product and two broadcast sums."),
    hidden_test("knn.no_loops.near_duplicates", "compute_distances_no_loops", 2,
       "kNN distances, no loops: near-duplicate points give no NaN",
       "Rounding makes tiny squared distances slightly negative: clip them at 0 before the square root.",
       AFTER_DEADLINE),
    hidden_test("knn.no_loops.no_python_loops", "compute_distances_no_loops", 2,
       "kNN distances, no loops: free of Python loops",
       "compute_distances_no_loops must contain no for/while loop or comprehension, not even in a function of yours "
       "that it calls."),
    hidden_test("knn.no_loops.speed", "compute_distances_no_loops", 2, "kNN distances, no loops: fast on a large input",
       "On a large input compute_distances_no_loops must be several times faster than your compute_distances_one_loop"
       ": one matrix product, and no (num_test, num_train, D) array.", AFTER_DEADLINE),
    hidden_test("knn.no_loops.inputs_unchanged", "compute_distances_no_loops", 1,
       "kNN distances, no loops: inputs left unchanged",
       "compute_distances_no_loops must not modify X or self.X_train."),
    hidden_test("knn.predict_labels.k1", "predict_labels", 3, "kNN predict_labels with k = 1",
       "With k = 1 each prediction is the label of the single closest training example (np.argsort of the row)."),
    hidden_test("knn.predict_labels.majority", "predict_labels", 3, "kNN predict_labels with k > 1: majority vote",
       "Take the labels of the k closest training examples and return the most common one (np.bincount, np.argmax)."),
    hidden_test("knn.predict_labels.ties", "predict_labels", 2,
                "kNN predict_labels: a tied vote goes to the smaller label",
       "When two labels get the same number of votes, return the smaller label (np.argmax returns the first maximum)."),
    hidden_test("knn.predict_labels.single", "predict_labels", 1, "kNN predict_labels with one test example",
       "With a single test example predict_labels must return an array of shape (1,)."),
)

KNN_SIZES = ((5, 7, 4), (12, 20, 30), (1, 9, 3))  # (num_test, num_train, D)


def plans_of_part(ref: ModuleType, seed: int, timing: Timing | None = None) -> dict[str, Callable[[], Plan]]:
    """Every hidden test's plan builder in this part, by test id."""
    return {**distance_plans(ref, "compute_distances_two_loops", "two_loops", seed),
            **distance_plans(ref, "compute_distances_one_loop", "one_loop", seed),
            **distance_plans(ref, "compute_distances_no_loops", "no_loops", seed),
            **knn_extra_plans(ref, seed, timing)}


def _knn_problem(rng, num_test, num_train, D, high: float = 255.0):
    X_train = rng.uniform(0, high, size=(num_train, D))
    y_train = rng.integers(0, 10, size=num_train).astype(np.int64)
    X = rng.uniform(0, high, size=(num_test, D))
    return X_train, y_train, X


def distance_plans(ref: ModuleType, method: str, short: str, seed: int) -> dict[str, Callable[[], Plan]]:
    function = method
    plans = {}

    def random_plan() -> Plan:
        rng = rng_for(f"knn.{short}.random", seed)
        calls, expected = [], []
        for number, (size, high) in enumerate([*((size, 255.0) for size in KNN_SIZES), ((6, 8, 5), 0.05)]):
            X_train, y_train, X = _knn_problem(rng, *size, high=high)  # the last: every distance below 1
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
        call = knn_call(f"{method}/unchanged", method, X_train, y_train, X, return_inputs=True)

        def judge(returned, source):
            (item,) = returned
            found = ran_and_returned_array(returned, function, "dists", X.shape[0] * X_train.shape[0])
            if not found.passed:
                return found
            for name, original in (("after.X_train", X_train), ("after.arg0", X)):
                after = item.arrays.get(name)
                if after is None or not np.array_equal(after, original):  # False for another shape too
                    return Verdict(False, f"{function} changed {'self.X_train' if 'train' in name else 'X'}")
            return Verdict(True)

        return Plan((call,), judge)

    plans[f"knn.{short}.random"] = random_plan
    def no_helpers_plan() -> Plan:
        rng = rng_for(f"knn.{short}.no_helpers", seed)
        X_train, y_train, X = _knn_problem(rng, 4, 6, 5)
        call = knn_call(f"{method}/helpers", method, X_train, y_train, X)

        def judge(returned, source):
            found = ran_and_returned_array(returned, function, "dists", 4 * 6)
            if not found.passed:
                return found
            uses = forbidden_helpers(source.text, KNN_FILE, f"KNearestNeighbor.{method}")
            if uses is None:
                return Verdict(False, f"{method} was not found in {KNN_FILE} (or the file does not parse)")
            if uses:
                return Verdict(False, f"{method} uses {', '.join(uses[:3])}: compute the distances with NumPy "
                                      "array operations")
            return Verdict(True)

        return Plan((call,), judge)

    plans[f"knn.{short}.inputs_unchanged"] = unchanged_plan
    plans[f"knn.{short}.no_helpers"] = no_helpers_plan
    return plans


def knn_extra_plans(ref: ModuleType, seed: int, timing: Timing | None = None) -> dict[str, Callable[[], Plan]]:
    def single_plan() -> Plan:
        rng = rng_for("knn.two_loops.single", seed)
        X_train, y_train, X = _knn_problem(rng, 1, 1, 6)
        want = np.sqrt(np.sum((X - X_train) ** 2)).reshape(1, 1)
        call = knn_call("two_loops/single", "compute_distances_two_loops", X_train, y_train, X)

        def judge(returned, source):
            (item,) = returned
            return first_failure(returned, "compute_distances_two_loops") or check_array(
                item.arrays.get("result"), want, "dists", "(1, 1)")

        return Plan((call,), judge)

    def near_duplicates_plan() -> Plan:
        # 40 test rows, each a training row plus a nudge of 1e-9: the true squared distance is
        # about 1e-15, while ||x||^2 - 2 x.t + ||t||^2 rounds with errors near 1e-9 (norms near
        # 1e7), so about half of these squares come out negative in any summation order. Without
        # the clip, NaN is all but certain (chance of none: about 2**-40).
        rng = rng_for("knn.no_loops.near_duplicates", seed)
        X_train = rng.uniform(100, 255, size=(50, 256))
        X = X_train[rng.permutation(50)[:40]] + rng.normal(0, 1e-9, size=(40, 256))
        y_train = rng.integers(0, 10, size=50).astype(np.int64)
        call = knn_call("no_loops/near_duplicates", "compute_distances_no_loops", X_train, y_train, X)

        def judge(returned, source):
            found = ran_and_returned_array(returned, "compute_distances_no_loops", "dists", X.shape[0] * 50,
                                           real=False)
            if not found.passed:
                return found
            (item,) = returned
            got = item.arrays["result"]
            if not np.all(np.isfinite(got)):
                return Verdict(
                    False, "dists contains NaN for (nearly) identical points: clip negative squared distances at 0"
                )
            if np.any(got < 0):
                return Verdict(False, "dists contains negative distances")
            return Verdict(True)

        return Plan((call,), judge)

    def no_loops_plan() -> Plan:
        rng = rng_for("knn.no_loops.no_python_loops", seed)
        X_train, y_train, X = _knn_problem(rng, 7, 11, 5)
        call = knn_call("no_loops/static", "compute_distances_no_loops", X_train, y_train, X)

        def judge(returned, source):
            return first_failed_of((
                ran_and_returned_array(returned, "compute_distances_no_loops", "dists", 7 * 11),
                no_loops_verdict(source, KNN_FILE, "KNearestNeighbor.compute_distances_no_loops"),
            ))

        return Plan((call,), judge)

    def speed_plan() -> Plan:
        """Faster than the student's own one-loop version, and runs at a memory-safe size."""
        rng = rng_for("knn.no_loops.speed", seed)
        X_train, y_train, X = _knn_problem(rng, *KNN_SPEED_SIZE)
        knn = ref.KNearestNeighbor()
        knn.train(X_train, y_train)
        vectorized = knn_call("no_loops/raced", "compute_distances_no_loops", X_train, y_train, X)
        race = race_call("no_loops/race", vectorized,
                         knn_call("one_loop/speed", "compute_distances_one_loop", X_train, y_train, X))
        solo = solo_call("no_loops/speed", vectorized)
        reference_seconds = reference_seconds_for(timing, solo, lambda: knn.compute_distances_no_loops(X))
        memory = seeded_knn_call("no_loops/memory", "compute_distances_no_loops", int(rng.integers(2**31)),
                                 *KNN_MEMORY_SIZE)

        want = knn.compute_distances_no_loops(X)

        def judge(returned, source):
            naive_loops = loops_in_calls(source.text, KNN_FILE, "KNearestNeighbor.compute_distances_one_loop")
            race_run, memory_run, solo_run = returned
            naive_right = check_array(race_run.arrays.get("naive.0"), want, "dists", "").passed
            return first_failed_of((
                memory_verdict(memory_run, "compute_distances_no_loops", "(num_test, num_train, D)"),
                race_verdict(race_run, solo_run, "compute_distances_no_loops", "compute_distances_one_loop",
                             bool(naive_loops) and naive_right, reference_seconds),
            ))

        return Plan((race, memory, solo), judge)

    def labels_plan(test_id: str, k: int, *problems: Callable) -> Callable[[], Plan]:
        """The plan of a predict_labels test: each of ``problems`` draws one (dists, y_train) from the test's rng."""

        def build() -> Plan:
            rng = rng_for(test_id, seed)
            calls, expected = [], []
            for number, make in enumerate(problems):
                dists, y_train = make(rng)
                knn = ref.KNearestNeighbor()
                knn.train(np.zeros((len(y_train), 1)), y_train)
                expected.append(knn.predict_labels(dists, k=k))
                calls.append(knn_call(f"predict_labels/{test_id}/{number}", "predict_labels",
                                      np.zeros((len(y_train), 1)), y_train, dists, k=k))

            def judge(returned, source):
                return first_failure(returned, "predict_labels") or first_failed_of(
                    check_array(item.arrays.get("result"), want, "y_pred", "(num_test,)", integers=True)
                    for item, want in zip(returned, expected, strict=True)
                )

            return Plan(tuple(calls), judge)

        return build

    def distinct_distances(num_test: int, num_train: int):
        """Distinct distances in random order and random labels from 5: no two neighbours are equally near."""

        def make(rng):
            dists = rng.permutation(num_test * num_train).reshape(num_test, num_train).astype(float) + 1.0
            return dists, rng.integers(0, 5, size=num_train).astype(np.int64)

        return make

    def clear_majority(k: int, num_test: int, num_train: int, num_labels: int):
        """Rows whose k nearest hold a strict majority label, and whose nearest has another label.

        No vote is tied (ties are the ``ties`` test's business), and "take the nearest label"
        or "take the k-th nearest" gives the wrong answer. Needs k >= 3: a majority beside another nearest label.
        """

        def make(rng):
            y_train = np.concatenate([np.repeat(np.arange(num_labels), k),
                                      rng.integers(0, num_labels, num_train - num_labels * k)])
            y_train = rng.permutation(y_train).astype(np.int64)
            dists = np.empty((num_test, num_train))
            for row in range(num_test):
                majority, nearest_label = rng.choice(num_labels, size=2, replace=False)
                pattern = [nearest_label] + [majority] * (k // 2 + 1)
                pattern += list(rng.choice([x for x in range(num_labels) if x != majority], k - len(pattern)))
                order = [pattern[0], *rng.permutation(pattern[1:])]
                chosen: list[int] = []
                for label in order:
                    chosen.append(int(rng.choice([j for j in np.flatnonzero(y_train == label) if j not in chosen])))
                rest = [j for j in rng.permutation(num_train) if j not in chosen]
                dists[row, chosen + rest] = np.arange(1, num_train + 1, dtype=float) + rng.uniform(0, 0.5)
            return dists, y_train

        return make

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

    return {
        "knn.two_loops.single": single_plan,
        "knn.no_loops.near_duplicates": near_duplicates_plan,
        "knn.no_loops.no_python_loops": no_loops_plan,
        "knn.no_loops.speed": speed_plan,
        "knn.predict_labels.k1": labels_plan("knn.predict_labels.k1", 1, distinct_distances(8, 10),
                                             distinct_distances(3, 25)),
        "knn.predict_labels.majority": labels_plan("knn.predict_labels.majority", 5, clear_majority(5, 8, 30, 5)),
        "knn.predict_labels.ties": labels_plan("knn.predict_labels.ties", 4, tied_votes),
        "knn.predict_labels.single": labels_plan("knn.predict_labels.single", 3, clear_majority(3, 1, 9, 3)),
    }
