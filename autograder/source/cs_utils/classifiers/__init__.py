"""The three classifiers of the assignment.

Shapes used everywhere in this package (the module docstrings repeat what they need):

* ``N``: number of examples in a batch;
* ``D``: number of features per example; for the linear models this includes the constant
  bias feature (3072 pixel values + 1 = 3073 for CIFAR-10);
* ``C``: number of classes (10 for CIFAR-10).
"""
from .k_nearest_neighbor import KNearestNeighbor
from .linear_classifier import LinearClassifier, LinearSVM, Softmax
from .linear_svm import svm_loss_naive, svm_loss_vectorized
from .softmax import softmax_loss_naive, softmax_loss_vectorized

__all__ = [
    "KNearestNeighbor",
    "LinearClassifier",
    "LinearSVM",
    "Softmax",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
    "svm_loss_naive",
    "svm_loss_vectorized",
]
