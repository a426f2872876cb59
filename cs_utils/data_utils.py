"""Load CIFAR-10 from the official "python version" files and build the usual splits.

The official release unpacks to a folder ``cifar-10-batches-py/`` holding five training batches
``data_batch_1`` … ``data_batch_5``, one ``test_batch`` and ``batches.meta``. Each batch is a
pickled dictionary with ``data``, a uint8 array of shape (n, 3072) storing the red, green and blue
32×32 planes of each image one after another, and ``labels``, a list of n ints in [0, 10).

Where the data is looked for, in order:

1. the ``root`` argument;
2. the environment variable ``CIFAR10_DIR`` (the ``cifar-10-batches-py`` folder itself);
3. ``datasets/cifar-10-batches-py`` in the kit, where ``get_datasets.sh`` puts it.
"""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

#: Names of the ten classes, in label order.
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
#: Height, width and colour channels of one image.
IMAGE_SHAPE = (32, 32, 3)
#: The default location, filled by ``get_datasets.sh``.
DEFAULT_CIFAR10_DIR = Path(__file__).resolve().parent.parent / "datasets" / "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{b}" for b in range(1, 6))
TEST_BATCH = "test_batch"


class DatasetNotFoundError(FileNotFoundError):
    """CIFAR-10 is not where it was looked for."""


class DatasetCorruptError(ValueError):
    """A CIFAR-10 batch file exists but is not a valid batch."""


def cifar10_dir(root: str | os.PathLike | None = None) -> Path:
    """Resolve where CIFAR-10 lives: ``root``, else ``$CIFAR10_DIR``, else the kit's default.

    Returns
    -------
    Path
        The ``cifar-10-batches-py`` folder (not checked for existence).
    """
    if root is not None:
        return Path(root)
    from_environment = os.environ.get("CIFAR10_DIR")
    if from_environment:
        return Path(from_environment)
    return DEFAULT_CIFAR10_DIR


def read_CIFAR_batch(filename: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read one CIFAR-10 batch file as it is stored: uint8 pixels in colour planes.

    Parameters
    ----------
    filename : path
        A ``data_batch_*`` or ``test_batch`` file.

    Returns
    -------
    data : ndarray of shape (n, 3072), uint8
        Each row holds the 1024 red values of one image, then the green, then the blue ones.
    y : ndarray of shape (n,), int64
        Labels in [0, 10).

    Raises
    ------
    DatasetCorruptError
        If the file cannot be read as a CIFAR-10 batch.
    """
    path = Path(filename)
    try:
        with open(path, "rb") as handle:
            batch = _BatchUnpickler(handle).load()
        data = np.asarray(batch["data"])
        labels = np.asarray(batch["labels"], dtype=np.int64)
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise DatasetCorruptError(_corrupt_message(path, f"{type(error).__name__}: {error}")) from error
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DatasetCorruptError(
            _corrupt_message(
                path, f"expected uint8 data of shape (n, 3072) and n labels; got {data.dtype} {data.shape}"
            )
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
        raise DatasetCorruptError(_corrupt_message(path, "labels outside 0..9"))
    return data, labels


def planes_to_images(data: np.ndarray) -> np.ndarray:
    """Turn rows of colour planes into float64 images, in one conversion.

    Parameters
    ----------
    data : ndarray of shape (n, 3072), uint8
        As stored in a batch file (see :func:`read_CIFAR_batch`).

    Returns
    -------
    ndarray of shape (n, 32, 32, 3), float64, C-contiguous
        Pixel values in [0, 255], height × width × RGB.
    """
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float64, order="C")  # planes -> HWC


def load_CIFAR_batch(filename: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Load one CIFAR-10 batch file.

    Parameters
    ----------
    filename : path
        A ``data_batch_*`` or ``test_batch`` file.

    Returns
    -------
    X : ndarray of shape (n, 32, 32, 3), float64
        Pixel values in [0, 255], height × width × RGB.
    y : ndarray of shape (n,), int64
        Labels in [0, 10).

    Raises
    ------
    DatasetCorruptError
        If the file cannot be read as a CIFAR-10 batch.
    """
    data, labels = read_CIFAR_batch(filename)
    return planes_to_images(data), labels


def load_CIFAR10(root: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load all of CIFAR-10.

    The batches are read as they are stored (uint8, 180 MB in all), the five training batches
    joined, and each split converted to float64 once: converting batch by batch and then joining
    1.2 GB of floats would take several times longer and twice the memory.

    Parameters
    ----------
    root : path, optional
        The ``cifar-10-batches-py`` folder; see the module docstring for the default.

    Returns
    -------
    Xtr : ndarray of shape (50000, 32, 32, 3), float64
    Ytr : ndarray of shape (50000,), int64
    Xte : ndarray of shape (10000, 32, 32, 3), float64
    Yte : ndarray of shape (10000,), int64

    Raises
    ------
    DatasetNotFoundError
        If a batch file is missing.
    DatasetCorruptError
        If a batch file is unreadable.
    """
    folder = cifar10_dir(root)
    missing = [name for name in (*TRAIN_BATCHES, TEST_BATCH) if not (folder / name).is_file()]
    if missing:
        raise DatasetNotFoundError(_not_found_message(folder, missing))
    parts = [read_CIFAR_batch(folder / name) for name in TRAIN_BATCHES]
    train_planes = np.concatenate([data for data, _ in parts])  # (50000, 3072) uint8
    Ytr = np.concatenate([labels for _, labels in parts])
    del parts  # the joined copy is all that is needed now
    test_planes, Yte = read_CIFAR_batch(folder / TEST_BATCH)
    return planes_to_images(train_planes), Ytr, planes_to_images(test_planes), Yte


def prepare_cifar10_splits(
    root: str | os.PathLike | None = None,
    num_training: int = 49000,
    num_validation: int = 1000,
    num_test: int = 1000,
    num_dev: int = 500,
    subtract_mean: bool = True,
    add_bias: bool = True,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Load CIFAR-10 and build the splits used to train linear classifiers.

    * train: the first ``num_training`` training images;
    * val: the next ``num_validation`` training images;
    * test: the first ``num_test`` test images;
    * dev: ``num_dev`` images drawn without replacement from train with ``seed``, a small set for
      fast checks of loss functions.

    Every image is flattened to 3072 values (height × width × RGB order). With
    ``subtract_mean`` the mean training image is subtracted from every split; with ``add_bias``
    a constant 1 is appended to every row (the bias trick), giving 3073 columns.

    Returns
    -------
    dict
        ``X_train`` (num_training, D) float64, ``y_train`` (num_training,) int64, and likewise
        ``X_val``/``y_val``, ``X_test``/``y_test``, ``X_dev``/``y_dev``; ``mean_image`` of shape
        (3072,) (zeros when ``subtract_mean`` is False). ``D`` is 3073 with the bias, else 3072.

    Raises
    ------
    ValueError
        If the data set is too small for the requested sizes.
    """
    Xtr, Ytr, Xte, Yte = load_CIFAR10(root)
    if num_training + num_validation > len(Xtr) or num_test > len(Xte) or num_dev > num_training:
        raise ValueError(
            f"Asked for {num_training} train + {num_validation} val images (have {len(Xtr)}), "
            f"{num_test} test (have {len(Xte)}) and {num_dev} dev (at most num_training); use smaller sizes."
        )
    X_train = Xtr[:num_training].reshape(num_training, -1)
    X_val = Xtr[num_training : num_training + num_validation].reshape(num_validation, -1)
    X_test = Xte[:num_test].reshape(num_test, -1)
    dev_rows = np.random.default_rng(seed).choice(num_training, num_dev, replace=False)
    X_dev = X_train[dev_rows]

    mean_image = X_train.mean(axis=0) if subtract_mean else np.zeros(X_train.shape[1])
    splits = {"train": X_train, "val": X_val, "test": X_test, "dev": X_dev}
    labels = {
        "train": Ytr[:num_training],
        "val": Ytr[num_training : num_training + num_validation],
        "test": Yte[:num_test],
        "dev": Ytr[:num_training][dev_rows],
    }
    result: dict[str, np.ndarray] = {"mean_image": mean_image}
    for name, X in splits.items():
        X = X - mean_image  # a new array: the loaded data is never changed in place
        if add_bias:
            X = np.hstack([X, np.ones((X.shape[0], 1))])
        result[f"X_{name}"] = X
        result[f"y_{name}"] = labels[name]
    return result


class _BatchUnpickler(pickle.Unpickler):
    """Unpickle a CIFAR-10 batch, refusing every global but what NumPy arrays need.

    The official batches are Python-2 pickles of dicts of strings, lists and NumPy arrays;
    nothing else may be constructed, so a tampered file cannot run code.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def __init__(self, handle) -> None:
        super().__init__(handle, encoding="latin1")  # Python-2 str -> str, bytes kept for arrays

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a CIFAR-10 batch")
        if module == "numpy.core.multiarray":
            module = "numpy._core.multiarray" if hasattr(np, "_core") else module  # NumPy 2 moved it
        return super().find_class(module, name)


def _not_found_message(folder: Path, missing: list[str]) -> str:
    inner = folder / DEFAULT_CIFAR10_DIR.name
    if all((inner / name).is_file() for name in (*TRAIN_BATCHES, TEST_BATCH)):
        return (
            f"CIFAR-10 is not in {folder} itself but in its subfolder {inner}: give that folder "
            f"instead (set CIFAR10_DIR={inner}, or pass root='{inner}')."
        )
    return (
        f"CIFAR-10 was not found in {folder} (missing: {', '.join(missing)}). "
        "Run 'bash get_datasets.sh' from the kit folder to download it, or set the "
        "environment variable CIFAR10_DIR to your 'cifar-10-batches-py' folder."
    )


def _corrupt_message(path: Path, detail: str) -> str:
    return (
        f"{path} is not a valid CIFAR-10 batch ({detail}). The download may be incomplete: delete "
        f"the folder {path.parent} and run 'bash get_datasets.sh' again."
    )
