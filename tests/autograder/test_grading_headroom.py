"""The memory-safe calls' own address-space cap, in the grader's harness and in the self-check's child.

Each case runs in a fresh interpreter: an rlimit set here would stay with the test process.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from autograder import KIT_ROOT
from autograder.grading.checks.plans import LOSS_MEMORY_SIZE, MEMORY_HEADROOM_BYTES

IMPLEMENTATIONS = {
    "grader": (KIT_ROOT / "autograder" / "grading" / "harness.py", "_headroom"),
    "self-check": (KIT_ROOT / "autograder" / "source" / "cs_utils" / "_grading" / "child.py", "headroom"),
}

PROGRAM = textwrap.dedent("""
    import importlib.util, resource, sys
    import numpy as np

    path, name, headroom, forbidden = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    spec = importlib.util.spec_from_file_location("under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hard = 3 << 30
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))

    def allocates(mib):
        try:
            block = np.ones(mib << 17)  # MiB of float64
            return bool(block[-1] == 1.0)
        except MemoryError:
            return False

    with getattr(module, name)(headroom):
        inside = (allocates((headroom >> 20) // 4), allocates(forbidden))
    after = allocates(forbidden), resource.getrlimit(resource.RLIMIT_AS) == (hard, hard)
    with getattr(module, name)(None):
        without = allocates(forbidden)
    print(inside, after, without)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
@pytest.mark.parametrize("where", sorted(IMPLEMENTATIONS))
def test_headroom_caps_the_block_and_gives_the_limit_back(where):
    path, name = IMPLEMENTATIONS[where]
    n, d, c = LOSS_MEMORY_SIZE
    forbidden_mib = n * d * c * 8 >> 20  # the (N, D, C) array the memory-safe size rules out
    done = subprocess.run([sys.executable, "-c", PROGRAM, str(path), name, str(MEMORY_HEADROOM_BYTES),
                           str(forbidden_mib)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # inside: a quarter of the headroom fits, an (N, D, C)-sized array does not; afterwards the hard
    # limit is back
    assert done.stdout.split("\n")[0] == "(True, False) (True, True) True"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_a_memory_safe_call_needs_no_earlier_product_in_its_child(grader, releases):
    """OpenBLAS maps its work buffer (some 30 MB) at a process's first real matrix product. The
    zygote makes that product, so a memory-safe call that comes first in a fresh child still runs
    the reference within its headroom (the zygote maps the buffer first: harness.warm_blas)."""
    import shutil

    from autograder.grading.checks.judging import seeded_knn_call, seeded_loss_call
    from autograder.grading.checks.plans import KNN_MEMORY_SIZE, SOFTMAX_MODULE
    from autograder.grading.runner import RunState

    for call in (seeded_loss_call("first/memory", SOFTMAX_MODULE, "softmax_loss_vectorized", 7, *LOSS_MEMORY_SIZE),
                 seeded_knn_call("first/memory", "compute_distances_no_loops", 7, *KNN_MEMORY_SIZE)):
        workspace = grader._frame()
        shutil.copytree(releases["solution"] / "cs_utils", workspace.work / "cs_utils")
        grader.sandbox.prepare_folder(workspace.work)
        state = RunState(workspace, 1e18)
        try:
            state.child, notes = grader.sandbox.spawn(workspace.work)
            assert state.child is not None, notes
            reply = state.child.call_batch([(call.request, 1, [])], 30.0, 1e18)[-1]
            assert reply.state == "done" and reply.header["status"]["ok"], reply.header.get("status")
        finally:
            grader._stop(state)
            shutil.rmtree(workspace.root, ignore_errors=True)
