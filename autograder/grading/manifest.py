"""The hidden tests: what each is called, what it is worth, what a student reads when it fails.

Pure data; the implementations are in :mod:`.checks`, keyed by the same ids. Points add up to
100. Failure messages explain what to look at; they never quote inputs or expected values.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from autograder import KIT_ROOT
from autograder.grading.results import TestSpec

V, LATER = "visible", "after_published"


def _t(id, function, points, name, message, visibility=V):
    return TestSpec(id=id, function=function, points=points, name=name, failure_message=message, visibility=visibility)


TESTS: tuple[TestSpec, ...] = (
    # -- k-nearest neighbours ----------------------------------------------------------------
    _t("knn.two_loops.no_helpers", "compute_distances_two_loops", 1, "kNN distances, two loops: no distance helper",
       "compute_distances_two_loops must compute the distances itself, with no np.linalg.norm, SciPy or scikit-learn "
       "(the rules forbid them in the distance functions)."),
    _t("knn.two_loops.random", "compute_distances_two_loops", 3, "kNN distances, two loops: random problems",
       "dists[i, j] must be the Euclidean distance sqrt(sum((X[i] - X_train[j])**2)) between test example i and "
       "training example j."),
    _t("knn.two_loops.single", "compute_distances_two_loops", 1,
       "kNN distances, two loops: one test and one training example",
       "With a single test and a single training example dists must have shape (1, 1)."),
    _t("knn.two_loops.inputs_unchanged", "compute_distances_two_loops", 1,
       "kNN distances, two loops: inputs left unchanged",
       "compute_distances_two_loops must not modify X or self.X_train (avoid in-place operations on them)."),
    _t("knn.one_loop.no_helpers", "compute_distances_one_loop", 1, "kNN distances, one loop: no distance helper",
       "compute_distances_one_loop must compute the distances itself, with no np.linalg.norm, SciPy or scikit-learn "
       "(the rules forbid them in the distance functions)."),
    _t("knn.one_loop.random", "compute_distances_one_loop", 3, "kNN distances, one loop: random problems",
       "Fill a whole row dists[i, :] per iteration: subtract X[i] from every row of self.X_train by broadcasting."),
    _t("knn.one_loop.inputs_unchanged", "compute_distances_one_loop", 1,
       "kNN distances, one loop: inputs left unchanged",
       "compute_distances_one_loop must not modify X or self.X_train."),
    _t("knn.no_loops.no_helpers", "compute_distances_no_loops", 1, "kNN distances, no loops: no distance helper",
       "compute_distances_no_loops must compute the distances itself, with no np.linalg.norm, SciPy or scikit-learn "
       "(the rules forbid them in the distance functions)."),
    _t("knn.no_loops.random", "compute_distances_no_loops", 3, "kNN distances, no loops: random problems",
       "Expand ||x - t||^2 = ||x||^2 - 2 x.t + ||t||^2: one matrix product and two broadcast sums."),
    _t("knn.no_loops.near_duplicates", "compute_distances_no_loops", 2,
       "kNN distances, no loops: near-duplicate points give no NaN",
       "Rounding makes tiny squared distances slightly negative: clip them at 0 before the square root.", LATER),
    _t("knn.no_loops.no_python_loops", "compute_distances_no_loops", 2,
       "kNN distances, no loops: free of Python loops",
       "compute_distances_no_loops must contain no for/while loop or comprehension, not even in a function of yours "
       "that it calls."),
    _t("knn.no_loops.speed", "compute_distances_no_loops", 2, "kNN distances, no loops: fast on a large input",
       "On a large input compute_distances_no_loops must be several times faster than your compute_distances_one_loop"
       ": one matrix product, and no (num_test, num_train, D) array.", LATER),
    _t("knn.no_loops.inputs_unchanged", "compute_distances_no_loops", 1,
       "kNN distances, no loops: inputs left unchanged",
       "compute_distances_no_loops must not modify X or self.X_train."),
    _t("knn.predict_labels.k1", "predict_labels", 3, "kNN predict_labels with k = 1",
       "With k = 1 each prediction is the label of the single closest training example (np.argsort of the row)."),
    _t("knn.predict_labels.majority", "predict_labels", 3, "kNN predict_labels with k > 1: majority vote",
       "Take the labels of the k closest training examples and return the most common one (np.bincount, np.argmax)."),
    _t("knn.predict_labels.ties", "predict_labels", 2, "kNN predict_labels: a tied vote goes to the smaller label",
       "When two labels get the same number of votes, return the smaller label (np.argmax returns the first maximum)."),
    _t("knn.predict_labels.single", "predict_labels", 1, "kNN predict_labels with one test example",
       "With a single test example predict_labels must return an array of shape (1,)."),
    # -- SVM -----------------------------------------------------------------------------------
    _t("svm.naive.loss", "svm_loss_naive", 4, "SVM naive: loss on random problems",
       "The loss is the mean over examples of sum_{j != y_i} max(0, s_j - s_{y_i} + 1), plus reg * sum(W**2)."),
    _t("svm.naive.gradient", "svm_loss_naive", 4, "SVM naive: gradient on random problems",
       "Each positive margin adds X[i] to dW[:, j] and subtracts it from dW[:, y[i]]; divide by N and add 2 * reg * "
       "W."),
    _t("svm.naive.edge", "svm_loss_naive", 2, "SVM naive: one example, two classes",
       "svm_loss_naive must work for N = 1 and C = 2 (loss and gradient).", LATER),
    _t("svm.vectorized.loss", "svm_loss_vectorized", 3, "SVM vectorized: loss on random problems",
       "Compute all margins at once as an (N, C) array, zero the correct-class entries, sum, divide by N, add reg * "
       "sum(W**2)."),
    _t("svm.vectorized.gradient", "svm_loss_vectorized", 3, "SVM vectorized: gradient on random problems",
       "Build an (N, C) coefficient matrix (1 per positive margin, minus their count in the correct column); dW = "
       "X.T @ coeffs / N + 2 * reg * W."),
    _t("svm.vectorized.matches_naive", "svm_loss_vectorized", 2, "SVM vectorized agrees with your naive version",
       "On the inputs your svm_loss_naive is checked with, svm_loss_vectorized must return the same (correct) loss "
       "and gradient."),
    _t("svm.vectorized.no_python_loops", "svm_loss_vectorized", 2, "SVM vectorized: free of Python loops",
       "svm_loss_vectorized must contain no for/while loop or comprehension, not even in a function of yours that "
       "it calls (such as svm_loss_naive)."),
    _t("svm.vectorized.speed", "svm_loss_vectorized", 2, "SVM vectorized: fast on a large input",
       "On a large input svm_loss_vectorized must be several times faster than your svm_loss_naive: two matrix "
       "products, and no (N, D, C) array.", LATER),
    _t("svm.vectorized.inputs_unchanged", "svm_loss_vectorized", 1, "SVM vectorized: inputs left unchanged",
       "svm_loss_vectorized must not modify W, X or y (copy before changing an array in place)."),
    _t("svm.vectorized.edge", "svm_loss_vectorized", 1, "SVM vectorized: one example, two classes",
       "svm_loss_vectorized must work for N = 1 and C = 2.", LATER),
    # -- softmax -------------------------------------------------------------------------------
    _t("softmax.naive.loss", "softmax_loss_naive", 4, "Softmax naive: loss on random problems",
       "The loss is the mean of -log(softmax probability of the correct class), plus reg * sum(W**2)."),
    _t("softmax.naive.gradient", "softmax_loss_naive", 4, "Softmax naive: gradient on random problems",
       "The gradient of L_i with respect to the scores is p_i - onehot(y_i); dW = X.T @ that / N + 2 * reg * W."),
    _t("softmax.naive.large_scores", "softmax_loss_naive", 2, "Softmax naive: scores of 1e3 and more stay finite",
       "Subtract the row maximum from the scores before exp(): it changes no probability and avoids overflow.", LATER),
    _t("softmax.naive.edge", "softmax_loss_naive", 1, "Softmax naive: one example, two classes",
       "softmax_loss_naive must work for N = 1 and C = 2.", LATER),
    _t("softmax.vectorized.loss", "softmax_loss_vectorized", 3, "Softmax vectorized: loss on random problems",
       "Compute the (N, C) scores, shift each row by its maximum, and average log-sum-exp minus the correct score."),
    _t("softmax.vectorized.gradient", "softmax_loss_vectorized", 3, "Softmax vectorized: gradient on random problems",
       "dW = X.T @ (P - Y) / N + 2 * reg * W with P the (N, C) probabilities and Y the one-hot labels."),
    _t("softmax.vectorized.large_scores", "softmax_loss_vectorized", 2,
       "Softmax vectorized: scores of 1e3 and more stay finite",
       "Subtract each row's maximum score before exp().", LATER),
    _t("softmax.vectorized.matches_naive", "softmax_loss_vectorized", 2,
       "Softmax vectorized agrees with your naive version",
       "On the inputs your softmax_loss_naive is checked with, softmax_loss_vectorized must return the same (correct) "
       "loss and gradient."),
    _t("softmax.vectorized.no_python_loops", "softmax_loss_vectorized", 2,
       "Softmax vectorized: free of Python loops",
       "softmax_loss_vectorized must contain no for/while loop or comprehension, not even in a function of yours "
       "that it calls (such as softmax_loss_naive)."),
    _t("softmax.vectorized.speed", "softmax_loss_vectorized", 2, "Softmax vectorized: fast on a large input",
       "On a large input softmax_loss_vectorized must be several times faster than your softmax_loss_naive: two "
       "matrix products, and no (N, D, C) array.", LATER),
    _t("softmax.vectorized.inputs_unchanged", "softmax_loss_vectorized", 1, "Softmax vectorized: inputs left unchanged",
       "softmax_loss_vectorized must not modify W, X or y."),
    # -- linear classifier ---------------------------------------------------------------------
    _t("linear.train.minibatches", "LinearClassifier.train", 3, "train: samples minibatches of batch_size rows",
       "Each iteration must draw batch_size random rows of X with their labels (rng.choice), and pass them to "
       "self.loss."),
    _t("linear.train.seed", "LinearClassifier.train", 1, "train: uses its seed",
       "Draw the minibatches with the scaffold's rng: np.random (the global state) when seed is None, "
       "np.random.RandomState(seed) when a seed is given."),
    _t("linear.train.update", "LinearClassifier.train", 4, "train: one gradient step per iteration",
       "After computing loss and grad on the minibatch, update W -= learning_rate * grad, and record the loss in "
       "loss_history."),
    _t("linear.train.lowers_loss", "LinearClassifier.train", 2, "train: training lowers the loss",
       "Training with a small learning rate must lower the loss; check the sign of your update."),
    _t("linear.train.weights_shape", "LinearClassifier.train", 2, "train: W has shape (D, C)",
       "train must leave self.W with shape (D, C), C = max(y) + 1."),
    _t("linear.predict.argmax", "LinearClassifier.predict", 5, "predict: highest-scoring class",
       "predict must return, for each row of X, the index of the largest score in X @ self.W."),
    _t("linear.predict.single", "LinearClassifier.predict", 2, "predict: one example",
       "With a single example predict must return an array of shape (1,)."),
)


#: Tests of a property of a function (no loops, no forbidden helper, speed and memory, inputs
#: left unchanged, no NaN),
#: not of its values. They count only when the function computes something close to the right
#: answer (one of its value tests passes or names a recognisable slip: see ``checks.judging.ATTEMPT``),
#: so a placeholder earns nothing, and a formula slip costs the value tests alone.
PROPERTY_SUFFIXES = (".inputs_unchanged", ".no_python_loops", ".speed", ".near_duplicates", ".no_helpers")


def is_property(spec: TestSpec) -> bool:
    return spec.id.endswith(PROPERTY_SUFFIXES)


def tests_by_id() -> dict[str, TestSpec]:
    return {spec.id: spec for spec in TESTS}


def max_score(tests: tuple[TestSpec, ...] = TESTS) -> float:
    return float(sum(spec.points for spec in tests))


#: Tests of the notebooks themselves (run by ``grade --notebooks``): the student's answer cells run
#: on a small synthetic CIFAR-10 in the sandbox, and the run writes a well-formed results file.
#: The submitted results are checked against the schema and, with real data, reproduced (0 points).
NOTEBOOK_TESTS: tuple[TestSpec, ...] = tuple(
    test
    for name, cells in (("knn", "cross-validation and choosing k"), ("svm", "hyperparameter search"),
                        ("softmax", "hyperparameter search"))
    for test in (
        _t(f"notebook.{name}.runs", f"{name}.ipynb", 1, f"{name}.ipynb: your cells ({cells}) run without error",
           f"The grader ran {name}.ipynb (your answer cells in the original notebook) on a small synthetic "
           "CIFAR-10; one of your cells raised an error, timed out, or the notebook could not be read."),
        _t(f"notebook.{name}.results", f"{name}.ipynb", 1,
           f"{name}.ipynb: the run writes notebooks/results/{name}.json",
           f"Running {name}.ipynb top to bottom must end by writing a complete notebooks/results/{name}.json "
           "(the last locked cell does it when your variables are set)."),
        _t(f"notebook.{name}.submitted_results", f"{name}.ipynb", 0,
           f"{name}.ipynb: submitted results file (informational)",
           f"notebooks/results/{name}.json is missing or malformed: run the whole notebook and submit again."),
    )
)


def graded_specs(notebooks: bool, tests: tuple[TestSpec, ...] = TESTS) -> tuple[TestSpec, ...]:
    """Every test a run scores: the code tests, plus the notebooks' unless the instructor opted out
    (``--no-notebooks``). A "could not grade" result uses the same list, so its maximum matches."""
    return (*tests, *NOTEBOOK_TESTS) if notebooks else tuple(tests)


#: The released fingerprints of the graded notebook cells, with the written answers' points; the
#: Gradescope bundle carries this file too.
GRADED_CELLS = KIT_ROOT / "cs_utils" / "_grading" / "graded_cells.json"


@cache
def written_answer_points(graded_cells: Path = GRADED_CELLS) -> float:
    """The points of the written answers, which the course staff grade by hand, not this grader.

    Read from ``graded_cells.json`` (written by the release from the notebooks' nbgrader
    metadata): the ``points`` of every cell of kind ``written_answer``.
    """
    notebooks = json.loads(Path(graded_cells).read_text(encoding="utf-8"))["notebooks"]
    return float(sum(cell["points"] or 0 for cells in notebooks.values() for cell in cells
                     if cell["kind"] == "written_answer"))


def assignment_points() -> float:
    """What the whole assignment is worth: the code, the notebook runs and the written answers."""
    return max_score(graded_specs(True)) + written_answer_points()

