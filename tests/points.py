"""What the assignment is worth, read from the grader's manifest: tests compare with these, never
with a number typed in, so changing a test's points in manifest.py breaks no test."""
from autograder.grading import manifest

#: The code tests (``--no-notebooks``).
CODE_POINTS = manifest.max_score(manifest.graded_specs(False))
#: The code tests and the notebook runs: what every command grades by default.
ALL_POINTS = manifest.max_score(manifest.graded_specs(True))
#: The written answers, graded by hand (from the released graded_cells.json).
WRITTEN_POINTS = manifest.written_answer_points()
