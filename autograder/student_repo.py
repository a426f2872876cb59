"""The public student repository: ``python -m autograder release --student-repo DIR``.

The kit is the instructor's repository: the reference solutions (``autograder/source``), the
hidden tests and the grader (``autograder/grading``), the kit's own tests and benchmarks. It must
stay private. Students get a second repository, written by this module, that holds the student
release and nothing else, the way nbgrader keeps an assignment's ``source/`` apart from its
``release/``:

=========================  ==========================================================
``cs_utils/``              the package with stubs in place of every solution region
``notebooks/*.ipynb``      the three student notebooks; ``KIT_SOURCE`` is this repository
``assignment/README.md``   the handout, its badges pointing at this repository
``datasets/``              ``README.md`` and ``.gitignore`` (the data is downloaded, never committed)
``get_datasets.sh``        the CIFAR-10 download
``requirements.txt``       the student install (what ``cs_utils`` and the notebooks import)
``README.md``              from ``autograder/source/README.md``, with the Colab badges
``LICENSE``, ``.gitignore``
=========================  ==========================================================

:data:`ALLOWED` is that list as an explicit allow-list: :func:`build_student_repo` refuses to
commit a file outside it. The folder becomes a git repository with one commit per build (a
rebuild after a fix is a new commit, ready to push); an unchanged rebuild commits nothing.
"""
from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from autograder import KIT_ROOT, SOURCE_ROOT
from autograder.release import build_release

#: Every path a student repository may hold (``fnmatch`` patterns on POSIX paths). Nothing else.
ALLOWED = (
    ".gitignore",
    "LICENSE",
    "README.md",
    "requirements.txt",
    "get_datasets.sh",
    "assignment/README.md",
    "datasets/README.md",
    "datasets/.gitignore",
    "notebooks/knn.ipynb",
    "notebooks/svm.ipynb",
    "notebooks/softmax.ipynb",
    "cs_utils/*.py",
    "cs_utils/classifiers/*.py",
    "cs_utils/public_tests/*.py",
    "cs_utils/_grading/child.py",
    "cs_utils/_grading/runner.py",
    "cs_utils/_grading/static.py",
    "cs_utils/_grading/graded_cells.json",
    "cs_utils/_grading/functions.json",
)
#: Copied from the kit as they are.
COPIED = ("LICENSE", "get_datasets.sh", "requirements.txt", "datasets/README.md")
#: The student README's template (its Colab badges are filled in).
README_TEMPLATE = SOURCE_ROOT / "README.md"
GITIGNORE = """\
# Local environments and caches
.venv/
__pycache__/
*.pyc
.ipynb_checkpoints/
# What python -m cs_utils.submit writes: upload it, do not commit it
/submission*.zip
"""
DATASETS_GITIGNORE = """\
# CIFAR-10 is downloaded by get_datasets.sh (or the notebooks' setup cell), never committed.
cifar-10-batches-py/
*.tar.gz
.download-*
"""
#: ``owner/repo/blob/branch``, as in a Colab badge's GitHub address.
COLAB_PATH = re.compile(r"^(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)/blob/(?P<branch>[\w./-]+)$")
#: The identity of the commit when git has none configured.
FALLBACK_AUTHOR = ("Assignment kit", "assignment-kit@localhost")


class StudentRepoError(ValueError):
    """The student repository cannot be written where or as asked."""


@dataclass(frozen=True)
class StudentRepo:
    """What :func:`build_student_repo` did."""

    folder: Path
    files: tuple[str, ...]  # every file of the repository, POSIX paths, sorted
    commit: str  # the new commit's hash, or "" when nothing changed since the last build
    kit_source: str  # what the notebooks' KIT_SOURCE is set to ("" with the placeholder path)
    branch: str


def allowed(relative: str) -> bool:
    """Whether a POSIX path may be in the student repository (:data:`ALLOWED`); ``*`` stays in one folder."""
    parts = relative.split("/")
    return any(
        len(pattern.split("/")) == len(parts)
        and all(fnmatch.fnmatchcase(part, piece) for part, piece in zip(parts, pattern.split("/"), strict=True))
        for pattern in ALLOWED
    )


def repository_url(colab_path: str) -> str:
    """``https://github.com/owner/repo`` for a Colab path ``owner/repo/blob/branch``."""
    match = COLAB_PATH.match(colab_path)
    if not match:
        raise StudentRepoError(f"--colab-path must look like owner/repo/blob/branch; got {colab_path!r}")
    return f"https://github.com/{match['owner']}/{match['repo']}"


def build_student_repo(destination: Path, colab_path: str, *, kit_root: Path = KIT_ROOT,
                       message: str = "The assignment, from the kit's student release") -> StudentRepo:
    """Write (or update) the student repository in ``destination`` and commit it.

    Parameters
    ----------
    destination : Path
        A new or empty folder, or a student repository written here before (then every file
        is replaced and the difference committed). Never the kit itself or a folder holding it.
    colab_path : str
        Where the student repository is published, ``owner/repo/blob/branch``: the Colab badges
        point there and the notebooks copy the kit from ``https://github.com/owner/repo`` on
        Colab without Drive. The kit's placeholder leaves ``KIT_SOURCE`` empty.
    kit_root : Path
        The instructor kit the release is built from.
    message : str
        The commit message.

    Raises
    ------
    StudentRepoError
        If ``destination`` is the kit, holds it, or is a non-empty folder that is not a
        repository written by this command; or if ``colab_path`` is malformed.
    """
    from autograder import handout

    destination = Path(destination).absolute()
    _check_destination(destination, Path(kit_root).resolve())
    match = COLAB_PATH.match(colab_path)
    if not match:
        raise StudentRepoError(f"--colab-path must look like owner/repo/blob/branch; got {colab_path!r}")
    kit_source = "" if colab_path == handout.PLACEHOLDER_PATH else repository_url(colab_path)
    branch = match["branch"]
    with tempfile.TemporaryDirectory(prefix="student-repo-") as scratch:
        staged = Path(scratch) / "repo"
        _write_files(staged, Path(kit_root), colab_path, kit_source)
        files = tuple(sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()))
        outside = [name for name in files if not allowed(name)]
        if outside:
            raise StudentRepoError(f"not on the student repository's allow-list: {', '.join(outside)}")
        destination.mkdir(parents=True, exist_ok=True)
        if not (destination / ".git").is_dir():
            _git(destination, "init", "--quiet")
            _git(destination, "symbolic-ref", "HEAD", f"refs/heads/{branch}")
        for entry in destination.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        for entry in staged.iterdir():
            shutil.move(str(entry), destination / entry.name)
    _git(destination, "add", "--all", ".")
    if not _git(destination, "status", "--porcelain").strip():
        return StudentRepo(destination, files, "", kit_source, branch)
    _git(destination, "commit", "--quiet", "--no-verify", "-m", message, identity=True)
    commit = _git(destination, "rev-parse", "HEAD").strip()
    return StudentRepo(destination, files, commit, kit_source, branch)


def _check_destination(destination: Path, kit_root: Path) -> None:
    resolved = destination.resolve()
    if resolved == kit_root or resolved in kit_root.parents:
        raise StudentRepoError(f"{destination} is the kit or holds it; give a folder of its own for the student "
                               "repository, e.g. ../assignment1-student")
    if not destination.exists():
        return
    if not destination.is_dir():
        raise StudentRepoError(f"{destination} is a file; give a folder for the student repository")
    entries = [entry.name for entry in destination.iterdir()]
    if entries and not ((destination / ".git").is_dir() and (destination / "cs_utils").is_dir()
                        and (destination / "notebooks").is_dir()):
        raise StudentRepoError(f"{destination} is not empty and not a student repository written by this command; "
                               "give a new or empty folder")


def _write_files(root: Path, kit_root: Path, colab_path: str, kit_source: str) -> None:
    from autograder import handout

    build_release(root, solutions=False, kit_source=kit_source)
    for relative in COPIED:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(kit_root / relative, root / relative)
    badges = handout.colab_badges(colab_path)
    assignment = (kit_root / handout.HANDOUT).read_text(encoding="utf-8")
    (root / handout.HANDOUT).parent.mkdir(parents=True, exist_ok=True)
    (root / handout.HANDOUT).write_text(handout.replace_region(assignment, "colab badges", badges), encoding="utf-8")
    readme = README_TEMPLATE.read_text(encoding="utf-8")
    (root / "README.md").write_text(handout.replace_region(readme, "colab badges", badges), encoding="utf-8")
    (root / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    (root / "datasets" / ".gitignore").write_text(DATASETS_GITIGNORE, encoding="utf-8")
    for litter in [p for p in root.rglob("*") if p.name == "__pycache__"]:
        shutil.rmtree(litter, ignore_errors=True)


def _git(folder: Path, *arguments: str, identity: bool = False) -> str:
    environment = dict(os.environ)
    if identity and not _configured(folder, "user.email"):
        name, email = FALLBACK_AUTHOR
        environment.update(GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME=name,
                           GIT_COMMITTER_EMAIL=email)
    try:
        result = subprocess.run(["git", *arguments], cwd=folder, capture_output=True, text=True, check=True,
                                env=environment)
    except FileNotFoundError as error:
        raise StudentRepoError("git is not installed: the student repository is a git repository") from error
    except subprocess.CalledProcessError as error:
        raise StudentRepoError(f"git {' '.join(arguments)} failed in {folder}: {error.stderr.strip()}") from error
    return result.stdout


def _configured(folder: Path, key: str) -> bool:
    result = subprocess.run(["git", "config", key], cwd=folder, capture_output=True, text=True)
    return bool(result.stdout.strip())
