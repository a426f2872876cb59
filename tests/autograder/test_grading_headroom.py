"""The memory-safe calls' own address-space cap, in the grader's harness and in the self-check's child.

Each case runs in a fresh interpreter: an rlimit set here would stay with the test process.
"""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from autograder import KIT_ROOT

IMPLEMENTATIONS = {
    "grader": (KIT_ROOT / "autograder" / "grading" / "harness.py", "_headroom"),
    "self-check": (KIT_ROOT / "autograder" / "source" / "cs_utils" / "_grading" / "child.py", "headroom"),
}

PROGRAM = textwrap.dedent("""
    import importlib.util, resource, sys
    import numpy as np

    path, name = sys.argv[1], sys.argv[2]
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

    with getattr(module, name)(256 << 20):
        inside = (allocates(64), allocates(768))
    after = allocates(768), resource.getrlimit(resource.RLIMIT_AS) == (hard, hard)
    with getattr(module, name)(None):
        without = allocates(768)
    print(inside, after, without)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
@pytest.mark.parametrize("where", sorted(IMPLEMENTATIONS))
def test_headroom_caps_the_block_and_gives_the_limit_back(where):
    path, name = IMPLEMENTATIONS[where]
    done = subprocess.run([sys.executable, "-c", PROGRAM, str(path), name], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    # inside: 64 MiB fits, a 768 MiB (N, D, C)-sized array does not; afterwards the hard limit is back
    assert done.stdout.split("\n")[0] == "(True, False) (True, True) True"
