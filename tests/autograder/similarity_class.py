"""A small class for the similarity tests: independent implementations, a planted copy, two blanks.

* ``alice``: the reference solution;
* ``bob``: alice's code copied, then disguised: names changed, neighbouring statements swapped,
  every comment rewritten;
* ``carol`` and ``dave``: the reference with every function rewritten, by the first and by the
  second correct variant of ``fairness_variants.py`` for that function (``svm_loss_naive`` has one
  variant only, so dave's is the reference's, shared with alice);
* ``erin`` and ``frank``: the untouched student release.
"""
from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

from fairness_variants import CORRECT, Variant

from autograder import SOURCE_ROOT
from autograder.release import find_solution_regions, keep_solutions

CLASSIFIERS = ("k_nearest_neighbor", "linear_svm", "softmax", "linear_classifier")
RENAMES = {"difference": "delta", "differences": "deltas", "scores": "s", "correct_class_score": "truth",
           "correct_class_scores": "truths", "margins": "m", "margin": "mg", "num_train": "n", "num_classes": "c",
           "coefficients": "coef", "exp_scores": "e", "normalizer": "z", "normalizers": "zs", "rows": "idx",
           "batch_indices": "picked", "dscores": "g", "probability": "p", "nearest": "order",
           "closest_y": "near_labels", "test_sq": "a2", "train_sq": "b2", "sq_dists": "d2"}
#: Runs of consecutive reference lines that are rotated (the first moves to the end).
ROTATIONS = [
    ("num_train = X.shape[0]", "rows = np.arange(num_train)", "scores = X @ W  # (N, C)"),
    ("loss /= num_train", "dW /= num_train"),
    ("loss += reg * np.sum(W * W)", "dW += 2 * reg * W"),
    ('test_sq = np.einsum("ij,ij->i", X, X)  # (num_test,)',
     'train_sq = np.einsum("ij,ij->i", self.X_train, self.X_train)  # (num_train,)'),
]


def disguise(text: str) -> tuple[str, int]:
    """A copy as a student would hide it: statements reordered, comments rewritten, names changed.

    Returns the new text and how many runs of statements were reordered.
    """
    lines = text.splitlines()
    rotated = 0
    for run in ROTATIONS:
        for start in range(len(lines) - len(run) + 1):
            if tuple(line.strip() for line in lines[start:start + len(run)]) == run:
                lines[start:start + len(run)] = [*lines[start + 1:start + len(run)], lines[start]]
                rotated += 1
    out = []
    for line in lines:
        code, _, comment = line.partition("  # ")
        if comment:
            line = code + "  # worked this out myself"
        elif line.lstrip().startswith("# "):
            line = line[: len(line) - len(line.lstrip())] + "# as in the lecture notes"
        out.append(line)
    names = re.compile(r"\b(" + "|".join(sorted(RENAMES, key=len, reverse=True)) + r")\b")
    return names.sub(lambda match: RENAMES[match[1]], "\n".join(out) + "\n"), rotated


def with_variants(solution: Path, destination: Path, variants: list[Variant]) -> Path:
    """The solution release with each of ``variants`` in place of the reference function."""
    shutil.copytree(solution, destination, ignore=shutil.ignore_patterns("__pycache__"))
    by_file: dict[str, list[Variant]] = {}
    for variant in variants:
        by_file.setdefault(variant.file, []).append(variant)
    for file, chosen in by_file.items():
        source = (SOURCE_ROOT / file).read_text(encoding="utf-8")
        appended = ""
        for variant in chosen:
            lines = source.splitlines()
            regions = [r for r in find_solution_regions(source, file) if r.function == variant.function]
            for region, body in reversed(list(zip(regions, variant.bodies, strict=True))):
                if body is not None:
                    code = textwrap.dedent(body).strip("\n").splitlines()
                    lines[region.begin + 1:region.end] = [region.indent + line if line.strip() else ""
                                                          for line in code]
            source = "\n".join(lines) + "\n"
            appended += variant.append
        (destination / file).write_text(keep_solutions(source, file) + appended, encoding="utf-8")
    return destination


def build_class(releases: dict[str, Path], folder: Path) -> int:
    """Write the six students into ``folder``; return how many runs of bob's statements were reordered."""
    first: dict[str, Variant] = {}
    second: dict[str, Variant] = {}
    for variant in CORRECT:
        (second if variant.function in first else first).setdefault(variant.function, variant)
    shutil.copytree(releases["solution"], folder / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(folder / "alice", folder / "bob")
    reordered = 0
    for name in CLASSIFIERS:
        path = folder / "bob" / "cs_utils" / "classifiers" / f"{name}.py"
        text, rotated = disguise(path.read_text(encoding="utf-8"))
        path.write_text(text, encoding="utf-8")
        reordered += rotated
    with_variants(releases["solution"], folder / "carol", list(first.values()))
    with_variants(releases["solution"], folder / "dave", list(second.values()))
    for name in ("erin", "frank"):
        shutil.copytree(releases["starter"], folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return reordered
