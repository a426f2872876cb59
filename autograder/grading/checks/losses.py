"""Hidden tests of the SVM and softmax losses, naive and vectorized."""
from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np

from autograder.grading.checks.judging import (
    check_gradient,
    check_loss,
    check_loss_and_gradient,
    first_failed_of,
    first_failure,
    loss_call,
    loss_problem,
    loss_value,
    no_loops_verdict,
    reference_seconds_for,
    relative_error,
    rng_for,
    speed_verdict,
)
from autograder.grading.checks.plans import (
    LOSS_SPEED_SIZE,
    SOFTMAX_FILE,
    SOFTMAX_MODULE,
    SVM_FILE,
    SVM_MODULE,
    Plan,
    Returned,
    SourceView,
    Timing,
)
from autograder.grading.results import Verdict

LOSS_SIZES = ((10, 6, 3), (40, 25, 10), (7, 13, 5))  # (N, D, C)


def loss_plans(ref: ModuleType, family: str, seed: int, timing: Timing | None = None) -> dict[str, Callable[[], Plan]]:
    module = SVM_MODULE if family == "svm" else SOFTMAX_MODULE
    relative = SVM_FILE if family == "svm" else SOFTMAX_FILE
    naive, vectorized = f"{family}_loss_naive", f"{family}_loss_vectorized"
    reference = {naive: getattr(ref, naive), vectorized: getattr(ref, vectorized)}
    plans: dict[str, Callable[[], Plan]] = {}

    def random_plan(
        variant: str, what: str, sizes=LOSS_SIZES, scale: float = 1.0, tag: str = "random"
    ) -> Callable[[], Plan]:
        name = naive if variant == "naive" else vectorized

        def build() -> Plan:
            rng = rng_for(f"{family}.{tag}", seed)  # loss and gradient tests share their problems
            calls, expected = [], []
            for number, size in enumerate(sizes):
                problem = loss_problem(rng, *size, scale=scale)
                expected.append((problem, *reference[name](*problem)))
                calls.append(loss_call(f"{name}/{tag}/{number}", module, name, problem))

            def judge(returned, source):
                failure = first_failure(returned, name)
                if failure:
                    return failure
                verdicts = []
                for item, ((W, _X, y, reg), loss, dW) in zip(returned, expected, strict=True):
                    if what in ("loss", "both"):
                        verdicts.append(check_loss(loss_value(item), loss, W=W, reg=reg, N=len(y)))
                    if what in ("gradient", "both"):
                        verdicts.append(check_gradient(item.arrays.get("result.1"), dW, W=W, reg=reg, N=len(y)))
                return first_failed_of(verdicts)

            return Plan(tuple(calls), judge)

        return build

    for variant in ("naive", "vectorized"):
        plans[f"{family}.{variant}.loss"] = random_plan(variant, "loss")
        plans[f"{family}.{variant}.gradient"] = random_plan(variant, "gradient")
        plans[f"{family}.{variant}.edge"] = random_plan(
            variant, "both", sizes=((1, 4, 2), (1, 1, 2), (3, 2, 2)), tag="edge"
        )
        plans[f"{family}.{variant}.large_scores"] = random_plan(
            variant, "both", sizes=((20, 30, 10),), scale=1e5, tag="large"
        )

    def matches_naive() -> Plan:
        rng = rng_for(f"{family}.vectorized.matches_naive", seed)
        problem = loss_problem(rng, 30, 20, 7)
        calls = (
            loss_call(f"{naive}/agree", module, naive, problem),
            loss_call(f"{vectorized}/agree", module, vectorized, problem),
        )
        want_loss, want_dW = reference[naive](*problem)

        def judge(returned, source):
            failure = first_failure(returned, f"{naive} or {vectorized}")
            if failure:
                return failure
            first, second = returned
            loss_a, loss_b = loss_value(first), loss_value(second)
            dW_a, dW_b = first.arrays.get("result.1"), second.arrays.get("result.1")
            if loss_a is None or loss_b is None or dW_a is None or dW_b is None:
                return Verdict(False, "both functions must return (loss, dW)")
            if not (
                np.isfinite(loss_a) and np.isfinite(loss_b) and np.all(np.isfinite(dW_a)) and np.all(np.isfinite(dW_b))
            ):
                return Verdict(False, "a loss or a gradient is NaN or inf")
            if abs(loss_a - loss_b) > 1e-6 * max(abs(loss_a), 1.0):
                return Verdict(False, "the two losses differ")
            if dW_a.shape != dW_b.shape or relative_error(dW_a.astype(float), dW_b.astype(float)) > 1e-6:
                return Verdict(False, "the two gradients differ")
            if (
                abs(loss_b - want_loss) > 1e-6 * max(abs(want_loss), 1.0)
                or relative_error(dW_b.astype(float), want_dW) > 1e-6
            ):
                return Verdict(False, "the two versions agree with each other but not with the correct values")
            return Verdict(True)

        return Plan(calls, judge)

    def correct_and(problem, also: Callable[[Returned, SourceView], Verdict]):
        """A judge: the vectorized call returned the correct loss and gradient, and passes ``also``."""
        want_loss, want_dW = reference[vectorized](*problem)
        W, _, y, reg = problem

        def judge(returned, source):
            return first_failure(returned, vectorized) or first_failed_of(
                (check_loss_and_gradient(returned[0], want_loss, want_dW, W=W, reg=reg, N=len(y)),
                 also(returned[0], source))
            )

        return judge

    def no_loops() -> Plan:
        rng = rng_for(f"{family}.vectorized.no_python_loops", seed)
        problem = loss_problem(rng, 12, 9, 4)
        judge = correct_and(problem, lambda item, source: no_loops_verdict(source, relative, vectorized))
        return Plan((loss_call(f"{vectorized}/static", module, vectorized, problem),), judge)

    def speed() -> Plan:
        rng = rng_for(f"{family}.vectorized.speed", seed)
        problem = loss_problem(rng, *LOSS_SPEED_SIZE)
        call = loss_call(f"{vectorized}/speed", module, vectorized, problem, timed=True)
        reference_seconds = reference_seconds_for(timing, call, lambda: reference[vectorized](*problem))
        judge = correct_and(problem, lambda item, source: speed_verdict(item, reference_seconds, vectorized))
        return Plan((call,), judge)

    def unchanged() -> Plan:
        rng = rng_for(f"{family}.vectorized.inputs_unchanged", seed)
        problem = loss_problem(rng, 15, 8, 4)
        want_loss, want_dW = reference[vectorized](*problem)

        def judge(returned, source):
            failure = first_failure(returned, vectorized)
            if failure:
                return failure
            W, X, y, reg = problem
            correct = check_loss_and_gradient(returned[0], want_loss, want_dW, W=W, reg=reg, N=len(y))
            if not correct.passed:
                return correct
            for position, (label, original) in enumerate((("W", W), ("X", X), ("y", y))):
                after = returned[0].arrays.get(f"after.arg{position}")
                if after is None or after.shape != original.shape or not np.array_equal(after, original):
                    return Verdict(False, f"{vectorized} changed its input {label}")
            return Verdict(True)

        return Plan((loss_call(f"{vectorized}/unchanged", module, vectorized, problem, return_inputs=True),), judge)

    plans[f"{family}.vectorized.matches_naive"] = matches_naive
    plans[f"{family}.vectorized.no_python_loops"] = no_loops
    plans[f"{family}.vectorized.speed"] = speed
    plans[f"{family}.vectorized.inputs_unchanged"] = unchanged
    return plans
