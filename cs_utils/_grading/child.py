"""The self-check's test process: ``python -I child.py FOLDER MEMORY_BYTES``, serving calls.

It imports the student's saved package from ``FOLDER`` (a scratch copy) and answers the
requests of :mod:`cs_utils._grading.runner` on its standard input and output, in the grader's
message format: a request is one JSON line (``nonce``; ``calls``, each with the call, ``repeat``
and its input arrays as ``[name, dtype, shape, byte count]``) followed by the arrays' raw bytes;
each call is answered by one JSON line (``done``, ``index``, ``status``, ``outputs``, and
``blobs``, the returned arrays as ``[name, byte count]``) followed by their raw bytes. No pickle.
The call kinds (``function``, ``knn``, ``predict``, ``train``, ``race``) are the grader's.

Standard library and NumPy only, on every operating system; the memory cap needs ``resource``.
"""
import importlib
import importlib.machinery
import json
import numbers
import os
import signal
import sys
import time
import types
from typing import Any

import numpy as np

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

#: The note ``--verbose`` prints where no memory cap could be set.
NO_CAP = "no memory cap on this system: a function that uses too much memory is not stopped"


def cap_memory(limit):
    """Cap this process's address space where the system enforces it; return a note saying which."""
    if sys.platform == "darwin" or resource is None:  # macOS accepts RLIMIT_AS but does not enforce it
        return NO_CAP
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (OSError, ValueError):
        return NO_CAP
    return f"memory capped at {limit >> 20} MiB per test process"


def install_student_path(root):
    """Import ``cs_utils.x.y`` from ``root`` without running the packages' ``__init__`` files.

    A broken ``softmax.py`` then costs only the tests that import it (softmax, and the linear
    classifier's), not every test that would go through ``cs_utils/classifiers/__init__.py``.
    """
    sys.path.insert(0, root)
    for name in ("cs_utils", "cs_utils.classifiers"):
        package = types.ModuleType(name)
        package.__path__ = [os.path.join(root, *name.split("."))]
        package.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
        package.__spec__.submodule_search_locations = package.__path__
        sys.modules[name] = package


class BrokenModule(types.ModuleType):
    """Stands in for a student module that failed to import, as in grading: ``linear_classifier``
    imports ``softmax``, so a broken ``softmax.py`` must not fail the linear classifier's tests."""

    def __init__(self, name, reason):
        super().__init__(name)
        self.reason = reason

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)

        def unavailable(*args, **kwargs):
            raise ImportError(f"{self.__name__} could not be imported ({self.reason})")
        return unavailable


def import_student(name):
    """Import a module of the package, with a :class:`BrokenModule` for each *dependency* that fails."""
    for _ in range(8):  # bounded: each retry replaces one more broken dependency
        try:
            return importlib.import_module(name)
        except BaseException as error:
            root = os.path.dirname(os.path.abspath(sys.modules["cs_utils"].__path__[0]))
            frames, traceback = [], error.__traceback__
            while traceback is not None:
                frames.append(traceback.tb_frame.f_code.co_filename)
                traceback = traceback.tb_next
            if isinstance(error, SyntaxError):  # a file that does not parse has no frame of its own
                frames.append(error.filename or "")
            inside = [os.path.abspath(path) for path in frames if path and path.endswith(".py")
                      and os.path.abspath(path).startswith(os.path.join(root, "cs_utils") + os.sep)]
            culprit = os.path.relpath(inside[-1], root)[:-3].replace(os.sep, ".") if inside else None
            if culprit is None or culprit == name or isinstance(sys.modules.get(culprit), BrokenModule):
                raise
            sys.modules[culprit] = BrokenModule(culprit, type(error).__name__)
            sys.modules.pop(name, None)
    return importlib.import_module(name)


class Store:
    """The input arrays of one call (name -> dtype, shape, bytes) and the arrays it returns."""

    def __init__(self, blobs):
        self.blobs, self.saved = blobs, []

    def load(self, name):  # a fresh, writable copy every time
        dtype, shape, data = self.blobs[name]
        return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()

    def save(self, name, array):
        self.saved.append((name, array.tobytes()))
        return {"dtype": array.dtype.str, "shape": list(array.shape)}


def export(value, store, stem, record):
    """Describe one returned value in ``record`` as plain data; arrays go to ``store``."""
    if isinstance(value, (bool, np.bool_)):
        record[stem] = {"kind": "number", "value": float(bool(value))}
    elif isinstance(value, numbers.Real) and not isinstance(value, np.ndarray):
        number = float(value)
        record[stem] = {"kind": "number", "value": number if np.isfinite(number) else str(number)}
    elif isinstance(value, (list, tuple)) and stem == "result":
        record[stem] = {"kind": "tuple", "length": len(value)}
        for position, item in enumerate(value):
            export(item, store, f"{stem}.{position}", record)
    else:
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"returned a value of type {type(value).__name__} that is not numeric")
        record[stem] = {"kind": "array", **store.save(stem, np.ascontiguousarray(array))}


def argument(store, ref):
    return store.load(ref["array"]) if "array" in ref else ref["value"]


def prepare(call, store):
    """The call as a function of no arguments, and its input arrays by the names checked for changes."""
    if call["kind"] == "function":
        function = getattr(import_student(call["module"]), call["name"])
        args = [argument(store, ref) for ref in call["args"]]
        inputs = {f"after.arg{i}": a for i, a in enumerate(args) if isinstance(a, np.ndarray)}
        return (lambda: function(*args)), inputs
    classifier = import_student("cs_utils.classifiers.k_nearest_neighbor").KNearestNeighbor()
    X_train = store.load("X_train")
    classifier.train(X_train, store.load("y_train"))
    args = [argument(store, ref) for ref in call["args"]]
    kwargs = {key: argument(store, ref) for key, ref in call.get("kwargs", {}).items()}
    method = getattr(classifier, call["method"])
    inputs = {"after.X_train": X_train, **{f"after.arg{i}": a for i, a in enumerate(args)}}
    return (lambda: method(*args, **kwargs)), inputs


def race(call, store):
    """The fastest of ``rounds`` timings of each contender, in turns.

    The first contender's exceptions end the race (the call fails as its own call would); the
    second gets ``inf`` if it raises or runs out of time. Times leave out the waits for a CPU, as
    the grader's race measures them: the first contender's is the wall time less those waits (on
    Linux; CPU time elsewhere), the second's its CPU time (wall time on Windows, which has no
    ``resource`` module). With ``settled_ratio`` the race ends after a round in which the first
    contender is that many times faster than the second.
    """
    clock = time.perf_counter if resource is None else cpu_seconds
    busy = clock if not os.path.exists("/proc/self/schedstat") else busy_seconds
    best, spent, budget = [float("inf")] * 2, [0.0] * 2, call.get("budget_seconds", 1.5)
    for _ in range(int(call.get("rounds", 3))):
        for index, contender in enumerate(call["contenders"]):
            if index and spent[index] > budget:
                continue
            if not index:
                run, _ = prepare(contender, store)
                start = busy()
                run()
                elapsed = busy() - start
            else:
                try:
                    run, _ = prepare(contender, store)
                    alarm = hasattr(signal, "setitimer")  # no SIGALRM on Windows: the call's limit only
                    if alarm:
                        signal.signal(signal.SIGALRM, out_of_time)
                        signal.setitimer(signal.ITIMER_REAL, budget)
                    start = clock()
                    try:
                        run()
                    finally:
                        if alarm:
                            signal.setitimer(signal.ITIMER_REAL, 0)
                except BaseException:  # noqa: B036 -- any way out, running out of time included: no yardstick
                    spent[index] = float("inf")
                    continue
                elapsed = clock() - start
            spent[index] += elapsed
            best[index] = min(best[index], elapsed)
        settled = call.get("settled_ratio")  # more rounds could not change the verdict
        if settled and best[1] < float("inf") and best[1] >= settled * best[0]:
            break
    return tuple(best), {}


def busy_seconds():
    """Wall-clock seconds less the time this process waited for a CPU (Linux's /proc/self/schedstat)."""
    with open("/proc/self/schedstat") as stats:
        return time.perf_counter() - int(stats.read().split()[1]) / 1e9


def cpu_seconds():
    """CPU seconds of this process (all its threads) and its waited-for children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def out_of_time(signum, frame):
    raise TimeoutError("out of time")


def train_probe(call, store):
    """Run ``LinearClassifier.train`` with a recording least-squares loss (not one of the assignment)."""
    student_class: Any = import_student("cs_utils.classifiers.linear_classifier").LinearClassifier
    batches, regs = [], []

    class Recording(student_class):
        def loss(self, X_batch, y_batch, reg):
            regs.append(float(reg) if isinstance(reg, (int, float, np.floating)) else float("nan"))
            X_batch, y_batch = np.asarray(X_batch, dtype=float), np.asarray(y_batch)
            targets = np.zeros((len(y_batch), self.W.shape[1]))
            targets[np.arange(len(y_batch)), y_batch.astype(int)] = 1.0
            residual = X_batch @ self.W - targets  # (B, C)
            batches.append(X_batch.copy())
            return 0.5 * np.sum(residual * residual) / len(y_batch), X_batch.T @ residual / len(y_batch)

    X, y = store.load("X"), store.load("y")
    settings = {key: call[key] for key in ("learning_rate", "reg", "num_iters", "batch_size")}
    np.random.seed(call["seed"])  # the plain CS231n contract: global seeding
    classifier = Recording()
    history = classifier.train(X, y, **settings)
    recorded = {"history": np.asarray(history if history is not None else [], dtype=float),
                "batch_sizes": np.array([len(batch) for batch in batches], dtype=np.int64),
                "regs": np.asarray(regs, dtype=float)}
    if classifier.W is not None:
        recorded["final_W"] = np.asarray(classifier.W, dtype=float)
    rows = []  # the first minibatch's row sums: (global 101, None), (102, None), (103, seed), (104, seed)
    for global_seed, seed in ((101, None), (102, None), (103, call["seed"]), (104, call["seed"])):
        del batches[:]
        np.random.seed(global_seed)
        try:
            Recording().train(X, y, **{**settings, "num_iters": 2}, seed=seed)
            rows.append(batches[0].sum(axis=1))
        except Exception:
            rows.append(np.full(call["batch_size"], np.nan))
    recorded["seed_runs"] = np.stack([row if row.shape == rows[0].shape else np.full(rows[0].shape, np.nan)
                                      for row in rows])
    return None, recorded


def invoke(call, store):
    if call["kind"] == "race":
        return race(call, store)
    if call["kind"] == "train":
        return train_probe(call, store)
    if call["kind"] == "predict":
        classifier = import_student("cs_utils.classifiers.linear_classifier").LinearClassifier()
        classifier.W = store.load("W")
        return classifier.predict(store.load("X")), {}
    if call["kind"] in ("function", "knn"):
        run, inputs = prepare(call, store)
        result = run()
        return result, (inputs if call.get("return_inputs") else {})
    raise ValueError(f"unknown call kind {call['kind']!r}")


class headroom:
    """Within the block the address space may grow by ``size`` bytes at most (the grader's rule
    for its memory-safe calls); a no-op where ``resource`` or ``/proc/self/statm`` is missing."""

    def __init__(self, size):
        self.size, self.previous = int(size or 0), None

    def __enter__(self):
        if resource is None:
            return
        try:
            with open("/proc/self/statm") as statm:
                cap = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE") + self.size
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            if self.size and (hard == resource.RLIM_INFINITY or cap < hard):
                resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
                self.previous = (soft, hard)
        except (OSError, ValueError, AttributeError):
            pass

    def __exit__(self, *exc):
        if self.previous is not None:
            resource.setrlimit(resource.RLIMIT_AS, self.previous)


def execute(call, repeat, store):
    """Run one call ``repeat`` times; its status and the description of what it returned."""
    record: dict = {}
    try:
        if call.get("headroom_bytes"):  # the module's own imports are not counted against the headroom
            import_student(call["module"] if call["kind"] == "function" else "cs_utils.classifiers.k_nearest_neighbor")
        with headroom(call.get("headroom_bytes")):
            for _ in range(max(1, int(repeat))):
                result, extra = invoke(call, store)
        if result is not None:
            export(result, store, "result", record)
        for name, value in extra.items():
            export(value, store, name, record)
        return {"ok": True}, record
    except BaseException as error:  # the student's SystemExit and KeyboardInterrupt too
        store.saved.clear()
        return {"ok": False, "error": type(error).__name__, "message": str(error)[:500]}, {}


def send(channel, header, saved=()):
    channel.write(json.dumps({**header, "blobs": [[name, len(data)] for name, data in saved]}).encode() + b"\n")
    for _, data in saved:
        channel.write(data)
    channel.flush()


def serve(requests, channel):
    while line := requests.readline():
        request = json.loads(line)
        for item in request["calls"]:  # every input is read before the first call runs
            item["blobs"] = {name: (dtype, shape, requests.read(size)) for name, dtype, shape, size in item["arrays"]}
        for index, item in enumerate(request["calls"]):
            store = Store(item["blobs"])
            status, record = execute(item["call"], item.get("repeat", 1), store)
            send(channel, {"done": request["nonce"], "index": index, "status": status, "outputs": record}, store.saved)


def main(root, memory_bytes):
    # The messages travel on private copies of stdin and stdout; the student's prints go to stderr.
    requests, channel = os.fdopen(os.dup(0), "rb"), os.fdopen(os.dup(1), "wb")
    if sys.platform == "win32":  # no newline translation in the raw bytes
        import msvcrt

        for stream in (requests, channel):
            msvcrt.setmode(stream.fileno(), os.O_BINARY)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.chdir(root)
    block = np.ones((256, 256))  # OpenBLAS maps its work buffer at the first real product: not
    block @ block  # inside a memory-safe call's few MB of headroom (the grader's harness does the same)
    note = cap_memory(memory_bytes)
    install_student_path(root)
    send(channel, {"ready": True, "notes": [note]})
    serve(requests, channel)


if __name__ == "__main__":
    main(os.path.abspath(sys.argv[1]), int(sys.argv[2]))
