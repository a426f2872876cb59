"""Implementations written from the contract, to grade the grader.

Each :class:`Variant` replaces the solution region(s) of one student function in the reference
source with what a student might write. ``CORRECT`` are right but written differently from the
reference (other NumPy idioms, the other stabilisation of the softmax, other tie-free sorts): each
must earn every point of its function. ``BUGS`` are the mistakes students make: each must lose
points on exactly the tests named in ``fails`` (one defect, charged where it belongs), and the
feedback of those tests must contain ``hint``. No variant may cost another function anything.
"""
from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.release import find_solution_regions, keep_solutions

KNN = "cs_utils/classifiers/k_nearest_neighbor.py"
SVM = "cs_utils/classifiers/linear_svm.py"
SOFTMAX = "cs_utils/classifiers/softmax.py"
LINEAR = "cs_utils/classifiers/linear_classifier.py"


@dataclass(frozen=True)
class Variant:
    name: str
    file: str
    function: str  # qualified, as the solution regions name it ("KNearestNeighbor.predict_labels")
    bodies: tuple[str | None, ...]  # one per solution region of the function; None keeps the reference
    fails: frozenset[str] = frozenset()
    hint: str = ""
    append: str = ""  # module-level code added at the end of the file

    def apply(self, source: str) -> str:
        """The file's solution release with this variant's bodies in place of the reference's."""
        lines = source.splitlines()
        regions = [r for r in find_solution_regions(source, self.file) if r.function == self.function]
        if len(regions) != len(self.bodies):
            raise ValueError(f"{self.name}: {self.function} has {len(regions)} regions, not {len(self.bodies)}")
        for region, body in reversed(list(zip(regions, self.bodies, strict=True))):
            if body is None:
                continue
            code = textwrap.dedent(body).strip("\n").splitlines()
            lines[region.begin + 1 : region.end] = [region.indent + line if line.strip() else "" for line in code]
        return keep_solutions("\n".join(lines) + "\n", self.file) + self.append


def right(name, file, function, *bodies):
    return Variant(name, file, function, bodies)


def wrong(name, file, function, fails, hint, *bodies):
    return Variant(name, file, function, bodies, frozenset(fails.split()), hint)


TWO, ONE, NO = ("KNearestNeighbor.compute_distances_two_loops", "KNearestNeighbor.compute_distances_one_loop",
                "KNearestNeighbor.compute_distances_no_loops")
VOTE = "KNearestNeighbor.predict_labels"
TRAIN, PREDICT = "LinearClassifier.train", "LinearClassifier.predict"

CORRECT = [
    # -- distances --------------------------------------------------------------------------
    right("two loops, power and sum", KNN, TWO, "dists[i, j] = np.sqrt(np.sum((X[i] - self.X_train[j]) ** 2))"),
    right("two loops, dot product", KNN, TWO, """
        d = X[i] - self.X_train[j]
        dists[i, j] = np.sqrt(d @ d)
        """),
    right("one loop, method chain", KNN, ONE, "dists[i] = np.sqrt(((self.X_train - X[i]) ** 2).sum(axis=1))"),
    right("one loop, einsum", KNN, ONE, """
        diff = self.X_train - X[i]
        dists[i, :] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        """),
    right("no loops, sums and maximum", KNN, NO, """
        sq = np.sum(X ** 2, axis=1)[:, None] - 2 * X @ self.X_train.T + np.sum(self.X_train ** 2, axis=1)
        return np.sqrt(np.maximum(sq, 0))
        """),
    right("no loops, dot and clip", KNN, NO, """
        cross = X.dot(self.X_train.T)
        sq = (X * X).sum(axis=1, keepdims=True) + (self.X_train * self.X_train).sum(axis=1) - 2.0 * cross
        return np.sqrt(np.clip(sq, 0.0, None))
        """),
    # -- votes ------------------------------------------------------------------------------
    right("vote with np.unique counts", KNN, VOTE, """
        closest = self.y_train[np.argsort(dists[i], kind="stable")[:k]]
        values, counts = np.unique(closest, return_counts=True)
        y_pred[i] = values[np.argmax(counts)]
        """),
    right("vote after argpartition", KNN, VOTE, """
        nearest = np.argpartition(dists[i], k - 1)[:k]
        y_pred[i] = np.bincount(self.y_train[nearest]).argmax()
        """),
    right("vote with sorted() and a dict", KNN, VOTE, """
        order = sorted(range(dists.shape[1]), key=lambda j: dists[i, j])[:k]
        votes = {}
        for j in order:
            votes[int(self.y_train[j])] = votes.get(int(self.y_train[j]), 0) + 1
        best = max(votes.values())
        y_pred[i] = min(label for label, count in votes.items() if count == best)
        """),
    # -- SVM ---------------------------------------------------------------------------------
    right("SVM naive, CS231n style", SVM, "svm_loss_naive", """
        num_classes, num_train = W.shape[1], X.shape[0]
        for i in range(num_train):
            scores = X[i].dot(W)
            correct = scores[y[i]]
            for j in range(num_classes):
                if j != y[i]:
                    margin = scores[j] - correct + 1
                    if margin > 0:
                        loss += margin
                        dW[:, j] += X[i]
                        dW[:, y[i]] -= X[i]
        loss = loss / num_train + reg * np.sum(W * W)
        dW = dW / num_train + 2 * reg * W
        """),
    right("SVM vectorized, mask and row sums", SVM, "svm_loss_vectorized", """
        N = X.shape[0]
        scores = X @ W
        correct = scores[np.arange(N), y].reshape(-1, 1)
        margins = np.maximum(0, scores - correct + 1)
        margins[np.arange(N), y] = 0
        loss = np.sum(margins) / N + reg * np.sum(W ** 2)
        mask = (margins > 0).astype(float)
        mask[np.arange(N), y] = -mask.sum(axis=1)
        dW = X.T.dot(mask) / N + 2 * reg * W
        """),
    right("SVM vectorized, einsum and np.add.at", SVM, "svm_loss_vectorized", """
        N = len(y)
        scores = np.einsum("nd,dc->nc", X, W)
        margins = scores - scores[np.arange(N), y][:, None] + 1.0
        margins[np.arange(N), y] = 0.0
        positive = margins > 0
        loss = margins[positive].sum() / N + reg * (W * W).sum()
        coeff = positive.astype(W.dtype)
        np.add.at(coeff, (np.arange(N), y), -positive.sum(axis=1))
        dW = np.einsum("nd,nc->dc", X, coeff) / N + 2 * reg * W
        """),
    # -- softmax -----------------------------------------------------------------------------
    right("softmax naive, shift then log of the probability", SOFTMAX, "softmax_loss_naive", """
        num_train, num_classes = X.shape[0], W.shape[1]
        for i in range(num_train):
            scores = X[i] @ W
            scores -= np.max(scores)
            p = np.exp(scores) / np.sum(np.exp(scores))
            loss += -np.log(p[y[i]])
            for j in range(num_classes):
                dW[:, j] += (p[j] - (j == y[i])) * X[i]
        loss = loss / num_train + reg * np.sum(W * W)
        dW = dW / num_train + 2 * reg * W
        """),
    right("softmax naive, log-sum-exp", SOFTMAX, "softmax_loss_naive", """
        num_train = X.shape[0]
        for i in range(num_train):
            scores = X[i].dot(W)
            top = scores.max()
            log_normalizer = top + np.log(np.exp(scores - top).sum())
            loss += log_normalizer - scores[y[i]]
            p = np.exp(scores - log_normalizer)
            p[y[i]] -= 1
            dW += np.outer(X[i], p)
        loss = loss / num_train + reg * np.sum(W * W)
        dW = dW / num_train + 2 * reg * W
        """),
    right("softmax vectorized, shift and mean of -log p", SOFTMAX, "softmax_loss_vectorized", """
        N = X.shape[0]
        scores = X @ W
        scores = scores - scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(N), y])) + reg * np.sum(W * W)
        p[np.arange(N), y] -= 1
        dW = X.T @ p / N + 2 * reg * W
        """),
    right("softmax vectorized, log-sum-exp and one-hot", SOFTMAX, "softmax_loss_vectorized", """
        N, C = X.shape[0], W.shape[1]
        scores = X.dot(W)
        top = scores.max(axis=1, keepdims=True)
        log_z = top + np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
        one_hot = np.eye(C)[y]
        loss = float(np.sum(log_z.ravel() - scores[np.arange(N), y])) / N + reg * np.sum(W ** 2)
        dW = X.T.dot(np.exp(scores - log_z) - one_hot) / N + 2 * reg * W
        """),
    right("softmax vectorized through the (N, C, C) Jacobian of the softmax", SOFTMAX, "softmax_loss_vectorized", """
        N, C = X.shape[0], W.shape[1]
        scores = X @ W
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(N), y]).mean() + reg * np.sum(W * W)
        jacobian = p[:, :, None] * (np.eye(C)[None] - p[:, None, :])  # d p_k / d s_j, one (C, C) per row
        dlogp = -jacobian[np.arange(N), y] / p[np.arange(N), y][:, None]  # d (-log p_y) / d s
        dW = X.T @ dlogp / N + 2 * reg * W
        """),
    # -- the linear classifier -----------------------------------------------------------------
    right("train with randint and a plain assignment", LINEAR, TRAIN, """
        rows = rng.randint(0, num_train, batch_size)
        X_batch, y_batch = X[rows], y[rows]
        """, "self.W = self.W - learning_rate * grad"),
    right("train with choice of row indices", LINEAR, TRAIN, """
        indices = rng.choice(np.arange(num_train), size=batch_size, replace=True)
        X_batch = X[indices, :]
        y_batch = y[indices]
        """, None),
    right("predict with argmax of the dot product", LINEAR, PREDICT, "y_pred = X.dot(self.W).argmax(axis=1)"),
    right("predict returning float labels", LINEAR, PREDICT, "y_pred = np.argmax(X @ self.W, axis=1).astype(float)"),
    right("no loops with an outer-sum helper", KNN, NO, """
        sq = np.add.outer(np.einsum("ij,ij->i", X, X), np.einsum("ij,ij->i", self.X_train, self.X_train))
        sq -= 2.0 * np.dot(X, self.X_train.T)
        return np.sqrt(np.where(sq > 0, sq, 0.0))
        """),
    # the slowest loop-free product NumPy offers (einsum without optimize=True): still a clear win
    right("no loops, every product by einsum", KNN, NO, """
        cross = np.einsum("ik,jk->ij", X, self.X_train)
        sq = np.einsum("ik,ik->i", X, X)[:, None] + np.einsum("jk,jk->j", self.X_train, self.X_train) - 2 * cross
        return np.sqrt(np.maximum(sq, 0.0))
        """),
    # the slowest loop-free version against the quickest one loop a student may write
    Variant("no loops by einsum beside a one loop through BLAS", KNN, NO, ("""
        cross = np.einsum("ik,jk->ij", X, self.X_train)
        sq = np.einsum("ik,ik->i", X, X)[:, None] + np.einsum("jk,jk->j", self.X_train, self.X_train) - 2 * cross
        return np.sqrt(np.maximum(sq, 0.0))
        """,), append="""

def _one_loop_by_products(self, X):
    dists = np.zeros((X.shape[0], self.X_train.shape[0]))
    train_squares = np.sum(self.X_train ** 2, axis=1)
    for i in range(X.shape[0]):
        dists[i] = np.sqrt(np.maximum(train_squares - 2 * self.X_train @ X[i] + X[i] @ X[i], 0.0))
    return dists


KNearestNeighbor.compute_distances_one_loop = _one_loop_by_products
"""),
    right("predict with np.argmax and a copy", LINEAR, PREDICT, """
        scores = np.dot(X, self.W)
        y_pred = np.argmax(scores, axis=1).astype(np.int64)
        """),
]

BUGS = [
    # -- distances --------------------------------------------------------------------------
    wrong("two loops without the square root", KNN, TWO, "knn.two_loops.random knn.two_loops.single",
          "Euclidean distance", "dists[i, j] = np.sum((X[i] - self.X_train[j]) ** 2)"),
    wrong("two loops with absolute differences", KNN, TWO, "knn.two_loops.random knn.two_loops.single",
          "Euclidean distance", "dists[i, j] = np.sum(np.abs(X[i] - self.X_train[j]))"),
    wrong("one loop without the square root", KNN, ONE, "knn.one_loop.random", "broadcasting",
          "dists[i] = np.sum((self.X_train - X[i]) ** 2, axis=1)"),
    wrong("one loop subtracting in place from the training set", KNN, ONE,
          "knn.one_loop.random knn.one_loop.inputs_unchanged", "", """
        diff = self.X_train
        diff -= X[i]
        dists[i] = np.sqrt(np.sum(diff ** 2, axis=1))
        """),
    wrong("no loops without the clip", KNN, NO, "knn.no_loops.near_duplicates", "clip", """
        sq = np.sum(X ** 2, axis=1)[:, None] - 2 * X @ self.X_train.T + np.sum(self.X_train ** 2, axis=1)
        return np.sqrt(sq)
        """),
    wrong("no loops with rows and columns swapped", KNN, NO, "knn.no_loops.random", "", """
        sq = np.sum(self.X_train ** 2, axis=1)[:, None] - 2 * self.X_train @ X.T + np.sum(X ** 2, axis=1)
        return np.sqrt(np.maximum(sq, 0))
        """),
    wrong("no loops that loops over the test rows", KNN, NO, "knn.no_loops.no_python_loops knn.no_loops.speed",
          "loop", """
        rows = [np.sqrt(np.sum((self.X_train - x) ** 2, axis=1)) for x in X]
        return np.array(rows)
        """),
    # Garbage values (uncorrelated with the distances): the property tests do not count either.
    wrong("no loops without the cross term's factor 2", KNN, NO,
          "knn.no_loops.random knn.no_loops.near_duplicates knn.no_loops.no_python_loops knn.no_loops.speed "
          "knn.no_loops.inputs_unchanged knn.no_loops.no_helpers", "close to the right values", """
        sq = np.sum(X ** 2, axis=1)[:, None] - X @ self.X_train.T + np.sum(self.X_train ** 2, axis=1)
        return np.sqrt(np.maximum(sq, 0))
        """),
    # -- votes ------------------------------------------------------------------------------
    wrong("vote tie to the larger label", KNN, VOTE, "knn.predict_labels.ties", "smaller label", """
        counts = np.bincount(self.y_train[np.argsort(dists[i], kind="stable")[:k]])
        y_pred[i] = len(counts) - 1 - np.argmax(counts[::-1])
        """),
    wrong("vote by the farthest neighbours", KNN, VOTE,
          "knn.predict_labels.k1 knn.predict_labels.majority knn.predict_labels.ties knn.predict_labels.single",
          "", "y_pred[i] = np.argmax(np.bincount(self.y_train[np.argsort(dists[i])[-k:]]))"),
    wrong("vote ignoring k (always the nearest)", KNN, VOTE,
          "knn.predict_labels.majority knn.predict_labels.ties knn.predict_labels.single", "", """
        y_pred[i] = self.y_train[np.argmin(dists[i])]
        """),
    wrong("vote returning an index instead of a label", KNN, VOTE,
          "knn.predict_labels.k1 knn.predict_labels.majority knn.predict_labels.ties knn.predict_labels.single",
          "", "y_pred[i] = np.argsort(dists[i])[0]"),
    # -- SVM ---------------------------------------------------------------------------------
    wrong("SVM naive without dividing the gradient by N", SVM, "svm_loss_naive", "svm.naive.gradient svm.naive.edge",
          "the data term of dW is about N times too large", """
        num_train, num_classes = X.shape[0], W.shape[1]
        for i in range(num_train):
            scores = X[i] @ W
            for j in range(num_classes):
                margin = scores[j] - scores[y[i]] + 1
                if j != y[i] and margin > 0:
                    loss += margin
                    dW[:, j] += X[i]
                    dW[:, y[i]] -= X[i]
        loss = loss / num_train + reg * np.sum(W * W)
        dW += 2 * reg * W
        """),
    wrong("SVM naive that never fills dW", SVM, "svm_loss_naive", "svm.naive.gradient svm.naive.edge",
          "dW is all zeros", """
        num_train, num_classes = X.shape[0], W.shape[1]
        for i in range(num_train):
            scores = X[i] @ W
            for j in range(num_classes):
                margin = scores[j] - scores[y[i]] + 1
                if j != y[i] and margin > 0:
                    loss += margin
        loss = loss / num_train + reg * np.sum(W * W)
        """),
    wrong("SVM naive counting the correct class", SVM, "svm_loss_naive",
          "svm.naive.loss svm.naive.edge", "", """
        num_train, num_classes = X.shape[0], W.shape[1]
        for i in range(num_train):
            scores = X[i] @ W
            for j in range(num_classes):
                margin = scores[j] - scores[y[i]] + 1
                if margin > 0:
                    loss += margin
                    dW[:, j] += X[i]
                    dW[:, y[i]] -= X[i]
        loss = loss / num_train + reg * np.sum(W * W)
        dW = dW / num_train + 2 * reg * W
        """),
    wrong("SVM vectorized without regularization", SVM, "svm_loss_vectorized",
          "svm.vectorized.loss svm.vectorized.gradient svm.vectorized.matches_naive svm.vectorized.edge",
          "the loss is missing the regularization term", """
        N = X.shape[0]
        scores = X @ W
        margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
        margins[np.arange(N), y] = 0
        loss = margins.sum() / N
        coeff = (margins > 0).astype(float)
        coeff[np.arange(N), y] = -coeff.sum(axis=1)
        dW = X.T @ coeff / N
        """),
    wrong("SVM vectorized without the regularization gradient", SVM, "svm_loss_vectorized",
          "svm.vectorized.gradient svm.vectorized.matches_naive svm.vectorized.edge",
          "dW is missing the regularization gradient", """
        N = X.shape[0]
        scores = X @ W
        margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
        margins[np.arange(N), y] = 0
        loss = margins.sum() / N + reg * np.sum(W * W)
        coeff = (margins > 0).astype(float)
        coeff[np.arange(N), y] = -coeff.sum(axis=1)
        dW = X.T @ coeff / N
        """),
    wrong("SVM vectorized with reg * W for the regularization gradient", SVM, "svm_loss_vectorized",
          "svm.vectorized.gradient svm.vectorized.matches_naive svm.vectorized.edge",
          "should be 2 * reg * W, not reg * W", """
        N = X.shape[0]
        scores = X @ W
        margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
        margins[np.arange(N), y] = 0
        loss = margins.sum() / N + reg * np.sum(W * W)
        coeff = (margins > 0).astype(float)
        coeff[np.arange(N), y] = -coeff.sum(axis=1)
        dW = X.T @ coeff / N + reg * W
        """),
    wrong("SVM vectorized dividing the gradient by N twice", SVM, "svm_loss_vectorized",
          "svm.vectorized.gradient svm.vectorized.matches_naive svm.vectorized.edge", "divide by N twice", """
        N = X.shape[0]
        scores = X @ W
        margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
        margins[np.arange(N), y] = 0
        loss = margins.sum() / N + reg * np.sum(W * W)
        coeff = (margins > 0).astype(float) / N
        coeff[np.arange(N), y] = -coeff.sum(axis=1)
        dW = X.T @ coeff / N + 2 * reg * W
        """),
    wrong("SVM vectorized with half the penalty", SVM, "svm_loss_vectorized",
          "svm.vectorized.loss svm.vectorized.gradient svm.vectorized.matches_naive svm.vectorized.edge",
          "should be reg * sum(W**2), without a factor 1/2", """
        N = X.shape[0]
        scores = X @ W
        margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
        margins[np.arange(N), y] = 0
        loss = margins.sum() / N + 0.5 * reg * np.sum(W * W)
        coeff = (margins > 0).astype(float)
        coeff[np.arange(N), y] = -coeff.sum(axis=1)
        dW = X.T @ coeff / N + reg * W
        """),
    wrong("SVM vectorized that calls the naive version", SVM, "svm_loss_vectorized",
          "svm.vectorized.no_python_loops svm.vectorized.speed", "loop", "loss, dW = svm_loss_naive(W, X, y, reg)"),
    wrong("SVM vectorized that changes X", SVM, "svm_loss_vectorized", "svm.vectorized.inputs_unchanged", "X", """
        N = X.shape[0]
        scores = X @ W
        margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
        margins[np.arange(N), y] = 0
        loss = margins.sum() / N + reg * np.sum(W * W)
        coeff = (margins > 0).astype(float)
        coeff[np.arange(N), y] = -coeff.sum(axis=1)
        dW = X.T @ coeff / N + 2 * reg * W
        X[0] = 0.0  # scribbled on after use
        """),
    # -- softmax -----------------------------------------------------------------------------
    wrong("softmax naive without the shift", SOFTMAX, "softmax_loss_naive", "softmax.naive.large_scores",
          "maximum", """
        num_train, num_classes = X.shape[0], W.shape[1]
        for i in range(num_train):
            scores = X[i] @ W
            p = np.exp(scores) / np.sum(np.exp(scores))
            loss += -np.log(p[y[i]])
            for j in range(num_classes):
                dW[:, j] += (p[j] - (j == y[i])) * X[i]
        loss = loss / num_train + reg * np.sum(W * W)
        dW = dW / num_train + 2 * reg * W
        """),
    wrong("softmax naive with log base 10", SOFTMAX, "softmax_loss_naive",
          "softmax.naive.loss softmax.naive.large_scores softmax.naive.edge", "", """
        num_train, num_classes = X.shape[0], W.shape[1]
        for i in range(num_train):
            scores = X[i] @ W
            scores -= scores.max()
            p = np.exp(scores) / np.sum(np.exp(scores))
            loss += -np.log10(p[y[i]])
            for j in range(num_classes):
                dW[:, j] += (p[j] - (j == y[i])) * X[i]
        loss = loss / num_train + reg * np.sum(W * W)
        dW = dW / num_train + 2 * reg * W
        """),
    wrong("softmax vectorized without the shift", SOFTMAX, "softmax_loss_vectorized",
          "softmax.vectorized.large_scores", "maximum", """
        N = X.shape[0]
        p = np.exp(X @ W)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(N), y])) + reg * np.sum(W * W)
        p[np.arange(N), y] -= 1
        dW = X.T @ p / N + 2 * reg * W
        """),
    wrong("softmax vectorized with the gradient's sign flipped", SOFTMAX, "softmax_loss_vectorized",
          "softmax.vectorized.gradient softmax.vectorized.large_scores softmax.vectorized.matches_naive",
          "dW has the wrong sign", """
        N = X.shape[0]
        scores = X @ W
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(N), y])) + reg * np.sum(W * W)
        p[np.arange(N), y] -= 1
        dW = -(X.T @ p / N) + 2 * reg * W
        """),
    wrong("softmax vectorized summing instead of averaging", SOFTMAX, "softmax_loss_vectorized",
          "softmax.vectorized.loss softmax.vectorized.gradient softmax.vectorized.large_scores "
          "softmax.vectorized.matches_naive", "the data term of the loss is about N times too large", """
        N = X.shape[0]
        scores = X @ W
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.sum(np.log(p[np.arange(N), y])) + reg * np.sum(W * W)
        p[np.arange(N), y] -= 1
        dW = X.T @ p + 2 * reg * W
        """),
    wrong("softmax vectorized that calls the naive version", SOFTMAX, "softmax_loss_vectorized",
          "softmax.vectorized.no_python_loops softmax.vectorized.speed", "loop",
          "loss, dW = softmax_loss_naive(W, X, y, reg)"),
    # -- the linear classifier -----------------------------------------------------------------
    wrong("train drawing rows and labels with different indices", LINEAR, TRAIN, "linear.train.minibatches",
          "labels of the rows", """
        X_batch = X[rng.choice(num_train, batch_size)]
        y_batch = y[rng.choice(num_train, batch_size)]
        """, None),
    wrong("train stepping up the gradient", LINEAR, TRAIN, "linear.train.update linear.train.lowers_loss",
          "learning_rate", None, "self.W += learning_rate * grad"),
    wrong("train with a fixed minibatch", LINEAR, TRAIN, "linear.train.minibatches", "random", """
        X_batch, y_batch = X[:batch_size], y[:batch_size]
        """, None),
    wrong("train ignoring its seed", LINEAR, TRAIN, "linear.train.seed", "seed", """
        rows = np.random.choice(num_train, batch_size)
        X_batch, y_batch = X[rows], y[rows]
        """, None),
    wrong("train with a private generator when no seed is given", LINEAR, TRAIN, "linear.train.seed",
          "np.random.seed", """
        generator = rng if seed is not None else np.random.RandomState(iteration)
        rows = generator.choice(num_train, batch_size)
        X_batch, y_batch = X[rows], y[rows]
        """, None),
    wrong("train with a fixed batch size of 200", LINEAR, TRAIN, "linear.train.minibatches", "batch_size", """
        rows = rng.choice(num_train, 200)
        X_batch, y_batch = X[rows], y[rows]
        """, None),
    wrong("train without returning the loss history", LINEAR, TRAIN, "linear.train.update", "loss_history",
          None, """
        self.W -= learning_rate * grad
        loss_history.clear()
        """),
    # Garbage values (the sum of differences, squared): the property tests do not count either.
    wrong("two loops squaring after the sum", KNN, TWO,
          "knn.two_loops.random knn.two_loops.single knn.two_loops.inputs_unchanged knn.two_loops.no_helpers", "",
          "dists[i, j] = np.sqrt(np.sum(X[i] - self.X_train[j]) ** 2)"),
    wrong("two loops with np.linalg.norm", KNN, TWO, "knn.two_loops.no_helpers", "np.linalg.norm",
          "dists[i, j] = np.linalg.norm(X[i] - self.X_train[j])"),
    wrong("one loop with np.linalg.norm", KNN, ONE, "knn.one_loop.no_helpers", "np.linalg.norm",
          "dists[i] = np.linalg.norm(self.X_train - X[i], axis=1)"),
    wrong("no loops with scipy's cdist", KNN, NO, "knn.no_loops.no_helpers", "scipy", """
        from scipy.spatial.distance import cdist
        return cdist(X, self.X_train)
        """),
    wrong("no loops with a (num_test, num_train, D) array", KNN, NO, "knn.no_loops.speed", "memory", """
        return np.sqrt(np.sum((X[:, np.newaxis, :] - self.X_train[np.newaxis, :, :]) ** 2, axis=2))
        """),
    wrong("SVM naive with a margin of 0", SVM, "svm_loss_naive", "svm.naive.loss svm.naive.gradient svm.naive.edge",
          "", """
        num_train, num_classes = X.shape[0], W.shape[1]
        for i in range(num_train):
            scores = X[i] @ W
            for j in range(num_classes):
                margin = scores[j] - scores[y[i]]
                if j != y[i] and margin > 0:
                    loss += margin
                    dW[:, j] += X[i]
                    dW[:, y[i]] -= X[i]
        loss = loss / num_train + reg * np.sum(W * W)
        dW = dW / num_train + 2 * reg * W
        """),
    wrong("SVM vectorized keeping the correct class's margin", SVM, "svm_loss_vectorized",
          "svm.vectorized.loss svm.vectorized.gradient svm.vectorized.matches_naive svm.vectorized.edge", "", """
        N = X.shape[0]
        scores = X @ W
        margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
        loss = margins.sum() / N + reg * np.sum(W * W)
        coeff = (margins > 0).astype(float)
        coeff[np.arange(N), y] = -coeff.sum(axis=1)
        dW = X.T @ coeff / N + 2 * reg * W
        """),
    wrong("SVM vectorized with an (N, D, C) gradient", SVM, "svm_loss_vectorized", "svm.vectorized.speed", "memory",
          """
        N = X.shape[0]
        scores = X @ W
        margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
        margins[np.arange(N), y] = 0
        loss = margins.sum() / N + reg * np.sum(W * W)
        coeff = (margins > 0).astype(float)
        coeff[np.arange(N), y] = -coeff.sum(axis=1)
        dW = (X[:, :, np.newaxis] * coeff[:, np.newaxis, :]).sum(axis=0) / N + 2 * reg * W
        """),
    wrong("softmax naive gradient without the correct class's -1", SOFTMAX, "softmax_loss_naive",
          "softmax.naive.gradient softmax.naive.large_scores softmax.naive.edge", "", """
        num_train, num_classes = X.shape[0], W.shape[1]
        for i in range(num_train):
            scores = X[i] @ W
            scores -= scores.max()
            p = np.exp(scores) / np.sum(np.exp(scores))
            loss += -np.log(p[y[i]])
            for j in range(num_classes):
                dW[:, j] += p[j] * X[i]
        loss = loss / num_train + reg * np.sum(W * W)
        dW = dW / num_train + 2 * reg * W
        """),
    Variant("softmax.py that crashes when imported", SOFTMAX, "softmax_loss_naive", (None,),
            frozenset(f"softmax.{test}" for test in (
                "naive.loss", "naive.gradient", "naive.large_scores", "naive.edge", "vectorized.loss",
                "vectorized.gradient", "vectorized.large_scores", "vectorized.matches_naive",
                "vectorized.no_python_loops", "vectorized.speed", "vectorized.inputs_unchanged")), "",
            append="\nraise RuntimeError('a half-finished edit at the bottom of the file')\n"),
    wrong("predict with argmin", LINEAR, PREDICT, "linear.predict.argmax linear.predict.single", "",
          "y_pred = np.argmin(X @ self.W, axis=1)"),
    wrong("predict returning the largest score", LINEAR, PREDICT, "linear.predict.argmax linear.predict.single",
          "whole-number labels", "y_pred = np.max(X @ self.W, axis=1)"),
    wrong("predict returning a column of labels", LINEAR, PREDICT, "linear.predict.argmax linear.predict.single",
          "wrong shape", "y_pred = np.argmax(X @ self.W, axis=1).reshape(-1, 1)"),
    wrong("predict along the wrong axis", LINEAR, PREDICT, "linear.predict.argmax linear.predict.single", "",
          "y_pred = np.argmax(X @ self.W, axis=0)"),
]


def keyed() -> dict[str, Variant]:
    """Every variant under a short key, ``ok-NN`` (correct) or ``bug-NN``, in the order above."""
    return {f"{'ok' if not v.fails else 'bug'}-{number:02d}": v for number, v in enumerate([*CORRECT, *BUGS])}


def write_submission(variant: Variant, solution: Path, destination: Path) -> Path:
    """``destination``: the solution release with ``variant``'s file rewritten."""
    from autograder import SOURCE_ROOT

    shutil.copytree(solution, destination, ignore=shutil.ignore_patterns("__pycache__"))
    source = (SOURCE_ROOT / variant.file).read_text(encoding="utf-8")
    (destination / variant.file).write_text(variant.apply(source), encoding="utf-8")
    return destination


#: Module-level code that makes a file's naive version raise (appended at the end of the file), so
#: that it cannot be the speed test's yardstick: the vectorized function is then timed against the
#: reference (``race_verdict``'s fallback).
NAIVE_NOT_WRITTEN = {
    KNN: "\n\ndef _not_written(self, X):\n    raise NotImplementedError\n\n\n"
         "KNearestNeighbor.compute_distances_one_loop = _not_written\n",
    SVM: "\n\ndef svm_loss_naive(W, X, y, reg):\n    raise NotImplementedError\n",
    SOFTMAX: "\n\ndef softmax_loss_naive(W, X, y, reg):\n    raise NotImplementedError\n",
}
#: The vectorized functions whose speed is raced against a naive version.
RACED = {NO: KNN, "svm_loss_vectorized": SVM, "softmax_loss_vectorized": SOFTMAX}


def without_naive_yardstick() -> dict[str, Variant]:
    """Every correct variant of a raced function, and every bug variant of one that fails its speed
    test, with the file's naive version not written: ``nn-ok-NN`` and ``nn-bug-NN`` (the keys of
    :func:`keyed` with a prefix)."""
    chosen = {}
    for key, variant in keyed().items():
        if variant.function in RACED and (not variant.fails or any(t.endswith(".speed") for t in variant.fails)):
            chosen[f"nn-{key}"] = replace(variant, append=variant.append + NAIVE_NOT_WRITTEN[variant.file])
    return chosen
