"""The pipeline on whole submissions: solution, starter, realistic bugs, plain CS231n code."""
from points import CODE_POINTS

from autograder.grading.demo import BUGS, KNN, SVM
from autograder.grading.submission import Submission


def by_id(result):
    return {t.spec.id: t for t in result.tests}


def test_the_solution_gets_full_marks(grader, releases):
    result = grader.grade(Submission("solution", releases["solution"]))
    failed = [(t.spec.id, t.outcome.detail) for t in result.tests if not t.outcome.passed]
    assert failed == [] and result.score == result.max_score == CODE_POINTS


def test_grading_goes_through_the_declared_steps_in_order(grader, releases, monkeypatch):
    from autograder.grading import runner

    seen = []

    def recording(name, step):
        def wrapped(self, item):
            seen.append((name, item.prepared is not None, len(item.returned), item.result is not None))
            step(self, item)
        return wrapped

    monkeypatch.setattr(runner, "STEPS", tuple((name, recording(name, step)) for name, step in runner.STEPS))
    result = grader.grade(Submission("solution", releases["solution"]))
    assert [name for name, *_ in seen] == ["prepare", "run", "judge", "notebooks", "score"]
    assert seen[0][1:] == (False, 0, False) and seen[2][1] and seen[2][2] > 0 and not seen[-1][3]
    assert result.score == CODE_POINTS


def test_the_untouched_starter_gets_zero(grader, releases):
    result = grader.grade(Submission("starter", releases["starter"]))
    assert result.status == "graded" and result.score == 0
    assert "NotImplementedError" in by_id(result)["svm.naive.loss"].outcome.detail


def test_realistic_bugs_fail_the_right_tests_with_the_right_message(grader, variant):
    result = grader.grade(Submission("buggy", variant("buggy", edits=BUGS)))
    tests = by_id(result)
    failed = {i for i, t in tests.items() if not t.outcome.passed}
    assert tests["svm.naive.gradient"].outcome.detail == "dW is missing the regularization gradient: add 2 * reg * W"
    assert "knn.predict_labels.ties" in failed and "svm.naive.loss" not in failed
    assert failed <= {"svm.naive.gradient", "svm.naive.edge", "svm.vectorized.matches_naive",
                      "knn.predict_labels.ties", "knn.predict_labels.majority", "knn.predict_labels.single"}


def test_plain_cs231n_code_loses_only_the_seed_point(grader, variant):
    """Labels as floats, argsort without kind="stable", np.random.choice on the global state: full
    marks but for train's seed (the kit's train takes a seed, CS231n's did not)."""
    edits = {
        KNN: [("y_pred = np.zeros(num_test, dtype=np.int64)", "y_pred = np.zeros(num_test)"),
              ('nearest = np.argsort(dists[i], kind="stable")[:k]', "nearest = np.argsort(dists[i])[:k]")],
        "cs_utils/classifiers/linear_classifier.py": [
            ("batch_indices = rng.choice(num_train, batch_size, replace=True)",
             "batch_indices = np.random.choice(num_train, batch_size)")],
    }
    result = grader.grade(Submission("cs231n", variant("cs231n", edits=edits)))
    assert [t.spec.id for t in result.tests if not t.outcome.passed] == ["linear.train.seed"]


def test_loops_in_vectorized_code_cost_the_no_loop_test_only(grader, variant):
    loop = ("    loss = margins.sum() / num_train + reg * np.sum(W * W)\n",
            "    loss = sum(float(v) for v in margins.ravel()) / num_train + reg * np.sum(W * W)\n")
    result = grader.grade(Submission("loopy", variant("loopy", edits={SVM: [loop]})))
    failed = {t.spec.id: t.outcome.detail for t in result.tests if not t.outcome.passed}
    assert list(failed) == ["svm.vectorized.no_python_loops"]
    assert "a generator expression on line" in failed["svm.vectorized.no_python_loops"]


def test_a_syntax_error_in_one_module_costs_only_the_functions_it_defines(grader, variant):
    result = grader.grade(Submission("broken", variant("broken", append={SVM: "\ndef oops(:\n"})))
    earned = {f: 0.0 for f in {t.spec.function for t in result.tests}}
    for t in result.tests:
        earned[t.spec.function] += t.score
    full = {f: sum(t.spec.points for t in result.tests if t.spec.function == f) for f in earned}
    assert earned["svm_loss_naive"] == 0 and earned["svm_loss_vectorized"] == 0
    # linear_classifier.py imports linear_svm.py: the grader stands in for the broken module
    assert earned["LinearClassifier.train"] == full["LinearClassifier.train"]
    assert earned["compute_distances_no_loops"] == 11 and earned["softmax_loss_naive"] == 11
    assert "SyntaxError" in by_id(result)["svm.naive.loss"].outcome.detail


def test_plain_array_accepts_only_numeric_dtypes_and_matching_shapes():
    import numpy as np

    from autograder.grading.runner import plain_array

    data = np.arange(6, dtype="<f8").tobytes()
    assert plain_array("<f8", [2, 3], data).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert plain_array("|b1", [2], b"\x01\x00").tolist() == [True, False]
    for dtype, shape, payload in (("|O8", [6], data), ("<c16", [3], data), ("<f8", [7], data), ("<f8", [True, 6], data),
                                  ("<f8", [-6], data), ("<f8", "6", data), ("V8", [6], data), ("<f8", [6], "text"),
                                  ("<U1", [48], data), (None, [6], data)):
        assert plain_array(dtype, shape, payload) is None, (dtype, shape)


def test_a_batch_holds_the_calls_of_one_function():
    """Code in a call can forge the replies of the calls after it in its batch: never another's."""
    from autograder.grading.runner import PlanSet, _next_batch, called_function

    plans = PlanSet().warm_up()
    pending = plans.calls()
    batches = []
    while pending:
        batch = _next_batch(pending, plans)
        batches.append(batch)
        pending = pending[len(batch):]
    assert sum(len(batch) for batch in batches) == len(plans.calls())
    assert all(len({called_function(call) for call in batch}) == 1 for batch in batches)
    races = [batch for batch in batches if batch[0].request["kind"] == "race"]
    assert races and all(len(batch) == 1 for batch in races if len(batch[0].request["contenders"]) > 1)
    assert max(len(batch) for batch in batches) > 1  # one function's calls still travel together
