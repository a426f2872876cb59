"""The reference classifiers learn on real images: scikit-learn's bundled 8x8 handwritten digits."""
import numpy as np
import pytest

sklearn_datasets = pytest.importorskip("sklearn.datasets")

from cs_utils.classifiers import KNearestNeighbor, LinearSVM, Softmax  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    images, labels = sklearn_datasets.load_digits(return_X_y=True)  # (1797, 64) values 0..16
    order = np.random.default_rng(0).permutation(len(labels))
    images, labels = images[order], labels[order]
    split = 1347
    return images[:split], labels[:split], images[split:], labels[split:]


def with_bias(X, mean):
    return np.hstack([X - mean, np.ones((len(X), 1))])


@pytest.mark.parametrize("num_loops", [0, 1])
def test_knn_accuracy(digits, num_loops):
    X_train, y_train, X_test, y_test = digits
    knn = KNearestNeighbor()
    knn.train(X_train, y_train)
    for k in (1, 5):
        accuracy = np.mean(knn.predict(X_test, k=k, num_loops=num_loops) == y_test)
        assert accuracy >= 0.95, f"k={k}: {accuracy:.3f}"


@pytest.mark.parametrize("model", [LinearSVM, Softmax])
def test_linear_classifier_accuracy(digits, model):
    X_train, y_train, X_test, y_test = digits
    mean = X_train.mean(axis=0)
    classifier = model()
    history = classifier.train(
        with_bias(X_train, mean), y_train, learning_rate=1e-3, reg=1e-3, num_iters=1500, batch_size=200, seed=0
    )
    assert np.mean(history[-50:]) < history[0]
    accuracy = np.mean(classifier.predict(with_bias(X_test, mean)) == y_test)
    assert accuracy >= 0.90, f"{model.__name__}: {accuracy:.3f}"
