"""Instructor side of the kit: the reference source, the release builder and the grader.

Nothing in this package is shipped to students. ``autograder/source/`` holds the one source of
truth for every student file (reference solutions between ``### BEGIN SOLUTION`` /
``### END SOLUTION`` markers); ``python -m autograder release`` turns it into the student
release at the repository root.
"""
from pathlib import Path

#: Root of the kit checkout (the folder that holds ``autograder/`` and ``cs_utils/``).
KIT_ROOT = Path(__file__).resolve().parent.parent
#: Where the reference source lives.
SOURCE_ROOT = Path(__file__).resolve().parent / "source"
