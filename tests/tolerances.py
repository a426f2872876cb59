"""Float comparisons that hold for any BLAS, thread count, CPU and summation order.

A matrix product or a sum may add its terms in any order (OpenBLAS picks kernels and blockings by
CPU and thread count; NumPy picks SIMD widths by CPU), so two correct computations of the same
number agree only to a few units in the last place *of the terms they add up*. A purely relative
bound fails for an entry that is small because of cancellation, so every comparison here is
relative plus an absolute part scaled to the largest value compared.
"""
from __future__ import annotations

import numpy as np
import pytest


def assert_close(actual, desired, rtol: float) -> None:
    """``actual`` equals ``desired`` up to ``rtol`` of each entry plus ``rtol`` of the largest entry."""
    desired = np.asarray(desired, dtype=np.float64)
    scale = float(np.max(np.abs(desired), initial=0.0))
    np.testing.assert_allclose(actual, desired, rtol=rtol, atol=rtol * scale)


def close_to(desired: float, rtol: float, scale: float = 1.0):
    """``pytest.approx`` for a scalar: relative to it, plus ``rtol * scale`` absolute.

    ``scale`` is the size of the terms the scalar was summed from (1 for a loss of order one).
    """
    return pytest.approx(desired, rel=rtol, abs=rtol * scale)
