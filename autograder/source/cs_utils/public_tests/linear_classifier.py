"""Public tests of ``LinearClassifier.train`` (SGD) and ``LinearClassifier.predict``."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .compare import same_shape
from .results import Failed
from .session import Returned, Session, explain, value_of

LINEAR_FILE = "cs_utils/classifiers/linear_classifier.py"


def train_tests() -> list[tuple[str, Callable[[Session], None]]]:
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
            raise Failed(explain(returned, function, LINEAR_FILE))
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

    def uses_seed(session):
        runs = probe(session).arrays.get("seed_runs")
        if runs is None or runs.shape[0] != 4 or not np.all(np.isfinite(runs)):
            raise Failed("train failed when called with seed=None or with a seed")
        if np.array_equal(runs[0], runs[1]):
            raise Failed("with seed=None, draw the minibatches from np.random (the scaffold's rng), so that "
                         "np.random.seed makes a run repeatable")
        if not np.array_equal(runs[2], runs[3]):
            raise Failed("with a seed, draw from the scaffold's rng (np.random.RandomState(seed)): the same seed "
                         "must give the same minibatches")

    def passes_reg(session):
        regs = probe(session).arrays.get("regs")
        if regs is None or len(regs) == 0 or np.any(regs != settings["reg"]):
            raise Failed("pass train's reg argument on to self.loss(X_batch, y_batch, reg)")

    return [("samples minibatches of batch_size examples", minibatches),
            ("uses its seed (and np.random when seed is None)", uses_seed),
            ("passes reg on to self.loss", passes_reg),
            ("returns one loss per iteration", history),
            ("leaves self.W with shape (D, C)", weights),
            ("lowers the loss with a small learning rate", lowers)]


def predict_tests() -> list[tuple[str, Callable[[Session], None]]]:
    function = "LinearClassifier.predict"
    W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, -0.5]])
    X = np.array([[0.0, 2.0, 1.0, 0.0], [3.0, 1.0, 0.0, 1.0], [0.0, 0.0, 0.0, -1.0]])

    def run(session, rows):
        returned = session.call(function, {"kind": "predict"}, {"W": W, "X": rows})
        return np.asarray(value_of(returned, function, LINEAR_FILE))

    def argmax(session):
        got = same_shape(run(session, X), (3,), "y_pred", "(N,)")
        if not np.array_equal(got, [1, 0, 2]):
            raise Failed("each prediction is the column of the largest score in X @ self.W (np.argmax along axis 1)")

    def single(session):
        same_shape(run(session, X[:1]), (1,), "y_pred", "(N,)")

    return [("predicts the highest-scoring class", argmax), ("returns shape (1,) for one example", single)]


#: This part's functions and their public tests (``cs_utils.check`` gathers every part's).
PUBLIC_TESTS = {"LinearClassifier.train": train_tests(), "LinearClassifier.predict": predict_tests()}
