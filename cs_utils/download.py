"""Download CIFAR-10 (the official "python version") and unpack it next to the kit.

``bash get_datasets.sh`` runs this module; so does ``python -m cs_utils.download``. It fetches
``cifar-10-python.tar.gz`` (about 163 MB) from the authors' site over HTTPS, checks its published
MD5 checksum, and unpacks it to ``<kit>/datasets/cifar-10-batches-py``, the folder
:func:`cs_utils.data_utils.load_CIFAR10` reads by default.

Guarantees:

* **Nothing half-done.** The tarball is downloaded and unpacked inside a temporary folder
  ``<dest>/.download-*``; only a complete, verified ``cifar-10-batches-py`` is moved into place,
  in one rename. Whatever fails, the temporary folder and the tarball are deleted.
* **Idempotent.** When ``cifar-10-batches-py`` already holds every batch file, nothing is
  downloaded.
* **Mirrors.** ``--url`` (or the environment variable ``CIFAR10_URL``) replaces the official
  address; the checksum stays the official one unless ``--md5`` (or ``CIFAR10_MD5``) says
  otherwise.

Downloading, checksum verification, retries and the progress bar are done by `pooch`_;
unpacking by :mod:`tarfile` with its ``"data"`` safety filter.

.. _pooch: https://www.fatiando.org/pooch/

Examples
--------
From the kit folder, in a terminal or in a Colab cell (prefixed with ``!``)::

    bash get_datasets.sh
    bash get_datasets.sh --dest /content/data
    bash get_datasets.sh --url https://example.org/mirror/cifar-10-python.tar.gz
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

from .data_utils import DEFAULT_CIFAR10_DIR, TEST_BATCH, TRAIN_BATCHES

#: Where the authors publish the data set.
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
#: The MD5 checksum published next to it.
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
#: The folder the tarball unpacks to.
BATCHES_FOLDER = DEFAULT_CIFAR10_DIR.name
#: The files a complete ``cifar-10-batches-py`` folder holds.
EXPECTED_FILES = (*TRAIN_BATCHES, TEST_BATCH, "batches.meta")
#: Default destination: ``<kit>/datasets``.
DEFAULT_DEST = DEFAULT_CIFAR10_DIR.parent
#: Name of the downloaded file inside the temporary folder.
TARBALL_NAME = "cifar-10-python.tar.gz"
#: Prefix of the temporary folder made inside the destination (git-ignored).
TEMP_PREFIX = ".download-"

#: Exit codes of ``python -m cs_utils.download``.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # what shells report for Ctrl-C


class DownloadError(RuntimeError):
    """CIFAR-10 could not be fetched; the message says why and what to do next."""


class NetworkError(DownloadError):
    """The server could not be reached, answered with an error, or the transfer broke off."""


class ChecksumError(DownloadError):
    """The downloaded file does not have the expected checksum."""


class ArchiveError(DownloadError):
    """The downloaded file is not a usable CIFAR-10 tarball."""


class DestinationError(DownloadError):
    """The destination folder cannot be used as it is."""


def fetch_cifar10(
    dest: str | os.PathLike | None = None,
    *,
    url: str | None = None,
    md5: str | None = None,
    retries: int = 3,
    progress: bool = True,
    in_notebook: bool = False,
) -> Path:
    """Make sure ``<dest>/cifar-10-batches-py`` holds CIFAR-10, downloading it if needed.

    Parameters
    ----------
    dest : path, optional
        Folder that receives ``cifar-10-batches-py``; created if missing. Default: the kit's
        ``datasets`` folder.
    url : str, optional
        Address of ``cifar-10-python.tar.gz`` (``http://`` or ``https://``). Default:
        ``$CIFAR10_URL`` if set, else :data:`CIFAR10_URL`.
    md5 : str, optional
        Expected MD5 checksum of the tarball, 32 hex digits. Default: ``$CIFAR10_MD5`` if set,
        else the official :data:`CIFAR10_MD5`. Needed only for a file other than the official
        one (a test tarball).
    retries : int
        How many more times to try after a failed download (network error or bad checksum).
        Pooch waits 1 s, 2 s, ... (at most 10 s) between tries.
    progress : bool
        Show a progress bar and pooch's messages on stderr.
    in_notebook : bool
        Called from a notebook's setup cell: a failed download's message says how to retry there
        and how to point the notebook at a copy you already have (``CIFAR10_DIR``), instead of
        naming command-line options.

    Returns
    -------
    Path
        The ``cifar-10-batches-py`` folder.

    Raises
    ------
    ValueError
        If ``url``, ``md5`` or ``retries`` is malformed.
    DestinationError
        If ``cifar-10-batches-py`` exists but is incomplete, or ``dest`` is not writable.
    NetworkError
        If every try failed to transfer the file.
    ChecksumError
        If the file arrived but its checksum is wrong.
    ArchiveError
        If the file cannot be unpacked or lacks batch files.
    """
    dest = Path(dest) if dest is not None else DEFAULT_DEST
    url = url or os.environ.get("CIFAR10_URL") or CIFAR10_URL
    md5 = (md5 or os.environ.get("CIFAR10_MD5") or CIFAR10_MD5).lower()
    _check_arguments(url, md5, retries)

    target = dest / BATCHES_FOLDER
    if _is_complete(target):
        return target
    if target.exists() or target.is_symlink():
        raise DestinationError(
            f"{target} exists but is incomplete (missing: {', '.join(_missing_files(target))}), "
            f"probably left by an interrupted or manual unpack. Delete the folder {target} and run "
            "again."
        )

    pooch = _import_pooch()
    try:
        dest.mkdir(parents=True, exist_ok=True)
        workspace = tempfile.TemporaryDirectory(dir=dest, prefix=TEMP_PREFIX)
    except OSError as error:
        raise DestinationError(
            f"Cannot write to {dest} ({error.strerror or error}). Pass --dest with a folder you can "
            "write to."
        ) from error
    with workspace as scratch, _pooch_messages(pooch, shown=progress):
        tarball = _download(pooch, url, md5, Path(scratch), retries=retries, progress=progress, dest=dest,
                            in_notebook=in_notebook)
        unpacked = _unpack(tarball, Path(scratch) / "unpacked", url=url, dest=dest)
        try:
            os.replace(unpacked, target)
        except OSError as error:
            if _is_complete(target):  # another run finished first: its copy is as good as ours
                return target
            raise DestinationError(f"Could not move the unpacked data set to {target}: {error}") from error
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        folder = fetch_cifar10(args.dest, url=args.url, md5=args.md5, retries=args.retries, progress=not args.quiet)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except DownloadError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("Interrupted; nothing was kept.", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not args.quiet:
        print(f"CIFAR-10 is ready in {folder}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m cs_utils.download`` (and ``get_datasets.sh``)."""
    parser = argparse.ArgumentParser(
        prog="get_datasets.sh",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Download CIFAR-10 (python version, about 163 MB), check its MD5 checksum and unpack it\n"
            f"to DEST/{BATCHES_FOLDER}. Does nothing if it is already there.\n"
            "Same as: python -m cs_utils.download [options]"
        ),
        epilog=(
            "examples:\n"
            "  bash get_datasets.sh                        # into datasets/ of this kit\n"
            "  bash get_datasets.sh --dest /content/data   # somewhere else (then set CIFAR10_DIR)\n"
            "  bash get_datasets.sh --url https://example.org/cifar-10-python.tar.gz   # a mirror\n"
            "  python -m cs_utils.download --quiet --retries 0\n"
        ),
    )
    parser.add_argument("--dest", metavar="DIR", help=(
        f"folder that receives {BATCHES_FOLDER} (default: the kit's datasets/); get_datasets.sh runs in the "
        "kit folder, so a relative DIR starts there"
    ))
    parser.add_argument(
        "--url", help="download from this address instead (default: $CIFAR10_URL, else the official site)"
    )
    parser.add_argument(
        "--md5", metavar="HEX", help="expected MD5 of the tarball (default: $CIFAR10_MD5, else the official one)"
    )
    parser.add_argument(
        "--retries", type=int, default=3, metavar="N", help="extra tries after a failed download (default: 3)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no messages except errors")
    return parser


def _check_arguments(url: str, md5: str, retries: int) -> None:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"url must start with http:// or https://; got {url!r}.")
    if not re.fullmatch(r"[0-9a-f]{32}", md5):
        raise ValueError(f"md5 must be 32 hexadecimal digits; got {md5!r}.")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be an integer >= 0; got {retries!r}.")


def _is_complete(folder: Path) -> bool:
    return folder.is_dir() and not _missing_files(folder)


def _missing_files(folder: Path) -> list[str]:
    return [name for name in EXPECTED_FILES if not (folder / name).is_file()]


def _import_pooch() -> ModuleType:
    try:
        import pooch
    except ImportError as error:
        raise DownloadError(
            "The package 'pooch' is needed to download CIFAR-10. Install the kit's requirements "
            "with 'pip install -r requirements.txt' and run again."
        ) from error
    return pooch


@contextlib.contextmanager
def _pooch_messages(pooch: ModuleType, *, shown: bool) -> Iterator[None]:
    """Let pooch's log messages (what it downloads, each retry) through only when ``shown``."""
    logger = pooch.get_logger()
    previous = logger.level
    logger.setLevel(logging.INFO if shown else logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


#: What a notebook's setup cell adds to a failed download: how to use data you already have.
NOTEBOOK_ADVICE = (
    "If you already have CIFAR-10 (a {folder} folder holding data_batch_1 ... test_batch), point the "
    "notebook at it instead: in a new cell above the setup cell run\n"
    "    import os; os.environ[\"CIFAR10_DIR\"] = \"/path/to/{folder}\"\n"
    "then run the setup cell again (or set CIFAR10_DIR before you start Jupyter)."
)


def _download(pooch: ModuleType, url: str, md5: str, folder: Path, *, retries: int, progress: bool, dest: Path,
              in_notebook: bool = False) -> Path:
    """Download ``url`` to ``folder`` with pooch; translate its failures into one clear message."""
    import requests  # installed with pooch, which uses it for HTTP

    registry = pooch.create(
        path=folder,
        base_url="",
        registry={TARBALL_NAME: f"md5:{md5}"},
        urls={TARBALL_NAME: url},
        retry_if_failed=retries,
    )
    tries = f"{retries + 1} {'try' if retries == 0 else 'tries'}"
    have_it = NOTEBOOK_ADVICE.format(folder=BATCHES_FOLDER)
    try:
        return Path(registry.fetch(TARBALL_NAME, downloader=pooch.HTTPDownloader(progressbar=progress)))
    except ValueError as error:  # pooch's hash mismatch
        if in_notebook:
            other = "" if url == CIFAR10_URL else " (to use the official address: del os.environ['CIFAR10_URL'])"
            advice = f"Rerun the setup cell to try again{other}. {have_it}"
        elif url == CIFAR10_URL:
            advice = "Run again; if it keeps failing, try a mirror with --url."
        else:
            advice = f"Run again, or use the official address (--url {CIFAR10_URL})."
        raise ChecksumError(
            f"The file downloaded from {url} does not have the expected MD5 checksum {md5} "
            f"(after {tries}): the download was corrupted, or the mirror serves a different file. "
            f"Nothing was kept in {dest}. {advice}"
        ) from error
    except requests.exceptions.RequestException as error:
        advice = (
            f"Check your internet connection and rerun the setup cell to try again. {have_it}"
            if in_notebook
            else "Check your internet connection and run again; if this address keeps failing, pass --url (or "
            f"set CIFAR10_URL) with a mirror of {TARBALL_NAME}."
        )
        raise NetworkError(
            f"Could not download CIFAR-10 from {url} after {tries}: {_network_reason(error)}. "
            f"Nothing was kept in {dest}. {advice}"
        ) from error


def _network_reason(error: Exception) -> str:
    import requests

    exceptions = requests.exceptions
    if isinstance(error, exceptions.HTTPError) and error.response is not None:
        return f"the server answered HTTP {error.response.status_code} {error.response.reason}"
    if isinstance(error, exceptions.Timeout):
        return "the server stopped responding (timed out)"
    if isinstance(error, exceptions.ChunkedEncodingError):
        return "the connection broke off before the whole file arrived"
    if isinstance(error, exceptions.ConnectionError):
        return "could not connect to the server (no network, a wrong address, or the server is down)"
    return f"{type(error).__name__}: {error}"


def _unpack(tarball: Path, into: Path, *, url: str, dest: Path) -> Path:
    """Unpack ``tarball`` into ``into`` and return the complete ``cifar-10-batches-py`` inside."""
    nothing_kept = f"Nothing was kept in {dest}. Check --url and --md5."
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            if hasattr(tarfile, "data_filter"):  # Python 3.12, and 3.10.12 / 3.11.4 backports
                archive.extractall(into, filter="data")
            else:
                archive.extractall(into, members=_plain_members(archive))
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise ArchiveError(f"The file downloaded from {url} could not be unpacked ({error}). {nothing_kept}") from error
    unpacked = into / BATCHES_FOLDER
    missing = _missing_files(unpacked)
    if missing:
        raise ArchiveError(
            f"The file downloaded from {url} is not the CIFAR-10 python version: {BATCHES_FOLDER}/ "
            f"lacks {', '.join(missing)}. {nothing_kept}"
        )
    return unpacked


def _plain_members(archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """Older Pythons without extraction filters: accept only plain files and folders inside."""
    for member in archive.getmembers():
        parts = Path(member.name).parts
        if not (member.isfile() or member.isdir()) or member.name.startswith("/") or ".." in parts:
            raise tarfile.TarError(f"refusing the unsafe archive member {member.name!r}")
    return archive.getmembers()


if __name__ == "__main__":
    sys.exit(main())
