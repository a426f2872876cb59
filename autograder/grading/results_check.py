"""Check the results files the notebooks write: their shape, and whether they can be reproduced.

``notebooks/results/{knn,svm,softmax}.json`` are validated against
``schemas/notebook_results.schema.json`` (jsonschema). When the grader has the real CIFAR-10
(``CIFAR10_DIR`` pointing at a full ``cifar-10-batches-py``), each submitted result is then
*reproduced*: the student's own ``cs_utils`` retrains with the student's choices (``best_k``;
or learning rate, reg, ``num_iters``, ``init_scale`` and seed) in a confined child, exactly as
the notebook does, and the parent compares the accuracy it reports with the submitted one within
:data:`TOLERANCE`. Without the data the entry says "not verified (no data)". Either way it is an
informational, 0-point entry: a verification never costs or earns points by itself.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from autograder.grading.notebook_run import report_lines, run_program
from autograder.grading.results import Verdict
from autograder.grading.sandbox import Limits, Sandbox
from autograder.grading.snapshot import SubmissionFiles

SCHEMA = Path(__file__).with_name("schemas") / "notebook_results.schema.json"
MAX_RESULTS_BYTES = 64 << 10
#: Largest difference between the submitted accuracy and the reproduced one (seeded runs agree
#: exactly on one machine; BLAS builds may differ in the last digits of a few scores).
TOLERANCE = {"knn": 0.005, "svm": 0.01, "softmax": 0.01}
RETRAIN_SECONDS = 600.0
#: Retraining loads the full CIFAR-10 in float64 (about 3.5 GB at its peak): a larger memory cap
#: than the code tests' children get, for this one program only.
RETRAIN_LIMITS = Limits(call_seconds=RETRAIN_SECONDS, submission_seconds=RETRAIN_SECONDS,
                        cpu_seconds=int(2 * RETRAIN_SECONDS), address_space_bytes=8 << 30,
                        group_memory_bytes=9 << 30)

#: Runs in the confined child (``python -I -c``); imports the student's ``cs_utils`` from its cwd.
RETRAIN_SOURCE = r'''
import json, os, sys
import numpy as np
name, results_path, data_dir, report_fd = sys.argv[1:5]
os.environ["CIFAR10_DIR"] = data_dir
sys.path.insert(0, os.getcwd())
chosen = json.load(open(results_path))
if name == "knn":
    from cs_utils.classifiers import KNearestNeighbor
    from cs_utils.data_utils import load_CIFAR10
    X_train, y_train, X_test, y_test = load_CIFAR10()
    num_train, num_test = min(10000, len(X_train)), min(500, len(X_test))  # the notebook's sizes
    X_train, y_train = X_train[:num_train].reshape(num_train, -1), y_train[:num_train]
    X_test, y_test = X_test[:num_test].reshape(num_test, -1), y_test[:num_test]
    classifier = KNearestNeighbor()
    classifier.train(X_train, y_train)
    value = float(np.mean(classifier.predict(X_test, k=int(chosen["best_k"])) == y_test))
else:
    from cs_utils.classifiers import LinearSVM, Softmax
    from cs_utils.data_utils import prepare_cifar10_splits
    data = prepare_cifar10_splits(num_training=49000, num_validation=1000, num_test=1000, num_dev=500, seed=0)
    classifier = (LinearSVM if name == "svm" else Softmax)()
    classifier.W = chosen["init_scale"] * np.random.RandomState(int(chosen["seed"])).randn(data["X_train"].shape[1], 10)
    classifier.train(data["X_train"], data["y_train"], learning_rate=chosen["learning_rate"], reg=chosen["reg"],
                     num_iters=int(chosen["num_iters"]), seed=int(chosen["seed"]))
    value = float(np.mean(classifier.predict(data["X_val"]) == data["y_val"]))
with os.fdopen(int(report_fd), "w") as report:
    report.write(json.dumps({"accuracy": value}) + "\n")
'''


@lru_cache(maxsize=1)
def _validators() -> dict:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return {name: jsonschema.Draft202012Validator({**schema, "$ref": ref["$ref"]})
            for name, ref in schema["properties"].items()}


def schema_problems(name: str, data) -> list[str]:
    """Why ``data`` is not a valid ``notebooks/results/<name>.json`` (empty when it is)."""
    problems = []
    for error in sorted(_validators()[name].iter_errors(data), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in error.path) or "the file"
        problems.append(f"{where}: {error.message[:120]}")
    return problems[:5]


def read_submitted(files: SubmissionFiles, name: str):
    """The submitted results file (as read before any student code ran), or None when missing,
    oversized or not JSON."""
    data = files.files.get(f"notebooks/results/{name}.json")
    if data is None or len(data) > MAX_RESULTS_BYTES:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def real_data_dir(environ=None) -> Path | None:
    """``$CIFAR10_DIR`` when it holds the full CIFAR-10 (five 10000-image batches and the test batch)."""
    environ = os.environ if environ is None else environ
    folder = Path(environ.get("CIFAR10_DIR", "") or "/nonexistent")
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    try:
        if all((folder / n).is_file() and (folder / n).stat().st_size > 30_000_000 for n in names):
            return folder
    except OSError:
        pass
    return None


def check_submitted(name: str, data) -> Verdict:
    """The 0-point entry on the submitted file's shape (the reproduction adds to its detail)."""
    if data is None:
        return Verdict(False, f"notebooks/results/{name}.json is missing or not valid JSON")
    problems = schema_problems(name, data)
    if problems:
        return Verdict(False, "malformed: " + "; ".join(problems))
    return Verdict(True, "well-formed")


def reproduce(sandbox: Sandbox, work: Path, name: str, data, data_dir: Path | None, log: list[str]) -> str:
    """A sentence on whether the submitted accuracy was reproduced by retraining the student's code.

    ``work`` is a fresh copy of the submission (with its results file) that no child has run in.
    The accuracy comes back on the program's report pipe. The retraining runs the student's own
    code in that program, so a student could forge it: that is why this entry is worth 0 points.
    """
    if data_dir is None:
        return "not verified (no data): the grader has no copy of the full CIFAR-10"
    key = "test_accuracy" if name == "knn" else "val_accuracy"
    results_path = Path(work) / "notebooks" / "results" / f"{name}.json"
    report = run_program(sandbox, work, RETRAIN_SOURCE, [name, str(results_path), str(data_dir)],
                         RETRAIN_SECONDS, log, f"reproduce {name}", limits=RETRAIN_LIMITS)
    values = [m.get("accuracy") for m in report_lines(report or b"") if "accuracy" in m]
    value = values[-1] if values else None
    # The program runs the student's code, so what it reports is checked like any student value.
    if not isinstance(value, float) or not 0.0 <= value <= 1.0:
        return "not verified: retraining with your code and settings did not finish"
    if abs(float(value) - float(data[key])) <= TOLERANCE[name]:
        return f"verified: retraining reproduced {key} {value:.4f} (within {TOLERANCE[name]})"
    return (f"NOT reproduced: retraining with your code and settings gives {key} {value:.4f}, the file says "
            f"{float(data[key]):.4f} (tolerance {TOLERANCE[name]})")
