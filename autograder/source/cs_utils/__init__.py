"""Image classification on CIFAR-10: k-nearest neighbours, multiclass SVM and softmax.

The package is the code half of the assignment; the notebooks in ``notebooks/`` are the other
half. Functions whose body ends in ``raise NotImplementedError`` are yours to write. Everything
else (data loading, gradient checking, plotting) is provided and complete.

Importing the package does nothing but import: no printing, no plotting backend changes.
"""

__all__ = ["classifiers", "data_utils", "download", "gradient_check", "vis_utils"]
