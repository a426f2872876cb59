"""Comparisons that turn a wrong answer into a hint: shapes, NaN, scaled gradients, loops."""
from __future__ import annotations

import numpy as np

from cs_utils._grading.static import python_loops
from cs_utils.public_tests.results import Failed
from cs_utils.public_tests.session import Session


def same_shape(got, shape: tuple, what: str, words: str) -> np.ndarray:
    got = np.asarray(got)
    if got.shape != shape:
        swapped = " (rows and columns swapped?)" if got.shape == shape[::-1] and len(shape) == 2 else ""
        raise Failed(f"{what} must have shape {words} = {shape}; got {got.shape}{swapped}")
    return got


def finite(got, what: str, fix: str = "") -> None:
    if not np.all(np.isfinite(got)):
        raise Failed(f"{what} contains NaN or inf{fix}")


def factor_between(got: np.ndarray, want: np.ndarray) -> float | None:
    """The number ``f`` with ``got == f * want``, if there is one."""
    denominator = float(np.sum(want * want))
    if not denominator:
        return None
    factor = float(np.sum(got * want)) / denominator
    return factor if np.allclose(got, factor * want, rtol=1e-5, atol=1e-8) else None


def gradient_hint(got: np.ndarray, want: np.ndarray) -> str:
    if not np.any(got):
        return "dW is all zeros: did you fill it in?"
    factor = factor_between(got, want)
    if factor is not None and factor < 0:
        return "dW has the wrong sign"
    if factor is not None and factor > 1.5 and abs(factor - round(factor)) < 0.05:
        return f"dW is {round(factor)} times too large: check where you divide by N"
    if factor is not None and 0 < factor < 0.75 and abs(1 / factor - round(1 / factor)) < 0.05:
        return f"dW is {round(1 / factor)} times too small: did you divide by N twice?"
    return ""


def no_loops_in(session: Session, where: str, qualified: str) -> None:
    loops = python_loops(session.source(where), qualified)
    if loops is None:
        raise Failed(f"{qualified} was not found in {where}, or the file has a syntax error")
    if loops:
        raise Failed(f"found {', '.join(loops)} of {where}: use array operations instead")
