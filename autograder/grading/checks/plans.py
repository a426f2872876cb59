"""The plain-data description of a hidden test: the calls to make and the judge of what came back."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from autograder.grading.results import TestSpec, Verdict

SVM_MODULE = "cs_utils.classifiers.linear_svm"
SOFTMAX_MODULE = "cs_utils.classifiers.softmax"
KNN_FILE = "cs_utils/classifiers/k_nearest_neighbor.py"
SVM_FILE = "cs_utils/classifiers/linear_svm.py"
SOFTMAX_FILE = "cs_utils/classifiers/softmax.py"
#: When the student's own naive version cannot serve as the yardstick, a vectorized function may
#: take this many times the reference's time on the race input, plus the slack (both timed alone
#: in a sandboxed child, fastest of RACE_ROUNDS runs on the race's clock). The slowest correct
#: versions (an unoptimised ``np.einsum`` product) take up to about 6 times the reference; a loop
#: over rows 20 or more.
SPEED_FACTOR, SPEED_SLACK_SECONDS = 10.0, 0.0005
#: A vectorized function must be this many times faster than the student's own naive version,
#: each timed RACE_ROUNDS times in turns in the same process (fastest of each). On the race sizes
#: a loop-free version is 12-100 times faster (about 20 for distances whose products are an
#: unoptimised ``np.einsum``, 12 for losses written that way), a loop is not.
RACE_FACTOR, RACE_ROUNDS = 3.0, 3
#: The race ends after a round once the vectorized function is this many times faster than the
#: naive version's best so far: a margin no disturbance of one run explains (a loop version is
#: about as fast as its naive one), so the remaining rounds could not change a pass. Passes on the
#: first round are the common case; a close race still gets all RACE_ROUNDS.
RACE_SETTLED = 4 * RACE_FACTOR
#: Race sizes: (num_test, num_train, D) and (N, D, C), small enough that the naive versions' Python
#: loops dominate their time. For kNN, many test rows and a small training set: a one-loop version
#: pays Python's price per row whatever it does inside (a per-row matrix product is no quicker than
#: the plain one), while every loop-free version is at least 20 times quicker, even with products
#: by an unoptimised ``np.einsum`` (at (25, 1000, 500) that was 3.3 times, and 2.6 against a one
#: loop through BLAS); a loop over the test rows stays at about 1.
KNN_SPEED_SIZE, LOSS_SPEED_SIZE = (500, 20, 20), (250, 100, 10)
#: Memory-safe sizes: the vectorized function must run here (its inputs take a few MB) with its
#: address space capped MEMORY_HEADROOM_BYTES above what the child used before the call, although a
#: (num_test, num_train, D) or (N, D, C) array would take 102 MB, three times that. (A cap of its
#: own, not the child's 1.5 GiB: the sizes that prove the point stay small and quick.) The cap is
#: still 12 times the largest input, and C stays small so that correct code with a larger
#: temporary, such as softmax's (N, C, C) Jacobian (2 MB here), keeps room; num_test * num_train
#: likewise.
KNN_MEMORY_SIZE, LOSS_MEMORY_SIZE = (64, 250, 800), (160, 2000, 40)
MEMORY_HEADROOM_BYTES = 32 << 20


@dataclass(frozen=True)
class GradedFunction:
    """A graded student function, declared once in its part's module (``checks/<part>.py``).

    ``name`` is how tests, the handout and the self-check name it (``"LinearClassifier.train"``);
    ``file`` is its module's path in the submission; ``notebook`` the notebook that uses it;
    ``part`` the group the self-check selects it by (``python -m cs_utils.check svm``); ``kind``
    the harness call that runs it (``function``, ``knn``, ``train``, ``predict``).
    """

    name: str
    file: str
    notebook: str
    part: str
    kind: str

    @property
    def module(self) -> str:
        return self.file.removesuffix(".py").replace("/", ".")


VISIBLE, AFTER_DEADLINE = "visible", "after_published"


def hidden_test(id: str, function: str, points: float, name: str, message: str, visibility: str = VISIBLE) -> TestSpec:
    """One hidden test: ``id`` names its plan, ``function`` the :class:`GradedFunction` it is charged to,
    ``name`` is its title and ``message`` the hint a student reads when it fails (never a value)."""
    return TestSpec(id=id, function=function, points=points, name=name, failure_message=message,
                    visibility=visibility)


@dataclass(frozen=True)
class Call:
    """One call of a student function, described as plain data.

    ``key`` names the call: tests whose plans hold calls with the same key share one run.
    """

    key: str
    request: dict
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    repeat: int = 1


@dataclass(frozen=True)
class Returned:
    """What came back from one call, as read by the parent."""

    ok: bool
    error: str = ""  # exception type name, or "timeout", "died", "unreadable", "too much"
    numbers: dict[str, float] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0

    def describe_failure(self, function: str) -> str:
        if self.error == "timeout":
            return f"{function} did not finish within the time limit (infinite loop?)"
        if self.error == "died":
            return (f"the process running {function} stopped (a crash, os._exit, or the memory/CPU "
                    f"limit); other functions are still graded")
        if self.error == "unreadable":
            return f"what {function} returned could not be read as numbers"
        if self.error == "too much":
            return f"{function} returned far more data than a correct answer; the grader stopped reading it"
        if self.error == "NotImplementedError":
            return f"{function} raised NotImplementedError: it is not implemented yet"
        return f"{function} raised {self.error}"


@dataclass(frozen=True)
class SourceView:
    """The student's files as they were submitted, for checks that read source (parsed with
    ``ast``, never imported). Read by the parent before any student code ran (:mod:`..snapshot`),
    so nothing the code did while it ran can change what the checks read."""

    files: Mapping[str, bytes]

    def text(self, relative: str) -> str | None:
        data = self.files.get(relative)
        if data is None or len(data) > 1 << 20:
            return None
        return data.decode("utf-8", errors="replace")


Judge = Callable[[tuple[Returned, ...], SourceView], Verdict]
#: The reference's fastest time for a race call's first contender, timed as the race times it.
Timing = Callable[["Call"], float]


@dataclass(frozen=True)
class Plan:
    calls: tuple[Call, ...]
    judge: Judge
