"""The judges of ``LinearClassifier.train``, on recordings written here (``checks/linear_classifier.py``).

In the sandbox, the harness runs the student's ``train`` with a recording loss (``harness._train_probe``)
and returns what it saw: every minibatch, the weights before each step, the gradients, the ``reg``
passed on, the loss history, the final weights, and four short runs that show how the seed is used.
Here those recordings are built by a small SGD loop of the test's own, correct or with one slip, and
each slip must be named by its own test, with its own words, while the other tests pass.

``tools/judge_mutation.py check`` runs this module for every mutant of the judges that the fairness
suite did not notice.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from autograder.grading.checks.linear_classifier import linear_classifier_plans
from autograder.grading.checks.plans import Returned, SourceView
from autograder.grading.reference import load_reference
from autograder.grading.results import Verdict

PLANS = linear_classifier_plans(load_reference(), 0)
CALL = PLANS["linear.train.update"]().calls[0]
SETTINGS = CALL.request
X, Y = CALL.arrays["X"], CALL.arrays["y"]
(N, D), C = X.shape, int(Y.max()) + 1
TRAIN_TESTS = ("minibatches", "seed", "update", "lowers_loss", "weights_shape")


@dataclass
class Training:
    """How the simulated ``train`` behaves; the defaults are the contract."""

    num_iters: int = SETTINGS["num_iters"]
    batch_size: int = SETTINGS["batch_size"]
    learning_rate: float = SETTINGS["learning_rate"]
    reg: float = SETTINGS["reg"]
    labels_of_other_rows: bool = False
    same_batch_every_time: bool = False

    def record(self) -> dict[str, np.ndarray]:
        """What the harness would return for this ``train``: a least-squares loss, as the probe's."""
        rng = np.random.default_rng(3)
        W = 0.001 * rng.normal(size=(D, C))
        fixed = rng.choice(N, self.batch_size)
        batches_X, batches_y, weights, grads, regs, history = [], [], [], [], [], []
        for _ in range(self.num_iters):
            rows = fixed if self.same_batch_every_time else rng.choice(N, self.batch_size)
            label_rows = rng.choice(N, self.batch_size) if self.labels_of_other_rows else rows
            X_batch, y_batch = X[rows], Y[label_rows]
            targets = np.eye(C)[y_batch]
            residual = X_batch @ W - targets
            grad = X_batch.T @ residual / len(rows)
            batches_X.append(X_batch)
            batches_y.append(y_batch)
            weights.append(W.copy())
            grads.append(grad)
            regs.append(self.reg)
            history.append(0.5 * float(np.sum(residual * residual)) / len(rows))
            W = W - self.learning_rate * grad
        first_sums = [rng.normal(size=self.batch_size) for _ in range(3)]
        return {
            "history": np.array(history), "batches_X": np.stack(batches_X), "batches_y": np.stack(batches_y),
            "weights": np.stack(weights), "grads": np.stack(grads), "regs": np.array(regs),
            "batch_sizes": np.full(self.num_iters, self.batch_size, dtype=np.int64), "final_W": W,
            # seed=None after two global seeds (differ), then the same seed twice (equal)
            "seed_runs": np.stack([first_sums[0], first_sums[1], first_sums[2], first_sums[2]]),
        }


CORRECT = Training().record()


def judged(test: str, recording: dict[str, np.ndarray], *, ok: bool = True) -> Verdict:
    returned = Returned(True, arrays=recording) if ok else Returned(False, "timeout")
    return PLANS[f"linear.train.{test}"]().judge((returned,), SourceView({}))


def without(*names: str, **replaced: np.ndarray) -> dict[str, np.ndarray]:
    recording = {name: value for name, value in CORRECT.items() if name not in names}
    return {**recording, **replaced}


def fails(test: str, recording: dict[str, np.ndarray], words: str) -> bool:
    """The test fails on ``recording`` with these words."""
    return judged(test, recording) == Verdict(False, words)


def failures(recording: dict[str, np.ndarray], tests: tuple[str, ...] = TRAIN_TESTS) -> dict[str, str]:
    return {test: verdict.detail for test in tests if not (verdict := judged(test, recording)).passed}


#: Whether the loss still falls when the minibatches are wrong depends on the data and the start:
#: on the probe's (the fairness suite's variants) it does; these recordings are not the probe's.
NOT_THE_LOSS = tuple(test for test in TRAIN_TESTS if test != "lowers_loss")


def test_a_correct_train_passes_every_test():
    assert failures(CORRECT) == {}


def test_a_call_that_failed_is_described_by_every_test():
    for test in TRAIN_TESTS:
        assert judged(test, CORRECT, ok=False).detail == (
            "LinearClassifier.train did not finish within the time limit (infinite loop?)")


@pytest.mark.parametrize(("training", "expected"), [
    (Training(reg=0.0), {"update": "train must pass its reg argument on to self.loss"}),
    (Training(reg=2 * SETTINGS["reg"]), {"update": "train must pass its reg argument on to self.loss"}),
    (Training(learning_rate=SETTINGS["learning_rate"] / 2),
     {"update": "each iteration must update W -= learning_rate * grad"}),
    (Training(batch_size=SETTINGS["batch_size"] // 2), {"minibatches": "each minibatch must hold batch_size examples"}),
    (Training(labels_of_other_rows=True), {"minibatches": "y_batch must hold the labels of the rows in X_batch"}),
    (Training(num_iters=SETTINGS["num_iters"] - 1), {
        "minibatches": "self.loss must be called once per iteration",
        "update": "self.loss must be called once per iteration and self.W kept",
        "weights_shape": "train must run num_iters iterations"}),
    (Training(num_iters=SETTINGS["num_iters"] + 1), {
        "minibatches": "self.loss must be called once per iteration",
        "update": "self.loss must be called once per iteration and self.W kept",
        "weights_shape": "train must run num_iters iterations"}),
])
def test_each_slip_of_train_is_named_by_its_own_test(training, expected):
    assert failures(training.record(), NOT_THE_LOSS) == expected


def test_the_same_minibatch_every_iteration_is_named_once():
    assert failures(Training(same_batch_every_time=True).record(), NOT_THE_LOSS) == {
        "minibatches": "the minibatches must be drawn at random each iteration"}
    # half the iterations with a batch of their own is random enough
    half = Training().record()
    repeats = SETTINGS["num_iters"] - SETTINGS["num_iters"] // 2
    for name in ("batches_X", "batches_y"):
        half[name] = half[name].copy()
        half[name][:repeats + 1] = half[name][0]
    assert judged("minibatches", half).passed and judged("seed", half).passed
    unseeded = half | {"seed_runs": CORRECT["seed_runs"][[0, 1, 2, 1]]}
    assert not judged("seed", unseeded).passed
    for name in ("batches_X", "batches_y"):
        half[name][repeats + 1] = half[name][0]
    assert fails("minibatches", half, "the minibatches must be drawn at random each iteration")
    unseeded = half | {"seed_runs": CORRECT["seed_runs"][[0, 1, 2, 1]]}
    assert judged("seed", unseeded).passed  # charged once, to the minibatches test


@pytest.mark.parametrize("recording", [
    without("batches_X"), without("batches_y"),
    without(batches_X=CORRECT["batches_X"][..., None]),  # a 4-D stack: batches of (B, D, 1)
    without(batches_X=CORRECT["batches_X"][:, :, None, :]),  # batches of (B, 1, D): each row a matrix
    without(batches_X=CORRECT["batches_X"][:, :, :-1]),  # rows of D - 1 features
    without(batches_X=np.concatenate([CORRECT["batches_X"], CORRECT["batches_X"][..., :1]], axis=-1)),  # D + 1
    without(batches_X=CORRECT["batches_X"].reshape(SETTINGS["num_iters"], -1)),
    without(batches_X=CORRECT["batches_X"][:, 0], batches_y=CORRECT["batches_y"][:, 0]),  # one row per iteration
])
def test_a_minibatch_that_is_not_rows_of_X_is_named(recording):
    assert fails("minibatches", recording, "the minibatch must be rows of X (shape (batch_size, D))")


def test_the_minibatch_rows_and_labels_are_checked_one_by_one():
    labels = CORRECT["batches_y"][:, :-1]
    assert fails("minibatches", without(batches_y=labels), "y_batch must hold one label per row of X_batch")
    extra = np.concatenate([CORRECT["batches_y"], CORRECT["batches_y"][:, :1]], axis=1)  # one label too many
    assert fails("minibatches", without(batches_y=extra), "y_batch must hold one label per row of X_batch")
    shifted = CORRECT["batches_X"].copy()
    shifted[-1, -1] += 1.0
    assert fails("minibatches", without(batches_X=shifted), "the minibatch holds rows that are not rows of X")
    for change, where in ((+1, CORRECT["batches_y"][-1] < C - 1), (-1, CORRECT["batches_y"][-1] > 0)):
        relabelled = CORRECT["batches_y"].copy()  # one label in the last batch one larger, or one smaller
        relabelled[-1, np.flatnonzero(where)[-1]] += change
        assert fails("minibatches", without(batches_y=relabelled),
                     "y_batch must hold the labels of the rows in X_batch")
    assert fails("minibatches", without("batch_sizes"), "self.loss must be called once per iteration")


def test_the_seed_runs_show_how_train_draws():
    runs = CORRECT["seed_runs"]
    failed = "train failed when called with seed=None or with a seed"
    for recording in (without("seed_runs"), without(seed_runs=runs[:3]),
                      without(seed_runs=np.vstack([runs, runs[:1]]))):
        assert fails("seed", recording, failed)
    broken = runs.copy()
    broken[3, 0] = np.nan
    assert fails("seed", without(seed_runs=broken), failed)
    assert fails("seed", without(seed_runs=runs[[0, 0, 2, 3]]), (
        "with seed=None, train must draw from NumPy's global random state (np.random), so that np.random.seed makes "
        "a run repeatable"))
    assert fails("seed", without(seed_runs=runs[[0, 1, 2, 1]]), (
        "with seed given, train must draw from its own np.random.RandomState(seed), so the same seed gives the same "
        "minibatches"))
    # a train whose minibatches never change is the minibatches test's failure, not this one's
    assert judged("seed", Training(same_batch_every_time=True).record() | {"seed_runs": runs[[0, 0, 2, 1]]}).passed


def test_the_update_needs_every_step_recorded():
    kept = "self.loss must be called once per iteration and self.W kept"
    for recording in (without("weights"), without("grads"), without("final_W"),
                      without(grads=CORRECT["grads"][:-1]),
                      without(grads=np.concatenate([CORRECT["grads"], CORRECT["grads"][:1]]))):  # one too many
        assert fails("update", recording, kept)
    reg = "train must pass its reg argument on to self.loss"
    for recording in (without("regs"), without(regs=CORRECT["regs"][:-1]),
                      without(regs=np.r_[CORRECT["regs"], SETTINGS["reg"]]),  # one call too many, the right reg
                      without(regs=np.r_[CORRECT["regs"][:-1], np.nan])):
        assert fails("update", recording, reg)
    history = "train must return loss_history with one loss per iteration"
    assert fails("update", without("history"), history)
    assert fails("update", without(history=CORRECT["history"][:-1]), history)
    assert fails("update", without(history=np.r_[CORRECT["history"], 0.0]), history)
    last = "each iteration must update W -= learning_rate * grad"
    assert fails("update", without(final_W=CORRECT["final_W"][:-1]), last)
    assert fails("update", without(final_W=np.vstack([CORRECT["final_W"], CORRECT["final_W"][:1]])), last)
    assert fails("update", without(final_W=CORRECT["final_W"] * (1 + 1e-6)), last)
    assert judged("update", without(final_W=CORRECT["final_W"] * (1 + 1e-10))).passed  # rounding is no slip
    # the allowance is a relative error of 1e-8, itself included: a last step from W = e_11 with a zero
    # gradient, off by exactly 1e-8 in one entry
    lr = SETTINGS["learning_rate"]
    edge = CORRECT | {"weights": CORRECT["weights"].copy(), "grads": CORRECT["grads"].copy()}
    edge["weights"][-1] = np.eye(D, C)
    edge["grads"][-2] = (edge["weights"][-2] - edge["weights"][-1]) / lr
    edge["grads"][-1] = 0.0
    edge["final_W"] = np.eye(D, C)
    assert judged("update", edge).passed
    edge["final_W"] = np.eye(D, C) + np.eye(D, C, k=1) * 1e-8
    assert judged("update", edge).passed
    edge["final_W"] = np.eye(D, C) + np.eye(D, C, k=1) * 2e-8
    assert fails("update", edge, last)


def test_the_loss_must_go_down_with_weights_of_the_right_shape():
    for final in (CORRECT["weights"][0], CORRECT["weights"][0] + 1.0):
        assert fails("lowers_loss", without(final_W=final), "the loss on the training set did not go down")
    # weights that overshoot: three times the least-squares fit predicts 3 where the targets are 1,
    # which is further from them than predicting nothing at all
    fit = np.linalg.lstsq(X, np.eye(C)[Y], rcond=None)[0]
    start = CORRECT["weights"].copy()
    start[0] = 0.0
    assert judged("lowers_loss", without(weights=start, final_W=fit)).passed
    assert fails("lowers_loss", without(weights=start, final_W=3 * fit), "the loss on the training set did not go down")
    shape = "train did not produce weights of shape (D, C)"
    wide, tall = np.zeros((D, C + 1)), np.zeros((D + 1, C))
    for recording in (without("weights"), without("final_W"), without(final_W=CORRECT["final_W"].T),
                      without(final_W=wide), without(final_W=tall)):
        assert fails("lowers_loss", recording, shape)
    for final in (CORRECT["final_W"].T, wide, tall):
        assert fails("weights_shape", without(final_W=final), "self.W must have shape (D, C) after training")
    assert fails("weights_shape", without("final_W"), "self.W must have shape (D, C) after training")
    assert fails("weights_shape", without("batch_sizes"), "train must run num_iters iterations")
