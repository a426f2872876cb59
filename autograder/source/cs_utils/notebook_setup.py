"""What the first cell of every notebook does, in three settings with one code path.

Settings:

* **local** Jupyter: the notebook sits in ``<kit>/notebooks/``, so the kit is a parent folder;
* **Colab + Drive**: the kit folder was uploaded to Google Drive; Drive is mounted and the kit is
  used in place, so edits to ``cs_utils/*.py`` made in Drive are the ones that run;
* **Colab without Drive**: the kit is cloned (git URL) or copied (folder) to ``/content/kit``
  on the VM; work there is lost when the VM is recycled unless you download it.

In every setting the data set goes to the machine's local disk, never to Drive: reading 180 MB of
pickles through the Drive mount is slow and eats quota. The last step prints the Python and NumPy
versions and, for each file you edit, a short hash and its modification time. If you edit a file
in Drive and the hash printed here does not change, Colab is still seeing an old copy: wait a few
seconds and rerun the cell, or use Runtime → Restart session.

The first cell of a notebook holds a verbatim copy of :func:`locate_kit` (it has to run before
``cs_utils`` can be imported); the release build pastes it there, so the two cannot drift apart.
"""
from __future__ import annotations

import hashlib
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: The files a student edits; their hashes are printed so a stale copy is visible.
STUDENT_FILES = (
    "cs_utils/classifiers/k_nearest_neighbor.py",
    "cs_utils/classifiers/linear_svm.py",
    "cs_utils/classifiers/softmax.py",
    "cs_utils/classifiers/linear_classifier.py",
)
#: Where Colab keeps files on the VM's own disk.
COLAB_CONTENT = Path("/content")
#: Set to ``"0"`` to leave autoreload off: the grader does, because it never edits ``cs_utils``
#: while a notebook runs, and reloading checks cost it time in every cell.
AUTORELOAD_VARIABLE = "CS_UTILS_AUTORELOAD"


def locate_kit(drive_folder="", kit_source="", *, start=None, content="/content"):
    """Find the kit folder (the one holding ``cs_utils/``), mounting Drive or copying it if needed.

    Parameters
    ----------
    drive_folder : str
        Colab + Drive: path of the kit folder inside "My Drive", e.g. ``"cs-kit"``. Empty to
        skip Drive.
    kit_source : str
        Colab without Drive: a git URL to clone, or a folder to copy, into ``<content>/kit``.
    start : path, optional
        Where the local search starts (default: the current folder).
    content : path
        Colab's working folder on the VM disk.

    Returns
    -------
    (Path, str)
        The kit folder and the setting: ``"local"``, ``"colab-drive"`` or ``"colab-copy"``.
    """
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):  # local Jupyter: the notebook lives inside the kit
        if (folder / "cs_utils" / "__init__.py").is_file():
            return folder, "local"
    if "google.colab" not in sys.modules:
        raise FileNotFoundError(
            f"No kit folder (one holding cs_utils/) at or above {here}. Start Jupyter inside the kit, "
            "or open the notebook from the kit's notebooks/ folder."
        )
    content = Path(content)
    if drive_folder:
        from google.colab import drive

        drive.mount(str(content / "drive"))
        kit = content / "drive" / "MyDrive" / drive_folder
        if (kit / "cs_utils" / "__init__.py").is_file():
            return kit, "colab-drive"
        print(f"Drive has no kit at {kit}; using a copy on the VM instead.")
    kit = content / "kit"
    if not (kit / "cs_utils" / "__init__.py").is_file():
        if not kit_source:
            raise FileNotFoundError(
                "On Colab, set KIT_DRIVE_FOLDER to the kit's folder in your Drive, or KIT_SOURCE to "
                "a git URL or folder to copy the kit from."
            )
        if Path(kit_source).is_dir():
            shutil.copytree(kit_source, kit, dirs_exist_ok=True)
        else:
            subprocess.run(["git", "clone", "--depth", "1", kit_source, str(kit)], check=True)
    return kit, "colab-copy"


@dataclass(frozen=True)
class NotebookEnvironment:
    """Where things are for this notebook session.

    Attributes
    ----------
    kit_root : Path
        The folder holding ``cs_utils/`` and ``notebooks/``.
    setting : str
        ``"local"``, ``"colab-drive"`` or ``"colab-copy"``.
    data_dir : Path
        The ``cifar-10-batches-py`` folder the loaders will read (also exported as ``CIFAR10_DIR``).
    results_dir : Path
        ``<kit>/notebooks/results``, where each notebook saves its JSON summary.
    """

    kit_root: Path
    setting: str
    data_dir: Path
    results_dir: Path


def setup_notebook(kit_root, setting="local", *, ipython=None, fetch=True, environ=None) -> NotebookEnvironment:
    """Prepare the session: import path, autoreload, data on local disk, and the version report.

    Parameters
    ----------
    kit_root : path
        What :func:`locate_kit` returned.
    setting : str
        What :func:`locate_kit` returned.
    ipython : IPython shell, optional
        The running shell (``get_ipython()``); used to turn on ``%autoreload 2`` so that edits to
        ``cs_utils`` take effect without restarting the kernel (unless the environment sets
        ``CS_UTILS_AUTORELOAD=0``).
    fetch : bool
        Download CIFAR-10 when it is missing.
    environ : mapping, optional
        The environment to read and update (default ``os.environ``); ``CIFAR10_DIR`` is set in it
        so every loader in the session finds the data, and the kit is put first on ``PYTHONPATH``
        so a command run from a cell (``!python -m cs_utils.submit``) finds ``cs_utils`` too.

    Returns
    -------
    NotebookEnvironment
    """
    environ = os.environ if environ is None else environ
    kit_root = Path(kit_root).resolve()
    if str(kit_root) not in sys.path:
        sys.path.insert(0, str(kit_root))
    # Commands started from a cell (`!python -m cs_utils.check`) run in notebooks/ or /content,
    # where Python would not find cs_utils; they inherit this variable.
    paths = [entry for entry in environ.get("PYTHONPATH", "").split(os.pathsep) if entry]
    if str(kit_root) not in paths:
        environ["PYTHONPATH"] = os.pathsep.join([str(kit_root), *paths])
    if ipython is not None and environ.get(AUTORELOAD_VARIABLE, "1") != "0":
        ipython.run_line_magic("load_ext", "autoreload")
        ipython.run_line_magic("autoreload", "2")

    data_dir = data_location(kit_root, setting, environ)
    if environ.get("CIFAR10_DIR") and not holds_cifar10(data_dir):
        data_dir = _one_level_off(data_dir)
    if fetch and not (data_dir / "test_batch").is_file():
        from cs_utils.download import fetch_cifar10

        data_dir = fetch_cifar10(dest=data_dir.parent, in_notebook=True)
    environ["CIFAR10_DIR"] = str(data_dir)
    results_dir = kit_root / "notebooks" / "results"
    print(version_report(kit_root, setting, data_dir))
    return NotebookEnvironment(kit_root, setting, data_dir, results_dir)


def data_location(kit_root, setting: str, environ=None) -> Path:
    """Where the ``cifar-10-batches-py`` folder is (or will be downloaded to).

    ``$CIFAR10_DIR`` wins when set. Otherwise: the kit's ``datasets/`` folder locally, and
    ``/content/datasets`` on Colab, on the VM's disk even when the kit itself is in Drive.
    """
    environ = os.environ if environ is None else environ
    if environ.get("CIFAR10_DIR"):
        return Path(environ["CIFAR10_DIR"])
    if setting.startswith("colab"):
        return COLAB_CONTENT / "datasets" / "cifar-10-batches-py"
    return Path(kit_root) / "datasets" / "cifar-10-batches-py"


def holds_cifar10(folder) -> bool:
    """Whether ``folder`` holds the batch files of the CIFAR-10 python version."""
    from cs_utils.data_utils import TEST_BATCH, TRAIN_BATCHES

    return all((Path(folder) / name).is_file() for name in (*TRAIN_BATCHES, TEST_BATCH))


def _one_level_off(data_dir: Path) -> Path:
    """The data folder meant by a ``CIFAR10_DIR`` that holds no CIFAR-10 itself.

    One level too high (the folder *holding* ``cifar-10-batches-py``) or too low (a file or
    folder inside it) is recognised: the right folder is used and a note says what to set.
    A ``CIFAR10_DIR`` named ``cifar-10-batches-py`` is where the data will be downloaded (or a
    damaged copy reported). Anything else is an error that says what to set, rather than a download into
    some other folder.
    """
    folder_name = "cifar-10-batches-py"
    for meant, how in ((data_dir / folder_name, "is the folder that holds"), (data_dir.parent, "is inside")):
        if holds_cifar10(meant):
            print(f"Note: CIFAR10_DIR={data_dir} {how} the data set's folder; using {meant}.\n"
                  f"Set CIFAR10_DIR={meant} (the {folder_name} folder itself) and this note goes away.")
            return meant
    if data_dir.name == folder_name:  # to be downloaded (or reported as incomplete) right there
        return data_dir
    raise FileNotFoundError(
        f"CIFAR10_DIR={data_dir}, but that folder holds no CIFAR-10 (data_batch_1 ... test_batch). Set CIFAR10_DIR "
        f"to your {folder_name} folder itself, for example in a cell above the setup cell:\n"
        f'    import os; os.environ["CIFAR10_DIR"] = "/path/to/{folder_name}"\n'
        f'or remove it (del os.environ["CIFAR10_DIR"]) to download CIFAR-10 to the default place; then run the '
        f"setup cell again."
    )


def file_fingerprint(path) -> str:
    """``"<first 8 hex digits of SHA-256>  <modification time>"`` of a file, or ``"missing"``."""
    path = Path(path)
    if not path.is_file():
        return "missing"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    modified = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(path.stat().st_mtime))
    return f"{digest}  {modified}"


def version_report(kit_root, setting: str, data_dir) -> str:
    """The text the first cell prints: setting, versions, data folder, student-file fingerprints."""
    import numpy as np

    lines = [
        f"setting: {setting}    kit: {kit_root}",
        f"Python {platform.python_version()}, NumPy {np.__version__}",
        f"data: {data_dir}",
        "your files (hash, last modified):",
    ]
    width = max(len(name) for name in STUDENT_FILES)
    for name in STUDENT_FILES:
        lines.append(f"  {name:<{width}}  {file_fingerprint(Path(kit_root) / name)}")
    if setting == "colab-drive":
        lines.append("Edited a file in Drive? Rerun this cell: the hash must change, or Colab still has the old copy.")
    elif setting == "colab-copy":
        lines.append(
            f"This copy of the kit lives on the Colab machine only: download your edited files and "
            f"{Path(kit_root) / 'notebooks' / 'results'} before the session ends."
        )
    return "\n".join(lines)
