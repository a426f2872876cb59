"""The similarity pipeline in one call: read, fingerprint, compare, report."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from autograder.grading.submission import STARTER
from autograder.similarity import detect, report, sources

#: Pairs scoring at least this much get a side-by-side page (``--threshold``).
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class SimilarityRun:
    """What one run wrote and found."""

    index: Path
    csv: Path
    pairs: tuple[detect.Pair, ...]
    documents: tuple[sources.Document, ...]
    flagged: int


def run_similarity(submissions: Path, out: Path, known: Path | None = None, *,
                   threshold: float = DEFAULT_THRESHOLD, ignore_common: int | None = None,
                   starter: Path = STARTER, progress: bool = False) -> SimilarityRun:
    """Compare every student of ``submissions`` with each other and with each known solution.

    Parameters
    ----------
    submissions : Path
        A ``grade-all`` folder: one subfolder or zip per student (loose files inside accepted).
    out : Path
        Receives ``index.html``, ``pairs.csv`` and ``pairs/``.
    known : Path, optional
        One folder, zip or ``.py`` file per known public solution.
    threshold : float
        Pairs scoring at least this get a side-by-side page.
    ignore_common : int, optional
        Leave out of classmate pairs the fingerprints found in more than this many students'
        code (see :func:`~.detect.compare_all`); None keeps them all.
    starter : Path
        The released ``cs_utils/`` whose lines never count.
    progress : bool
        Show progress bars on stderr (reading, then comparing).

    Raises
    ------
    NameCollision
        If two entries of ``submissions`` would be the same student.
    """
    modules = sources.graded_modules()
    documents = sources.read_submissions(Path(submissions), starter, progress=progress)
    solutions = sources.read_known(Path(known), starter) if known is not None else []
    starter_texts = [sources.read_module(starter.parent.joinpath(*module.split("/")))[0] or ""
                     for module in modules]
    pairs = detect.compare_all(documents, solutions, detect.starter_hashes(starter_texts),
                               ignore_common=ignore_common, progress=progress)
    index = report.write_report(Path(out), pairs, documents, solutions, threshold=threshold, modules=modules,
                                ignore_common=ignore_common)
    flagged = sum(1 for pair in pairs if pair.score >= threshold and pair.matched)
    return SimilarityRun(index, Path(out) / "pairs.csv", tuple(pairs), tuple(documents), flagged)
