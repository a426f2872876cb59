"""The reference kNN against brute force written independently, plus its contract details."""
import math
from collections import Counter

import numpy as np
import pytest
from tolerances import assert_close

from cs_utils.classifiers import KNearestNeighbor


def brute_force_distances(X_test, X_train):
    return np.array(
        [[math.sqrt(sum((a - b) ** 2 for a, b in zip(x, t, strict=True))) for t in X_train] for x in X_test]
    )


def brute_force_vote(dists_row, y_train, k):
    order = sorted(range(len(dists_row)), key=lambda j: (dists_row[j], j))[:k]
    counts = Counter(int(y_train[j]) for j in order)
    best = max(counts.values())
    return min(label for label, count in counts.items() if count == best)


def fitted(X_train, y_train):
    knn = KNearestNeighbor()
    knn.train(X_train, y_train)
    return knn


@pytest.mark.parametrize("num_train, num_test, dim", [(1, 1, 1), (7, 3, 1), (20, 9, 5), (40, 11, 12)])
@pytest.mark.parametrize("method", ["two_loops", "one_loop", "no_loops"])
def test_distances_match_brute_force(rng, num_train, num_test, dim, method):
    X_train = rng.normal(size=(num_train, dim))
    X_test = rng.normal(size=(num_test, dim))
    knn = fitted(X_train, rng.integers(0, 3, num_train))
    dists = getattr(knn, f"compute_distances_{method}")(X_test)
    assert dists.shape == (num_test, num_train)
    expected = brute_force_distances(X_test, X_train)
    if method == "no_loops":
        # ||x||^2 - 2 x.t + ||t||^2 carries rounding of the size of the squared norms; the square
        # root turns it into up to sqrt(that) for points that are close together.
        largest = np.max(np.sum(X_test**2, axis=1)) + np.max(np.sum(X_train**2, axis=1))
        np.testing.assert_allclose(dists, expected, rtol=1e-10, atol=np.sqrt(64 * np.finfo(float).eps * largest))
    else:
        assert_close(dists, expected, 1e-10)


def test_no_loop_distance_is_exact_on_raw_pixels(rng):
    # Whole-number pixels: every product and partial sum is an integer below 2**53, so the result
    # is exact in any summation order, on any BLAS.
    pixels = rng.integers(0, 256, size=(30, 3072)).astype(np.float64)
    knn = fitted(pixels[:20], np.arange(20) % 10)
    np.testing.assert_array_equal(
        knn.compute_distances_no_loops(pixels[20:]), knn.compute_distances_two_loops(pixels[20:])
    )


def test_near_duplicate_points_give_zero_not_nan(rng):
    base = rng.uniform(0, 255, size=(5, 3072))
    X_test = base + 1e-9 * rng.normal(size=base.shape)  # rounding makes ||x||^2 - 2x.t + ||t||^2 < 0
    dists = fitted(base, np.arange(5)).compute_distances_no_loops(X_test)
    assert not np.isnan(dists).any()
    assert np.all(np.diag(dists) < 1e-3)


def test_uint8_pixels_do_not_overflow():
    X_train = np.array([[0, 0], [255, 255]], dtype=np.uint8)
    knn = fitted(X_train, [0, 1])
    np.testing.assert_allclose(knn.compute_distances_no_loops(np.array([[255, 0]], dtype=np.uint8)), [[255.0, 255.0]])


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_predict_labels_matches_brute_force_vote(rng, k):
    y_train = rng.integers(0, 4, 25)
    dists = rng.integers(0, 6, size=(40, 25)).astype(float)  # many distance and vote ties
    knn = fitted(rng.normal(size=(25, 2)), y_train)
    expected = [brute_force_vote(row, y_train, k) for row in dists]
    predicted = knn.predict_labels(dists, k=k)
    assert predicted.dtype.kind == "i"
    assert predicted.tolist() == expected


def test_vote_tie_goes_to_smaller_label():
    knn = fitted(np.zeros((4, 1)), [7, 3, 3, 7])
    dists = np.array([[0.1, 0.2, 0.3, 0.4]])  # k=4: two votes each for 3 and 7
    assert knn.predict_labels(dists, k=4).tolist() == [3]
    assert knn.predict_labels(dists, k=1).tolist() == [7]


def test_distance_tie_keeps_training_order():
    knn = fitted(np.zeros((3, 1)), [5, 2, 9])
    assert knn.predict_labels(np.array([[1.0, 1.0, 1.0]]), k=1).tolist() == [5]


@pytest.mark.parametrize("num_loops", [0, 1, 2])
def test_predict_uses_each_implementation(rng, num_loops):
    X_train = np.vstack([rng.normal(0, 0.1, (10, 3)), rng.normal(5, 0.1, (10, 3))])
    knn = fitted(X_train, [0] * 10 + [1] * 10)
    X_test = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 5.0]])
    assert knn.predict(X_test, k=3, num_loops=num_loops).tolist() == [0, 1]


def test_inputs_are_not_mutated(rng):
    X_train, X_test = rng.normal(size=(8, 4)), rng.normal(size=(3, 4))
    y_train = rng.integers(0, 3, 8)
    copies = [a.copy() for a in (X_train, X_test, y_train)]
    knn = fitted(X_train, y_train)
    for loops in (0, 1, 2):
        knn.predict(X_test, k=3, num_loops=loops)
    for original, copy in zip((X_train, X_test, y_train), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


def test_bad_num_loops_is_a_value_error(rng):
    knn = fitted(rng.normal(size=(3, 2)), [0, 1, 2])
    with pytest.raises(ValueError, match="Invalid value 3 for num_loops"):
        knn.predict(rng.normal(size=(1, 2)), num_loops=3)


def test_clear_messages_for_wrong_use(rng):
    with pytest.raises(RuntimeError, match="call train"):
        KNearestNeighbor().compute_distances_no_loops(np.zeros((1, 2)))
    knn = fitted(rng.normal(size=(3, 2)), [0, 1, 2])
    with pytest.raises(ValueError, match="3 features per example but the training data has 2"):
        knn.compute_distances_no_loops(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"Flatten each image first"):
        knn.train(np.zeros((3, 32, 32, 3)), [0, 1, 2])
    with pytest.raises(ValueError, match="k must be an integer between 1 and 3"):
        knn.predict_labels(np.zeros((1, 3)), k=4)
    with pytest.raises(ValueError, match="2 labels but there are 3 examples"):
        knn.train(np.zeros((3, 2)), [0, 1])
