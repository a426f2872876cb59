"""Aggregate limits for everything one sandboxed child starts, through Linux control groups.

Resource limits (``setrlimit``) cap each process on its own: 40 processes that each stay under
the memory cap still add up, and 40 spinning processes take every core from the submission
graded next to them. A control group caps the sum: CPU time (one core's worth), memory and the
number of processes, over the child and all its descendants, and it can kill all of them at once
when the child's time is up.

Two kernel interfaces exist. cgroup v2 (one hierarchy, most current distributions) has
``cpu.max``, ``memory.max``, ``pids.max`` and ``cgroup.kill``. cgroup v1 (older machines, and
this kit's reference VM) has one hierarchy per controller (``cpu``, ``memory``, ``pids``,
``freezer``); killing everything there means freezing the group, signalling every member and
thawing it. :func:`detect` picks whichever this machine lets the grader write, or none, and says
why; the grader then runs without aggregate caps and says so (the per-process limits and the
per-uid sweep still hold).
"""
from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("cpu", "memory", "pids", "freezer")
V2_CONTROLLERS = ("cpu", "memory", "pids")
#: Name of the parent group every grader's groups live under.
PARENT = "autograder"
CPU_PERIOD_US = 100_000


@dataclass(frozen=True)
class GroupLimits:
    """What one group may use in total."""

    cpus: float = 1.0  # cores' worth of CPU time
    memory_bytes: int = 3 << 30  # resident memory (and swap, where the kernel accounts it)
    processes: int = 64  # processes and threads


@dataclass(frozen=True)
class Support:
    """Which cgroup interface this machine lets the grader use (``version`` 0: none, and why)."""

    version: int
    reason: str = ""

    @property
    def available(self) -> bool:
        return self.version in (1, 2)


def detect(root: Path = ROOT) -> Support:
    """The writable cgroup interface with every controller the grader needs, or why there is none."""
    if os.geteuid() != 0:
        return Support(0, "not root: control groups are not writable")
    v2 = root / "cgroup.controllers"
    if v2.is_file():
        available = set(v2.read_text().split())
        missing = [c for c in V2_CONTROLLERS if c not in available]
        if missing:
            return Support(0, f"cgroup v2 without the {', '.join(missing)} controller(s)")
        return _probe(Support(2), root)
    missing = [c for c in V1_CONTROLLERS if not (root / c / "cgroup.procs").is_file()]
    if missing:
        return Support(0, f"no cgroup v2 and no v1 {', '.join(missing)} hierarchy")
    return _probe(Support(1), root)


def _probe(support: Support, root: Path) -> Support:
    try:
        group = Group.create(support, f"probe-{os.getpid()}", GroupLimits(), root)
    except OSError as error:
        return Support(0, f"cgroup v{support.version} is not writable here ({error.strerror})")
    group.remove()
    return support


@dataclass
class Group:
    """One control group (one folder per hierarchy) holding a child and its descendants."""

    support: Support
    folders: tuple[Path, ...]

    @classmethod
    def create(cls, support: Support, name: str, limits: GroupLimits, root: Path = ROOT) -> Group:
        """Make the group and set its limits (raises OSError when the kernel refuses)."""
        quota = f"{int(limits.cpus * CPU_PERIOD_US)}"
        if support.version == 2:
            parent = root / PARENT
            parent.mkdir(exist_ok=True)
            _write(root / "cgroup.subtree_control", " ".join(f"+{c}" for c in V2_CONTROLLERS))
            _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in V2_CONTROLLERS))
            folder = parent / name
            folder.mkdir()
            group = cls(support, (folder,))
            try:
                _write(folder / "cpu.max", f"{quota} {CPU_PERIOD_US}")
                _write(folder / "memory.max", str(limits.memory_bytes))
                _optional(folder / "memory.swap.max", "0")
                _write(folder / "pids.max", str(limits.processes))
            except OSError:
                group.remove()
                raise
            return group
        folders = []
        try:
            for controller in V1_CONTROLLERS:
                folder = root / controller / PARENT / name
                folder.mkdir(parents=True)
                folders.append(folder)
            cpu, memory, pids, _ = folders
            _write(cpu / "cpu.cfs_period_us", str(CPU_PERIOD_US))
            _write(cpu / "cpu.cfs_quota_us", quota)
            _write(memory / "memory.limit_in_bytes", str(limits.memory_bytes))
            _optional(memory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
            _write(pids / "pids.max", str(limits.processes))
        except OSError:
            cls(support, tuple(folders)).remove()
            raise
        return cls(support, tuple(folders))

    def add(self, pid: int) -> None:
        """Move ``pid`` into the group; everything it starts from now on is in it too."""
        for folder in self.folders:
            _write(folder / "cgroup.procs", str(pid))

    def members(self) -> list[int]:
        pids: set[int] = set()
        for folder in self.folders:
            try:
                pids.update(int(line) for line in (folder / "cgroup.procs").read_text().split())
            except OSError:
                continue
        return sorted(pids)

    def kill(self, seconds: float = 5.0, settle: float = 0.05) -> bool:
        """Kill every process in the group and wait until it is empty; False if some survived.

        A group that empties within ``settle`` seconds by itself (its processes were already
        killed, the common case: the sandbox kills the child's process group first) needs nothing
        more; otherwise the group is frozen so that nothing in it can fork while it is killed.
        """
        deadline = time.monotonic() + seconds
        if self._empties_within(settle):
            return True
        if self.support.version == 2:
            _optional(self.folders[0] / "cgroup.kill", "1")
        else:
            freezer = self.folders[-1]
            _optional(freezer / "freezer.state", "FROZEN")  # nothing can fork while it is frozen
            while time.monotonic() < deadline and _read(freezer / "freezer.state") == "FREEZING":
                time.sleep(0.005)
            for pid in self.members():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            _optional(freezer / "freezer.state", "THAWED")  # killed processes die once thawed
        return self._empties_within(max(deadline - time.monotonic(), 0.0))

    def _empties_within(self, seconds: float) -> bool:
        """Whether the group is empty now or becomes empty within ``seconds`` (polled every ms). A
        membership list that cannot be read counts as not empty."""
        deadline = time.monotonic() + seconds
        while not self._surely_empty():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)
        return True

    def _surely_empty(self) -> bool:
        try:
            return not any((folder / "cgroup.procs").read_text().split() for folder in self.folders)
        except OSError:
            return False

    def remove(self) -> None:
        """Delete the group's folders (empty groups only; a busy one is left for the next sweep)."""
        for folder in reversed(self.folders):
            try:
                folder.rmdir()
            except OSError:
                pass


def remove_stale(support: Support, root: Path = ROOT) -> int:
    """Kill and remove the groups of graders that are gone (named ``<grader pid>-...``); their count.

    A grader that crashed between creating a group and removing it leaves the group behind, maybe
    with a process in it; the next grader on the machine cleans up.
    """
    if not support.available:
        return 0
    hierarchies = [root / PARENT] if support.version == 2 else [root / c / PARENT for c in V1_CONTROLLERS]
    names = {entry.name for folder in hierarchies if folder.is_dir() for entry in folder.iterdir() if entry.is_dir()}
    removed = 0
    for name in sorted(names):
        owner = name.split("-", 1)[0]
        if not owner.isdigit() or Path(f"/proc/{owner}").exists():
            continue
        group = Group(support, tuple(folder / name for folder in hierarchies if (folder / name).is_dir()))
        group.kill()
        group.remove()
        removed += 1
    return removed


def _write(path: Path, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _optional(path: Path, text: str) -> None:
    """Write a setting the kernel may not have (swap accounting, say)."""
    try:
        _write(path, text)
    except OSError:
        pass


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""
