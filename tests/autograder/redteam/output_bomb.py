# target: cs_utils/classifiers/linear_svm.py
# zero:
# Print about 12 MB per call (one huge line, then many lines); the answers stay correct.
import sys as _sys

_original = svm_loss_naive


def svm_loss_naive(W, X, y, reg):
    _sys.stdout.write("x" * (8 << 20))
    for _ in range(50000):
        print("spam spam spam spam spam spam spam spam spam spam spam spam spam spam spam spam")
    return _original(W, X, y, reg)
