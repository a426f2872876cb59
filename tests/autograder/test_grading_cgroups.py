"""Control groups: limits written, every member killed (new sessions too), stale groups cleaned."""
from __future__ import annotations

import subprocess
import sys

import pytest

from autograder.grading import cgroups

SUPPORT = cgroups.detect()
needs_cgroups = pytest.mark.skipif(not SUPPORT.available, reason=f"no control groups: {SUPPORT.reason}")

#: A parent that starts a child in a new session (out of the parent's process group) and sleeps.
ESCAPER = (
    "import os, subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)\n"
    "time.sleep(60)\n"
)


def test_detect_names_the_interface_or_the_reason():
    assert SUPPORT.version in (0, 1, 2)
    assert SUPPORT.available or SUPPORT.reason


@needs_cgroups
def test_a_group_caps_and_kills_everything_it_holds():
    limits = cgroups.GroupLimits(cpus=0.5, memory_bytes=512 << 20, processes=32)
    group = cgroups.Group.create(SUPPORT, "test-kill", limits)
    try:
        process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        group.add(process.pid)
        started = subprocess.Popen(["sleep", "60"])  # not in the group: must survive
        waiter = subprocess.Popen([sys.executable, "-c", ESCAPER])
        group.add(waiter.pid)
        for _ in range(200):  # the escaper's grandchild is born in the group
            if len(group.members()) >= 3:
                break
            subprocess.run(["sleep", "0.05"])
        assert len(group.members()) == 3
        if SUPPORT.version == 1:
            assert (group.folders[0] / "cpu.cfs_quota_us").read_text().strip() == "50000"
            assert (group.folders[2] / "pids.max").read_text().strip() == "32"
        else:
            assert (group.folders[0] / "cpu.max").read_text().split()[0] == "50000"
            assert (group.folders[0] / "pids.max").read_text().strip() == "32"
        assert group.kill()
        assert group.members() == []
        assert process.wait(5) == -9 and waiter.wait(5) == -9
        assert started.poll() is None
        started.kill()
        started.wait()
    finally:
        group.kill()
        group.remove()
    assert not any(folder.exists() for folder in group.folders)


@needs_cgroups
def test_groups_of_a_grader_that_is_gone_are_removed():
    group = cgroups.Group.create(SUPPORT, "999999999-1-1", cgroups.GroupLimits())
    process = subprocess.Popen(["sleep", "60"])
    group.add(process.pid)
    assert cgroups.remove_stale(SUPPORT) >= 1
    assert process.wait(5) == -9
    assert not any(folder.exists() for folder in group.folders)


@needs_cgroups
def test_a_group_whose_processes_are_already_killed_is_not_frozen(monkeypatch):
    """The sandbox kills the child's process group first; an empty group needs no freezer round."""
    group = cgroups.Group.create(SUPPORT, "test-killed", cgroups.GroupLimits())
    try:
        process = subprocess.Popen(["sleep", "60"])
        group.add(process.pid)
        process.kill()
        process.wait(5)
        written = []
        monkeypatch.setattr(cgroups, "_optional", lambda path, text: written.append((path.name, text)))
        assert group.kill() and group.members() == []
        assert written == []  # neither freezer.state nor cgroup.kill
    finally:
        monkeypatch.undo()
        group.kill()
        group.remove()
