"""Hidden tests of the SVM and softmax losses, naive and vectorized."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    memory_verdict,
    no_loops_verdict,
    race_call,
    race_verdict,
    ran_and_returned_loss,
    reference_seconds_for,
    rng_for,
    seeded_loss_call,
    solo_call,
)
from autograder.grading.checks.plans import (
    AFTER_DEADLINE,
    LOSS_MEMORY_SIZE,
    LOSS_SPEED_SIZE,
    SOFTMAX_FILE,
    SOFTMAX_MODULE,
    SVM_FILE,
    SVM_MODULE,
    GradedFunction,
    Plan,
    Timing,
    hidden_test,
)
from autograder.grading.results import Verdict
from autograder.grading.static import loops_in_calls

# -- the declarations: the part's functions, and each hidden test with its points and hint --------------------
PART_FUNCTIONS = tuple(
    GradedFunction(f"{family}_loss_{variant}", relative, notebook=family, part=family, kind="function")
    for family, relative in (("svm", SVM_FILE), ("softmax", SOFTMAX_FILE)) for variant in ("naive", "vectorized"))
PART_TESTS = (
    hidden_test("svm.naive.loss", "svm_loss_naive", 4, "SVM naive: loss on random problems",
       "The loss is the mean over examples of sum_{j != y_i} max(0, s_j - s_{y_i} + 1), plus reg * sum(W**2)."),
    hidden_test("svm.naive.gradient", "svm_loss_naive", 4, "SVM naive: gradient on random problems",
       "Each positive margin adds X[i] to dW[:, j] and subtracts it from dW[:, y[i]]; divide by N and add 2 * reg * "
       "W."),
    hidden_test("svm.naive.edge", "svm_loss_naive", 2, "SVM naive: one example, two classes",
       "svm_loss_naive must work for N = 1 and C = 2 (loss and gradient).", AFTER_DEADLINE),
    hidden_test("svm.vectorized.loss", "svm_loss_vectorized", 3, "SVM vectorized: loss on random problems",
       "Compute all margins at once as an (N, C) array, zero the correct-class entries, sum, divide by N, add reg * "
       "sum(W**2)."),
    hidden_test("svm.vectorized.gradient", "svm_loss_vectorized", 3, "SVM vectorized: gradient on random problems",
       "Build an (N, C) coefficient matrix (1 per positive margin, minus their count in the correct column); dW = "
       "X.T @ coeffs / N + 2 * reg * W."),
    hidden_test("svm.vectorized.matches_naive", "svm_loss_vectorized", 2,
                "SVM vectorized agrees with your naive version",
       "On the inputs your svm_loss_naive is checked with, svm_loss_vectorized must return the same (correct) loss "
       "and gradient."),
    hidden_test("svm.vectorized.no_python_loops", "svm_loss_vectorized", 2, "SVM vectorized: free of Python loops",
       "svm_loss_vectorized must contain no for/while loop or comprehension, not even in a function of yours that "
       "it calls (such as svm_loss_naive)."),
    hidden_test("svm.vectorized.speed", "svm_loss_vectorized", 2, "SVM vectorized: fast on a large input",
       "On a large input svm_loss_vectorized must be several times faster than your svm_loss_naive: two matrix "
       "products, and no (N, D, C) array.", AFTER_DEADLINE),
    hidden_test("svm.vectorized.inputs_unchanged", "svm_loss_vectorized", 1, "SVM vectorized: inputs left unchanged",
       "svm_loss_vectorized must not modify W, X or y (copy before changing an array in place)."),
    hidden_test("svm.vectorized.edge", "svm_loss_vectorized", 1, "SVM vectorized: one example, two classes",
       "svm_loss_vectorized must work for N = 1 and C = 2.", AFTER_DEADLINE),
    hidden_test("softmax.naive.loss", "softmax_loss_naive", 4, "Softmax naive: loss on random problems",
       "The loss is the mean of -log(softmax probability of the correct class), plus reg * sum(W**2)."),
    hidden_test("softmax.naive.gradient", "softmax_loss_naive", 4, "Softmax naive: gradient on random problems",
       "The gradient of L_i with respect to the scores is p_i - onehot(y_i); dW = X.T @ that / N + 2 * reg * W."),
    hidden_test("softmax.naive.large_scores", "softmax_loss_naive", 2,
                "Softmax naive: scores of 1e3 and more stay finite",
       "Subtract the row maximum from the scores before exp(): it changes no probability and avoids overflow.",
       AFTER_DEADLINE),
    hidden_test("softmax.naive.edge", "softmax_loss_naive", 1, "Softmax naive: one example, two classes",
       "softmax_loss_naive must work for N = 1 and C = 2.", AFTER_DEADLINE),
    hidden_test("softmax.vectorized.loss", "softmax_loss_vectorized", 3, "Softmax vectorized: loss on random problems",
       "Compute the (N, C) scores, shift each row by its maximum, and average log-sum-exp minus the correct score."),
    hidden_test("softmax.vectorized.gradient", "softmax_loss_vectorized", 3,
                "Softmax vectorized: gradient on random problems",
       "dW = X.T @ (P - Y) / N + 2 * reg * W with P the (N, C) probabilities and Y the one-hot labels."),
    hidden_test("softmax.vectorized.large_scores", "softmax_loss_vectorized", 2,
       "Softmax vectorized: scores of 1e3 and more stay finite",
       "Subtract each row's maximum score before exp().", AFTER_DEADLINE),
    hidden_test("softmax.vectorized.matches_naive", "softmax_loss_vectorized", 2,
       "Softmax vectorized agrees with your naive version",
       "On the inputs your softmax_loss_naive is checked with, softmax_loss_vectorized must return the same (correct) "
       "loss and gradient."),
    hidden_test("softmax.vectorized.no_python_loops", "softmax_loss_vectorized", 2,
       "Softmax vectorized: free of Python loops",
       "softmax_loss_vectorized must contain no for/while loop or comprehension, not even in a function of yours "
       "that it calls (such as softmax_loss_naive)."),
    hidden_test("softmax.vectorized.speed", "softmax_loss_vectorized", 2, "Softmax vectorized: fast on a large input",
       "On a large input softmax_loss_vectorized must be several times faster than your softmax_loss_naive: two "
       "matrix products, and no (N, D, C) array.", AFTER_DEADLINE),
    hidden_test("softmax.vectorized.inputs_unchanged", "softmax_loss_vectorized", 1,
                "Softmax vectorized: inputs left unchanged",
       "softmax_loss_vectorized must not modify W, X or y."),
)


def plans_of_part(ref: ModuleType, seed: int, timing: Timing | None = None) -> dict[str, Callable[[], Plan]]:
    """Every hidden test's plan builder in this part, by test id."""
    return {**loss_plans(ref, "svm", seed, timing), **loss_plans(ref, "softmax", seed, timing)}


LOSS_SIZES = ((10, 6, 3), (40, 25, 10), (7, 13, 5))  # (N, D, C)
#: Scores (1, 0, 0) for an example of class 0: both wrong classes sit exactly at the hinge's kink
#: (margin 0 - 1 + 1 = 0, exact in floating point). The contract: a margin counts only when it is
#: strictly positive, so the loss and gradient are the penalty's alone.
AT_THE_KINK = (np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]), np.array([[1.0, 1.0]]), np.array([0], dtype=np.int64),
               0.1)


@dataclass(frozen=True)
class LossFamily:
    """What differs between the two losses' tests: where the functions live, which of the edge
    and large-score tests the manifest has, and the edge problems each family adds."""

    module: str
    file: str
    edge_tests: tuple[str, ...]  # variants with an edge test
    large_score_tests: tuple[str, ...]  # variants with a large-scores test (overflow is softmax's)
    extra_edge_problems: tuple = ()


FAMILIES = {
    "svm": LossFamily(SVM_MODULE, SVM_FILE, edge_tests=("naive", "vectorized"), large_score_tests=(),
                      extra_edge_problems=(AT_THE_KINK,)),  # the hinge's kink; its hinge needs no shift
    "softmax": LossFamily(SOFTMAX_MODULE, SOFTMAX_FILE, edge_tests=("naive",),
                          large_score_tests=("naive", "vectorized")),
}


def loss_plans(ref: ModuleType, family: str, seed: int, timing: Timing | None = None) -> dict[str, Callable[[], Plan]]:
    module, relative = FAMILIES[family].module, FAMILIES[family].file
    naive, vectorized = f"{family}_loss_naive", f"{family}_loss_vectorized"
    reference = {naive: getattr(ref, naive), vectorized: getattr(ref, vectorized)}
    plans: dict[str, Callable[[], Plan]] = {}

    def random_plan(
        variant: str, what: str, sizes=LOSS_SIZES, tag: str = "random", fixed=()
    ) -> Callable[[], Plan]:
        name = {"naive": naive, "vectorized": vectorized}[variant]

        def build() -> Plan:
            rng = rng_for(f"{family}.{tag}", seed)  # loss and gradient tests share their problems
            calls, expected = [], []
            problems = [loss_problem(rng, *size) for size in sizes] + list(fixed)
            for number, problem in enumerate(problems):
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

    def large_scores_plan(variant: str) -> Callable[[], Plan]:
        """Scores in the thousands to a hundred thousand: a large offset per example, shared by its
        classes, plus a spread of up to about 150 between them. ``exp`` overflows without the
        shift by the row maximum the lectures teach; with it every exponent lies in [-300, 0],
        far from float64's underflow near -745, so ``-log(p)`` and the log-sum-exp form are both
        right."""
        rng = rng_for(f"{family}.large", seed)
        problems = []
        for N, D, C in ((20, 30, 10), (6, 8, 4)):
            W, X, y, _ = loss_problem(rng, N, D, C)
            W *= 100.0  # X ~ N(0, 10) against W ~ N(0, 1): spreads of about 50 to 150 in a row
            X[:, 0] = rng.uniform(1e3, 1e5, size=N) / 100.0  # the offset feature
            W[0, :] = 100.0  # the same weight for every class: a common offset per row
            problems.append((W, X, y, 0.0))  # no penalty: the data term is what is tested
        return random_plan(variant, "both", sizes=(), tag="large", fixed=problems)

    for variant in ("naive", "vectorized"):
        plans[f"{family}.{variant}.loss"] = random_plan(variant, "loss")
        plans[f"{family}.{variant}.gradient"] = random_plan(variant, "gradient")
        if variant in FAMILIES[family].edge_tests:
            plans[f"{family}.{variant}.edge"] = random_plan(
                variant, "both", sizes=((1, 4, 2), (1, 1, 2), (3, 2, 2)), tag="edge",
                fixed=FAMILIES[family].extra_edge_problems,
            )
        if variant in FAMILIES[family].large_score_tests:
            plans[f"{family}.{variant}.large_scores"] = large_scores_plan(variant)

    def matches_naive() -> Plan:
        """The vectorized function on the naive test's inputs: only the vectorized one is charged.

        The naive call is made too, so the feedback can say which of the two is wrong.
        """
        rng = rng_for(f"{family}.vectorized.matches_naive", seed)
        problem = loss_problem(rng, 30, 20, 7)
        calls = (
            loss_call(f"{vectorized}/agree", module, vectorized, problem),
            loss_call(f"{naive}/agree", module, naive, problem),
        )
        want_loss, want_dW = reference[naive](*problem)
        W, _, y, reg = problem

        def judge(returned, source):
            mine, theirs = returned
            if not mine.ok:
                return Verdict(False, mine.describe_failure(vectorized))
            verdict = check_loss_and_gradient(mine, want_loss, want_dW, W=W, reg=reg, N=len(y))
            if verdict.passed:
                return verdict
            naive_right = theirs.ok and check_loss_and_gradient(theirs, want_loss, want_dW, W=W, reg=reg,
                                                                N=len(y)).passed
            if naive_right:
                return Verdict(False, f"{vectorized} disagrees with your {naive}, which is correct on these "
                                      "inputs: compare the two step by step")
            return verdict

        return Plan(calls, judge)

    def no_loops() -> Plan:
        rng = rng_for(f"{family}.vectorized.no_python_loops", seed)
        problem = loss_problem(rng, 12, 9, 4)

        def judge(returned, source):
            return first_failed_of((ran_and_returned_loss(returned, vectorized, problem[0]),
                                    no_loops_verdict(source, relative, vectorized)))

        return Plan((loss_call(f"{vectorized}/static", module, vectorized, problem),), judge)

    def speed() -> Plan:
        """Faster than the student's own naive version, and runs at a memory-safe size."""
        rng = rng_for(f"{family}.vectorized.speed", seed)
        problem = loss_problem(rng, *LOSS_SPEED_SIZE)
        raced = loss_call(f"{vectorized}/raced", module, vectorized, problem)
        race = race_call(f"{vectorized}/race", raced, loss_call(f"{naive}/speed", module, naive, problem))
        solo = solo_call(f"{vectorized}/speed", raced)
        reference_seconds = reference_seconds_for(timing, solo, lambda: reference[vectorized](*problem))
        memory = seeded_loss_call(f"{vectorized}/memory", module, vectorized, int(rng.integers(2**31)),
                                  *LOSS_MEMORY_SIZE)

        want_loss, want_dW = reference[naive](*problem)
        W, _, _, reg = problem

        def judge(returned, source):
            naive_loops = loops_in_calls(source.text, relative, naive)
            race_run, memory_run, solo_run = returned
            naive_right = ("naive.0" in race_run.numbers
                           and check_loss(race_run.numbers["naive.0"], want_loss, W=W, reg=reg).passed
                           and check_gradient(race_run.arrays.get("naive.1"), want_dW, W=W, reg=reg).passed)
            return first_failed_of((
                memory_verdict(memory_run, vectorized, "(N, D, C)"),
                race_verdict(race_run, solo_run, vectorized, naive, bool(naive_loops) and naive_right,
                             reference_seconds),
            ))

        return Plan((race, memory, solo), judge)

    def unchanged() -> Plan:
        rng = rng_for(f"{family}.vectorized.inputs_unchanged", seed)
        problem = loss_problem(rng, 15, 8, 4)

        def judge(returned, source):
            found = ran_and_returned_loss(returned, vectorized, problem[0])
            if not found.passed:
                return found
            (item,) = returned
            for position, (label, original) in enumerate(zip(("W", "X", "y"), problem[:3], strict=True)):
                after = item.arrays.get(f"after.arg{position}")
                if after is None or not np.array_equal(after, original):  # False for another shape too
                    return Verdict(False, f"{vectorized} changed its input {label}")
            return Verdict(True)

        return Plan((loss_call(f"{vectorized}/unchanged", module, vectorized, problem, return_inputs=True),), judge)

    plans[f"{family}.vectorized.matches_naive"] = matches_naive
    plans[f"{family}.vectorized.no_python_loops"] = no_loops
    plans[f"{family}.vectorized.speed"] = speed
    plans[f"{family}.vectorized.inputs_unchanged"] = unchanged
    return plans
