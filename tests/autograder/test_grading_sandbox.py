"""The sandbox on its own: limits, isolation and the safe reading of child files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.grading.sandbox import Isolation, Limits, Sandbox, base_environment, read_plain_file

IS_ROOT = os.geteuid() == 0


def test_the_environment_is_minimal_and_says_nothing_about_grading():
    env = base_environment()
    assert set(env) <= {"PATH", "LANG", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                        "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE"}
    assert not any("GRAD" in key or "NBGRADER" in key for key in env)


def test_read_plain_file_refuses_symlinks_fifos_and_big_files(tmp_path):
    (tmp_path / "ok.json").write_text("{}")
    os.symlink("/etc/passwd", tmp_path / "link.json")
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "big.json").write_bytes(b"x" * 100)
    directory = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert read_plain_file(directory, "ok.json", 10) == b"{}"
        assert read_plain_file(directory, "link.json", 10**6) is None
        assert read_plain_file(directory, "fifo.json", 10) is None
        assert read_plain_file(directory, "big.json", 10) is None
    finally:
        os.close(directory)


PROBE = r'''
import os, socket, resource, json
report = {"uid": os.getuid(), "env": sorted(os.environ), "cwd": os.getcwd()}
try:
    socket.create_connection(("1.1.1.1", 53), timeout=1); report["net"] = "open"
except OSError as e:
    report["net"] = type(e).__name__
try:
    report["autograder"] = os.listdir(AUTOGRADER)
except OSError as e:
    report["autograder"] = type(e).__name__
try:
    report["other_copy"] = open(OTHER_COPY).read()
except OSError as e:
    report["other_copy"] = type(e).__name__
import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
covered_top = "/" + OTHER_COPY.split("/")[1]
if libc.umount2(covered_top.encode(), 2) == 0:  # MNT_DETACH: would uncover the folder
    report["umount"] = "done"
else:
    report["umount"] = errno.errorcode.get(ctypes.get_errno(), "?")
try:
    report["other_copy_after_umount"] = open(OTHER_COPY).read()
except OSError as e:
    report["other_copy_after_umount"] = type(e).__name__
report["as"] = resource.getrlimit(resource.RLIMIT_AS)[0]
report["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0]
try:
    open("/tmp/probe-written", "w").write("x"); report["tmp"] = "writable"
except OSError as e:
    report["tmp"] = type(e).__name__
'''


@pytest.fixture
def probe(tmp_path, releases, request):
    """Run PROBE in a real child through the 'function' call kind; return what it saw."""
    import json
    import shutil
    import tempfile

    from autograder import KIT_ROOT

    # A world-readable copy of a "solution" outside the kit, next to it (say another checkout).
    # (A non-root run may not write there: the temp folder, outside the child's frame, then.)
    try:
        other = Path(tempfile.mkdtemp(dir=KIT_ROOT.parent, prefix=".probe-other-copy-"))
    except PermissionError:
        other = Path(tempfile.mkdtemp(prefix=".probe-other-copy-"))
    request.addfinalizer(lambda: shutil.rmtree(other, ignore_errors=True))
    other.chmod(0o755)
    (other / "linear_svm.py").write_text("SOLUTION = 1\n")
    (other / "linear_svm.py").chmod(0o644)
    work = tmp_path / "frame" / "work"
    shutil.copytree(releases["starter"], work)
    io = tmp_path / "frame" / "io"  # beside the child's copy: the report comes back through it
    module = work / "cs_utils" / "probe.py"
    module.write_text(PROBE.replace("AUTOGRADER", repr(str(KIT_ROOT / "autograder")))
                      .replace("OTHER_COPY", repr(str(other / "linear_svm.py")))
                      + "\ndef run():\n"
                      + f"    import json; open({str(io / 'report.json')!r}, 'w').write(json.dumps(report))\n"
                      + "    return 0.0\n")
    (tmp_path / "frame").chmod(0o711)
    io.mkdir(mode=0o777)
    os.chmod(io, 0o777)
    isolation = Isolation.detect(slot=7)
    with Sandbox(isolation, Limits(), hide=(KIT_ROOT / "autograder",)) as sandbox:
        sandbox.prepare_folder(work)
        child, notes = sandbox.spawn(work)
        assert child is not None, notes
        reply = child.call(
            {"dir": str(io), "call": {"kind": "function", "module": "cs_utils.probe", "name": "run", "args": []}}, 10
        )
        sandbox.kill(child)
    assert reply.state == "done"
    return {**json.loads((io / "report.json").read_text()), "notes": notes}


@pytest.mark.skipif(not IS_ROOT, reason="needs root: privilege drop, mount and network namespaces")
def test_as_root_the_child_is_confined(probe):
    assert probe["uid"] >= 61007  # 61007, or the next free one if another grader holds it
    assert probe["net"] in {"OSError", "ConnectionRefusedError"} or "Unreachable" in probe["net"]
    assert probe["autograder"] in ([], "PermissionError", "FileNotFoundError")  # covered, or gone with /tmp
    assert probe["other_copy"] in {"PermissionError", "FileNotFoundError"}  # no other folder is reachable
    assert probe["tmp"] in {"PermissionError", "OSError"}
    assert probe["umount"] == "EPERM" and probe["other_copy_after_umount"] in {"PermissionError", "FileNotFoundError"}
    assert probe["as"] == Limits().address_space_bytes and probe["nproc"] == Limits().processes
    assert "HOME" in probe["env"] and "PYTHONPATH" not in probe["env"]


@pytest.mark.skipif(IS_ROOT, reason="checks the non-root mode")
def test_without_root_a_user_namespace_still_covers_other_folders(probe):
    """Without root the child keeps the grader's uid but, where the machine allows user
    namespaces, still sees no other folder, has no network, and cannot unmount the covers."""
    if any("no network/mount/IPC namespace" in note for note in probe["notes"]):
        pytest.skip("this machine allows no user namespaces: " + "; ".join(probe["notes"]))
    assert not any("could not" in note for note in probe["notes"]), probe["notes"]
    assert probe["uid"] == os.getuid()
    assert probe["net"] in {"OSError", "ConnectionRefusedError"} or "Unreachable" in probe["net"]
    assert probe["other_copy"] in {"PermissionError", "FileNotFoundError"}
    assert probe["umount"] == "EPERM" and probe["other_copy_after_umount"] in {"PermissionError", "FileNotFoundError"}


@pytest.mark.skipif(IS_ROOT, reason="checks the degraded non-root mode")
def test_without_root_isolation_degrades_and_says_so():
    isolation = Isolation.detect()
    assert isolation.uid is None and any("not running as root" in note for note in isolation.notes)


@pytest.mark.skipif(not IS_ROOT, reason="grading uids are claimed as root only")
def test_two_graders_never_share_a_uid():
    first, second = Isolation.detect(slot=40), Isolation.detect(slot=40)
    try:
        assert first.uid != second.uid and first.uid >= 61040 and second.uid >= 61040
    finally:
        first.release()
        second.release()
    third = Isolation.detect(slot=40)
    third.release()
    assert third.uid <= max(first.uid, second.uid)  # released uids are taken again


def _child_on_a_socketpair():
    import socket

    from autograder.grading.sandbox import Child

    ours, theirs = socket.socketpair()
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    return Child(pid=-1, control=ours, output_fd=read_end, output_cap=1024), theirs, write_end


def test_frames_carry_their_announced_bytes_and_nothing_else():
    import time

    child, theirs, write_end = _child_on_a_socketpair()
    theirs.sendall(b'{"done": "n", "blobs": [["a", 3], ["b", 2]]}\nxyzuv{"next": 1}\n')
    header, blobs = child.receive_frame(time.monotonic() + 2)
    assert header["done"] == "n" and blobs == {"a": b"xyz", "b": b"uv"}
    assert child.receive(time.monotonic() + 2) == {"next": 1}
    os.close(write_end)


@pytest.mark.parametrize(
    "garbage",
    [
        b'{"blobs": [["a", 1099511627776]]}\n',
        b"not json\n",
        b"[1, 2]\n",
        b'{"blobs": [["a", -1]]}\n',
        b'{"blobs": "all"}\n',
        b"x" * (2 << 20),
    ],
)
def test_a_garbled_control_stream_ends_the_child(garbage):
    import threading
    import time

    child, theirs, write_end = _child_on_a_socketpair()

    def send():
        try:
            theirs.sendall(garbage)
        except OSError:  # the reader stopped at the garbage and the socket was closed
            pass

    sender = threading.Thread(target=send, daemon=True)  # 2 MiB outgrows the socket buffer
    sender.start()
    assert child.receive_frame(time.monotonic() + 2) is None
    assert child.garbled and not child.alive
    child.control.close()
    theirs.close()
    sender.join(5)
    os.close(write_end)


def test_visible_folders_stay_reachable_and_others_are_covered(tmp_path):
    data = tmp_path / "cifar-10-batches-py"
    data.mkdir()
    isolation = Isolation.detect(slot=11)
    try:
        sandbox = Sandbox(isolation, Limits(), visible=(data,))
        pairs = sandbox._exposed(tmp_path / "frame" / "work")
        sandbox.close()
    finally:
        isolation.release()
    kept = {path for _, path in pairs}
    assert str(data.resolve()) in kept and str((tmp_path / "frame").resolve()) in kept
    covered = {top for top, _ in pairs}
    assert not covered & {"/usr", "/etc", "/proc", "/dev"}
