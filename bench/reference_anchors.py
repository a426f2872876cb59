"""The reference's anchor numbers on a real CIFAR-10: kNN accuracy and the initial losses.

* kNN, no-loop distances, on the first 5000 training and the first 500 test images: accuracy for
  k = 1 and k = 5 (votes tie to the smaller label);
* the SVM and softmax losses for ``W = 0.0001 * randn(3073, 10)`` after ``np.random.seed(0)`` on
  the 500-image dev set of :func:`cs_utils.data_utils.prepare_cifar10_splits` (seed 0), reg 0:
  about C - 1 = 9 and ln 10 = 2.303, naive and vectorized side by side.

Usage::

    python bench/reference_anchors.py --data /path/to/cifar-10-batches-py   # or set CIFAR10_DIR
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "autograder" / "source"))

from cs_utils.classifiers import (  # noqa: E402
    KNearestNeighbor,
    softmax_loss_naive,
    softmax_loss_vectorized,
    svm_loss_naive,
    svm_loss_vectorized,
)
from cs_utils.data_utils import load_CIFAR10, prepare_cifar10_splits  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="the cifar-10-batches-py folder (default: $CIFAR10_DIR, then datasets/)")
    args = parser.parse_args(argv)

    X_train, y_train, X_test, y_test = load_CIFAR10(args.data)
    knn = KNearestNeighbor()
    knn.train(X_train[:5000].reshape(5000, -1), y_train[:5000])
    dists = knn.compute_distances_no_loops(X_test[:500].reshape(500, -1))
    for k in (1, 5):
        correct = int(np.sum(knn.predict_labels(dists, k=k) == y_test[:500]))
        print(f"kNN k={k}: {correct}/500 = {correct / 500:.3f}")

    splits = prepare_cifar10_splits(args.data)
    np.random.seed(0)
    W = 0.0001 * np.random.randn(3073, 10)
    for name, naive, vectorized in (("SVM", svm_loss_naive, svm_loss_vectorized),
                                    ("softmax", softmax_loss_naive, softmax_loss_vectorized)):
        loss_naive, _ = naive(W, splits["X_dev"], splits["y_dev"], 0.0)
        loss_vectorized, _ = vectorized(W, splits["X_dev"], splits["y_dev"], 0.0)
        print(f"initial {name} loss (dev set, reg 0): naive {loss_naive:.4f}, vectorized {loss_vectorized:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
