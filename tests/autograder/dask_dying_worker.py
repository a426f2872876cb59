"""Preloaded into a test's Dask worker (``dask worker --preload``): the worker process ends
abruptly whenever it is handed the submission of a student called "dies", as a worker whose
machine fails mid-submission would. Its nanny starts a fresh worker process."""
from __future__ import annotations

import os

from autograder.grading import distributed_batch

#: The real task, kept once: Dask may import this file more than once in a worker process.
_grade_task = getattr(distributed_batch, "_undying_grade_task", distributed_batch._grade_task)


def _dying_grade_task(token, parcel, student, digest, config):
    if student == "dies":
        os._exit(1)
    return _grade_task(token, parcel, student, digest, config)


distributed_batch._undying_grade_task = _grade_task  # type: ignore[attr-defined]
distributed_batch._grade_task = _dying_grade_task
