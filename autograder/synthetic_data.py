"""A small synthetic CIFAR-10 written in the exact official "python version" format.

Used wherever the real data set must not or cannot be downloaded: the tests, the notebooks'
CI run, the offline demo. The files are byte-for-byte the kind the official tarball holds:
protocol-2 pickles with Python-2 ``str`` opcodes (so they load with ``encoding='latin1'`` or
``'bytes'`` and fail with the default encoding, like the real ones), ``data`` a C-ordered uint8
array of shape (n, 3072) in R, G, B planes, ``labels`` a list of ints.

The images are not noise: each class has its own smooth colour template and every image is a
shifted, brightened, noisy copy of its template, so a classifier learns something and the
notebooks' plots look like plots of a real run.
"""
from __future__ import annotations

import io
import pickle
import struct
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np

CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
BATCHES_FOLDER = "cifar-10-batches-py"


def synthetic_images(num_images: int, rng: np.random.Generator, templates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Draw labelled images around the class templates.

    Parameters
    ----------
    num_images : int
    rng : numpy.random.Generator
    templates : ndarray of shape (10, 32, 32, 3), float

    Returns
    -------
    images : ndarray of shape (num_images, 32, 32, 3), uint8
    labels : ndarray of shape (num_images,), int64, every class equally often (up to one)
    """
    labels = rng.permutation(np.arange(num_images) % len(CLASS_NAMES))
    shifts = rng.integers(-3, 4, size=(num_images, 2))
    images = np.empty((num_images, 32, 32, 3))
    for n, (label, (dy, dx)) in enumerate(zip(labels, shifts, strict=True)):
        images[n] = np.roll(templates[label], (dy, dx), axis=(0, 1))
    images *= rng.uniform(0.7, 1.3, size=(num_images, 1, 1, 1))  # brightness
    images += rng.normal(0.0, 40.0, size=images.shape)  # pixel noise
    return np.clip(images, 0, 255).astype(np.uint8), labels.astype(np.int64)


def class_templates(rng: np.random.Generator) -> np.ndarray:
    """Ten smooth colour images, one per class: shape (10, 32, 32, 3), values in [0, 255]."""
    coarse = rng.uniform(0, 255, size=(len(CLASS_NAMES), 4, 4, 3))
    return coarse.repeat(8, axis=1).repeat(8, axis=2)  # 4x4 blocks of 8x8 pixels


def write_synthetic_cifar10(
    out_dir: str | Path, images_per_batch: int = 100, test_images: int = 100, seed: int = 0
) -> Path:
    """Write a synthetic ``cifar-10-batches-py`` folder.

    Parameters
    ----------
    out_dir : path
        Parent folder; ``out_dir/cifar-10-batches-py`` is created.
    images_per_batch : int
        Images in each of the five training batches (the real ones hold 10000).
    test_images : int
        Images in ``test_batch``.
    seed : int
        The same seed writes the same bytes.

    Returns
    -------
    Path
        The ``cifar-10-batches-py`` folder.
    """
    rng = np.random.default_rng(seed)
    templates = class_templates(rng)
    folder = Path(out_dir) / BATCHES_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]
    for index, name in enumerate(names):
        count = test_images if name == "test_batch" else images_per_batch
        images, labels = synthetic_images(count, rng, templates)
        label = "testing batch 1 of 1" if name == "test_batch" else f"training batch {index + 1} of 5"
        batch = {
            b"batch_label": label.encode(),
            b"labels": [int(v) for v in labels],
            b"data": np.ascontiguousarray(images.transpose(0, 3, 1, 2).reshape(count, 3072)),
            b"filenames": [f"synthetic_{CLASS_NAMES[v]}_{n:05d}.png".encode() for n, v in enumerate(labels)],
        }
        (folder / name).write_bytes(python2_pickle(batch))
    meta = {
        b"num_cases_per_batch": images_per_batch,
        b"label_names": [name.encode() for name in CLASS_NAMES],
        b"num_vis": 3072,
    }
    (folder / "batches.meta").write_bytes(python2_pickle(meta))
    return folder


def write_cifar10_tarball(batches_folder: str | Path, tarball: str | Path) -> Path:
    """Pack a ``cifar-10-batches-py`` folder the way the official ``cifar-10-python.tar.gz`` is."""
    batches_folder, tarball = Path(batches_folder), Path(tarball)
    with tarfile.open(tarball, "w:gz") as archive:
        archive.add(batches_folder, arcname=BATCHES_FOLDER)
    return tarball


def python2_pickle(obj: object) -> bytes:
    """Pickle ``obj`` with protocol 2 as Python 2's cPickle did (bytes as Python-2 ``str``)."""
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


class _Python2Pickler(pickle._Pickler):
    """Protocol-2 pickler that writes ``bytes`` with the Python-2 string opcodes.

    Python 3 writes protocol-2 ``bytes`` as a call to ``_codecs.encode``; Python 2 wrote
    ``SHORT_BINSTRING``/``BINSTRING``, which is what the official batches contain. NumPy's
    ``_reconstruct`` is named by its NumPy-1 module path, as in the official files.
    """

    # typeshed types the private dispatch table as taking an Unpickler and leaves out the private
    # helpers write/memoize/save_global; these declarations (no runtime effect) describe them.
    dispatch: ClassVar[dict[type, Callable[..., None]]] = pickle._Pickler.dispatch.copy()
    write: Callable[[bytes], object]
    memoize: Callable[[object], None]

    def save_python2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_python2_str

    def save_global(self, obj, name=None) -> None:
        if getattr(obj, "__name__", None) == "_reconstruct":
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
            return
        super().save_global(obj, name)  # type: ignore[misc]  # private _Pickler method, not in typeshed

    dispatch[type(pickle.dumps)] = save_global  # builtin functions such as _reconstruct
