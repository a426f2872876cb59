"""Shared fixtures.

The tests exercise the *reference* implementation: ``autograder/source`` is put first on
``sys.path`` so ``import cs_utils`` gives the solution code, not the student stubs at the kit
root (the stubs are checked separately, by the release tests and the grader's tests).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # plots render off-screen in tests

KIT_ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = KIT_ROOT / "autograder" / "source"
for path in (str(SOURCE_ROOT), str(KIT_ROOT)):
    if path in sys.path:
        sys.path.remove(path)
sys.path.insert(0, str(KIT_ROOT))
sys.path.insert(0, str(SOURCE_ROOT))

import cs_utils  # noqa: E402

assert Path(cs_utils.__file__).resolve().is_relative_to(SOURCE_ROOT), "tests must import the reference cs_utils"


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator per test."""
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def synthetic_cifar10_dir(tmp_path_factory) -> Path:
    """A small CIFAR-10 (5 x 60 training, 100 test images) in the official format; read-only use."""
    from autograder.synthetic_data import write_synthetic_cifar10

    return write_synthetic_cifar10(tmp_path_factory.mktemp("cifar"), images_per_batch=60, test_images=100, seed=0)
