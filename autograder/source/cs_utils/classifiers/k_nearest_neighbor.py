"""k-nearest-neighbour classification with the Euclidean (L2) distance.

Training only memorises the data. To classify a test image we measure its distance to every
training image,

    d(x, x') = sqrt( sum_d (x_d - x'_d)**2 ),

take the ``k`` training images with the smallest distance and let their labels vote.

You will compute the distance matrix three ways, from the most explicit to the fastest; all
three return the same array ``dists`` of shape (num_test, num_train) where ``dists[i, j]`` is the
distance between test example ``i`` and training example ``j``. Rules for all three: no
``np.linalg.norm``, no SciPy or scikit-learn; the no-loop version has no Python loop at all.

Conventions for voting (``predict_labels``):

* among equal distances, the training example that comes first wins a place among the k nearest
  (a *stable* sort);
* a tie in the vote goes to the smaller label.
"""
from __future__ import annotations

import numpy as np

from ._validation import as_feature_matrix, as_labels


class KNearestNeighbor:
    """A k-nearest-neighbour classifier with the L2 distance.

    Attributes
    ----------
    X_train : ndarray of shape (num_train, D)
        The memorised training examples (set by :meth:`train`).
    y_train : ndarray of shape (num_train,), int
        Their labels.

    Examples
    --------
    >>> import numpy as np
    >>> knn = KNearestNeighbor()
    >>> knn.train(np.array([[0.0, 0.0], [10.0, 10.0]]), np.array([0, 1]))
    >>> knn.predict(np.array([[1.0, 2.0], [9.0, 8.0]]), k=1).tolist()
    [0, 1]
    """

    X_train: np.ndarray  # set by train(); until then the attribute does not exist
    y_train: np.ndarray

    def train(self, X: np.ndarray, y: np.ndarray) -> None:
        """Memorise the training data.

        Parameters
        ----------
        X : ndarray of shape (num_train, D)
            One training example per row.
        y : ndarray of shape (num_train,)
            Integer labels; ``y[i]`` is the label of ``X[i]``.
        """
        X = as_feature_matrix(X, name="X")
        self.y_train = as_labels(y, X.shape[0], name="y")
        self.X_train = X

    def predict(self, X: np.ndarray, k: int = 1, num_loops: int = 0) -> np.ndarray:
        """Predict a label for each row of ``X``.

        Parameters
        ----------
        X : ndarray of shape (num_test, D)
        k : int
            Number of neighbours that vote, ``1 <= k <= num_train``.
        num_loops : {0, 1, 2}
            Which distance implementation to use.

        Returns
        -------
        y_pred : ndarray of shape (num_test,), int
        """
        implementations = {
            0: self.compute_distances_no_loops,
            1: self.compute_distances_one_loop,
            2: self.compute_distances_two_loops,
        }
        if num_loops not in implementations:
            raise ValueError(f"Invalid value {num_loops!r} for num_loops; use 0, 1 or 2.")
        dists = implementations[num_loops](X)
        return self.predict_labels(dists, k=k)

    def compute_distances_two_loops(self, X: np.ndarray) -> np.ndarray:
        """L2 distances with a loop over test and a loop over training examples.

        Parameters
        ----------
        X : ndarray of shape (num_test, D)

        Returns
        -------
        dists : ndarray of shape (num_test, num_train), float
            ``dists[i, j]`` is the Euclidean distance between ``X[i]`` and ``self.X_train[j]``.

        Notes
        -----
        The inner body handles one pair of vectors at once (no loop over the D features) and
        may not use ``np.linalg.norm``.
        """
        X = self._check_test_examples(X)
        num_test, num_train = X.shape[0], self.X_train.shape[0]
        dists = np.zeros((num_test, num_train), dtype=np.result_type(X, self.X_train))
        for i in range(num_test):
            for j in range(num_train):
                ### BEGIN SOLUTION
                difference = X[i] - self.X_train[j]  # (D,)
                dists[i, j] = np.sqrt(np.sum(difference * difference))
                ### END SOLUTION
        return dists

    def compute_distances_one_loop(self, X: np.ndarray) -> np.ndarray:
        """L2 distances with a single loop over the test examples.

        Same inputs and outputs as :meth:`compute_distances_two_loops`. Each iteration fills a
        whole row ``dists[i, :]`` using broadcasting; no ``np.linalg.norm``.
        """
        X = self._check_test_examples(X)
        num_test, num_train = X.shape[0], self.X_train.shape[0]
        dists = np.zeros((num_test, num_train), dtype=np.result_type(X, self.X_train))
        for i in range(num_test):
            ### BEGIN SOLUTION
            differences = self.X_train - X[i]  # (num_train, D), X[i] broadcast over rows
            dists[i, :] = np.sqrt(np.sum(differences * differences, axis=1))
            ### END SOLUTION
        return dists

    def compute_distances_no_loops(self, X: np.ndarray) -> np.ndarray:
        """L2 distances with no Python loop.

        Same inputs and outputs as :meth:`compute_distances_two_loops`.

        Hint: expand the square, ``||x - t||**2 = ||x||**2 - 2 x.t + ||t||**2``; the middle term
        for all pairs is one matrix product, the outer terms are broadcast sums. Rounding can make
        a tiny squared distance come out slightly negative for (near-)identical images: clip at 0
        before the square root, or you get NaN.
        """
        X = self._check_test_examples(X)
        ### BEGIN SOLUTION
        # Squared norm of every row: einsum multiplies and sums row by row without building the
        # (rows, D) array of squares that np.sum(X * X, axis=1) would allocate first.
        test_sq = np.einsum("ij,ij->i", X, X)  # (num_test,)
        train_sq = np.einsum("ij,ij->i", self.X_train, self.X_train)  # (num_train,)
        # The cross term -2 x.t for every pair: (num_test, num_train). Scaling the small X, not the
        # big product, saves a pass over the result (and multiplying by -2 is exact).
        sq_dists = (-2.0 * X) @ self.X_train.T
        sq_dists += test_sq[:, np.newaxis]
        sq_dists += train_sq[np.newaxis, :]
        np.maximum(sq_dists, 0.0, out=sq_dists)  # rounding can go just below zero
        return np.sqrt(sq_dists, out=sq_dists)
        ### END SOLUTION

    def predict_labels(self, dists: np.ndarray, k: int = 1) -> np.ndarray:
        """Vote among the ``k`` nearest training examples of each test example.

        Parameters
        ----------
        dists : ndarray of shape (num_test, num_train)
            Distances as returned by the ``compute_distances_*`` methods.
        k : int
            Number of neighbours that vote.

        Returns
        -------
        y_pred : ndarray of shape (num_test,), int
            ``y_pred[i]`` is the most common label among the k nearest neighbours of test
            example ``i``; a tie goes to the smaller label.

        Notes
        -----
        ``np.argsort(..., kind="stable")`` orders a row by distance, keeping equal distances in
        training order; ``np.bincount`` counts votes and ``np.argmax`` returns the first (that is,
        the smallest) label among the most voted.
        """
        dists = np.asarray(dists)
        self._check_trained()
        if dists.ndim != 2 or dists.shape[1] != len(self.y_train):
            raise ValueError(
                f"dists must have shape (num_test, {len(self.y_train)}), one column per training "
                f"example; got shape {dists.shape}."
            )
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(self.y_train):
            raise ValueError(f"k must be an integer between 1 and {len(self.y_train)} (the training size); got {k!r}.")
        num_test = dists.shape[0]
        y_pred = np.zeros(num_test, dtype=np.int64)
        for i in range(num_test):
            ### BEGIN SOLUTION
            nearest = np.argsort(dists[i], kind="stable")[:k]  # indices of the k closest
            closest_y = self.y_train[nearest]  # (k,) their labels
            y_pred[i] = np.argmax(np.bincount(closest_y))  # first maximum = smaller label
            ### END SOLUTION
        return y_pred

    def _check_trained(self) -> None:
        if not (hasattr(self, "X_train") and hasattr(self, "y_train")):
            raise RuntimeError("This KNearestNeighbor has no training data yet; call train(X, y) first.")

    def _check_test_examples(self, X: np.ndarray) -> np.ndarray:
        self._check_trained()
        X = as_feature_matrix(X, name="X")
        if X.shape[1] != self.X_train.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features per example but the training data has "
                f"{self.X_train.shape[1]}; both must be flattened the same way."
            )
        return X
