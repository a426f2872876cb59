"""A real Dask cluster on 127.0.0.1 for the tests: ``dask scheduler`` and ``dask worker``
processes started exactly as docs/CLUSTER.md says (the kit on ``PYTHONPATH``), each in a session
of its own, stopped by their process ids (SIGTERM to the ``dask`` process first, as an instructor
would stop it: the workers then stop their graders' children)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from autograder import KIT_ROOT


class LocalDask:
    """One scheduler and any number of ``dask worker`` processes, logs in ``folder``."""

    def __init__(self, folder: Path, kit: Path = KIT_ROOT):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.kit = kit
        self.processes: list[subprocess.Popen] = []
        scheduler_file = self.folder / "scheduler.json"
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(scheduler_file)], kit)
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() or not scheduler_file.read_text().strip().endswith("}"):
            if time.monotonic() > deadline:
                raise RuntimeError("the scheduler did not start: " + self.logs())
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text())["address"]
        self.workers = 0

    def _start(self, name: str, arguments: list[str], kit: Path) -> subprocess.Popen:
        log = open(self.folder / f"{name}-{len(self.processes)}.log", "w")  # noqa: SIM115 (kept open for the process)
        process = subprocess.Popen([sys.executable, "-m", "dask", *arguments], cwd=kit, stdout=log, stderr=log,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   env={**os.environ, "PYTHONPATH": str(kit)})
        log.close()
        self.processes.append(process)
        return process

    def add_workers(self, count: int, *, kit: Path | None = None, preload: Path | None = None,
                    wait: bool = True) -> subprocess.Popen:
        """``count`` worker processes (one thread each) under one nanny process; wait until they joined."""
        arguments = ["worker", self.address, "--nworkers", str(count), "--nthreads", "1", "--no-dashboard",
                     "--host", "127.0.0.1", "--local-directory", str(self.folder / "workers")]
        if preload is not None:
            arguments += ["--preload", str(preload)]
        process = self._start("worker", arguments, kit or self.kit)
        self.workers += count
        if wait:
            self.wait_for_workers(self.workers)
        return process

    def wait_for_workers(self, count: int, seconds: float = 120.0) -> None:
        from distributed import Client

        with Client(self.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=seconds)

    def stop_process(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.terminate()  # SIGTERM: the nanny closes its workers, which stop their graders' children
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop(self) -> None:
        for process in reversed(self.processes):
            self.stop_process(process)

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text()[-3000:]}" for path in sorted(self.folder.glob("*.log")))

    def __enter__(self) -> LocalDask:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
