"""Similarity checks: which students' code resembles a classmate's or a known public solution.

``python -m autograder similarity SUBMISSIONS/ --out REPORT/ [--known PUBLIC/]`` runs three steps,
each a module with one job:

1. :mod:`.sources`: read every submission through the grader's intake (never running any of it)
   and keep only what the student wrote in the graded modules, the lines that are not the
   released starter's; the same for each known public solution;
2. :mod:`.detect`: fingerprint those lines with copydetect (MOSS-style winnowing over Pygments
   tokens, so names, comments and layout do not matter) and compare every pair;
3. :mod:`.report`: ``REPORT/pairs.csv`` (highest score first) and ``REPORT/index.html`` with each
   flagged pair side by side, the matching code highlighted; self-contained, no script.

A high score is a reason to look at two submissions, never proof that anyone copied.
"""
from __future__ import annotations

from autograder.similarity.run import SimilarityRun, run_similarity

__all__ = ["SimilarityRun", "run_similarity"]
