"""The CIFAR-10 loader on synthetic batches written in the exact official format."""
import pickle

import numpy as np
import pytest
from tolerances import assert_close

from autograder.synthetic_data import python2_pickle, write_synthetic_cifar10
from cs_utils import data_utils
from cs_utils.data_utils import (
    DatasetCorruptError,
    DatasetNotFoundError,
    load_CIFAR10,
    load_CIFAR_batch,
    prepare_cifar10_splits,
)


def test_round_trip_pixels_and_labels(synthetic_cifar10_dir):
    with open(synthetic_cifar10_dir / "data_batch_2", "rb") as handle:
        raw = pickle.load(handle, encoding="bytes")
    images, labels = load_CIFAR_batch(synthetic_cifar10_dir / "data_batch_2")
    assert images.shape == (60, 32, 32, 3) and images.dtype == np.float64
    assert labels.tolist() == raw[b"labels"]
    first = raw[b"data"][0]  # 1024 red values, then green, then blue, row by row
    assert images[0, 0, 0].tolist() == [first[0], first[1024], first[2048]]
    assert images[0, 2, 5, 1] == first[1024 + 2 * 32 + 5]


def test_official_format_details(synthetic_cifar10_dir):
    raw_bytes = (synthetic_cifar10_dir / "test_batch").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        pickle.loads(raw_bytes)  # like the official Python-2 pickles
    latin1 = pickle.loads(raw_bytes, encoding="latin1")
    assert set(latin1) == {"batch_label", "labels", "data", "filenames"}
    assert latin1["data"].dtype == np.uint8 and latin1["data"].flags.c_contiguous
    meta = pickle.loads((synthetic_cifar10_dir / "batches.meta").read_bytes(), encoding="bytes")
    assert meta[b"label_names"][0] == b"airplane" and meta[b"num_vis"] == 3072


def test_load_everything(synthetic_cifar10_dir):
    Xtr, Ytr, Xte, Yte = load_CIFAR10(synthetic_cifar10_dir)
    assert Xtr.shape == (300, 32, 32, 3) and Ytr.shape == (300,)
    assert Xte.shape == (100, 32, 32, 3) and Yte.shape == (100,)
    assert Ytr.dtype == np.int64 and set(Ytr.tolist()) == set(range(10))


def test_the_fast_loader_gives_the_arrays_of_batch_by_batch_loading(synthetic_cifar10_dir):
    """Reading uint8, joining, then converting once gives what converting each batch did, bit for bit."""
    parts = [load_CIFAR_batch(synthetic_cifar10_dir / f"data_batch_{b}") for b in range(1, 6)]
    expected_Xtr = np.concatenate([images for images, _ in parts])
    expected_Ytr = np.concatenate([labels for _, labels in parts])
    expected_Xte, expected_Yte = load_CIFAR_batch(synthetic_cifar10_dir / "test_batch")
    Xtr, Ytr, Xte, Yte = load_CIFAR10(synthetic_cifar10_dir)
    for got, expected in ((Xtr, expected_Xtr), (Ytr, expected_Ytr), (Xte, expected_Xte), (Yte, expected_Yte)):
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)  # integers in [0, 255]: exact in float64
    assert Xtr.flags.c_contiguous and Xte.flags.c_contiguous and not np.shares_memory(Xtr, Xte)
    data, labels = data_utils.read_CIFAR_batch(synthetic_cifar10_dir / "test_batch")
    assert data.dtype == np.uint8 and data.shape == (100, 3072)
    np.testing.assert_array_equal(data_utils.planes_to_images(data), expected_Xte)
    np.testing.assert_array_equal(labels, expected_Yte)


def test_environment_variable_and_argument(synthetic_cifar10_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("CIFAR10_DIR", str(synthetic_cifar10_dir))
    assert data_utils.cifar10_dir() == synthetic_cifar10_dir
    assert load_CIFAR10()[0].shape[0] == 300
    assert data_utils.cifar10_dir(tmp_path) == tmp_path
    monkeypatch.delenv("CIFAR10_DIR")
    assert data_utils.cifar10_dir() == data_utils.DEFAULT_CIFAR10_DIR


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"Run 'bash get_datasets.sh'.*CIFAR10_DIR"):
        load_CIFAR10(tmp_path)


def test_a_folder_one_level_too_high_is_recognised(synthetic_cifar10_dir):
    parent = synthetic_cifar10_dir.parent  # the folder that holds cifar-10-batches-py
    with pytest.raises(DatasetNotFoundError, match=r"but in its subfolder .*cifar-10-batches-py: give that folder"):
        load_CIFAR10(parent)


def test_truncated_batch_is_reported_as_corrupt(synthetic_cifar10_dir, tmp_path):
    broken = tmp_path / "data_batch_1"
    broken.write_bytes((synthetic_cifar10_dir / "data_batch_1").read_bytes()[:5000])
    with pytest.raises(DatasetCorruptError, match="not a valid CIFAR-10 batch.*get_datasets.sh"):
        load_CIFAR_batch(broken)


def test_pickle_with_code_is_refused(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (print, ("this must never run",))

    evil = tmp_path / "data_batch_1"
    evil.write_bytes(pickle.dumps({"data": Exploit(), "labels": []}, protocol=2))
    with pytest.raises(DatasetCorruptError, match=r"unexpected object (__builtin__|builtins)\.print"):
        load_CIFAR_batch(evil)


def test_wrong_shape_is_reported(tmp_path):
    bad = tmp_path / "data_batch_1"
    bad.write_bytes(python2_pickle({b"data": np.zeros((2, 10), dtype=np.uint8), b"labels": [0, 1]}))
    with pytest.raises(DatasetCorruptError, match=r"shape \(n, 3072\)"):
        load_CIFAR_batch(bad)


def test_splits(synthetic_cifar10_dir):
    splits = prepare_cifar10_splits(synthetic_cifar10_dir, num_training=250, num_validation=50, num_test=40, num_dev=30)
    Xtr, Ytr, Xte, _ = load_CIFAR10(synthetic_cifar10_dir)
    assert splits["X_train"].shape == (250, 3073) and splits["X_val"].shape == (50, 3073)
    assert splits["X_test"].shape == (40, 3073) and splits["X_dev"].shape == (30, 3073)
    np.testing.assert_array_equal(splits["X_train"][:, -1], 1.0)
    mean = Xtr[:250].reshape(250, -1).mean(axis=0)
    assert_close(splits["mean_image"], mean, 1e-12)
    assert_close(splits["X_val"][:, :-1], Xtr[250:300].reshape(50, -1) - mean, 1e-12)
    assert_close(splits["X_test"][:, :-1], Xte[:40].reshape(40, -1) - mean, 1e-12)
    np.testing.assert_array_equal(splits["y_val"], Ytr[250:300])
    # dev rows are training rows, chosen by the seed, without repeats
    again = prepare_cifar10_splits(synthetic_cifar10_dir, num_training=250, num_validation=50, num_test=40, num_dev=30)
    np.testing.assert_array_equal(splits["X_dev"], again["X_dev"])
    rows = {tuple(r) for r in splits["X_train"]}
    assert all(tuple(r) in rows for r in splits["X_dev"]) and len({tuple(r) for r in splits["X_dev"]}) == 30


def test_splits_without_mean_or_bias(synthetic_cifar10_dir):
    splits = prepare_cifar10_splits(
        synthetic_cifar10_dir, num_training=200, num_validation=10, num_test=10, num_dev=5,
        subtract_mean=False, add_bias=False,
    )
    assert splits["X_train"].shape == (200, 3072)
    assert splits["X_train"].min() >= 0 and splits["X_train"].max() <= 255


def test_too_large_splits_are_refused(synthetic_cifar10_dir):
    with pytest.raises(ValueError, match="use smaller sizes"):
        prepare_cifar10_splits(synthetic_cifar10_dir)


def test_synthetic_data_is_deterministic(tmp_path):
    a = write_synthetic_cifar10(tmp_path / "a", images_per_batch=20, test_images=10, seed=5)
    b = write_synthetic_cifar10(tmp_path / "b", images_per_batch=20, test_images=10, seed=5)
    for name in ("data_batch_1", "data_batch_5", "test_batch", "batches.meta"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
