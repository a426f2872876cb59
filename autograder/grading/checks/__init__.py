"""How each hidden test is run and judged, in the parent.

A test id from :mod:`.manifest` maps to a *plan builder*: given the reference implementation it
draws seeded inputs, computes the expected values with the reference, and returns a
:class:`Plan`: the calls the child must make (:class:`Call`, plain arrays and JSON) and a
*judge* that turns what came back (:class:`Returned`) into a
:class:`~autograder.grading.results.Verdict`.

* :mod:`.plans`: the plain-data pieces (``Call``, ``Returned``, ``SourceView``, ``Plan``) and the
  module paths and sizes the tests share;
* :mod:`.judging`: comparisons that explain a difference without quoting values, call builders,
  seeded problems, and the speed and no-loop verdicts;
* :mod:`.knn`, :mod:`.losses`, :mod:`.linear_classifier`: the plans of each part.

Judges are pure functions of the returned data and the expected values captured when the plan
was built. They accept what the plain CS231n contracts allow: labels returned as floats with
whole values, losses as NumPy scalars, float32 arrays within a looser tolerance.
"""
from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from autograder.grading.checks import knn, linear_classifier, losses
from autograder.grading.checks.judging import (
    check_array,
    check_gradient,
    check_loss,
    loss_problem,
    relative_error,
    rng_for,
)
from autograder.grading.checks.plans import Call, GradedFunction, Judge, Plan, Returned, SourceView, Timing
from autograder.grading.results import Verdict

__all__ = ["PARTS", "Call", "GradedFunction", "Judge", "Plan", "Returned", "SourceView", "Timing", "Verdict",
           "check_array", "check_gradient", "check_loss", "loss_problem", "plan_builders", "relative_error", "rng_for"]

#: The parts of the assignment, in its order. Each module declares ``PART_FUNCTIONS``, ``PART_TESTS``
#: and ``plans_of_part(ref, seed, timing)``; a new part is one more module here.
PARTS = (knn, losses, linear_classifier)


def plan_builders(ref: ModuleType, seed: int = 0, timing: Timing | None = None) -> dict[str, Callable[[], Plan]]:
    """Every test id's plan builder; builders are called lazily and their plans cached by the caller.

    ``timing(call)`` gives the reference's seconds per repetition of a timed call, measured the
    way a student's call is (the grader runs the reference in a sandboxed child). Without it the
    reference is timed in this process.
    """
    builders: dict[str, Callable[[], Plan]] = {}
    for part in PARTS:
        builders.update(part.plans_of_part(ref, seed, timing))
    return builders
