"""Pictures for the assignment: images, learned templates, training curves and results.

Every plotting function draws with matplotlib and returns the :class:`~matplotlib.figure.Figure`
it drew on, so a notebook can show it, save it (``fig.savefig("knn.png")``) or draw more on it
(given axes that belong to a subfigure, it returns that ``SubFigure``).
A function that draws a single plot takes ``ax=None``: pass an ``Axes`` to draw into a figure of
your own (for example side by side with ``fig, (left, right) = plt.subplots(1, 2)``), or leave it
out and a new figure is made. Nothing here prints, and importing the module does not change the
matplotlib backend.

Images are arrays of shape (H, W, 3) (red, green, blue) or (H, W) (gray), and a batch of them
has shape (N, H, W, 3). Pixel values run from 0 to 255, stored as ``uint8`` or as floats
(``load_CIFAR10`` returns floats). Arrays whose values mean something else, such as weights or
mean-subtracted images, are *rescaled* before showing: each image is mapped linearly so that its
smallest value becomes 0 and its largest 255.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure


def rescale(a, ubound: float = 255.0) -> np.ndarray:
    """Map the values of ``a`` linearly onto ``[0, ubound]``.

    Parameters
    ----------
    a : array_like of any shape
        Numbers, e.g. one weight template of shape (32, 32, 3).
    ubound : float
        What the largest value becomes.

    Returns
    -------
    ndarray of the same shape as a, float64
        ``ubound * (a - a.min()) / (a.max() - a.min())``; all zeros if ``a`` is constant.

    Examples
    --------
    >>> rescale([-1.0, 0.0, 3.0])
    array([  0.  ,  63.75, 255.  ])
    """
    a = np.asarray(a, dtype=np.float64)
    low, high = a.min(), a.max()
    if high == low:
        return np.zeros_like(a)
    return ubound * (a - low) / (high - low)


def visualize_grid(Xs: np.ndarray, ubound: float = 255.0, padding: int = 1) -> np.ndarray:
    """Tile a batch of images into one square grid image.

    Parameters
    ----------
    Xs : ndarray of shape (N, H, W, C)
        The images; ``C`` is 3 for colour, 1 for gray.
    ubound : float
        Each image is rescaled on its own to ``[0, ubound]`` (see :func:`rescale`).
    padding : int
        Pixels of value 0 between neighbouring images.

    Returns
    -------
    grid : ndarray of shape (G*H + (G-1)*padding, G*W + (G-1)*padding, C), float64
        ``G = ceil(sqrt(N))`` images per row and per column, filled row by row; cells past the
        last image stay 0. Show it with ``plt.imshow(grid.astype("uint8"))``.

    Examples
    --------
    >>> visualize_grid(np.ones((5, 4, 4, 3)), padding=1).shape
    (14, 14, 3)
    """
    Xs = np.asarray(Xs)
    if Xs.ndim != 4 or Xs.shape[0] == 0:
        hint = " For gray images add a channel axis: Xs[..., np.newaxis]." if Xs.ndim == 3 else ""
        raise ValueError(f"Xs must have shape (N, H, W, C) with N >= 1; got shape {Xs.shape}.{hint}")
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ValueError(f"padding must be a non-negative integer; got {padding!r}.")
    num_images, height, width, channels = Xs.shape
    side = math.ceil(math.sqrt(num_images))  # G
    grid = np.zeros((side * height + (side - 1) * padding, side * width + (side - 1) * padding, channels))
    for n in range(num_images):
        row, col = divmod(n, side)
        top, left = row * (height + padding), col * (width + padding)
        grid[top : top + height, left : left + width] = rescale(Xs[n], ubound)
    return grid


def plot_image_grid(
    images,
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    ax=None,
    rescale_each: bool = False,
) -> Figure:
    """Show images in a grid, one small plot per image.

    Parameters
    ----------
    images : ndarray of shape (N, H, W, 3) or (N, H, W), or a sequence of N such images
        Pixel values 0..255 (``uint8`` or float; floats are rounded and clipped to 0..255).
    titles : sequence of N str, optional
        A title above each image.
    ncols : int, optional
        Images per row of a new figure; default ``min(N, 10)``. Ignored when ``ax`` is given.
    ax : array_like of Axes, optional
        At least N axes to draw into, in order (e.g. ``plt.subplots(2, 5)[1]``); axes left over
        are switched off. By default a new figure with a grid of ``ncols`` columns is made.
    rescale_each : bool
        Rescale each image to 0..255 first (for weights or mean-subtracted images).

    Returns
    -------
    Figure
    """
    images = [np.asarray(image) for image in images]
    if not images:
        raise ValueError("images is empty; there is nothing to show.")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(titles)} titles for {len(images)} images; give one title per image.")
    if ax is None:
        ncols = min(len(images), 10) if ncols is None else ncols
        _check_positive_int(ncols, "ncols")
        nrows = math.ceil(len(images) / ncols)
        fig, ax = plt.subplots(nrows, ncols, figsize=(1.4 * ncols, 1.5 * nrows), squeeze=False, layout="constrained")
    axes = list(np.ravel(ax))
    if len(axes) < len(images):
        raise ValueError(f"ax holds {len(axes)} axes but there are {len(images)} images; pass at least one per image.")
    for n, axis in enumerate(axes):
        if n < len(images):
            _show_image(axis, images[n], None if titles is None else titles[n], rescale_each, f"image {n}")
        else:
            axis.axis("off")
    return axes[0].figure


def plot_class_samples(
    X: np.ndarray, y: np.ndarray, class_names: Sequence[str], samples_per_class: int = 7, seed=0
) -> Figure:
    """Show a few random training images of every class, one column per class.

    Parameters
    ----------
    X : ndarray of shape (N, H, W, 3)
        Images, pixel values 0..255 (``uint8`` or float), e.g. CIFAR-10's (N, 32, 32, 3).
    y : ndarray of shape (N,), ints in [0, C)
        The class of each image.
    class_names : sequence of C str
        Column titles, in label order.
    samples_per_class : int
        Rows of the grid. A class with fewer images leaves its lower cells empty.
    seed : int, numpy Generator or None
        Chooses the images, through ``np.random.default_rng(seed)``; the global ``np.random``
        state is not used.

    Returns
    -------
    Figure
        ``samples_per_class`` rows by C columns of axes.
    """
    X = np.asarray(X)
    if X.ndim != 4 or X.shape[-1] != 3:
        hint = " Reshape flat rows first: X.reshape(-1, 32, 32, 3)." if X.ndim == 2 else ""
        raise ValueError(f"X must hold colour images of shape (N, H, W, 3); got shape {X.shape}.{hint}")
    y = _labels(y, len(X), len(class_names), "y")
    _check_positive_int(samples_per_class, "samples_per_class")
    rng = np.random.default_rng(seed)
    num_classes = len(class_names)
    fig, axes = plt.subplots(
        samples_per_class,
        num_classes,
        figsize=(1.1 * num_classes, 1.1 * samples_per_class + 0.3),
        squeeze=False,
        layout="constrained",
    )
    for label, name in enumerate(class_names):
        members = np.flatnonzero(y == label)
        chosen = rng.choice(members, size=min(samples_per_class, len(members)), replace=False)
        for row in range(samples_per_class):
            axis = axes[row, label]
            if row < len(chosen):
                _show_image(axis, X[chosen[row]], name if row == 0 else None, False, f"X[{chosen[row]}]")
            else:
                axis.axis("off")
    return fig


def plot_weight_templates(
    W: np.ndarray, class_names: Sequence[str], image_shape: tuple[int, ...] = (32, 32, 3)
) -> Figure:
    """Show each column of a linear classifier's weights as an image: what the class "looks for".

    Parameters
    ----------
    W : ndarray of shape (D, C) or (D + 1, C)
        Weights, one column per class, with ``D = prod(image_shape)``. A last extra row is the
        bias (the weight of the constant feature) and is left out of the picture.
    class_names : sequence of C str
        Titles, in column order.
    image_shape : tuple of int
        Shape of one image before it was flattened into a row of X.

    Returns
    -------
    Figure
        One axes per class, at most 5 per row; each shows its column rescaled to 0..255 (see
        :func:`rescale`) and rounded to ``uint8``.
    """
    W = np.asarray(W)
    pixels = math.prod(image_shape)  # D
    if W.ndim != 2:
        raise ValueError(f"W must be a 2-D array of shape ({pixels}, C) or ({pixels + 1}, C); got shape {W.shape}.")
    if W.shape[0] not in (pixels, pixels + 1):
        raise ValueError(
            f"W has {W.shape[0]} rows but images of shape {tuple(image_shape)} have {pixels} pixel values, so W "
            f"needs {pixels} rows ({pixels + 1} with the bias row). Pass the image_shape X was flattened from."
        )
    if W.shape[1] != len(class_names):
        raise ValueError(f"W has {W.shape[1]} columns (one per class) but {len(class_names)} class names were given.")
    templates = W[:pixels].T.reshape(W.shape[1], *image_shape)  # (C, *image_shape), bias row dropped
    return plot_image_grid(templates, titles=list(class_names), ncols=min(len(class_names), 5), rescale_each=True)


def plot_loss_curve(
    loss_history, ax: Axes | None = None, label: str | None = None, smooth: int | None = None
) -> Figure | SubFigure:
    """Plot the loss against the iteration number.

    Parameters
    ----------
    loss_history : sequence of float, length T
        The loss after each iteration, e.g. what ``LinearClassifier.train`` returns.
    ax : Axes, optional
        Where to draw; a new figure by default.
    label : str, optional
        Legend entry, for comparing several runs on one ``ax``.
    smooth : int, optional
        Also draw the moving average over this many iterations (the raw curve is then drawn
        faintly). Minibatch losses are noisy; the average shows the trend.

    Returns
    -------
    Figure
    """
    losses = np.asarray(loss_history, dtype=np.float64)
    if losses.ndim != 1 or losses.size == 0:
        raise ValueError(f"loss_history must be a non-empty 1-D sequence of numbers; got shape {losses.shape}.")
    ax = _axes(ax)
    iterations = np.arange(len(losses))
    if smooth is None:
        ax.plot(iterations, losses, label=label)
    else:
        if isinstance(smooth, bool) or not isinstance(smooth, (int, np.integer)) or not 1 <= smooth <= len(losses):
            raise ValueError(f"smooth must be a whole number of iterations from 1 to {len(losses)}; got {smooth!r}.")
        (raw,) = ax.plot(iterations, losses, alpha=0.3)
        average = np.convolve(losses, np.ones(smooth) / smooth, mode="valid")  # (T - smooth + 1,)
        ax.plot(iterations[smooth - 1 :], average, color=raw.get_color(), label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    if label is not None:
        ax.legend()
    return ax.figure


def plot_cross_validation(k_to_accuracies: Mapping[int, Sequence[float]], ax: Axes | None = None) -> Figure | SubFigure:
    """Plot the accuracy of every fold, and their mean and standard deviation, against k.

    Parameters
    ----------
    k_to_accuracies : dict of int to sequence of float
        For each tried ``k``, the validation accuracy of each fold.
    ax : Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    Figure
        Dots for the folds (one collection) and a line with error bars for the means.
    """
    if not k_to_accuracies:
        raise ValueError("k_to_accuracies is empty; it should map each k to its list of fold accuracies.")
    ks = sorted(k_to_accuracies)
    folds = [np.asarray(k_to_accuracies[k], dtype=np.float64).ravel() for k in ks]
    for k, accuracies in zip(ks, folds, strict=True):
        if accuracies.size == 0:
            raise ValueError(f"k = {k} has no fold accuracies; every k needs at least one.")
    ax = _axes(ax)
    ax.scatter(np.repeat(ks, [len(a) for a in folds]), np.concatenate(folds), color="gray", s=12, label="one fold")
    means = np.array([a.mean() for a in folds])
    stds = np.array([a.std() for a in folds])
    ax.errorbar(ks, means, yerr=stds, fmt="-o", capsize=3, label="mean ± standard deviation")
    ax.set_xlabel("k (number of neighbours)")
    ax.set_ylabel("cross-validation accuracy")
    ax.set_title("Cross-validation on k")
    ax.legend()
    return ax.figure


def plot_hyperparameter_grid(
    results: Mapping[tuple[float, float], tuple[float, float]], ax: Axes | None = None, metric: str = "validation"
) -> Figure | SubFigure:
    """Show the accuracy of each (learning rate, regularization) pair as a coloured log-log scatter.

    Parameters
    ----------
    results : dict of (float, float) to (float, float)
        ``(learning_rate, reg) -> (train_accuracy, val_accuracy)``; both rates positive.
    ax : Axes, optional
        Where to draw; a new figure by default. A colour bar is added next to it.
    metric : {"validation", "training"}
        Which accuracy gives the colour. The best pair is circled.

    Returns
    -------
    Figure
    """
    if metric not in ("validation", "training"):
        raise ValueError(f'metric must be "validation" or "training"; got {metric!r}.')
    if not results:
        raise ValueError("results is empty; it should map (learning_rate, reg) to (train_accuracy, val_accuracy).")
    try:
        keys = np.array(list(results.keys()), dtype=np.float64)  # (P, 2)
        values = np.array(list(results.values()), dtype=np.float64)  # (P, 2)
    except ValueError as error:
        raise ValueError(
            "results must map (learning_rate, reg) pairs to (train_accuracy, val_accuracy) pairs."
        ) from error
    if keys.shape != (len(results), 2) or values.shape != (len(results), 2):
        raise ValueError("results must map (learning_rate, reg) pairs to (train_accuracy, val_accuracy) pairs.")
    if np.any(keys <= 0):
        raise ValueError("learning rates and regularization strengths must be positive to be drawn on log axes.")
    learning_rates, regs = keys[:, 0], keys[:, 1]
    accuracy = values[:, 1] if metric == "validation" else values[:, 0]
    ax = _axes(ax)
    points = ax.scatter(learning_rates, regs, c=accuracy, cmap="viridis", s=80)
    best = int(np.argmax(accuracy))
    ax.scatter(learning_rates[best], regs[best], s=250, facecolors="none", edgecolors="red", label="best")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("regularization strength")
    ax.set_title(f"{metric.capitalize()} accuracy (best {accuracy[best]:.3f})")
    ax.figure.colorbar(points, ax=ax, label=f"{metric} accuracy")
    ax.legend()
    return ax.figure


def plot_distance_matrix(dists: np.ndarray, ax: Axes | None = None) -> Figure | SubFigure:
    """Show a (num_test, num_train) distance matrix as a gray image: dark is near, light is far.

    Parameters
    ----------
    dists : ndarray of shape (num_test, num_train)
        ``dists[i, j]`` is the distance between test example i and training example j.
    ax : Axes, optional
        Where to draw; a new figure by default. A colour bar is added next to it.

    Returns
    -------
    Figure
    """
    dists = np.asarray(dists)
    if dists.ndim != 2 or dists.size == 0:
        raise ValueError(
            f"dists must be a non-empty 2-D array of shape (num_test, num_train); got shape {dists.shape}."
        )
    ax = _axes(ax)
    image = ax.imshow(dists, cmap="gray", aspect="auto", interpolation="nearest")
    ax.set_xlabel("training example j")
    ax.set_ylabel("test example i")
    ax.set_title("Distances between test and training examples")
    ax.figure.colorbar(image, ax=ax, label="distance")
    return ax.figure


def confusion_matrix(y_true, y_pred, num_classes: int) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true, y_pred : array_like of shape (N,), ints in [0, num_classes)
        The correct and the predicted class of each example.
    num_classes : int
        C.

    Returns
    -------
    counts : ndarray of shape (C, C), int64
        ``counts[i, j]`` examples of class i were predicted as class j; the diagonal counts the
        correct predictions.

    Examples
    --------
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 2], num_classes=3)
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 0, 1]])
    """
    y_true = _labels(y_true, None, num_classes, "y_true")
    y_pred = _labels(y_pred, len(y_true), num_classes, "y_pred")
    pairs = y_true * num_classes + y_pred  # one number per (true, predicted) pair
    return np.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def plot_confusion_matrix(y_true, y_pred, class_names: Sequence[str], ax: Axes | None = None) -> Figure | SubFigure:
    """Show the confusion matrix (see :func:`confusion_matrix`) with its counts written in.

    Parameters
    ----------
    y_true, y_pred : array_like of shape (N,), ints in [0, C)
        The correct and the predicted class of each example.
    class_names : sequence of C str
        Tick labels, in label order.
    ax : Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    Figure
        Rows are true classes, columns predicted ones; the title gives the accuracy.
    """
    num_classes = len(class_names)
    counts = confusion_matrix(y_true, y_pred, num_classes)
    ax = _axes(ax)
    ax.imshow(counts, cmap="Blues")
    for i in range(num_classes):
        for j in range(num_classes):
            dark_cell = counts[i, j] > counts.max() / 2
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", color="white" if dark_cell else "black")
    ax.set_xticks(range(num_classes), labels=list(class_names), rotation=45, ha="right")
    ax.set_yticks(range(num_classes), labels=list(class_names))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    ax.set_title(f"Confusion matrix (accuracy {accuracy:.3f})")
    return ax.figure


def _axes(ax: Axes | None) -> Axes:
    """The given axes, or the single axes of a new figure."""
    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    return ax


def _show_image(ax: Axes, image: np.ndarray, title: str | None, rescale_each: bool, name: str) -> None:
    """Draw one (H, W, 3) or (H, W) image of 0..255 values on ``ax``, without ticks."""
    if not (image.ndim == 2 or (image.ndim == 3 and image.shape[-1] == 3)):
        raise ValueError(
            f"{name} has shape {image.shape}; an image must have shape (H, W, 3) or (H, W). "
            "Reshape flat rows first, e.g. X.reshape(-1, 32, 32, 3)."
        )
    if rescale_each:
        image = rescale(image)
    if image.dtype != np.uint8:
        image = np.clip(np.rint(image), 0, 255).astype(np.uint8)  # imshow reads floats as 0..1
    if image.ndim == 2:
        ax.imshow(image, cmap="gray", vmin=0, vmax=255)
    else:
        ax.imshow(image)
    ax.axis("off")
    if title is not None:
        ax.set_title(title, fontsize=9)


def _check_positive_int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}.")


def _labels(y, length: int | None, num_classes: int, name: str) -> np.ndarray:
    """``y`` as a 1-D int array of class labels in [0, num_classes), checked."""
    y = np.asarray(y)
    if y.ndim != 1 or (length is not None and len(y) != length):
        expected = "a 1-D array" if length is None else f"shape ({length},), one label per example"
        raise ValueError(f"{name} must be {expected}; got shape {y.shape}.")
    if y.size and y.dtype.kind not in "iu":
        if y.dtype.kind != "f" or np.any(y != np.round(y)):
            raise TypeError(f"{name} must hold integer class labels; got dtype {y.dtype}.")
        y = y.astype(np.int64)
    y = y.astype(np.int64, copy=False)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"{name} holds labels from {y.min()} to {y.max()} but there are {num_classes} classes "
            f"(labels 0..{num_classes - 1}); check class_names."
        )
    return y
