"""An instructor's slip in the hidden tests' declarations is caught before anyone is graded."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from autograder import KIT_ROOT, cli, exit_codes
from autograder.grading import declarations, gradescope, manifest
from autograder.grading.declarations import DeclarationError
from autograder.grading.runner import PlanSet
from autograder.release import StaleRelease, require_current

FIRST = manifest.TESTS[0]


def test_the_kits_own_declarations_agree():
    assert declarations.problems() == []


def test_a_typo_in_a_test_id_is_named_with_its_consequence():
    typo = dataclasses.replace(FIRST, id=FIRST.id + "s")
    found = declarations.problems(code_tests=(typo, *manifest.TESTS[1:]))
    assert any(repr(typo.id) in problem and "could not grade" in problem for problem in found)
    assert any(repr(FIRST.id) in problem and "no declaration in its part's PART_TESTS" in problem for problem in found)


def test_duplicates_and_unknown_functions_are_named():
    stranger = dataclasses.replace(FIRST, function="compute_distances_three_loops")
    found = declarations.problems(code_tests=(*manifest.TESTS, FIRST), builders=[s.id for s in manifest.TESTS])
    assert len(found) == 1 and found[0].startswith(f"test id {FIRST.id!r} is declared 2 times") and "unique" in found[0]
    found = declarations.problems(code_tests=(stranger, *manifest.TESTS[1:]))
    assert len(found) == 1 and "compute_distances_three_loops" in found[0]
    notebook = dataclasses.replace(manifest.NOTEBOOK_TESTS[0], function="knn.ipnyb")
    assert "knn.ipnyb" in declarations.problems(notebook_tests=(notebook,))[0]


def test_methods_are_known_by_their_qualified_names():
    functions = declarations.reference_functions()
    assert {"LinearClassifier.train", "train", "svm_loss_naive", "KNearestNeighbor.predict_labels"} <= functions


def test_grading_stops_before_anyone_when_a_declared_test_has_no_plan():
    typo = dataclasses.replace(FIRST, id="knn.two_loops.randon")
    with pytest.raises(DeclarationError, match=r"'knn\.two_loops\.randon'.*typo"):
        PlanSet(tests=(typo,))


def test_release_check_reports_the_slip(monkeypatch, capsys):
    monkeypatch.setattr(manifest, "TESTS", (dataclasses.replace(FIRST, id="knn.two_loops.randon"),
                                            *manifest.TESTS[1:]))
    assert cli.main(["release", "--check"]) == exit_codes.CHECK_FAILED
    assert "knn.two_loops.randon" in capsys.readouterr().err


@pytest.fixture(scope="module")
def kit_copy(tmp_path_factory) -> Path:
    """The kit's files without its environments, history and outputs: a tree to make stale."""
    copy = tmp_path_factory.mktemp("kit") / "kit"
    shutil.copytree(KIT_ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", ".venv*", "build", "demo-output", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"))
    return copy


def test_the_gradescope_bundle_refuses_a_stale_release(kit_copy, tmp_path):
    require_current(kit_copy)  # as committed: current
    edited = kit_copy / "cs_utils" / "classifiers" / "linear_svm.py"
    edited.write_text(edited.read_text() + "\n# a hand edit that the source does not have\n")
    with pytest.raises(StaleRelease, match=r"cs_utils/classifiers/linear_svm\.py: changed"):
        gradescope.build_bundle(tmp_path / "autograder.zip", kit_root=kit_copy)
    assert not (tmp_path / "autograder.zip").exists()


def test_a_function_no_part_declares_is_named():
    train = next(spec for spec in manifest.TESTS if spec.function == "LinearClassifier.train")
    unlisted = dataclasses.replace(train, function="train")  # the reference defines it (a method), no part declares it
    found = declarations.problems(code_tests=(unlisted, *(s for s in manifest.TESTS if s.id != train.id)))
    assert len(found) == 1 and "PART_FUNCTIONS" in found[0] and repr(train.id) in found[0]


@pytest.mark.e2e  # grades the solution release in the sandbox
def test_release_check_names_a_plan_that_fails_on_the_reference(monkeypatch):
    from autograder.grading import checks
    from autograder.grading.checks.plans import Plan
    from autograder.grading.results import Verdict

    original = checks.plan_builders

    def with_a_wrong_plan(ref, seed=0, timing=None):
        builders = original(ref, seed, timing)
        right = builders[FIRST.id]

        def wrong() -> Plan:  # as if the new test's expected values were off
            plan = right()
            return Plan(plan.calls, lambda returned, source: Verdict(False, "dists is off"))

        return {**builders, FIRST.id: wrong}

    monkeypatch.setattr(checks, "plan_builders", with_a_wrong_plan)
    found = declarations.failures_on_the_reference()
    assert len(found) == 1 and repr(FIRST.id) in found[0] and "fails on the reference solution" in found[0]


def test_a_function_declared_twice_or_for_an_unknown_notebook_is_named(monkeypatch):
    first = manifest.FUNCTIONS[0]
    monkeypatch.setattr(manifest, "FUNCTIONS", (*manifest.FUNCTIONS, first,
                                                dataclasses.replace(first, name="extra", notebook="svm2")))
    found = declarations.problems(builders=[spec.id for spec in manifest.TESTS])
    assert any(repr(first.name) in problem and "2 times" in problem for problem in found)
    assert any("'extra'" in problem and "'svm2'" in problem for problem in found)
