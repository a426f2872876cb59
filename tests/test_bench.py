"""The benchmark script runs end to end on tiny sizes (its numbers are not checked here)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

KIT_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_tiny_run_writes_every_row(tmp_path):
    pytest.importorskip("sklearn")
    out = tmp_path / "rows.json"
    result = subprocess.run(
        [sys.executable, str(KIT_ROOT / "bench" / "run.py"), "--size", "tiny", "--json", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(out.read_text())
    assert any("euclidean_distances" in row["peer"] for row in rows)
    assert any(row["what"].startswith("kNN distances") for row in rows)
    assert any(row["what"].startswith("load_CIFAR10") and "pickle.load" in row["peer"] for row in rows)
    assert all(row["kit_seconds"] > 0 for row in rows)
    assert "ratio" in result.stdout
