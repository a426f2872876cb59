"""Compare documents pairwise with copydetect's fingerprints and give each pair a score.

copydetect (MOSS's winnowing over Pygments tokens) turns each document into the hashes of its
``k``-grams after replacing every name with ``V``, every function name with ``F``, every string
with ``S`` and dropping comments and whitespace, so renamed variables, changed comments and new
layout leave the fingerprints as they were; a reordered statement only breaks the ``k``-grams
that straddle its ends. Every ``k``-gram is kept (window 1, copydetect's "guarantee threshold"
equal to its "noise threshold"): the result then does not depend on Python's per-process string
hashing, so two runs over the same submissions give the same scores.

Fingerprints that also occur in the released starter modules are dropped here rather than
through copydetect's ``boilerplate`` argument: copydetect 0.5.0 intersects with
``assume_unique=True`` although a document's hashes repeat, which drops repeated code that is
not boilerplate at all.

Scores, each between 0 and 1:

* two classmates: the matching share of both documents together,
  ``(matched_a + matched_b) / (size_a + size_b)``, so a short document that shares one common
  line with a long one scores low, and two copies of each other score near 1;
* a student and a known solution: the larger of the two shares, so a student whose code comes
  from a public solution scores high, and so does one who took a public solution's two functions
  into otherwise original code (the solution's share is then high, the student's is not).
  Known solutions are the instructor's choice of real solutions, not fragments: a known file
  holding nothing but one canonical line would match every student who wrote it.

``matched`` and ``size`` count characters of the filtered token stream, not of the source.
"""
from __future__ import annotations

import bisect
import collections
import io
from collections.abc import Iterable
from dataclasses import dataclass

from autograder.similarity.sources import KNOWN, STUDENT, Document

#: The shortest run of matching filtered characters that counts (copydetect's default).
NOISE_THRESHOLD = 25
#: Whose code the second document of a pair is.
CLASSMATE, KNOWN_SOLUTION = "classmate", "known solution"


@dataclass(frozen=True)
class Fingerprint:
    """A document's fingerprints: ``hashes`` maps each kept hash to where it starts in ``filtered``."""

    document: Document
    filtered: str
    offsets: object  # copydetect's (M, 2) array mapping filtered positions back to the text
    hashes: dict[int, list[int]]
    keys: frozenset[int]  # the keys of ``hashes``, for the set intersections of every pair
    size: int  # filtered characters covered by a kept fingerprint


@dataclass(frozen=True)
class Pair:
    """Two documents compared: the score, each side's share and the matching spans of each text."""

    a: Document
    b: Document
    source: str
    score: float
    share_a: float
    share_b: float
    matched: int
    spans_a: tuple[tuple[int, int], ...]
    spans_b: tuple[tuple[int, int], ...]


def fingerprint(document: Document, boilerplate: frozenset[int] = frozenset(),
                k: int = NOISE_THRESHOLD) -> Fingerprint:
    """Tokenize, filter and fingerprint one document, leaving out the ``boilerplate`` hashes and
    every ``k``-gram that straddles two runs (:func:`run_boundaries`)."""
    from copydetect import CodeFingerprint
    from copydetect.utils import get_token_coverage

    code = CodeFingerprint(f"{document.name}.py", k, 1, language="python", fp=io.StringIO(document.text))
    boundaries = run_boundaries(document.runs, code.filtered_code)
    hashes = {}
    for h, where in code.hash_idx.items():
        if h in boilerplate:
            continue
        inside = [int(p) for p in where if not _straddles(boundaries, int(p), k)]
        if inside:
            hashes[h] = inside
    size = int(get_token_coverage(hashes, k, len(code.filtered_code))) if hashes else 0
    return Fingerprint(document, code.filtered_code, code.offsets, hashes, frozenset(hashes), size)


def run_boundaries(runs: tuple[str, ...], filtered: str) -> list[int]:
    """Where each run after the first starts in the document's filtered token stream.

    The runs are separate pieces of a module (the starter's lines removed between them), so a
    ``k``-gram across two of them is an artefact of putting them together: two students who only
    reformatted the starter (an auto-formatter splits its long lines) would share every such
    ``k``-gram. Each run is filtered alone; when the pieces do not add up to the whole (a run the
    lexer reads differently on its own), no boundary is returned and nothing is dropped.
    """
    from copydetect.utils import filter_code

    starts, position, pieces = [], 0, []
    for run in runs:
        piece, _ = filter_code(run, "run.py", "python")
        pieces.append(piece)
        position += len(piece)
        starts.append(position)
    return starts[:-1] if "".join(pieces) == filtered else []


def _straddles(boundaries: list[int], start: int, k: int) -> bool:
    """Whether the ``k``-gram starting at ``start`` crosses one of the sorted ``boundaries``."""
    after = bisect.bisect_right(boundaries, start)
    return after < len(boundaries) and boundaries[after] < start + k


def starter_hashes(texts: Iterable[str], k: int = NOISE_THRESHOLD) -> frozenset[int]:
    """The fingerprints of the released starter modules: never counted as similarity."""
    found: set[int] = set()
    for text in texts:
        found.update(fingerprint(Document("starter", STUDENT, (text,)), k=k).hashes)
    return frozenset(found)


def compare(first: Fingerprint, second: Fingerprint, k: int = NOISE_THRESHOLD) -> Pair:
    """Score one pair; ``second`` may be a known solution (then the score is ``first``'s share)."""
    from copydetect import compare_files

    source = KNOWN_SOLUTION if second.document.kind == KNOWN else CLASSMATE
    if not first.size or not second.size or first.keys.isdisjoint(second.keys):
        return Pair(first.document, second.document, source, 0.0, 0.0, 0.0, 0, (), ())
    matched_a, (share_a, share_b), (slices_a, slices_b) = compare_files(_Adapter(first, k), _Adapter(second, k))
    if source == KNOWN_SOLUTION:
        score = max(share_a, share_b)
    else:
        score = (matched_a + share_b * second.size) / (first.size + second.size)
    return Pair(first.document, second.document, source, float(score), float(share_a), float(share_b),
                int(matched_a), _spans(slices_a), _spans(slices_b))


def compare_all(students: list[Document], known: list[Document], boilerplate: frozenset[int], *,
                ignore_common: int | None = None, progress: bool = False) -> list[Pair]:
    """Every pair of students and every student with every known solution, highest score first.

    With ``ignore_common`` = M, a fingerprint found in the code of more than M students is left
    out of the classmate pairs (MOSS's ``-m``): in a large class the canonical lines everyone
    writes stop counting, but a copy shared by more than M students is then missed among
    classmates. Known solutions are always compared with every fingerprint, so a public solution
    that many copied is still found. With ``progress``, a progress bar on stderr counts the pairs
    (a class of 400 makes 79,800).
    """
    from tqdm import tqdm

    prints = [fingerprint(document, boilerplate) for document in students]
    known_prints = [fingerprint(document, boilerplate) for document in known]
    classmates = prints if ignore_common is None else without_common(prints, ignore_common)
    work = [(classmates[i], classmates[j]) for i in range(len(prints)) for j in range(i + 1, len(prints))]
    work += [(student, solution) for student in prints for solution in known_prints]
    with tqdm(total=len(work), unit="pair", desc="comparing", dynamic_ncols=True, disable=not progress) as bar:
        pairs = []
        for first, second in work:
            pairs.append(compare(first, second))
            bar.update()
    return sorted(pairs, key=lambda p: (-p.score, -p.matched, p.source, p.a.name, p.b.name))


def without_common(prints: list[Fingerprint], most: int, k: int = NOISE_THRESHOLD) -> list[Fingerprint]:
    """The fingerprints with every hash held by more than ``most`` of them removed (sizes recomputed)."""
    from copydetect.utils import get_token_coverage

    counts = collections.Counter(h for item in prints for h in item.keys)
    common = {h for h, count in counts.items() if count > most}
    kept = []
    for item in prints:
        hashes = {h: where for h, where in item.hashes.items() if h not in common}
        size = int(get_token_coverage(hashes, k, len(item.filtered))) if hashes else 0
        kept.append(Fingerprint(item.document, item.filtered, item.offsets, hashes, frozenset(hashes), size))
    return kept


class _Adapter:
    """What :func:`copydetect.compare_files` reads of a fingerprint."""

    def __init__(self, fingerprint: Fingerprint, k: int):
        self.k = k
        self.hashes = fingerprint.keys
        self.hash_idx = fingerprint.hashes
        self.filtered_code = fingerprint.filtered
        self.offsets = fingerprint.offsets
        self.token_coverage = fingerprint.size


def _spans(slices) -> tuple[tuple[int, int], ...]:
    """copydetect's (2, n) array of starts and ends as pairs of ints."""
    if len(slices) == 0 or len(slices[0]) == 0:
        return ()
    return tuple((int(start), int(end)) for start, end in zip(slices[0], slices[1], strict=True))
