"""SGD training and prediction of the reference linear classifiers."""
import numpy as np
import pytest

from cs_utils.classifiers import LinearClassifier, LinearSVM, Softmax


def blobs(rng, per_class=60, num_classes=3, dim=5):
    centres = rng.normal(scale=4.0, size=(num_classes, dim))
    y = np.repeat(np.arange(num_classes), per_class)
    X = centres[y] + rng.normal(size=(len(y), dim))
    return np.hstack([X, np.ones((len(y), 1))]), y


@pytest.mark.parametrize("model", [LinearSVM, Softmax])
def test_training_lowers_the_loss_and_learns(rng, model):
    X, y = blobs(rng)
    classifier = model()
    history = classifier.train(X, y, learning_rate=1e-2, reg=1e-3, num_iters=300, batch_size=50, seed=0)
    assert len(history) == 300 and all(isinstance(v, float) for v in history)
    assert np.mean(history[-20:]) < 0.5 * np.mean(history[:5])
    assert classifier.W.shape == (6, 3)
    assert np.mean(classifier.predict(X) == y) > 0.95


@pytest.mark.parametrize("model", [LinearSVM, Softmax])
def test_seed_makes_training_repeatable_without_touching_global_state(rng, model):
    X, y = blobs(rng)
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    first = model().train(X, y, num_iters=20, seed=3)
    second = model().train(X, y, num_iters=20, seed=3)
    assert first == second
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_global_seeding_still_works(rng):
    X, y = blobs(rng)
    np.random.seed(0)
    first = LinearSVM().train(X, y, num_iters=20)
    np.random.seed(0)
    second = LinearSVM().train(X, y, num_iters=20)
    assert first == second


def test_lazy_init_uses_max_label_and_small_weights(rng):
    X, y = blobs(rng, num_classes=4)
    classifier = Softmax()
    classifier.train(X, y, learning_rate=0.0, num_iters=1, seed=0)
    assert classifier.W.shape == (X.shape[1], 4)
    assert 0.0003 < np.std(classifier.W) < 0.003  # 0.001 * randn


def test_minibatch_loss_is_the_loss_of_a_sampled_batch(rng):
    X, y = blobs(rng)
    classifier = LinearSVM()
    history = classifier.train(X, y, learning_rate=0.0, num_iters=1, batch_size=7, seed=11)
    batch = np.random.RandomState(11)
    batch.randn(*classifier.W.shape)  # the init draw comes first
    rows = batch.choice(len(X), 7, replace=True)
    expected, _ = classifier.loss(X[rows], y[rows], 1e-5)
    assert history[0] == pytest.approx(expected)


def test_predict_is_argmax_of_scores(rng):
    classifier = LinearClassifier()
    classifier.W = rng.normal(size=(4, 5))
    X = rng.normal(size=(10, 4))
    assert classifier.predict(X).tolist() == np.argmax(X @ classifier.W, axis=1).tolist()


def test_inputs_are_not_mutated(rng):
    X, y = blobs(rng)
    copies = X.copy(), y.copy()
    Softmax().train(X, y, num_iters=5, seed=0)
    np.testing.assert_array_equal(X, copies[0])
    np.testing.assert_array_equal(y, copies[1])


def test_clear_messages(rng):
    with pytest.raises(RuntimeError, match="call train"):
        LinearSVM().predict(np.zeros((2, 3)))
    for model in (LinearSVM, Softmax):
        with pytest.raises(RuntimeError, match="call train"):
            model().loss(np.zeros((2, 3)), np.array([0, 1]), 0.0)
    with pytest.raises(NotImplementedError, match="Use a subclass"):
        LinearClassifier().train(np.zeros((4, 2)), [0, 1, 0, 1], num_iters=1)
    classifier = LinearSVM()
    classifier.W = np.zeros((3, 2))
    with pytest.raises(ValueError, match="X has 2 columns but W has 3 rows"):
        classifier.predict(np.zeros((1, 2)))
