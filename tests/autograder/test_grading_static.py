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
