from autograder.grading.static import python_loops

SOURCE = '''
class KNN:
    def no_loops(self, X):
        return X @ X.T

    def hidden(self, X):
        total = sum(x for x in X)
        while False:
            pass
        return [v for v in X]


def f(x):
    for i in range(3):
        x += i
    return x


def f(x):
    return x
'''


def test_a_function_without_loops_has_none():
    assert python_loops(SOURCE, "KNN.no_loops") == []


def test_every_kind_of_loop_is_reported_with_its_line():
    found = python_loops(SOURCE, "KNN.hidden")
    assert found == ["a generator expression on line 7", "a while loop on line 8", "a list comprehension on line 10"]


def test_the_last_definition_wins_as_at_import():
    assert python_loops(SOURCE, "f") == []


def test_missing_function_or_bad_source_gives_none():
    assert python_loops(SOURCE, "KNN.absent") is None
    assert python_loops("def broken(:\n", "broken") is None


def test_calls_are_followed_through_relative_imports_as_through_absolute_ones():
    """The stubs import their own package relatively; a student's helper imported that way is
    followed like one imported by its full name (the loop check and the helper check alike)."""
    from autograder.grading.static import forbidden_helpers, loops_in_calls

    helpers = ("import numpy as np\n\ndef helper(n):\n    for i in range(n):\n        pass\n\n"
               "def other():\n    return np.linalg.norm(1)\n")
    for spelling in ("from .linear_svm import helper, other",
                     "from cs_utils.classifiers.linear_svm import helper, other",
                     "from . import linear_svm\nhelper, other = linear_svm.helper, linear_svm.other"):
        caller = f"{spelling}\n\ndef softmax_loss_vectorized(W, X, y, reg):\n    helper(1)\n    return other()\n"
        files = {"cs_utils/classifiers/softmax.py": caller, "cs_utils/classifiers/linear_svm.py": helpers}
        if spelling.startswith("from . import"):  # through the module's name, as linear_svm.helper(1)
            caller = (f"{spelling.splitlines()[0]}\n\ndef softmax_loss_vectorized(W, X, y, reg):\n"
                      "    linear_svm.helper(1)\n    return linear_svm.other()\n")
            files["cs_utils/classifiers/softmax.py"] = caller
        where = ("cs_utils/classifiers/softmax.py", "softmax_loss_vectorized")
        assert loops_in_calls(files.get, *where) == ["a for loop on line 4 of helper (called from "
                                                     "softmax_loss_vectorized)"], spelling
        assert forbidden_helpers(files.get, *where) == ["np.linalg.norm on line 8"], spelling
    # Above the package, nothing is followed (and nothing breaks).
    outside = "from ... import helper\n\ndef softmax_loss_vectorized(W, X, y, reg):\n    return helper(1)\n"
    assert loops_in_calls({"cs_utils/classifiers/softmax.py": outside}.get,
                          "cs_utils/classifiers/softmax.py", "softmax_loss_vectorized") == []
