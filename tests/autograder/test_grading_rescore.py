"""Stored results are rescored when only points or words change, and regraded when an outcome could."""
from __future__ import annotations

import dataclasses
import shutil

import pytest

from autograder import KIT_ROOT
from autograder.grading import manifest, rescore, scoring
from autograder.grading.results import TestOutcome

SPECS = manifest.TESTS


def _stored(passed_ids: set[str]):
    outcomes = tuple(TestOutcome(spec.id, spec.id in passed_ids, "" if spec.id in passed_ids else "wrong")
                     for spec in SPECS)
    return dataclasses.replace(scoring.build_result("alice", SPECS, outcomes, content_hash="h"),
                               notebook_answers={"knn": {"knn-q1-answer": "text"}}, isolation="full")


def test_new_points_and_hints_apply_to_stored_outcomes():
    first, second = SPECS[0], SPECS[1]
    stored = _stored({first.id})
    changed = tuple(dataclasses.replace(spec, points=spec.points * 2) if spec.id == first.id else
                    dataclasses.replace(spec, failure_message="A clearer hint.") if spec.id == second.id else spec
                    for spec in SPECS)
    again = rescore.rescore(stored, changed)
    assert again.score == 2 * first.points and again.max_score == manifest.max_score() + first.points
    assert next(t for t in again.tests if t.spec.id == second.id).spec.failure_message == "A clearer hint."
    assert [t.outcome for t in again.tests] == [t.outcome for t in stored.tests]
    assert (again.notebook_answers, again.isolation, again.content_hash) == (stored.notebook_answers, "full", "h")


def test_could_not_grade_is_left_alone():
    failed = scoring.could_not_grade("bob", SPECS, "Could not grade: no cs_utils.")
    assert rescore.rescore(failed, SPECS) is failed


def test_the_fingerprint_ignores_points_and_words_but_not_which_tests_exist(monkeypatch):
    before = rescore.outcome_fingerprint()
    monkeypatch.setattr(manifest, "TESTS", tuple(dataclasses.replace(spec, points=spec.points + 1, name="x",
                                                                     failure_message="y") for spec in SPECS))
    assert rescore.outcome_fingerprint() == before
    monkeypatch.setattr(manifest, "TESTS", SPECS[1:])
    assert rescore.outcome_fingerprint() != before
    monkeypatch.setattr(manifest, "TESTS", SPECS)
    assert rescore.outcome_fingerprint(notebooks=False) != before
    assert rescore.outcome_fingerprint(seed=1) != before


def test_editing_a_tests_points_or_hint_in_its_part_file_keeps_the_fingerprint(tmp_path, monkeypatch):
    """The points and hints are declared in checks/<part>.py next to the plans: editing them there
    regrades nobody, while an edit to a plan does."""
    grading = tmp_path / "grading"
    shutil.copytree(rescore.GRADING, grading, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(rescore, "GRADING", grading)
    before = rescore.outcome_fingerprint()
    part = grading / "checks" / "knn.py"
    text = part.read_text()
    declared = 'hidden_test("knn.predict_labels.k1", "predict_labels", 3,'
    assert declared in text
    part.write_text(text.replace(declared, declared.replace(" 3,", " 4,")).replace(
        "the label of the single closest training example", "the label of the nearest training example"))
    assert rescore.outcome_fingerprint() == before
    part.write_text(part.read_text().replace("KNN_SIZES = ((5, 7, 4)", "KNN_SIZES = ((5, 8, 4)"))
    assert rescore.outcome_fingerprint() != before


def test_the_fingerprint_follows_the_notebook_templates(tmp_path):
    kit = tmp_path / "kit"
    for relative in rescore.TEMPLATES:
        (kit / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(KIT_ROOT / relative, kit / relative)
    same = rescore.outcome_fingerprint(kit_root=kit)
    assert same == rescore.outcome_fingerprint()
    template = kit / "notebooks" / "svm.ipynb"
    template.write_text(template.read_text().replace("Question 1", "Question one", 1))
    assert rescore.outcome_fingerprint(kit_root=kit) != same


@pytest.mark.e2e  # grade-all in sandboxes
def test_grade_all_rescores_stored_results_when_only_points_and_hints_change(releases, tmp_path, monkeypatch):
    import json

    from autograder.grading import preflight
    from autograder.grading.batch import grade_all
    from autograder.grading.sandbox import Limits

    batch, out = tmp_path / "batch", tmp_path / "out"
    shutil.copytree(releases["solution"], batch / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    (batch / "alice" / "cs_utils" / "classifiers" / "softmax.py").write_text("# not done yet\n")
    first = grade_all(batch, out, workers=1, limits=Limits(), progress=False, notebooks=False,
                      accept=preflight.WEAKER)
    failed = next(t for t in first.results[0].tests if not t.outcome.passed)
    changed = tuple(dataclasses.replace(spec, points=spec.points + 5, failure_message="Reworded hint.")
                    if spec.id == failed.spec.id else spec for spec in SPECS)
    monkeypatch.setattr(manifest, "TESTS", changed)
    again = grade_all(batch, out, workers=1, limits=Limits(), progress=False, notebooks=False,
                      accept=preflight.WEAKER)
    assert (again.graded, again.reused) == (0, 1)
    assert again.results[0].max_score == first.results[0].max_score + 5
    assert again.results[0].score == first.results[0].score
    document = json.loads((out / "alice" / "results.json").read_text())
    assert document["tests"] and any("Reworded hint." in test.get("output", "") for test in document["tests"])
    assert f",{again.results[0].max_score:g}," in (out / "grades.csv").read_text().splitlines()[1]
