"""Hidden tests of ``LinearClassifier.train`` (SGD) and ``LinearClassifier.predict``."""
from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np

from autograder.grading.checks.judging import check_array, first_failure, relative_error, rng_for
from autograder.grading.checks.plans import Call, GradedFunction, Plan, Returned, Timing, hidden_test
from autograder.grading.results import Verdict

LINEAR_FILE = "cs_utils/classifiers/linear_classifier.py"
# -- the declarations: the part's functions, and each hidden test with its points and hint --------------------
PART_FUNCTIONS = tuple(
    GradedFunction(f"LinearClassifier.{method}", LINEAR_FILE, notebook="svm", part="linear", kind=method)
    for method in ("train", "predict"))
PART_TESTS = (
    hidden_test("linear.train.minibatches", "LinearClassifier.train", 3,
                "train: samples minibatches of batch_size rows",
       "Each iteration must draw batch_size random rows of X with their labels (rng.choice), and pass them to "
       "self.loss."),
    hidden_test("linear.train.seed", "LinearClassifier.train", 1, "train: uses its seed",
       "Draw the minibatches with the scaffold's rng: np.random (the global state) when seed is None, "
       "np.random.RandomState(seed) when a seed is given."),
    hidden_test("linear.train.update", "LinearClassifier.train", 4, "train: one gradient step per iteration",
       "After computing loss and grad on the minibatch, update W -= learning_rate * grad, and record the loss in "
       "loss_history."),
    hidden_test("linear.train.lowers_loss", "LinearClassifier.train", 2, "train: training lowers the loss",
       "Training with a small learning rate must lower the loss; check the sign of your update."),
    hidden_test("linear.train.weights_shape", "LinearClassifier.train", 2, "train: W has shape (D, C)",
       "train must leave self.W with shape (D, C), C = max(y) + 1."),
    hidden_test("linear.predict.argmax", "LinearClassifier.predict", 5, "predict: highest-scoring class",
       "predict must return, for each row of X, the index of the largest score in X @ self.W."),
    hidden_test("linear.predict.single", "LinearClassifier.predict", 2, "predict: one example",
       "With a single example predict must return an array of shape (1,)."),
)


def plans_of_part(ref: ModuleType, seed: int, timing: Timing | None = None) -> dict[str, Callable[[], Plan]]:
    """Every hidden test's plan builder in this part, by test id."""
    return linear_classifier_plans(ref, seed)


def _squared_error(W, X, y):
    """The probe's least-squares loss on the whole training set, up to its constant factor 1 / (2 N)
    (only whether it went down matters)."""
    targets = np.zeros((len(y), W.shape[1]))
    targets[np.arange(len(y)), y] = 1.0
    residual = X @ W - targets
    return float(np.sum(residual * residual))


def linear_classifier_plans(ref: ModuleType, seed: int) -> dict[str, Callable[[], Plan]]:
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
        failure = first_failure(returned, function)
        if failure:
            return failure
        (item,) = returned
        sizes = recorded(item, "batch_sizes")
        if sizes is None or len(sizes) != settings["num_iters"]:
            return Verdict(False, "self.loss must be called once per iteration")
        if np.any(sizes != settings["batch_size"]):
            return Verdict(False, "each minibatch must hold batch_size examples")
        batches_X, batches_y = recorded(item, "batches_X"), recorded(item, "batches_y")
        if batches_X is None or batches_y is None or batches_X.ndim != 3 or batches_X.shape[-1] != D:
            return Verdict(False, "the minibatch must be rows of X (shape (batch_size, D))")
        if batches_y.shape != batches_X.shape[:2]:
            return Verdict(False, "y_batch must hold one label per row of X_batch")
        rows = {row.tobytes(): label for row, label in zip(X, y, strict=True)}
        for batch_X, batch_y in zip(batches_X, batches_y, strict=True):
            for row, label in zip(batch_X, batch_y, strict=True):
                if row.tobytes() not in rows:
                    return Verdict(False, "the minibatch holds rows that are not rows of X")
                if rows[row.tobytes()] != label:
                    return Verdict(False, "y_batch must hold the labels of the rows in X_batch")
        distinct = {batch.tobytes() for batch in batches_X}
        if len(distinct) < settings["num_iters"] // 2:
            return Verdict(False, "the minibatches must be drawn at random each iteration")
        return Verdict(True)

    def seeded(returned, source):
        failure = first_failure(returned, function)
        if failure:
            return failure
        (item,) = returned
        batches = recorded(item, "batches_X")
        if batches is not None and len({batch.tobytes() for batch in batches}) < settings["num_iters"] // 2:
            return Verdict(True)  # not random at all: the minibatches test says so, once
        runs = recorded(item, "seed_runs")
        if runs is None or runs.shape[0] != 4 or not np.all(np.isfinite(runs)):
            return Verdict(False, "train failed when called with seed=None or with a seed")
        if np.array_equal(runs[0], runs[1]):
            return Verdict(False, "with seed=None, train must draw from NumPy's global random state (np.random), "
                                  "so that np.random.seed makes a run repeatable")
        if not np.array_equal(runs[2], runs[3]):
            return Verdict(False, "with seed given, train must draw from its own np.random.RandomState(seed), "
                                  "so the same seed gives the same minibatches")
        return Verdict(True)

    def update(returned, source):
        failure = first_failure(returned, function)
        if failure:
            return failure
        (item,) = returned
        weights, grads, final = recorded(item, "weights"), recorded(item, "grads"), recorded(item, "final_W")
        history = recorded(item, "history")
        if (weights is None or grads is None or final is None or len(weights) != settings["num_iters"]
                or len(grads) != len(weights)):
            return Verdict(False, "self.loss must be called once per iteration and self.W kept")
        regs = recorded(item, "regs")
        if regs is None or len(regs) != len(weights) or np.any(regs != settings["reg"]):
            return Verdict(False, "train must pass its reg argument on to self.loss")
        lr = settings["learning_rate"]
        steps = [*weights[1:], final]
        for before, grad, after in zip(weights, grads, steps, strict=True):
            if after.shape != before.shape or relative_error(after, before - lr * grad) > 1e-8:
                return Verdict(False, "each iteration must update W -= learning_rate * grad")
        if history is None or len(history) != settings["num_iters"]:
            return Verdict(False, "train must return loss_history with one loss per iteration")
        return Verdict(True)

    def lowers(returned, source):
        failure = first_failure(returned, function)
        if failure:
            return failure
        (item,) = returned
        weights, final = recorded(item, "weights"), recorded(item, "final_W")
        if weights is None or final is None or final.shape != (D, C):
            return Verdict(False, "train did not produce weights of shape (D, C)")
        if not _squared_error(final, X, y) < _squared_error(weights[0], X, y):
            return Verdict(False, "the loss on the training set did not go down")
        return Verdict(True)

    def weights_shape(returned, source):
        failure = first_failure(returned, function)
        if failure:
            return failure
        (item,) = returned
        final = recorded(item, "final_W")
        if final is None or final.shape != (D, C):
            return Verdict(False, "self.W must have shape (D, C) after training")
        sizes = recorded(item, "batch_sizes")
        if sizes is None or len(sizes) != settings["num_iters"]:
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
                (item,) = returned
                return first_failure(returned, "LinearClassifier.predict") or check_array(
                    item.arrays.get("result"), want, "y_pred", "(N,)", integers=True)

            return Plan((call,), judge)

        return build

    return {
        "linear.train.minibatches": lambda: Plan((call,), minibatches),
        "linear.train.seed": lambda: Plan((call,), seeded),
        "linear.train.update": lambda: Plan((call,), update),
        "linear.train.lowers_loss": lambda: Plan((call,), lowers),
        "linear.train.weights_shape": lambda: Plan((call,), weights_shape),
        "linear.predict.argmax": predict_plan("linear.predict.argmax", 40),
        "linear.predict.single": predict_plan("linear.predict.single", 1),
    }
