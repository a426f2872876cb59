"""Independent brute-force losses and a plain numerical gradient, shared by the loss tests."""
import math

import numpy as np


def brute_force_svm_loss(W, X, y, reg):
    total = 0.0
    for x, label in zip(X, y, strict=True):
        scores = [sum(x[d] * W[d, c] for d in range(W.shape[0])) for c in range(W.shape[1])]
        total += sum(max(0.0, s - scores[label] + 1.0) for c, s in enumerate(scores) if c != label)
    return total / len(X) + reg * float(np.sum(W ** 2))


def brute_force_softmax_loss(W, X, y, reg):
    total = 0.0
    for x, label in zip(X, y, strict=True):
        scores = [sum(x[d] * W[d, c] for d in range(W.shape[0])) for c in range(W.shape[1])]
        top = max(scores)
        total += top + math.log(sum(math.exp(s - top) for s in scores)) - scores[label]
    return total / len(X) + reg * float(np.sum(W ** 2))


def numerical_gradient(f, W, h=1e-6):
    grad = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        plus, minus = W.copy(), W.copy()
        plus[index] += h
        minus[index] -= h
        grad[index] = (f(plus) - f(minus)) / (2 * h)
    return grad


def random_problem(rng, num_train, dim, num_classes, scale=1.0):
    W = rng.normal(scale=scale, size=(dim, num_classes))
    X = rng.normal(size=(num_train, dim))
    y = rng.integers(0, num_classes, num_train)
    return W, X, y
