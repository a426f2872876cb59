"""Patched modules found in the submission's source, read in the parent."""
from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading.integrity import KIT_RUNTIME, outside_paths, patch_events, patched_modules
from autograder.grading.results import OUTSIDE_PATH, PATCHED_MODULE
from autograder.grading.snapshot import SubmissionFiles

REDTEAM = Path(__file__).with_name("redteam")


@pytest.mark.parametrize("source, found", [
    ("import numpy as np\nnp.allclose = lambda *a, **k: True\n", ["numpy.allclose on line 2"]),
    ("import numpy.testing as npt\nnpt.assert_allclose = None\n", ["numpy.testing.assert_allclose on line 2"]),
    ("import numpy\nnumpy.testing.assert_allclose = None\n", ["numpy.testing.assert_allclose on line 2"]),
    ("from numpy import testing\ntesting.assert_array_equal = None\n", ["numpy.testing.assert_array_equal on line 2"]),
    ("import numpy as np\ndef f():\n    setattr(np, 'isclose', None)\n", ["numpy.isclose on line 3"]),
    ("import numpy as np\ndel np.isclose\n", ["numpy.isclose on line 2"]),
    ("import numpy as np\na, np.array_equal = 1, 2\n", ["numpy.array_equal on line 2"]),
    ("import sys\nsys.modules['numpy'] = object()\n", ["sys.modules[...] on line 2"]),
    ("import builtins as b\nb.__import__ = None\n", ["builtins.__import__ on line 2"]),
    ("__builtins__['float'] = int\n", ["builtins[...] on line 1"]),
])
def test_assignments_to_other_modules_are_found(source, found):
    assert patched_modules(source) == found


@pytest.mark.parametrize("source", [
    "import numpy as np\nx = np.zeros(3)\nx.shape = (3, 1)\n",  # an array of their own
    "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (4, 3)\n",  # a setting, not a patch
    "from cs_utils.classifiers import linear_svm\nlinear_svm.svm_loss_naive = None\n",  # their own package
    "from .linear_svm import svm_loss_naive\n",
    "class K:\n    pass\nK.predict = lambda self, X: X\n",
    "import numpy as np\nnp = None\n",  # rebinding a name changes nothing outside the module
    "def broken(:\n",  # does not parse: nothing to report (the import test says the rest)
])
def test_honest_code_is_not_flagged(source):
    assert patched_modules(source) == []


def test_the_red_team_patches_are_found():
    numpy_patch = "import numpy as np\n" + (REDTEAM / "monkeypatch_numpy.py").read_text()
    assert [entry.split(" on ")[0] for entry in patched_modules(numpy_patch)] == [
        "numpy.allclose", "numpy.isclose", "numpy.array_equal", "numpy.testing.assert_allclose",
        "numpy.testing.assert_array_equal"]
    assert [entry.split(" on ")[0] for entry in patched_modules((REDTEAM / "replace_builtins.py").read_text())] == [
        "builtins.__import__"]


@pytest.mark.parametrize("source, found", [
    ("import glob\nfor p in glob.glob('/*/*/autograder/source/x.py'):\n    pass\n",
     ["'/*/*/autograder/source/x.py' on line 2"]),
    ("PLACES = ('../results.json', '/tmp/r.json')\ndef f():\n    open(PLACES[0], 'w')\n",
     ["'../results.json' on line 1", "'/tmp/r.json' on line 1"]),
    ("from pathlib import Path\nPath('~/notes.txt').read_text()\n", ["'~/notes.txt' on line 2"]),
    ("import os\nos.listdir('data/../../other')\n", ["'data/../../other' on line 2"]),
])
def test_paths_outside_the_submission_are_found(source, found):
    assert outside_paths(source) == found


@pytest.mark.parametrize("source", [
    "x = '/tmp/r.json'\n",  # a path, but no file function anywhere
    "def f():\n    '''Reads /tmp/cache/data.json, see ../README.'''\n    return open('data.json')\n",  # docstring
    "key = 'softmax/race'\nopen('results/knn.json')\n",  # relative paths inside the submission
    "open('/race')\n",  # one part: a key, not a place
    "import numpy as np\nnp.load('datasets/cifar.npy')\n",
])
def test_paths_inside_the_submission_or_in_prose_are_not_flagged(source):
    assert outside_paths(source) == []


def test_a_long_path_is_cut_and_loses_control_characters():
    (entry,) = outside_paths("open('/tmp/" + "a" * 200 + "\\x1b[31m')\n")
    assert len(entry) < 120 and "\x1b" not in entry


def test_the_red_team_reads_are_found():
    found = outside_paths((REDTEAM / "fake_results.py").read_text())
    assert {"'../results.json'", "'/autograder/results/results.json'", "'/tmp/results.json'"} <= {
        entry.split(" on line")[0] for entry in found}


def test_events_skip_the_kit_runtime_and_files_as_released(tmp_path):
    starter = tmp_path / "starter"
    (starter / "classifiers").mkdir(parents=True)
    released = b"import sys\nsys.modules['x'] = None\n"  # as released: not the student's writing
    (starter / "classifiers" / "linear_svm.py").write_bytes(released)
    patch = b"import numpy as np\nnp.allclose = None\nopen('/autograder/results/results.json', 'w')\n"
    files = SubmissionFiles({
        "cs_utils/classifiers/linear_svm.py": released,
        f"{KIT_RUNTIME}harness.py": b"import sys\nsys.stdout = None\n",
        "cs_utils/classifiers/softmax.py": patch,
        "notebooks/knn.ipynb": patch,
    })
    events = patch_events(files, starter)
    assert [(e.kind, e.where, e.detail) for e in events] == [
        (PATCHED_MODULE, "cs_utils/classifiers/softmax.py", "numpy.allclose on line 2"),
        (OUTSIDE_PATH, "cs_utils/classifiers/softmax.py", "'/autograder/results/results.json' on line 3")]
