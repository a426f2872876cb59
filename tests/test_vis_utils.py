"""Tests for cs_utils.vis_utils, rendered off-screen (conftest sets MPLBACKEND=Agg)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from cs_utils import vis_utils
from cs_utils.vis_utils import (
    confusion_matrix,
    plot_class_samples,
    plot_confusion_matrix,
    plot_cross_validation,
    plot_distance_matrix,
    plot_hyperparameter_grid,
    plot_image_grid,
    plot_loss_curve,
    plot_weight_templates,
    rescale,
    visualize_grid,
)

SOURCE_ROOT = Path(__file__).resolve().parent.parent / "autograder" / "source"
CLASS_NAMES = ("plane", "car", "bird")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def images(rng) -> np.ndarray:
    """12 random uint8 colour images of shape (8, 8, 3), labels 0, 1, 2, 0, 1, 2, ..."""
    return rng.integers(0, 256, size=(12, 8, 8, 3), dtype=np.uint8)


def shown(ax) -> np.ndarray:
    """The array an axes displays with imshow."""
    (image,) = ax.get_images()
    return np.asarray(image.get_array())


# --- import -----------------------------------------------------------------------------------


def test_import_prints_nothing_and_picks_no_backend():
    code = (
        "import sys, cs_utils.vis_utils, cs_utils.gradient_check\n"
        "loaded = [m for m in sys.modules if m.startswith('matplotlib.backends.backend_')]\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=SOURCE_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""


# --- rescale and visualize_grid ---------------------------------------------------------------


def test_rescale_range_and_constant():
    np.testing.assert_allclose(rescale(np.array([2.0, 4.0, 6.0])), [0.0, 127.5, 255.0])
    np.testing.assert_array_equal(rescale(np.full((2, 2), 7.0)), np.zeros((2, 2)))


def test_visualize_grid_shape_and_cells(rng):
    Xs = rng.normal(size=(5, 4, 6, 3))
    grid = visualize_grid(Xs, ubound=1.0, padding=2)
    assert grid.shape == (3 * 4 + 2 * 2, 3 * 6 + 2 * 2, 3)  # ceil(sqrt(5)) = 3 images per side
    np.testing.assert_allclose(grid[0:4, 0:6], rescale(Xs[0], 1.0))
    np.testing.assert_allclose(grid[6:10, 8:14], rescale(Xs[4], 1.0))  # row 1, column 1
    assert np.all(grid[4:6] == 0)  # padding
    assert np.all(grid[6:10, 16:] == 0)  # cell past the last image
    assert grid.min() == 0.0 and grid.max() == 1.0


def test_visualize_grid_default_bound_and_no_padding(rng):
    grid = visualize_grid(rng.normal(size=(4, 2, 2, 1)), padding=0)
    assert grid.shape == (4, 4, 1)
    assert grid.max() == 255.0


def test_visualize_grid_wrong_shape():
    with pytest.raises(ValueError, match=r"\(N, H, W, C\).*add a channel axis"):
        visualize_grid(np.zeros((3, 4, 4)))


# --- plot_image_grid --------------------------------------------------------------------------


def test_image_grid_axes_images_and_titles(images):
    titles = [f"#{n}" for n in range(5)]
    fig = plot_image_grid(images[:5], titles=titles, ncols=3)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 6  # 2 rows of 3
    assert [len(ax.get_images()) for ax in fig.axes] == [1, 1, 1, 1, 1, 0]
    assert [ax.get_title() for ax in fig.axes[:5]] == titles
    np.testing.assert_array_equal(shown(fig.axes[3]), images[3])


def test_image_grid_float_pixels_and_gray(rng):
    floats = rng.uniform(0, 255, size=(2, 4, 4, 3))
    fig = plot_image_grid(floats)
    np.testing.assert_array_equal(shown(fig.axes[1]), np.rint(floats[1]).astype(np.uint8))
    gray = rng.uniform(0, 255, size=(3, 5, 5))
    fig = plot_image_grid(gray)
    assert len(fig.axes) == 3
    assert fig.axes[0].get_images()[0].get_cmap().name == "gray"


def test_image_grid_into_given_axes(images):
    fig, axes = plt.subplots(2, 2)
    assert plot_image_grid(images[:3], ax=axes) is fig
    assert sum(len(ax.get_images()) for ax in fig.axes) == 3
    with pytest.raises(ValueError, match="ax holds 4 axes but there are 5 images"):
        plot_image_grid(images[:5], ax=axes)


def test_image_grid_bad_arguments(images):
    with pytest.raises(ValueError, match="2 titles for 3 images"):
        plot_image_grid(images[:3], titles=["a", "b"])
    with pytest.raises(ValueError, match=r"image 0 has shape \(192,\).*reshape"):
        plot_image_grid(images.reshape(12, -1))
    with pytest.raises(ValueError, match="empty"):
        plot_image_grid([])


# --- plot_class_samples -----------------------------------------------------------------------


def test_class_samples_grid(images):
    y = np.arange(12) % 3
    fig = plot_class_samples(images, y, CLASS_NAMES, samples_per_class=4, seed=1)
    assert len(fig.axes) == 4 * 3
    assert [fig.axes[c].get_title() for c in range(3)] == list(CLASS_NAMES)  # top row, row-major
    for n, ax in enumerate(fig.axes):
        label = n % 3
        shown_image = shown(ax)
        matches = [i for i in range(12) if np.array_equal(images[i], shown_image)]
        assert matches and all(y[i] == label for i in matches)


def test_class_samples_seeded_and_short_classes(images):
    y = np.array([0] * 10 + [1, 2])
    first = plot_class_samples(images, y, CLASS_NAMES, samples_per_class=3, seed=5)
    second = plot_class_samples(images, y, CLASS_NAMES, samples_per_class=3, seed=5)
    for a, b in zip(first.axes, second.axes, strict=True):
        assert len(a.get_images()) == len(b.get_images())
        if a.get_images():
            np.testing.assert_array_equal(shown(a), shown(b))
    assert sum(len(ax.get_images()) for ax in first.axes) == 3 + 1 + 1  # classes 1, 2 have one image


def test_class_samples_float_pixels(images):
    fig = plot_class_samples(images.astype(np.float64), np.zeros(12, dtype=int), ["only"], samples_per_class=2)
    assert shown(fig.axes[0]).dtype == np.uint8


def test_class_samples_bad_arguments(images):
    with pytest.raises(ValueError, match=r"\(N, H, W, 3\).*reshape"):
        plot_class_samples(images.reshape(12, -1), np.zeros(12, dtype=int), CLASS_NAMES)
    with pytest.raises(ValueError, match=r"y must be shape \(12,\)"):
        plot_class_samples(images, np.zeros(5, dtype=int), CLASS_NAMES)
    with pytest.raises(ValueError, match="labels from 0 to 3 but there are 3 classes"):
        plot_class_samples(images, np.arange(12) % 4, CLASS_NAMES)
    with pytest.raises(ValueError, match="samples_per_class must be a positive integer"):
        plot_class_samples(images, np.zeros(12, dtype=int), CLASS_NAMES, samples_per_class=0)


# --- plot_weight_templates --------------------------------------------------------------------


@pytest.mark.parametrize("with_bias", [False, True])
def test_weight_templates_show_rescaled_columns(rng, with_bias):
    image_shape = (4, 5, 3)
    W = rng.normal(size=(60 + with_bias, 3))
    if with_bias:
        W[-1] = 1e6  # a huge bias would dominate the rescaling if it were not dropped
    fig = plot_weight_templates(W, CLASS_NAMES, image_shape=image_shape)
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == list(CLASS_NAMES)
    for c, ax in enumerate(fig.axes):
        expected = np.rint(rescale(W[:60, c].reshape(image_shape))).astype(np.uint8)
        np.testing.assert_array_equal(shown(ax), expected)


def test_weight_templates_ten_classes_in_two_rows(rng):
    fig = plot_weight_templates(rng.normal(size=(3073, 10)), [str(c) for c in range(10)])
    assert len(fig.axes) == 10
    assert all(shown(ax).shape == (32, 32, 3) for ax in fig.axes)


def test_weight_templates_wrong_shapes(rng):
    with pytest.raises(ValueError, match=r"W has 100 rows.*3072 rows \(3073 with the bias row\)"):
        plot_weight_templates(rng.normal(size=(100, 3)), CLASS_NAMES)
    with pytest.raises(ValueError, match="W has 3 columns .* but 2 class names"):
        plot_weight_templates(rng.normal(size=(3073, 3)), CLASS_NAMES[:2])
    with pytest.raises(ValueError, match="2-D array"):
        plot_weight_templates(rng.normal(size=3073), CLASS_NAMES)


# --- plot_loss_curve --------------------------------------------------------------------------


def test_loss_curve_plain():
    losses = [3.0, 2.5, 2.0, 1.8]
    fig = plot_loss_curve(losses)
    (ax,) = fig.axes
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(4))
    np.testing.assert_array_equal(line.get_ydata(), losses)
    assert ax.get_xlabel() == "iteration" and ax.get_ylabel() == "loss"
    assert ax.get_legend() is None


def test_loss_curve_smoothed_into_given_axes():
    fig, ax = plt.subplots()
    losses = np.array([4.0, 2.0, 3.0, 1.0, 2.0])
    assert plot_loss_curve(losses, ax=ax, label="run 1", smooth=2) is fig
    raw, average = ax.get_lines()
    np.testing.assert_array_equal(raw.get_ydata(), losses)
    np.testing.assert_array_equal(average.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(average.get_ydata(), [3.0, 2.5, 2.0, 1.5])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["run 1"]


@pytest.mark.parametrize("smooth", [0, 6, 2.5])
def test_loss_curve_bad_smooth(smooth):
    with pytest.raises(ValueError, match="smooth must be a whole number of iterations from 1 to 5"):
        plot_loss_curve([1.0, 2.0, 3.0, 4.0, 5.0], smooth=smooth)


def test_loss_curve_empty():
    with pytest.raises(ValueError, match="non-empty 1-D"):
        plot_loss_curve([])


# --- plot_cross_validation --------------------------------------------------------------------


def test_cross_validation_points_and_means():
    k_to_accuracies = {5: [0.3, 0.4, 0.5], 1: [0.2, 0.2, 0.2], 10: [0.25, 0.35, 0.3]}
    fig = plot_cross_validation(k_to_accuracies)
    (ax,) = fig.axes
    (dots,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(dots.get_offsets()) == 9
    assert sorted(map(tuple, np.asarray(dots.get_offsets()))) == sorted(
        (k, a) for k, accuracies in k_to_accuracies.items() for a in accuracies
    )
    (errorbar,) = ax.containers
    mean_line = errorbar.lines[0]
    np.testing.assert_array_equal(mean_line.get_xdata(), [1, 5, 10])
    np.testing.assert_allclose(np.asarray(mean_line.get_ydata(), dtype=float), [0.2, 0.4, 0.3])
    assert ax.get_xlabel().startswith("k")


def test_cross_validation_bad_input():
    with pytest.raises(ValueError, match="k_to_accuracies is empty"):
        plot_cross_validation({})
    with pytest.raises(ValueError, match="k = 3 has no fold accuracies"):
        plot_cross_validation({1: [0.5], 3: []})


# --- plot_hyperparameter_grid -----------------------------------------------------------------


@pytest.fixture
def tuning_results() -> dict:
    return {
        (1e-7, 2.5e4): (0.30, 0.28),
        (1e-7, 5e4): (0.33, 0.31),
        (5e-7, 2.5e4): (0.39, 0.37),
        (5e-7, 5e4): (0.36, 0.35),
    }


@pytest.mark.parametrize("metric, column", [("validation", 1), ("training", 0)])
def test_hyperparameter_grid_colours(tuning_results, metric, column):
    fig = plot_hyperparameter_grid(tuning_results, metric=metric)
    assert len(fig.axes) == 2  # the plot and its colour bar
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    points = ax.collections[0]
    np.testing.assert_allclose(points.get_offsets(), list(tuning_results))
    np.testing.assert_allclose(points.get_array(), [v[column] for v in tuning_results.values()])
    best = ax.collections[1]
    np.testing.assert_allclose(best.get_offsets(), [(5e-7, 2.5e4)])
    assert metric in fig.axes[1].get_ylabel()


def test_hyperparameter_grid_bad_input(tuning_results):
    with pytest.raises(ValueError, match="must be positive to be drawn on log axes"):
        plot_hyperparameter_grid({(0.0, 1.0): (0.1, 0.1)})
    with pytest.raises(ValueError, match="results is empty"):
        plot_hyperparameter_grid({})
    with pytest.raises(ValueError, match=r"\(train_accuracy, val_accuracy\) pairs"):
        plot_hyperparameter_grid({(1e-7, 1e4): 0.3})
    with pytest.raises(ValueError, match='metric must be "validation" or "training"'):
        plot_hyperparameter_grid(tuning_results, metric="test")


# --- plot_distance_matrix ---------------------------------------------------------------------


def test_distance_matrix_image(rng):
    dists = rng.uniform(size=(4, 7))
    fig = plot_distance_matrix(dists)
    assert len(fig.axes) == 2  # the image and its colour bar
    ax = fig.axes[0]
    np.testing.assert_array_equal(shown(ax), dists)
    assert ax.get_images()[0].get_cmap().name == "gray"
    assert "training" in ax.get_xlabel() and "test" in ax.get_ylabel()


def test_distance_matrix_wrong_shape():
    with pytest.raises(ValueError, match=r"\(num_test, num_train\); got shape \(5,\)"):
        plot_distance_matrix(np.zeros(5))


# --- confusion matrix -------------------------------------------------------------------------


def test_confusion_matrix_counts():
    y_true = np.array([0, 0, 1, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 2, 0])
    counts = confusion_matrix(y_true, y_pred, 3)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 2, 1], [1, 0, 1]])
    assert counts.sum() == 7


def test_plot_confusion_matrix(rng):
    y_true = rng.integers(0, 3, size=50)
    y_pred = np.where(rng.uniform(size=50) < 0.7, y_true, rng.integers(0, 3, size=50))
    fig = plot_confusion_matrix(y_true, y_pred, CLASS_NAMES)
    (ax,) = fig.axes
    expected = np.array([[np.sum((y_true == i) & (y_pred == j)) for j in range(3)] for i in range(3)])
    np.testing.assert_array_equal(shown(ax), expected)
    assert [t.get_text() for t in ax.texts] == [str(n) for n in expected.ravel()]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(CLASS_NAMES)
    assert f"{np.mean(y_true == y_pred):.3f}" in ax.get_title()


def test_confusion_matrix_bad_labels():
    with pytest.raises(ValueError, match=r"y_pred must be shape \(3,\)"):
        confusion_matrix([0, 1, 2], [0, 1], 3)
    with pytest.raises(ValueError, match="labels from 0 to 5 but there are 3 classes"):
        plot_confusion_matrix([0, 1, 2], [0, 1, 5], CLASS_NAMES)
    with pytest.raises(TypeError, match="integer class labels"):
        confusion_matrix([0.5, 1.0], [0, 1], 3)


def test_module_public_names():
    for name in ("visualize_grid", "plot_image_grid", "plot_class_samples", "plot_weight_templates",
                 "plot_loss_curve", "plot_cross_validation", "plot_hyperparameter_grid",
                 "plot_distance_matrix", "plot_confusion_matrix"):
        assert callable(getattr(vis_utils, name))
