"""The judges of the kNN and loss plans, on returns written here (``checks/knn.py``, ``checks/losses.py``).

Each plan is built from the reference, as the grader builds it. What a correct function returns is
computed here by calling the reference on the plan's own inputs (the child's work, without the
sandbox); a slip is that answer changed in one place. The fairness suite grades whole submissions
in the sandbox; these tests reach the branches no whole submission reaches on its own, such as a
naive version that is right but has no loops (no yardstick), or one wrong in a single entry.

``tools/judge_mutation.py check`` runs this module for every mutant of the judges that the fairness
suite did not notice.
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder import SOURCE_ROOT
from autograder.grading.checks import plan_builders
from autograder.grading.checks.plans import KNN_FILE, SOFTMAX_FILE, SVM_FILE, Call, Plan, Returned, SourceView
from autograder.grading.reference import load_reference
from autograder.grading.results import Verdict

REF = load_reference()
#: The reference's time for every timed call, as the sandbox would give it (here: one second).
PLANS = plan_builders(REF, 0, timing=lambda call: 1.0)
SOURCES = SourceView({relative: (SOURCE_ROOT / relative).read_bytes() for relative in (KNN_FILE, SVM_FILE,
                                                                                       SOFTMAX_FILE)})


def plan(test_id: str) -> Plan:
    return PLANS[test_id]()


def reference_returned(call: Call) -> Returned:
    """What the reference returns for ``call``, as the child would send it (kNN and loss calls)."""
    request, arrays = call.request, {name: array.copy() for name, array in call.arrays.items()}
    if request["kind"] == "knn":
        knn = REF.KNearestNeighbor()
        knn.train(arrays["X_train"], arrays["y_train"])
        kwargs = {name: value["value"] for name, value in request.get("kwargs", {}).items()}
        result = getattr(knn, request["method"])(arrays["arg"], **kwargs)
        after = {"after.X_train": arrays["X_train"], "after.arg0": arrays["arg"]} if request["return_inputs"] else {}
        return Returned(True, arrays={"result": np.asarray(result), **after})
    function = getattr(REF, request["name"])
    inputs = [arrays[argument["array"]] if "array" in argument else argument["value"] for argument in request["args"]]
    loss, dW = function(*inputs)
    after = {f"after.arg{i}": inputs[i] for i in range(3)} if request["return_inputs"] else {}
    return Returned(True, numbers={"result.0": float(loss)}, arrays={"result.1": dW, **after})


def judge(test_id: str, *returned: Returned, source: SourceView = SOURCES) -> Verdict:
    return plan(test_id).judge(tuple(returned), source)


def correct(test_id: str) -> tuple[Returned, ...]:
    return tuple(reference_returned(call) for call in plan(test_id).calls)


def with_array(item: Returned, name: str, value: np.ndarray) -> Returned:
    return Returned(item.ok, item.error, dict(item.numbers), {**item.arrays, name: value})


# ------------------------------------------------------------------ kNN


@pytest.mark.parametrize("short", ["two_loops", "one_loop", "no_loops"])
def test_a_distance_function_must_leave_its_inputs_alone(short):
    test_id, method = f"knn.{short}.inputs_unchanged", f"compute_distances_{short}"
    (item,) = correct(test_id)
    assert judge(test_id, item).passed
    for name, words in (("after.X_train", "self.X_train"), ("after.arg0", "X")):
        changed = item.arrays[name].copy()
        changed[0, 0] += 1.0
        for value in (changed, changed[:-1], changed.T):
            assert judge(test_id, with_array(item, name, value)) == Verdict(False, f"{method} changed {words}")
        missing = Returned(True, arrays={key: value for key, value in item.arrays.items() if key != name})
        assert judge(test_id, missing) == Verdict(False, f"{method} changed {words}")
    assert not judge(test_id, with_array(item, "result", np.zeros(3))).passed  # no real answer, no property point


@pytest.mark.parametrize("short", ["two_loops", "one_loop", "no_loops"])
def test_a_distance_helper_is_named_with_its_line(short):
    test_id, method = f"knn.{short}.no_helpers", f"compute_distances_{short}"
    (item,) = correct(test_id)
    assert judge(test_id, item).passed
    text = SOURCES.text(KNN_FILE)
    assert text is not None
    body = text.index(f"    def {method}(self")
    body = text.index('"""', text.index('"""', body) + 3) + 3  # after the docstring
    uses_norm = text[:body] + "\n        np.linalg.norm(X)" + text[body:]
    verdict = judge(test_id, item, source=SourceView({KNN_FILE: uses_norm.encode()}))
    assert not verdict.passed and verdict.detail.startswith(f"{method} uses np.linalg.norm on line ")
    assert verdict.detail.endswith(": compute the distances with NumPy array operations")
    four = text[:body] + "\n        np.linalg.norm(X)" * 4 + text[body:]  # four uses: the first three are named
    verdict = judge(test_id, item, source=SourceView({KNN_FILE: four.encode()}))
    assert verdict.detail.count("np.linalg.norm on line ") == 3
    assert judge(test_id, item, source=SourceView({})) == Verdict(
        False, f"{method} was not found in {KNN_FILE} (or the file does not parse)")
    assert judge(test_id, Returned(False, "timeout"), source=SourceView({})) == Verdict(  # the call's failure first
        False, f"{method} did not finish within the time limit (infinite loop?)")


def test_near_duplicates_must_give_finite_non_negative_distances():
    test_id = "knn.no_loops.near_duplicates"
    (item,) = correct(test_id)
    assert judge(test_id, item).passed
    assert judge(test_id, with_array(item, "result", np.zeros_like(item.arrays["result"]))).passed  # values: elsewhere
    nan, negative = item.arrays["result"].copy(), item.arrays["result"].copy()
    nan[3, 4], negative[3, 4] = np.nan, -1e-9
    assert judge(test_id, with_array(item, "result", nan)) == Verdict(
        False, "dists contains NaN for (nearly) identical points: clip negative squared distances at 0")
    assert judge(test_id, with_array(item, "result", negative)) == Verdict(False, "dists contains negative distances")
    assert judge(test_id, with_array(item, "result", item.arrays["result"][:-1])) == Verdict(
        False, "compute_distances_no_loops did not return dists with one entry per pair")


def test_one_by_one_distances_are_judged_by_value_and_shape():
    (item,) = correct("knn.two_loops.single")
    assert judge("knn.two_loops.single", item).passed
    assert judge("knn.two_loops.single", with_array(item, "result", item.arrays["result"].ravel())).detail == (
        "dists has the right number of entries but the wrong shape: it must be (1, 1)")
    assert judge("knn.two_loops.single", with_array(item, "result", item.arrays["result"] + 1.0)).detail == (
        "dists differs from the correct values")


@pytest.mark.parametrize("test_id", ["knn.predict_labels.k1", "knn.predict_labels.majority",
                                     "knn.predict_labels.ties", "knn.predict_labels.single"])
def test_predicted_labels_are_whole_numbers_and_each_problem_counts(test_id):
    returned = correct(test_id)
    assert judge(test_id, *returned).passed
    as_floats = tuple(with_array(item, "result", item.arrays["result"].astype(np.float64)) for item in returned)
    assert judge(test_id, *as_floats).passed
    last = returned[-1].arrays["result"]
    for wrong, words in ((last + 0.5, "y_pred must hold whole-number labels"),
                         ((last + 1) % 10, "some labels in y_pred are wrong"),
                         (last[:, None], "y_pred has the right number of entries but the wrong shape: it must be "
                                         "(num_test,)")):
        verdict = judge(test_id, *returned[:-1], with_array(returned[-1], "result", wrong))
        assert verdict.detail == words
    assert judge(test_id, *returned[:-1], Returned(False, "IndexError")).detail == "predict_labels raised IndexError"


# ------------------------------------------------------------------ the speed judges' yardstick


def raced(fast: float, slow: float, naive: dict[str, np.ndarray], naive_numbers: dict | None = None) -> Returned:
    return Returned(True, numbers={"result.0": fast, "result.1": slow, **(naive_numbers or {})}, arrays=naive)


def memory_ok() -> Returned:
    return Returned(True, arrays={"result": np.ones(4)}, numbers={})


def solo(seconds: float) -> Returned:
    return Returned(True, numbers={"result.0": seconds})


def knn_naive_answer() -> np.ndarray:
    race = plan("knn.no_loops.speed").calls[0]
    knn = REF.KNearestNeighbor()
    knn.train(race.arrays["X_train"], race.arrays["y_train"])
    return knn.compute_distances_one_loop(race.arrays["arg"])


def loss_naive_answer(family: str) -> tuple[dict, dict]:
    race = plan(f"{family}.vectorized.speed").calls[0]
    loss, dW = getattr(REF, f"{family}_loss_naive")(race.arrays["W"], race.arrays["X"], race.arrays["y"],
                                                      race.request["contenders"][1]["args"][3]["value"])
    return {"naive.0": float(loss)}, {"naive.1": dW}


SLOW_RACE, QUICK_ALONE, SLOW_ALONE = (1.0, 2.0), 5.0, 20.0  # the reference takes 1 s (PLANS' timing)


def test_the_knn_race_counts_only_with_a_right_naive_version_that_has_loops():
    test_id, right = "knn.no_loops.speed", {"naive.0": knn_naive_answer()}
    slower = "compute_distances_no_loops is not much faster than your compute_distances_one_loop"
    # a right naive version with loops is the yardstick: the race decides, whatever the solo time
    assert judge(test_id, raced(*SLOW_RACE, right), memory_ok(), solo(QUICK_ALONE)).detail.startswith(slower)
    assert judge(test_id, raced(1.0, 3.0, right), memory_ok(), solo(SLOW_ALONE)).passed
    # a wrong naive version is none: the solo time against the reference's decides
    for wrong in ({"naive.0": right["naive.0"] + 1.0}, {}, {"naive.0": right["naive.0"][:-1]}):
        assert judge(test_id, raced(*SLOW_RACE, wrong), memory_ok(), solo(QUICK_ALONE)).passed
        assert judge(test_id, raced(1.0, 3.0, wrong), memory_ok(), solo(SLOW_ALONE)).detail == (
            "compute_distances_no_loops took far longer than a vectorized solution")
    # nor is a naive version without loops (here: the one-loop method made loop-free)
    text = SOURCES.text(KNN_FILE)
    assert text is not None
    start = text.index("    def compute_distances_one_loop(self")
    end = text.index("    def compute_distances_no_loops(self")
    loop_free = text[:start] + ("    def compute_distances_one_loop(self, X):\n"
                                "        return self.compute_distances_no_loops(X)\n\n") + text[end:]
    source = SourceView({KNN_FILE: loop_free.encode()})
    assert judge(test_id, raced(*SLOW_RACE, right), memory_ok(), solo(QUICK_ALONE), source=source).passed
    # the memory-safe size is judged first
    assert judge(test_id, raced(1.0, 3.0, right), Returned(False, "MemoryError"), solo(QUICK_ALONE)).detail == (
        "compute_distances_no_loops ran out of memory on a large input: build no (num_test, num_train, D) array")


@pytest.mark.parametrize("family", ["svm", "softmax"])
def test_the_loss_race_counts_only_with_a_right_naive_loss_and_gradient(family):
    test_id = f"{family}.vectorized.speed"
    numbers, arrays = loss_naive_answer(family)
    slower = f"{family}_loss_vectorized is not much faster than your {family}_loss_naive"
    assert judge(test_id, raced(*SLOW_RACE, arrays, numbers), memory_ok(), solo(QUICK_ALONE)).detail.startswith(
        slower)
    assert judge(test_id, raced(1.0, 3.0, arrays, numbers), memory_ok(), solo(SLOW_ALONE)).passed
    wrong_loss = {"naive.0": numbers["naive.0"] * 2}
    wrong_dW = {"naive.1": -arrays["naive.1"]}
    for naive_numbers, naive_arrays in ((wrong_loss, arrays), (numbers, wrong_dW), ({}, arrays), (numbers, {})):
        assert judge(test_id, raced(*SLOW_RACE, naive_arrays, naive_numbers), memory_ok(),
                     solo(QUICK_ALONE)).passed
        assert judge(test_id, raced(1.0, 3.0, naive_arrays, naive_numbers), memory_ok(), solo(SLOW_ALONE)).detail == (
            f"{family}_loss_vectorized took far longer than a vectorized solution")
    assert judge(test_id, raced(1.0, 3.0, arrays, numbers), Returned(True), solo(QUICK_ALONE)).detail == (
        f"{family}_loss_vectorized returned only zeros on a large input")


# ------------------------------------------------------------------ losses


@pytest.mark.parametrize("family", ["svm", "softmax"])
def test_a_vectorized_loss_that_disagrees_with_a_right_naive_one_is_told_so(family):
    test_id = f"{family}.vectorized.matches_naive"
    mine, theirs = correct(test_id)
    assert judge(test_id, mine, theirs).passed
    assert judge(test_id, mine, Returned(False, "timeout")).passed  # the naive version's failure is its own
    doubled = Returned(True, numbers={"result.0": 2 * mine.numbers["result.0"]}, arrays=dict(mine.arrays))
    assert judge(test_id, doubled, theirs) == Verdict(
        False, f"{family}_loss_vectorized disagrees with your {family}_loss_naive, which is correct on these inputs: "
               "compare the two step by step")
    # when the naive version is wrong too, the vectorized one's own slip is named
    theirs_wrong = Returned(True, numbers={"result.0": 3 * mine.numbers["result.0"]}, arrays=dict(theirs.arrays))
    assert judge(test_id, doubled, theirs_wrong).detail == "the loss is about twice the correct value"
    assert judge(test_id, doubled, Returned(False, "died")).detail == "the loss is about twice the correct value"
    flipped = with_array(theirs, "result.1", -theirs.arrays["result.1"])
    assert judge(test_id, doubled, flipped).detail == "the loss is about twice the correct value"
    assert judge(test_id, Returned(False, "ValueError"), theirs) == Verdict(
        False, f"{family}_loss_vectorized raised ValueError")


@pytest.mark.parametrize("family", ["svm", "softmax"])
def test_a_vectorized_loss_must_leave_its_inputs_alone(family):
    test_id = f"{family}.vectorized.inputs_unchanged"
    (item,) = correct(test_id)
    assert judge(test_id, item).passed
    for position, label in enumerate("WXy"):
        name = f"after.arg{position}"
        changed = item.arrays[name].copy()
        changed.flat[0] += 1
        for value in (changed, changed[:-1]):
            assert judge(test_id, with_array(item, name, value)) == Verdict(
                False, f"{family}_loss_vectorized changed its input {label}")
        missing = Returned(True, numbers=dict(item.numbers),
                           arrays={key: v for key, v in item.arrays.items() if key != name})
        assert judge(test_id, missing) == Verdict(False, f"{family}_loss_vectorized changed its input {label}")


@pytest.mark.parametrize("family", ["svm", "softmax"])
def test_each_problem_of_a_value_test_counts(family):
    """A slip on the last problem alone fails the test, and is an attempt (right on the others)."""
    for test_id in (f"{family}.naive.loss", f"{family}.naive.gradient", f"{family}.naive.edge"):
        returned = correct(test_id)
        assert judge(test_id, *returned).passed
        last = returned[-1]
        slipped = Returned(True, numbers={"result.0": last.numbers["result.0"] + 1.0},
                           arrays={"result.1": last.arrays["result.1"] + 1.0})
        verdict = judge(test_id, *returned[:-1], slipped)
        assert not verdict.passed and verdict.extra == {"attempt": True}
        assert judge(test_id, *returned[:-1], Returned(False, "timeout")).detail.endswith("(infinite loop?)")


def test_a_test_whose_calls_never_ran_records_no_time():
    from autograder.grading import manifest
    from autograder.grading.runner import PlanSet, judge_tests
    from autograder.grading.snapshot import SubmissionFiles

    plans = PlanSet(manifest.TESTS, 0, timing=lambda call: 1.0)
    outcomes, _ = judge_tests(manifest.TESTS, plans, {}, SubmissionFiles({}))
    assert outcomes and all(not outcome.passed and outcome.seconds is None for outcome in outcomes)
    key = plans.plan("knn.two_loops.single").calls[0].key
    timed, _ = judge_tests(manifest.TESTS, plans, {key: Returned(False, "timeout", seconds=2.5)}, SubmissionFiles({}))
    assert {outcome.test_id: outcome.seconds for outcome in timed}["knn.two_loops.single"] == 2.5
