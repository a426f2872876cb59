"""Comparisons that turn a wrong answer into a hint: shapes, NaN, scaled gradients, loops."""
from __future__ import annotations

import numpy as np

from .._grading.static import forbidden_helpers, loops_in_calls
from .results import Failed
from .session import Session, explain


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


def _reader(session: Session):
    """Read a file of the student's package, or None when it is not there."""

    def read(relative: str) -> str | None:
        try:
            return session.source(relative)
        except OSError:
            return None

    return read


def no_loops_in(session: Session, where: str, qualified: str) -> None:
    """No Python loop in ``qualified`` or in the student's own functions it calls (as the grader checks)."""
    loops = loops_in_calls(_reader(session), where, qualified)
    if loops is None:
        raise Failed(f"{qualified} was not found in {where}, or the file has a syntax error")
    if loops:
        raise Failed(f"found {', '.join(loops[:3])} in {where}: use array operations instead")


def no_helpers_in(session: Session, where: str, qualified: str) -> None:
    """No np.linalg.norm, SciPy or scikit-learn in ``qualified`` or what it calls (as the grader checks)."""
    uses = forbidden_helpers(_reader(session), where, qualified)
    if uses is None:
        raise Failed(f"{qualified} was not found in {where}, or the file has a syntax error")
    if uses:
        raise Failed(f"{qualified} uses {', '.join(uses[:3])}: the rules forbid distance helpers here; "
                     "compute the distances with NumPy array operations")


#: The grader's race: a vectorized function must be this many times faster than the student's own
#: naive version, each timed this many times in turns in one process (fastest of each); the race
#: ends after a round once it is RACE_SETTLED times faster (more rounds could not change the verdict).
RACE_FACTOR, RACE_ROUNDS, RACE_SETTLED = 3.0, 3, 12.0
#: A memory-safe call may grow the test process's address space by this much (32 MiB), as in grading.
MEMORY_HEADROOM = 33_554_432


def race(session: Session, key: str, vectorized: dict, naive: dict, arrays: dict, function: str,
         naive_name: str, where: str) -> None:
    """Time ``vectorized`` against ``naive`` in turns in the sandbox, as the grader does."""
    request = {"kind": "race", "name": key, "contenders": [vectorized, naive], "rounds": RACE_ROUNDS,
               "settled_ratio": RACE_SETTLED}
    returned = session.call(key, request, arrays)
    if not returned.ok:
        raise Failed(f"the timing run failed: {explain(returned, function, where)}")
    fast, slow = returned.numbers.get("result.0"), returned.numbers.get("result.1")
    if fast is None or not np.isfinite(fast):
        raise Failed(f"the timing run of {function} returned no time")
    if slow is None or not np.isfinite(slow):
        raise Failed(f"write {naive_name} first: the speed check times {function} against it")
    if fast * RACE_FACTOR > slow:
        raise Failed(f"{function} took {fast * 1e3:.1f} ms and your {naive_name} {slow * 1e3:.1f} ms: it must be "
                     f"at least {RACE_FACTOR:g} times faster, with no Python loop and no large temporary array")


def memory_safe(session: Session, key: str, request: dict, arrays: dict, function: str, shape_words: str,
                where: str) -> None:
    """Run ``function`` at the grader's memory-safe size, with the grader's headroom: it must not
    build a ``shape_words`` array."""
    returned = session.call(key, {**request, "headroom_bytes": MEMORY_HEADROOM}, arrays)
    if not returned.ok:
        if returned.error in ("MemoryError", "died"):
            raise Failed(f"{function} ran out of memory on a large input: build no {shape_words} array")
        raise Failed(explain(returned, function, where))
