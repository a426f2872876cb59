"""Speed of the kit's reference code, as ratios against peers measured side by side in one run.

Absolute times drift on shared 2-core machines; a ratio of two timings taken in the same run,
interleaved round by round, drifts much less. Every row below times the kit's reference
implementation (``autograder/source/cs_utils``) and a peer on the same inputs:

* no-loop L2 distances vs scikit-learn's ``euclidean_distances`` and SciPy's ``cdist``;
* vectorized SVM and softmax loss+gradient (float64, float32) vs a plain NumPy implementation of
  the same math (below, written as a careful student would) and vs PyTorch CPU autograd
  (skipped with a note when torch is not installed);
* full CIFAR-size kNN distances (chunked) as a fraction of the GEMM throughput measured in the
  same run (each chunk's bare ``X_chunk @ X_train.T``, timed right after the chunk);
* SGD iterations per second, against the bare loss+gradient call on one minibatch;
* ``load_CIFAR10`` on a full-size synthetic CIFAR-10 in the official format, against bare
  ``pickle.load`` of the six batch files (and against the earlier batch-by-batch conversion),
  each load in a fresh process, as a notebook's kernel does it.

Run ``make bench`` (or ``python bench/run.py --size quick`` for a one-minute version). The data
is random with CIFAR-10's shapes and value ranges: speed does not depend on the pixels.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np

KIT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(KIT_ROOT / "autograder" / "source"))

from cs_utils.classifiers import KNearestNeighbor, LinearSVM, softmax_loss_vectorized, svm_loss_vectorized  # noqa: E402

#: Problem sizes per preset: (num_test, num_train) for distances, N for losses, rows for full kNN.
SIZES = {
    "full": {"dist": (500, 5000), "loss_n": 49000, "knn": (10000, 50000), "sgd_iters": 1500, "repeat": 5,
             "loader_batch": 10000},
    "quick": {"dist": (500, 5000), "loss_n": 10000, "knn": (2000, 20000), "sgd_iters": 300, "repeat": 3,
              "loader_batch": 10000},
    "tiny": {"dist": (20, 200), "loss_n": 300, "knn": (100, 400), "sgd_iters": 20, "repeat": 2, "loader_batch": 100},
}
DIM = 3072


@dataclass(frozen=True)
class Row:
    """One line of the report: the kit's median time, the peer's, and kit / peer."""

    what: str
    kit_seconds: float
    peer: str
    peer_seconds: float | None
    ratio: float | None
    note: str = ""


def median_times(candidates: Mapping[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median wall time of each callable, run interleaved (A, B, A, B, ...) after one warm-up each."""
    for run in candidates.values():
        run()
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeat):
        for name, run in candidates.items():
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def pixels(rng: np.random.Generator, rows: int, dtype=np.float64) -> np.ndarray:
    """Random integer pixel values in [0, 255], shape (rows, 3072)."""
    return rng.integers(0, 256, size=(rows, DIM)).astype(dtype)


def bench_distances(rng: np.random.Generator, size: dict) -> list[Row]:
    from scipy.spatial.distance import cdist
    from sklearn.metrics.pairwise import euclidean_distances

    num_test, num_train = size["dist"]
    X_train, X_test = pixels(rng, num_train), pixels(rng, num_test)
    knn = KNearestNeighbor()
    knn.train(X_train, np.zeros(num_train, dtype=int))
    times = median_times(
        {
            "kit": lambda: knn.compute_distances_no_loops(X_test),
            "sklearn": lambda: euclidean_distances(X_test, X_train),
        },
        size["repeat"],
    )
    rows = [
        Row(
            f"L2 distances {num_test}x{num_train}",
            times["kit"],
            "sklearn euclidean_distances",
            times["sklearn"],
            times["kit"] / times["sklearn"],
        )
    ]
    slice_rows = max(1, num_test // 10)  # cdist is ~25x slower: time it on a slice, compare per row
    X_slice = X_test[:slice_rows]
    slice_times = median_times(
        {"kit": lambda: knn.compute_distances_no_loops(X_slice), "scipy": lambda: cdist(X_slice, X_train)},
        max(1, size["repeat"] - 2),
    )
    rows.append(
        Row(
            f"L2 distances {slice_rows}x{num_train}",
            slice_times["kit"],
            "scipy cdist",
            slice_times["scipy"],
            slice_times["kit"] / slice_times["scipy"],
        )
    )
    return rows


def plain_numpy_losses() -> dict[str, Callable]:
    """The two losses as a plain NumPy transcription of the math: the bar the reference must meet.

    Same convention as the kit (mean data loss + ``reg * sum(W**2)``), written without any
    layout trick, so the ratio reference / plain shows whether the reference costs anything.
    """

    def svm(W, X, y, reg):
        rows = np.arange(len(y))
        scores = X @ W
        margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
        margins[rows, y] = 0
        loss = margins.sum() / len(y) + reg * np.sum(W * W)
        counts = (margins > 0).astype(W.dtype)
        counts[rows, y] = -counts.sum(axis=1)
        return loss, X.T @ counts / len(y) + 2 * reg * W

    def softmax(W, X, y, reg):
        rows = np.arange(len(y))
        scores = X @ W
        scores = scores - scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(probabilities[rows, y])) + reg * np.sum(W * W)
        probabilities[rows, y] -= 1
        return loss, X.T @ probabilities / len(y) + 2 * reg * W

    return {"svm": svm, "softmax": softmax}


def torch_losses():
    """PyTorch versions of the two losses (same convention: mean data loss + reg * sum(W**2)), or None."""
    try:
        import torch
    except ImportError:
        return None

    def svm(W, X, y, reg):
        W = W.detach().requires_grad_()
        scores = X @ W
        correct = scores.gather(1, y[:, None])
        margins = (scores - correct + 1).clamp(min=0)
        loss = (margins.sum() - len(y)) / len(y) + reg * (W * W).sum()  # the correct class adds exactly 1
        loss.backward()
        return loss.item(), W.grad

    def softmax(W, X, y, reg):
        W = W.detach().requires_grad_()
        loss = torch.nn.functional.cross_entropy(X @ W, y) + reg * (W * W).sum()
        loss.backward()
        return loss.item(), W.grad

    return torch, {"svm": svm, "softmax": softmax}


def bench_losses(rng: np.random.Generator, size: dict) -> list[Row]:
    """Vectorized loss+gradient: the reference against plain NumPy and against PyTorch's autograd."""
    num_train = size["loss_n"]
    kit = {"svm": svm_loss_vectorized, "softmax": softmax_loss_vectorized}
    plain = plain_numpy_losses()
    peers = torch_losses()
    reg = 2.5e4
    rows: list[Row] = []
    for dtype in (np.float64, np.float32):
        X = (pixels(rng, num_train, dtype) - 128).astype(dtype)
        X = np.hstack([X, np.ones((num_train, 1), dtype=dtype)])
        y = rng.integers(0, 10, num_train)
        W = (1e-4 * rng.standard_normal((DIM + 1, 10))).astype(dtype)
        for name, loss_fn in kit.items():
            label = f"{name} loss+grad {num_train}x{DIM + 1} {np.dtype(dtype).name}"
            kit_grad = loss_fn(W, X, y, reg)[1]
            candidates = {"kit": partial(loss_fn, W, X, y, reg), "plain": partial(plain[name], W, X, y, reg)}
            if peers is not None:
                torch, torch_fns = peers
                Xt, yt, Wt = torch.from_numpy(X), torch.from_numpy(y), torch.from_numpy(W)
                candidates["torch"] = partial(torch_fns[name], Wt, Xt, yt, reg)
            # Reference and plain NumPy do the same work: their ratio is 1 up to this VM's noise
            # (about +-0.1 per run), so it gets more rounds than the other groups.
            times = median_times(candidates, 2 * size["repeat"] + 1)
            rows.append(
                Row(
                    label,
                    times["kit"],
                    "plain NumPy, same math",
                    times["plain"],
                    times["kit"] / times["plain"],
                    f"max rel. grad difference {relative_gap(kit_grad, plain[name](W, X, y, reg)[1]):.1e}",
                )
            )
            if peers is None:
                rows.append(Row(label, times["kit"], "torch CPU autograd", None, None, "torch not installed: skipped"))
                continue
            peer_grad = torch_fns[name](Wt, Xt, yt, reg)[1].numpy()
            rows.append(
                Row(
                    label,
                    times["kit"],
                    f"torch {torch.__version__} CPU autograd",
                    times["torch"],
                    times["kit"] / times["torch"],
                    f"max rel. grad difference {relative_gap(kit_grad, peer_grad):.1e}",
                )
            )
    return rows


def relative_gap(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Largest absolute difference, relative to the largest entry of ``ours``."""
    return float(np.max(np.abs(ours - theirs)) / np.max(np.abs(ours)))


def bench_full_knn(rng: np.random.Generator, size: dict) -> list[Row]:
    """Full-size no-loop distances in 1000-row chunks, against the bare GEMM of each chunk.

    The peer is ``X_chunk @ X_train.T`` alone: the same matrix product the kit's distances are
    built on, with its output preallocated. The two are timed alternately chunk by chunk, so both
    see the same machine (on a shared VM the GEMM throughput itself drifts by a factor of two
    within minutes). kit / peer FLOP/s is the share of the measured GEMM throughput that the
    whole distance computation (norms, broadcasts, clip, square root) keeps.
    """
    num_test, num_train = size["knn"]
    chunk = min(1000, num_test)
    rounds = max(1, size["repeat"] - 3)
    rows: list[Row] = []
    for dtype in (np.float32, np.float64):
        knn = KNearestNeighbor()
        knn.train(pixels(rng, num_train, dtype), np.zeros(num_train, dtype=int))
        X_train = knn.X_train
        X_test = pixels(rng, num_test, dtype)
        out = np.empty((num_test, num_train), dtype=dtype)
        cross = np.empty((chunk, num_train), dtype=dtype)
        knn.compute_distances_no_loops(X_test[:chunk])  # warm-up: page in the training set
        kit_rounds, gemm_rounds = [], []
        for _ in range(rounds):
            kit_seconds = gemm_seconds = 0.0
            for start in range(0, num_test, chunk):
                block = X_test[start : start + chunk]
                began = time.perf_counter()
                out[start : start + len(block)] = knn.compute_distances_no_loops(block)
                middle = time.perf_counter()
                np.matmul(block, X_train.T, out=cross[: len(block)])
                kit_seconds += middle - began
                gemm_seconds += time.perf_counter() - middle
            kit_rounds.append(kit_seconds)
            gemm_rounds.append(gemm_seconds)
        kit_seconds, gemm_seconds = statistics.median(kit_rounds), statistics.median(gemm_rounds)
        flop = 2 * num_test * num_train * DIM
        rows.append(
            Row(
                f"kNN distances {num_test}x{num_train} {np.dtype(dtype).name}, {chunk}-row chunks",
                kit_seconds,
                "its bare GEMMs, chunk by chunk",
                gemm_seconds,
                gemm_seconds / kit_seconds,
                f"share of GEMM throughput: {flop / kit_seconds / 1e9:.0f} of {flop / gemm_seconds / 1e9:.0f} GFLOP/s",
            )
        )
    return rows


def bench_sgd(rng: np.random.Generator, size: dict) -> list[Row]:
    num_train = size["loss_n"]
    X = np.hstack([pixels(rng, num_train) - 128, np.ones((num_train, 1))])
    y = rng.integers(0, 10, num_train)
    iterations = size["sgd_iters"]
    svm = LinearSVM()
    batch_rows = rng.integers(0, num_train, 200)
    W = 1e-4 * rng.standard_normal((DIM + 1, 10))

    def train() -> None:
        svm.W = W.copy()
        svm.train(X, y, learning_rate=1e-7, reg=2.5e4, num_iters=iterations, batch_size=200, seed=0)

    def bare_steps() -> None:
        for _ in range(iterations):
            svm_loss_vectorized(W, X[batch_rows], y[batch_rows], 2.5e4)

    times = median_times({"train": train, "bare": bare_steps}, max(1, size["repeat"] - 2))
    return [
        Row(
            f"SVM SGD, {iterations} iterations of batch 200",
            times["train"],
            "the same number of bare loss+grad calls",
            times["bare"],
            times["train"] / times["bare"],
            f"{iterations / times['train']:.0f} iterations/s",
        )
    ]


#: What each loader run times, in a fresh interpreter (imports excluded): the first load in a kernel.
LOADERS = {
    "kit": "from cs_utils.data_utils import load_CIFAR10\nstart = time.perf_counter()\nload_CIFAR10(folder)\n",
    "pickle": (
        "import pickle\nstart = time.perf_counter()\n"
        "for name in [f'data_batch_{b}' for b in range(1, 6)] + ['test_batch']:\n"
        "    with open(f'{folder}/{name}', 'rb') as handle:\n"
        "        pickle.load(handle, encoding='latin1')\n"
    ),
    "batchwise": (  # the loader before issue 15: float64 per batch, then 1.2 GB of floats joined
        "from cs_utils.data_utils import TRAIN_BATCHES, load_CIFAR_batch\nstart = time.perf_counter()\n"
        "parts = [load_CIFAR_batch(f'{folder}/{name}') for name in TRAIN_BATCHES]\n"
        "np.concatenate([x for x, _ in parts]); np.concatenate([y for _, y in parts])\n"
        "load_CIFAR_batch(f'{folder}/test_batch')\n"
    ),
}


def time_in_fresh_process(body: str, folder: Path) -> float:
    """Seconds ``body`` takes in a new interpreter (it sets ``start``; the script prints the time)."""
    script = (
        f"import sys, time\nimport numpy as np\nsys.path.insert(0, {str(KIT_ROOT / 'autograder' / 'source')!r})\n"
        f"folder = {str(folder)!r}\n{body}print(time.perf_counter() - start)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def bench_loader(rng: np.random.Generator, size: dict) -> list[Row]:
    """``load_CIFAR10`` on a full-size synthetic CIFAR-10 against bare unpickling of the same files.

    The batches are written in the official format (:mod:`autograder.synthetic_data`) to a
    temporary folder; each round loads them once per candidate, each in a fresh interpreter
    (fresh memory, as in a notebook's kernel), the candidates interleaved; medians of the rounds.
    """
    sys.path.insert(0, str(KIT_ROOT))
    from autograder.synthetic_data import write_synthetic_cifar10

    per_batch = size["loader_batch"]
    rounds = 2 * size["repeat"] + 1
    with tempfile.TemporaryDirectory(prefix="bench-cifar-") as scratch:
        folder = write_synthetic_cifar10(scratch, images_per_batch=per_batch, test_images=per_batch, seed=0)
        samples: dict[str, list[float]] = {name: [] for name in LOADERS}
        for _ in range(rounds):
            for name, body in LOADERS.items():
                samples[name].append(time_in_fresh_process(body, folder))
    times = {name: statistics.median(values) for name, values in samples.items()}
    label = f"load_CIFAR10, {5 * per_batch} + {per_batch} images"
    spread = f"kit {min(samples['kit']):.2f}-{max(samples['kit']):.2f} s over {rounds} fresh processes"
    return [
        Row(label, times["kit"], "bare pickle.load of the six files", times["pickle"],
            times["kit"] / times["pickle"], spread),
        Row(label, times["kit"], "float64 per batch, then joined (before)", times["batchwise"],
            times["kit"] / times["batchwise"]),
    ]


def render(rows: list[Row]) -> str:
    """A plain-text table; ratio < 1 means the kit is faster (kNN rows: the share of GEMM throughput kept)."""
    header = f"{'what':58s} {'kit':>9s} {'peer':>9s} {'ratio':>7s}  peer / note"
    lines = [header, "-" * len(header)]
    for row in rows:
        peer = duration(row.peer_seconds) if row.peer_seconds is not None else f"{'-':>9s}"
        ratio = f"{row.ratio:7.2f}" if row.ratio is not None else f"{'-':>7s}"
        lines.append(f"{row.what:58s} {duration(row.kit_seconds)} {peer} {ratio}  {row.peer}; {row.note}".rstrip("; "))
    return "\n".join(lines)


def duration(seconds: float) -> str:
    """Nine characters: seconds, or milliseconds below a tenth of a second."""
    return f"{seconds:8.3f}s" if seconds >= 0.1 else f"{seconds * 1e3:7.3f}ms"


def cpu_model() -> str:
    """The CPU's marketing name (``/proc/cpuinfo`` on Linux, ``sysctl`` on macOS), or the platform."""
    import platform
    import subprocess

    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    try:
        return subprocess.run(
            ["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return platform.processor() or platform.machine()


def blas_summary() -> str:
    """Each BLAS NumPy loaded, with the kernel family it picked for this CPU (via threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS unknown (pip install threadpoolctl to name it)"
    return (
        ", ".join(
            f"{info['internal_api']} {info.get('version') or ''} {info.get('architecture') or ''} kernels, "
            f"{info['num_threads']} threads".replace("  ", " ")
            for info in threadpool_info()
            if info.get("user_api") == "blas"
        )
        or "no BLAS detected"
    )


def machine_summary() -> str:
    import os
    import platform

    return (
        f"CPU: {cpu_model()} ({os.cpu_count()} CPUs); Python {platform.python_version()}, "
        f"NumPy {np.__version__}; BLAS: {blas_summary()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full", help="problem sizes (default: full)")
    parser.add_argument(
        "--only", nargs="*", choices=["distances", "losses", "knn", "sgd", "loader"], help="run only these groups"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    groups = {"distances": bench_distances, "losses": bench_losses, "knn": bench_full_knn, "sgd": bench_sgd,
              "loader": bench_loader}
    rng = np.random.default_rng(0)
    rows: list[Row] = []
    for name, bench in groups.items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(bench(rng, size))
    print(machine_summary())
    print(render(rows))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(row) for row in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
