"""Tests of ``cs_utils.download`` against a real HTTP server on 127.0.0.1.

The server runs in a thread on an ephemeral port and serves a small synthetic tarball in the
official format. No test touches the network beyond loopback.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import socket
import subprocess
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from autograder.synthetic_data import write_cifar10_tarball, write_synthetic_cifar10
from cs_utils import download
from cs_utils.data_utils import load_CIFAR10
from cs_utils.download import (
    ArchiveError,
    ChecksumError,
    DestinationError,
    DownloadError,
    NetworkError,
    fetch_cifar10,
)

KIT_ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOT = KIT_ROOT / "autograder" / "source"


class _TarballServer(ThreadingHTTPServer):
    """Serves ``payload`` at every path; ``plan`` scripts the first answers ("500", "truncate")."""

    daemon_threads = True

    def __init__(self, payload: bytes, plan: list[str]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.payload = payload
        self.plan = list(plan)
        self.requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/cifar-10-python.tar.gz"


class _Handler(BaseHTTPRequestHandler):
    server: _TarballServer

    def do_GET(self) -> None:
        self.server.requests += 1
        behaviour = self.server.plan.pop(0) if self.server.plan else "ok"
        if behaviour == "500":
            self.send_error(500)
            return
        body = self.server.payload
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(body)))  # also when only half is sent
        self.end_headers()
        if behaviour == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch) -> None:
    """No proxy between the client and 127.0.0.1, no URL or checksum from the caller's shell."""
    for name in (
        "CIFAR10_URL",
        "CIFAR10_MD5",
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture(scope="module")
def tarball(tmp_path_factory) -> tuple[bytes, str]:
    """A synthetic ``cifar-10-python.tar.gz`` (5 x 20 training, 30 test images) and its MD5."""
    folder = write_synthetic_cifar10(tmp_path_factory.mktemp("synthetic"), images_per_batch=20, test_images=30)
    path = write_cifar10_tarball(folder, folder.parent / "cifar-10-python.tar.gz")
    payload = path.read_bytes()
    return payload, hashlib.md5(payload).hexdigest()


@pytest.fixture
def serve():
    """Start a server: ``serve(payload, plan=[...])``; every server is shut down afterwards."""
    servers: list[_TarballServer] = []

    def start(payload: bytes, plan: tuple[str, ...] = ()) -> _TarballServer:
        server = _TarballServer(payload, list(plan))
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL on which nothing listens, so the connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/cifar-10-python.tar.gz"


def assert_nothing_kept(dest: Path) -> None:
    """No batches folder, no tarball, no temporary folder: the destination is empty."""
    leftovers = sorted(p.name for p in dest.iterdir()) if dest.exists() else []
    assert leftovers == []


def tarball_of(files: dict[str, bytes]) -> tuple[bytes, str]:
    """A .tar.gz holding ``files`` (archive name -> contents), and its MD5."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, contents in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(contents)
            archive.addfile(info, io.BytesIO(contents))
    payload = buffer.getvalue()
    return payload, hashlib.md5(payload).hexdigest()


def test_fetch_unpacks_a_loadable_data_set(tmp_path, tarball, serve):
    payload, md5 = tarball
    server = serve(payload)
    dest = tmp_path / "datasets"

    folder = fetch_cifar10(dest, url=server.url, md5=md5, retries=0, progress=False)

    assert folder == dest / "cifar-10-batches-py"
    assert sorted(p.name for p in dest.iterdir()) == ["cifar-10-batches-py"]  # tarball deleted
    Xtr, Ytr, Xte, Yte = load_CIFAR10(folder)
    assert Xtr.shape == (100, 32, 32, 3) and Ytr.shape == (100,)
    assert Xte.shape == (30, 32, 32, 3) and Yte.shape == (30,)
    assert set(np.unique(Ytr)) <= set(range(10))


# Python >= 3.12 warns about extracting without a filter even when the filters are hidden.
@pytest.mark.filterwarnings("ignore:Python 3.14 will, by default, filter:DeprecationWarning")
def test_unpacks_without_extraction_filters(tmp_path, tarball, serve, monkeypatch):
    monkeypatch.delattr(tarfile, "data_filter", raising=False)  # as on Python < 3.10.12
    payload, md5 = tarball
    server = serve(payload)

    folder = fetch_cifar10(tmp_path, url=server.url, md5=md5, retries=0, progress=False)

    assert load_CIFAR10(folder)[2].shape == (30, 32, 32, 3)


def test_second_run_is_a_no_op(tmp_path, tarball, serve, closed_port_url):
    payload, md5 = tarball
    server = serve(payload)
    dest = tmp_path / "datasets"
    first = fetch_cifar10(dest, url=server.url, md5=md5, retries=0, progress=False)
    before = {p.name: p.stat().st_mtime_ns for p in first.iterdir()}

    again = fetch_cifar10(dest, url=server.url, md5=md5, retries=0, progress=False)
    unreachable = fetch_cifar10(dest, url=closed_port_url, retries=0, progress=False)

    assert again == unreachable == first
    assert server.requests == 1
    assert {p.name: p.stat().st_mtime_ns for p in first.iterdir()} == before


def test_url_and_checksum_from_the_environment(tmp_path, tarball, serve, monkeypatch):
    payload, md5 = tarball
    server = serve(payload)
    monkeypatch.setenv("CIFAR10_URL", server.url)
    monkeypatch.setenv("CIFAR10_MD5", md5.upper())

    folder = fetch_cifar10(tmp_path, retries=0, progress=False)

    assert server.requests == 1
    assert sorted(p.name for p in folder.iterdir()) == sorted(download.EXPECTED_FILES)


def test_retries_after_server_errors(tmp_path, tarball, serve):
    payload, md5 = tarball
    server = serve(payload, plan=("500",))  # pooch waits 1 s before the second try

    folder = fetch_cifar10(tmp_path / "datasets", url=server.url, md5=md5, retries=1, progress=False)

    assert server.requests == 2
    assert load_CIFAR10(folder)[0].shape == (100, 32, 32, 3)


def test_checksum_mismatch(tmp_path, tarball, serve):
    payload, _ = tarball
    server = serve(payload)
    dest = tmp_path / "datasets"

    with pytest.raises(
        ChecksumError, match=r"does not have the expected MD5 checksum 0{32}.*corrupted.*Nothing was kept"
    ):
        fetch_cifar10(dest, url=server.url, md5="0" * 32, retries=0, progress=False)

    assert_nothing_kept(dest)


def test_official_checksum_is_the_default(tmp_path, tarball, serve):
    payload, _ = tarball
    server = serve(payload)

    with pytest.raises(ChecksumError, match=download.CIFAR10_MD5):
        fetch_cifar10(tmp_path, url=server.url, retries=0, progress=False)

    assert_nothing_kept(tmp_path)


def test_truncated_transfer(tmp_path, tarball, serve):
    payload, md5 = tarball
    server = serve(payload, plan=("truncate",))
    dest = tmp_path / "datasets"

    # urllib3 >= 2 notices the short body itself; older versions let the checksum catch it.
    with pytest.raises(DownloadError, match=r"broke off before the whole file arrived|MD5 checksum"):
        fetch_cifar10(dest, url=server.url, md5=md5, retries=0, progress=False)

    assert server.requests == 1
    assert_nothing_kept(dest)


def test_server_down(tmp_path, closed_port_url):
    dest = tmp_path / "datasets"

    with pytest.raises(NetworkError) as caught:
        fetch_cifar10(dest, url=closed_port_url, md5="0" * 32, retries=0, progress=False)

    message = str(caught.value)
    assert f"Could not download CIFAR-10 from {closed_port_url} after 1 try: could not connect" in message
    assert "--url" in message
    assert_nothing_kept(dest)


def test_gives_up_after_the_last_retry(tmp_path, tarball, serve):
    payload, md5 = tarball
    server = serve(payload, plan=("500", "500"))
    dest = tmp_path / "datasets"

    with pytest.raises(NetworkError, match=r"after 2 tries: the server answered HTTP 500 Internal Server Error"):
        fetch_cifar10(dest, url=server.url, md5=md5, retries=1, progress=False)

    assert server.requests == 2
    assert_nothing_kept(dest)


def test_incomplete_folder_is_reported_not_overwritten(tmp_path, tarball, serve):
    payload, md5 = tarball
    server = serve(payload)
    partial = tmp_path / "cifar-10-batches-py"
    partial.mkdir()
    (partial / "data_batch_1").write_bytes(b"half")

    with pytest.raises(DestinationError, match=rf"missing: data_batch_2.*Delete the folder {re.escape(str(partial))}"):
        fetch_cifar10(tmp_path, url=server.url, md5=md5, retries=0, progress=False)

    assert server.requests == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar-10-batches-py"]
    assert (partial / "data_batch_1").read_bytes() == b"half"


def test_archive_without_every_batch(tmp_path, serve):
    names = [f"data_batch_{b}" for b in range(1, 6)] + ["batches.meta"]  # no test_batch
    payload, md5 = tarball_of({f"cifar-10-batches-py/{name}": b"x" for name in names})
    server = serve(payload)

    with pytest.raises(ArchiveError, match=r"not the CIFAR-10 python version: cifar-10-batches-py/ lacks test_batch"):
        fetch_cifar10(tmp_path, url=server.url, md5=md5, retries=0, progress=False)

    assert_nothing_kept(tmp_path)


@pytest.mark.parametrize("filters", [True, False], ids=["data-filter", "no-filters"])
def test_archive_escaping_its_folder_is_refused(tmp_path, serve, monkeypatch, filters):
    if not filters:  # a Python older than 3.10.12 / 3.11.4, without extraction filters
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    payload, md5 = tarball_of({"../../escaped.txt": b"gotcha", "cifar-10-batches-py/test_batch": b"x"})
    server = serve(payload)
    dest = tmp_path / "a" / "datasets"

    with pytest.raises(ArchiveError, match="could not be unpacked"):
        fetch_cifar10(dest, url=server.url, md5=md5, retries=0, progress=False)

    assert_nothing_kept(dest)
    assert list(tmp_path.rglob("escaped.txt")) == []


def test_not_a_tarball(tmp_path, serve):
    payload = b"<html>Not found</html>"
    server = serve(payload)

    with pytest.raises(ArchiveError, match="could not be unpacked"):
        fetch_cifar10(tmp_path, url=server.url, md5=hashlib.md5(payload).hexdigest(), retries=0, progress=False)

    assert_nothing_kept(tmp_path)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"url": "ftp://example.org/cifar.tar.gz"}, r"url must start with http:// or https://"),
        ({"md5": "abc"}, r"md5 must be 32 hexadecimal digits; got 'abc'"),
        ({"retries": -1}, r"retries must be an integer >= 0; got -1"),
    ],
)
def test_malformed_arguments(tmp_path, arguments, message):
    with pytest.raises(ValueError, match=message):
        fetch_cifar10(tmp_path, progress=False, **arguments)
    assert_nothing_kept(tmp_path)


def run_module(*arguments: str) -> subprocess.CompletedProcess:
    """``python -m cs_utils.download ...`` on the reference source, in a minimal environment."""
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(SOURCE_ROOT), str(KIT_ROOT)]),
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return subprocess.run(
        [sys.executable, "-m", "cs_utils.download", *arguments],
        capture_output=True,
        text=True,
        env=environment,
        cwd=KIT_ROOT,
        timeout=60,
    )


def test_cli_downloads_and_reports(tmp_path, tarball, serve):
    payload, md5 = tarball
    server = serve(payload)
    dest = tmp_path / "datasets"

    result = run_module("--url", server.url, "--md5", md5, "--dest", str(dest), "--retries", "0")

    assert result.returncode == download.EXIT_OK, result.stderr
    assert f"CIFAR-10 is ready in {dest / 'cifar-10-batches-py'}" in result.stdout
    assert "100%" in result.stderr  # the progress bar
    assert load_CIFAR10(dest / "cifar-10-batches-py")[0].shape == (100, 32, 32, 3)


def test_cli_failure_is_one_message_without_traceback(tmp_path, closed_port_url):
    dest = tmp_path / "datasets"

    result = run_module("--url", closed_port_url, "--dest", str(dest), "--retries", "0", "--quiet")

    assert result.returncode == download.EXIT_FAILED
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: Could not download CIFAR-10 from {closed_port_url} after 1 try")
    assert "Traceback" not in result.stderr
    assert_nothing_kept(dest)


def test_cli_rejects_a_malformed_checksum(tmp_path):
    result = run_module("--md5", "not-a-checksum", "--dest", str(tmp_path), "--quiet")

    assert result.returncode == download.EXIT_USAGE
    assert "md5 must be 32 hexadecimal digits" in result.stderr
    assert "Traceback" not in result.stderr


def test_get_datasets_sh_help():
    script = KIT_ROOT / "get_datasets.sh"
    assert os.access(script, os.X_OK), "get_datasets.sh must be executable"

    result = subprocess.run(
        ["bash", str(script), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": os.environ.get("PATH", "")},
        cwd="/",
    )

    assert result.returncode == 0, result.stderr
    assert "usage: get_datasets.sh" in result.stdout
    for option in ("--dest", "--url", "--md5", "--retries", "--quiet"):
        assert option in result.stdout


def test_server_down_from_a_notebook(tmp_path, closed_port_url):
    """In a notebook, command-line options mean nothing: the message says how to retry in the
    notebook and how to use a copy the student already has."""
    with pytest.raises(NetworkError) as caught:
        fetch_cifar10(tmp_path, url=closed_port_url, md5="0" * 32, retries=0, progress=False, in_notebook=True)
    message = str(caught.value)
    assert "Check your internet connection and rerun the setup cell to try again." in message
    assert 'import os; os.environ["CIFAR10_DIR"] = "/path/to/cifar-10-batches-py"' in message
    assert "--url" not in message
    assert_nothing_kept(tmp_path)


def test_checksum_mismatch_from_a_notebook(tmp_path, tarball, serve):
    payload, _ = tarball
    server = serve(payload)
    with pytest.raises(ChecksumError) as caught:
        fetch_cifar10(tmp_path, url=server.url, md5="0" * 32, retries=0, progress=False, in_notebook=True)
    message = str(caught.value)
    assert "Rerun the setup cell to try again (to use the official address: del os.environ['CIFAR10_URL'])" in message
    assert "CIFAR10_DIR" in message and "--url" not in message
