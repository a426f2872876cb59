"""Similarity scores on a planted class: the disguised copy first, independent code low, blanks zero."""
from __future__ import annotations

import itertools

import pytest
from similarity_class import ROTATIONS, build_class

from autograder.similarity import run_similarity
from autograder.similarity.detect import CLASSMATE, KNOWN_SOLUTION, compare_all, fingerprint, starter_hashes
from autograder.similarity.sources import KNOWN, STUDENT, Document

INDEPENDENT = ("alice", "carol", "dave")


@pytest.fixture(scope="module")
def planted(releases, tmp_path_factory):
    root = tmp_path_factory.mktemp("similarity")
    reordered = build_class(releases, root / "submissions")
    run = run_similarity(root / "submissions", root / "report", starter=releases["starter"] / "cs_utils")
    scores = {frozenset((pair.a.name, pair.b.name)): pair for pair in run.pairs}
    return run, scores, reordered, root


def test_the_copy_was_disguised_by_every_edit(planted):
    _, _, reordered, _ = planted
    assert reordered >= len(ROTATIONS)


def test_a_disguised_copy_scores_high_and_ranks_first(planted):
    run, scores, _, _ = planted
    first = run.pairs[0]
    assert {first.a.name, first.b.name} == {"alice", "bob"}
    assert first.source == CLASSMATE
    assert first.score >= 0.8 and min(first.share_a, first.share_b) >= 0.75, first
    assert first.spans_a and first.spans_b  # something to highlight on both sides
    assert run.flagged == 1


def test_two_functions_taken_from_a_known_solution_are_reported(planted, releases):
    """A public gist holding only linear_svm.py: carol's two SVM functions are in it, her other
    eight functions are her own. Her share of code found in the gist is small, the gist's found in
    hers is not; classmates who wrote the SVM otherwise stay low."""
    _, _, _, root = planted
    (root / "known" / "gist").mkdir(parents=True)
    svm = root / "submissions" / "carol" / "cs_utils" / "classifiers" / "linear_svm.py"
    (root / "known" / "gist" / "linear_svm.py").write_text(svm.read_text(encoding="utf-8"), encoding="utf-8")
    run = run_similarity(root / "submissions", root / "report-known", root / "known",
                         starter=releases["starter"] / "cs_utils")
    known = {pair.a.name: pair for pair in run.pairs if pair.source == KNOWN_SOLUTION}
    assert known["carol"].share_a < 0.5 and known["carol"].share_b >= 0.95 and known["carol"].score >= 0.95
    assert all(known[name].score < 0.5 for name in ("alice", "bob", "dave")), known
    assert known["erin"].score == 0


@pytest.mark.parametrize("a, b", [*itertools.combinations(INDEPENDENT, 2), ("bob", "carol"), ("bob", "dave")])
def test_independent_implementations_score_low(planted, a, b):
    _, scores, _, _ = planted
    assert scores[frozenset((a, b))].score < 0.4, scores[frozenset((a, b))]


def test_the_untouched_starter_scores_zero(planted):
    run, scores, _, _ = planted
    blanks = {document.name: document for document in run.documents if document.name in ("erin", "frank")}
    assert blanks["erin"].text == "" and blanks["frank"].text == ""
    assert scores[frozenset(("erin", "frank"))].score == 0
    assert all(scores[frozenset((blank, other))].score == 0 for blank in blanks
               for other in ("alice", "bob", "carol", "dave"))


def test_repeated_code_is_not_dropped_as_starter_code():
    """copydetect 0.5.0's own boilerplate filter drops a document's repeated k-grams; ours must not."""
    line = "total = total + weights[i] * values[i] - offsets[i]\n"
    repeated = Document("a", STUDENT, (line * 3,))
    unrelated = frozenset(starter_hashes(["result = compute(arguments, more_arguments, yet_more)\n"]))
    assert fingerprint(repeated, unrelated).size == fingerprint(repeated).size > 0


CANONICAL = """for i in range(num_test):
    for j in range(num_train):
        dists[i, j] = np.sqrt(np.sum((X[i] - self.X_train[j]) ** 2))
"""
SHARED = """margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
margins[np.arange(N), y] = 0
loss = margins.sum() / N + reg * np.sum(W * W)
"""


def test_code_everyone_writes_can_be_ignored_between_classmates_but_not_against_known_solutions():
    own = [f"value_{n} = compute_{n}(alpha_{n}, beta_{n}, gamma_{n}) + {n} * offset_{n}.sum(axis={n})\n"
           for n in range(8)]
    students = [Document(f"s{n}", STUDENT, (CANONICAL + own[n] + (SHARED if n < 2 else ""),)) for n in range(8)]
    known = [Document("public", KNOWN, (CANONICAL,))]
    plain = {frozenset((p.a.name, p.b.name)): p.score for p in compare_all(students, known, frozenset())}
    quiet = {frozenset((p.a.name, p.b.name)): p.score
             for p in compare_all(students, known, frozenset(), ignore_common=3)}
    assert plain[frozenset(("s2", "s3"))] >= 0.3  # the canonical loop alone makes them alike
    assert quiet[frozenset(("s2", "s3"))] == 0
    assert quiet[frozenset(("s0", "s1"))] >= 0.5  # the block only the two of them share still counts
    assert quiet[frozenset(("s5", "public"))] == plain[frozenset(("s5", "public"))] > 0
