"""cs_utils.notebook_setup: the first cell of every notebook, in its three settings.

Colab is simulated: a fake ``google.colab`` package in ``sys.modules`` whose ``drive.mount``
records the call and makes the mounted folder appear; Colab's ``/content`` is a temporary folder.
"""
from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from cs_utils import notebook_setup
from cs_utils.notebook_setup import data_location, file_fingerprint, locate_kit, setup_notebook, version_report


def make_kit(root: Path) -> Path:
    """A minimal kit folder: cs_utils/ with the student files, and notebooks/."""
    for name in ("__init__.py", *notebook_setup.STUDENT_FILES):
        path = root / name if name.startswith("cs_utils") else root / "cs_utils" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {name}\n")
    (root / "notebooks").mkdir()
    return root


@pytest.fixture
def fake_colab(monkeypatch, tmp_path):
    """Install a fake google.colab; returns (mount calls, MyDrive folder that appears on mount)."""
    calls: list[str] = []
    my_drive = tmp_path / "content" / "drive" / "MyDrive"

    def mount(mountpoint, force_remount=False):
        calls.append(mountpoint)
        my_drive.mkdir(parents=True, exist_ok=True)

    drive = types.ModuleType("google.colab.drive")
    drive.mount = mount
    colab = types.ModuleType("google.colab")
    colab.drive = drive
    google = types.ModuleType("google")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.drive", drive)
    return calls, my_drive


class FakeShell:
    def __init__(self):
        self.magics: list[tuple[str, str]] = []

    def run_line_magic(self, name, line):
        self.magics.append((name, line))


def test_local_kit_is_found_from_the_notebooks_folder(tmp_path):
    kit = make_kit(tmp_path / "kit")
    assert locate_kit(start=kit / "notebooks") == (kit.resolve(), "local")


def test_outside_colab_without_a_kit_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    with pytest.raises(FileNotFoundError, match="No kit folder"):
        locate_kit(start=tmp_path)


def test_colab_with_drive_mounts_and_uses_the_kit_in_place(tmp_path, fake_colab):
    calls, my_drive = fake_colab
    content = tmp_path / "content"
    kit_in_drive = my_drive / "courses" / "cs-kit"

    def mount_with_kit(mountpoint, force_remount=False):  # the kit shows up only once mounted
        calls.append(mountpoint)
        make_kit(kit_in_drive)

    sys.modules["google.colab"].drive.mount = mount_with_kit
    root, setting = locate_kit("courses/cs-kit", "", start=tmp_path / "elsewhere", content=content)
    assert (root, setting) == (kit_in_drive, "colab-drive")
    assert calls == [str(content / "drive")]


def test_colab_without_drive_copies_the_kit_to_the_vm(tmp_path, fake_colab):
    calls, _ = fake_colab
    source = make_kit(tmp_path / "published-kit")
    content = tmp_path / "content"
    root, setting = locate_kit("", str(source), start=tmp_path / "elsewhere", content=content)
    assert (root, setting) == (content / "kit", "colab-copy")
    assert (root / "cs_utils" / "classifiers" / "softmax.py").is_file()
    assert calls == []  # Drive is never touched
    # A second run reuses the copy (and the student's edits in it) instead of copying again.
    (root / "cs_utils" / "classifiers" / "softmax.py").write_text("# edited\n")
    assert locate_kit("", str(source), start=tmp_path / "elsewhere", content=content) == (root, "colab-copy")
    assert (root / "cs_utils" / "classifiers" / "softmax.py").read_text() == "# edited\n"


def test_colab_with_an_empty_drive_folder_falls_back_to_a_copy(tmp_path, fake_colab, capsys):
    calls, _ = fake_colab
    source = make_kit(tmp_path / "published-kit")
    content = tmp_path / "content"
    root, setting = locate_kit("no-such-folder", str(source), start=tmp_path / "x", content=content)
    assert setting == "colab-copy" and len(calls) == 1
    assert "Drive has no kit" in capsys.readouterr().out


def test_colab_with_nothing_configured_explains_the_two_settings(tmp_path, fake_colab):
    with pytest.raises(FileNotFoundError, match="KIT_DRIVE_FOLDER.*KIT_SOURCE"):
        locate_kit("", "", start=tmp_path / "x", content=tmp_path / "content")


def test_colab_data_goes_to_the_vm_disk_even_with_the_kit_in_drive():
    where = data_location("/content/drive/MyDrive/cs-kit", "colab-drive", environ={})
    assert where == Path("/content/datasets/cifar-10-batches-py")
    assert data_location("/home/me/kit", "local", environ={}) == Path("/home/me/kit/datasets/cifar-10-batches-py")
    assert data_location("/home/me/kit", "local", environ={"CIFAR10_DIR": "/data/c"}) == Path("/data/c")


def test_setup_turns_on_autoreload_exports_the_data_folder_and_reports(tmp_path, capsys, synthetic_cifar10_dir):
    kit = make_kit(tmp_path / "kit")
    shell = FakeShell()
    environ = {"CIFAR10_DIR": str(synthetic_cifar10_dir)}
    env = setup_notebook(kit, "local", ipython=shell, environ=environ)
    assert shell.magics == [("load_ext", "autoreload"), ("autoreload", "2")]
    assert env.data_dir == synthetic_cifar10_dir and environ["CIFAR10_DIR"] == str(synthetic_cifar10_dir)
    assert env.results_dir == kit.resolve() / "notebooks" / "results"
    assert str(kit.resolve()) in sys.path
    report = capsys.readouterr().out
    assert "NumPy" in report and "cs_utils/classifiers/softmax.py" in report


def test_the_grader_can_leave_autoreload_off(tmp_path, synthetic_cifar10_dir):
    kit = make_kit(tmp_path / "kit")
    shell = FakeShell()
    environ = {"CIFAR10_DIR": str(synthetic_cifar10_dir), notebook_setup.AUTORELOAD_VARIABLE: "0"}
    setup_notebook(kit, "local", ipython=shell, environ=environ)
    assert shell.magics == []
    environ[notebook_setup.AUTORELOAD_VARIABLE] = "1"
    setup_notebook(kit, "local", ipython=shell, environ=environ)
    assert shell.magics == [("load_ext", "autoreload"), ("autoreload", "2")]


def test_setup_downloads_missing_data_next_to_where_it_belongs(tmp_path, monkeypatch, capsys):
    kit = make_kit(tmp_path / "kit")
    asked = []

    def fake_fetch(dest=None, **kwargs):
        asked.append(Path(dest))
        return Path(dest) / "cifar-10-batches-py"

    import cs_utils.download

    monkeypatch.setattr(cs_utils.download, "fetch_cifar10", fake_fetch)
    environ: dict = {}
    env = setup_notebook(kit, "local", environ=environ)
    assert asked == [kit.resolve() / "datasets"]
    assert env.data_dir == kit.resolve() / "datasets" / "cifar-10-batches-py"
    assert environ["CIFAR10_DIR"] == str(env.data_dir)


def test_fingerprint_changes_when_the_file_changes(tmp_path):
    path = tmp_path / "softmax.py"
    path.write_text("a = 1\n")
    before = file_fingerprint(path)
    path.write_text("a = 2\n")
    assert file_fingerprint(path).split()[0] != before.split()[0]
    assert file_fingerprint(tmp_path / "nope.py") == "missing"


def test_drive_report_tells_how_to_spot_a_stale_copy(tmp_path):
    kit = make_kit(tmp_path / "kit")
    assert "Rerun this cell" in version_report(kit, "colab-drive", "/content/datasets")
    assert "Rerun this cell" not in version_report(kit, "local", "/x")
    assert "download your edited files" in version_report(kit, "colab-copy", "/content/datasets")


@pytest.fixture
def no_download(monkeypatch):
    """fetch_cifar10 replaced by a recorder: a test fails loudly if the setup tries to download."""
    asked: list[tuple[Path, dict]] = []

    def fake_fetch(dest=None, **kwargs):
        asked.append((Path(dest), kwargs))
        return Path(dest) / "cifar-10-batches-py"

    import cs_utils.download

    monkeypatch.setattr(cs_utils.download, "fetch_cifar10", fake_fetch)
    return asked


def test_cifar10_dir_one_folder_too_high_is_recognised(tmp_path, capsys, synthetic_cifar10_dir, no_download):
    """CIFAR10_DIR at the folder that holds cifar-10-batches-py: the data inside is used, nothing is
    downloaded into the parent, and the note says exactly what to set."""
    kit = make_kit(tmp_path / "kit")
    holder = synthetic_cifar10_dir.parent
    assert synthetic_cifar10_dir.name == "cifar-10-batches-py"
    environ = {"CIFAR10_DIR": str(holder)}
    env = setup_notebook(kit, "local", environ=environ)
    assert no_download == []
    assert env.data_dir == synthetic_cifar10_dir and environ["CIFAR10_DIR"] == str(synthetic_cifar10_dir)
    out = capsys.readouterr().out
    assert f"Note: CIFAR10_DIR={holder} is the folder that holds the data set's folder" in out
    assert f"Set CIFAR10_DIR={synthetic_cifar10_dir} (the cifar-10-batches-py folder itself)" in out


def test_cifar10_dir_one_level_too_low_is_recognised(tmp_path, capsys, synthetic_cifar10_dir, no_download):
    kit = make_kit(tmp_path / "kit")
    inside = synthetic_cifar10_dir / "data_batch_1"
    env = setup_notebook(kit, "local", environ={"CIFAR10_DIR": str(inside)})
    assert no_download == [] and env.data_dir == synthetic_cifar10_dir
    assert f"CIFAR10_DIR={inside} is inside the data set's folder; using {synthetic_cifar10_dir}" in \
        capsys.readouterr().out


def test_cifar10_dir_elsewhere_is_an_error_not_a_download(tmp_path, no_download):
    kit = make_kit(tmp_path / "kit")
    empty = tmp_path / "my-data"
    empty.mkdir()
    with pytest.raises(FileNotFoundError) as caught:
        setup_notebook(kit, "local", environ={"CIFAR10_DIR": str(empty)})
    message = str(caught.value)
    assert f"CIFAR10_DIR={empty}, but that folder holds no CIFAR-10" in message
    assert 'os.environ["CIFAR10_DIR"] = "/path/to/cifar-10-batches-py"' in message
    assert no_download == []


def test_a_cifar10_dir_to_be_filled_is_downloaded_into(tmp_path, no_download):
    """CIFAR10_DIR naming a cifar-10-batches-py folder that does not exist yet: downloaded there."""
    kit = make_kit(tmp_path / "kit")
    target = tmp_path / "data" / "cifar-10-batches-py"
    env = setup_notebook(kit, "local", environ={"CIFAR10_DIR": str(target)})
    assert [dest for dest, _ in no_download] == [target.parent] and env.data_dir == target
    assert no_download[0][1] == {"in_notebook": True}


def test_an_offline_setup_cell_says_how_to_use_data_you_have(tmp_path, monkeypatch):
    """No network: the message says how to retry in the notebook and how to set CIFAR10_DIR."""
    import socket

    from cs_utils.download import NetworkError

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CIFAR10_URL", f"http://127.0.0.1:{port}/cifar-10-python.tar.gz")
    monkeypatch.setenv("CIFAR10_MD5", "0" * 32)
    import functools

    import cs_utils.download

    quick = functools.partial(cs_utils.download.fetch_cifar10, retries=0, progress=False)  # no waits between tries
    monkeypatch.setattr(cs_utils.download, "fetch_cifar10", quick)
    kit = make_kit(tmp_path / "kit")
    with pytest.raises(NetworkError) as caught:
        setup_notebook(kit, "local", environ={})
    message = str(caught.value)
    assert "could not connect" in message and "rerun the setup cell to try again" in message
    assert 'os.environ["CIFAR10_DIR"] = "/path/to/cifar-10-batches-py"' in message
    assert "--url" not in message
    assert not (kit / "datasets" / "cifar-10-batches-py").exists()


def test_commands_run_from_a_cell_find_cs_utils(tmp_path, synthetic_cifar10_dir):
    """`!python -m cs_utils.submit` in a cell runs in notebooks/ (or /content on Colab), where
    Python alone would answer "No module named 'cs_utils'"; after the setup cell it finds the kit."""
    import os
    import subprocess

    kit = make_kit(tmp_path / "kit")
    environ = {"CIFAR10_DIR": str(synthetic_cifar10_dir), "PYTHONPATH": "/somewhere/else"}
    setup_notebook(kit, "local", environ=environ)
    assert environ["PYTHONPATH"] == os.pathsep.join([str(kit.resolve()), "/somewhere/else"])
    setup_notebook(kit, "local", environ=environ)  # run twice: added once
    assert environ["PYTHONPATH"].count(str(kit.resolve())) == 1
    child = {**os.environ, "PYTHONPATH": environ["PYTHONPATH"]}
    found = subprocess.run([sys.executable, "-c", "import cs_utils; print(cs_utils.__file__)"], cwd=kit / "notebooks",
                           env=child, capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()) == kit.resolve() / "cs_utils" / "__init__.py"
