"""The only grader code that shares a process with student code.

This file is not imported by the grader. Its text is handed to a fresh interpreter
(``python -I -c <this file>``) that becomes the *zygote*: it imports NumPy once, then waits on a
socket for spawn requests and forks one *child* per request. A child confines itself (new session,
namespaces, hidden paths, resource limits, unprivileged uid), imports the student's ``cs_utils``
from the scratch copy, and serves *calls*. A batch request is one JSON line followed by the
raw bytes of every input array (dtype and shape are in the line); the child runs the calls in
order and answers each one as it finishes: a JSON line (status, what came back, dtypes and shapes)
followed by the raw bytes of the returned arrays. Nothing touches the disk. (The older file-based
request, with inputs and outputs in a folder the parent made, is still served.)

It never sees expected values, the reference solutions or the test manifest, and it decides
nothing: a child that is tricked, patched or killed can only spoil its own outputs, which the
parent checks against its own expectations. Nothing here is pickled; ``np.save`` and
``np.load`` run with ``allow_pickle=False``.

Standard library and NumPy only: this text must run without the ``autograder`` package, which the
child cannot read.
"""

import __future__  # noqa: F401  (imported once here for the students' "from __future__ import annotations")

import ctypes
import errno
import gc
import importlib
import importlib.util
import json
import numbers
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import types
from typing import Any

import numpy as np
import numpy.random  # noqa: F401  (lazy in NumPy 2: imported once here, not in every child)

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_BIND = 0x1000
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
PR_CAPBSET_DROP = 24
LINUX_CAPABILITY_VERSION_3 = 0x20080522
MAX_LINE = 1 << 20  # longest request line the zygote or a child accepts

_libc = ctypes.CDLL(None, use_errno=True)


# ---------------------------------------------------------------- line-delimited JSON messages


def read_message(stream):
    line = stream.readline(MAX_LINE)
    if not line:
        return None
    return json.loads(line)


def write_message(sock, message):
    sock.sendall(json.dumps(message).encode() + b"\n")


# ---------------------------------------------------------------- confinement (in the child)


def _unshare(flags):
    if not hasattr(_libc, "unshare"):  # not Linux (macOS, say): no namespaces at all
        return "not supported on this system"
    if _libc.unshare(ctypes.c_int(flags)) != 0:
        return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    return None


def _mount(source, target, fstype, flags, data):
    result = _libc.mount(
        source.encode() if source else None,
        target.encode(),
        fstype.encode() if fstype else None,
        ctypes.c_ulong(flags),
        data.encode() if data else None,
    )
    if result != 0:
        return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    return None


def _hide(path):
    """Cover ``path`` in this mount namespace: an empty, unreadable tmpfs or /dev/null."""
    if os.path.isdir(path):
        return _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")
    if os.path.exists(path):
        return _mount("/dev/null", path, None, MS_BIND, None)
    return None


def _expose(ancestor, paths):
    """Make ``paths`` reachable although ``ancestor`` (say /root, or /tmp) is covered.

    In this mount namespace only: ``ancestor`` is covered by one empty tmpfs that the child
    cannot write, and each of ``paths`` is bind-mounted back at its own place (through file
    descriptors opened before the cover). Everything else under ``ancestor`` is gone for the child.
    All paths under one ancestor must come in one call: a second cover would hide the first.
    """
    handles = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in paths if path]
    try:
        problem = _mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        if problem:
            return problem
        for path, handle in handles:
            os.makedirs(path, mode=0o755, exist_ok=True)
            problem = _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC, None)
            if problem:
                return problem
        return None
    finally:
        for _, handle in handles:
            os.close(handle)


def _private_scratch(folder, size_bytes, inodes, uid, gid):
    """Replace ``folder`` (in this mount namespace) by a capped tmpfs holding a copy of it.

    The copy is all the child can write: ``size_bytes`` and ``inodes`` cap it, so no submission
    can fill the grader's disk or inode table, and nothing the child writes ever reaches the
    folder the parent made (the parent reads nothing back from it anyway). The files are copied
    through descriptors opened beneath the original folder, never following a symbolic link.
    """
    source = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        owner = f",uid={uid},gid={gid}" if uid is not None else ""
        problem = _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV,
                         f"size={int(size_bytes)},nr_inodes={int(inodes)},mode=0700{owner}")
        if problem:
            return problem
        for relative, _, files, directory in os.fwalk(".", dir_fd=source):
            target = os.path.normpath(os.path.join(folder, relative))
            os.makedirs(target, mode=0o700, exist_ok=True)
            _give(target, uid, gid)
            for name in files:
                try:
                    handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=directory)
                except OSError:
                    continue  # a symbolic link or a special file: not copied
                with os.fdopen(handle, "rb") as reader, open(os.path.join(target, name), "xb") as writer:
                    while block := reader.read(1 << 20):
                        writer.write(block)
                _give(os.path.join(target, name), uid, gid)
        return None
    finally:
        os.close(source)


def _give(path, uid, gid):
    if uid is not None and os.geteuid() == 0:
        os.lchown(path, uid, gid)


def _keep_own_ids(uid, gid):
    """In a fresh user namespace, map our uid and gid to themselves (files keep their owners)."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        try:
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
        except OSError as error:
            return f"{name}: {error.strerror}"
    return None


def _drop_capabilities():
    """Give up every capability. A new user namespace grants all of them inside it; kept, they
    would let student code unmount the covers below."""
    for capability in range(64):
        _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)  # fails harmlessly past the last one
    header = (ctypes.c_uint32 * 2)(LINUX_CAPABILITY_VERSION_3, 0)  # version, this process
    empty = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (two 32-bit words each)
    if _libc.capset(header, empty) != 0:
        return errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
    return None


# -- a seccomp filter: what no submission needs and every escape starts with --------------

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
CLONE_NAMESPACES = 0x7E020080  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
#: (audit arch, syscalls refused with EPERM, clone, clone3) per architecture. Refused: new
#: namespaces (a user namespace brings back mount rights, so a tmpfs past the scratch cap), mounts
#: old and new, the kernel keyrings (they outlive every process of a uid: a channel to the next
#: student), bpf, userfaultfd and perf events.
SECCOMP_TABLES = {
    "x86_64": (0xC000003E, (272, 308, 165, 166, 155, 250, 248, 249, 428, 429, 430, 431, 432, 433, 442, 321, 323,
                            298), 56, 435),
    "aarch64": (0xC00000B7, (97, 268, 40, 39, 41, 219, 217, 218, 428, 429, 430, 431, 432, 433, 442, 280, 282,
                             241), 220, 435),
}


def _seccomp_program(arch, refused, clone, clone3):
    """A classic-BPF program over ``struct seccomp_data`` (nr at 0, arch at 4, args[0] at 16)."""
    ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    eperm, enosys = SECCOMP_RET_ERRNO | errno.EPERM, SECCOMP_RET_ERRNO | errno.ENOSYS
    program = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, eperm), (ld, 0, 0, 0),
               (jge, 0, 1, 0x40000000), (ret, 0, 0, eperm)]  # no other ABI (x32)
    for number in refused:
        program += [(jeq, 0, 1, number), (ret, 0, 0, eperm)]
    program += [(jeq, 0, 1, clone3), (ret, 0, 0, enosys)]  # glibc falls back to clone
    program += [(jeq, 0, 3, clone), (ld, 0, 0, 16), (jset, 0, 1, CLONE_NAMESPACES), (ret, 0, 0, eperm)]
    program += [(ret, 0, 0, SECCOMP_RET_ALLOW)]
    return program


def _install_seccomp():
    """Forbid new privileges and the system calls above; return what could not be done, or None."""
    import platform

    table = SECCOMP_TABLES.get(platform.machine())
    if table is None or not hasattr(_libc, "prctl"):
        return f"no seccomp filter for {platform.machine()}"

    class Instruction(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Instruction))]

    instructions = _seccomp_program(*table)
    array = (Instruction * len(instructions))(*[Instruction(*item) for item in instructions])
    program = Program(len(instructions), array)
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return "no_new_privs: " + errno.errorcode.get(ctypes.get_errno(), "?")
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        return "seccomp: " + errno.errorcode.get(ctypes.get_errno(), "?")
    return None


def confine(spec):
    """Apply every isolation step the spawn request asks for; return what could not be done.

    As root the child gets new mount and network namespaces and then an unprivileged uid. Without
    root it tries the same through a user namespace: it keeps the grader's uid, covers the same
    folders, and then gives up the capabilities the namespace granted.
    """
    notes = []
    os.setsid()  # own session and process group: the parent kills the whole group
    if spec.get("namespaces"):
        # Mount (covers), network (none) and IPC: System V shared memory, semaphores and message
        # queues made here vanish with the last process of the namespace.
        flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC
        in_user_namespace = os.geteuid() != 0
        if in_user_namespace:
            flags |= CLONE_NEWUSER
        uid, gid = os.getuid(), os.getgid()
        problem = _unshare(flags)
        if not problem and in_user_namespace:
            problem = _keep_own_ids(uid, gid)
        if problem:
            notes.append(f"no network/mount/IPC namespace ({problem})")
        else:
            problem = _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
            exposed: dict[str, list[str]] = {}
            for ancestor, path in spec.get("expose", []) if not problem else []:
                exposed.setdefault(ancestor, []).append(path)
            for ancestor, paths in exposed.items():
                failure = _expose(ancestor, paths)
                if failure:
                    notes.append(f"could not expose {', '.join(paths)} ({failure})")
            for path in spec.get("hide", []) if not problem else []:
                failure = _hide(path)
                if failure:
                    notes.append(f"could not hide {path} ({failure})")
            scratch = spec.get("scratch")
            if scratch and not problem:
                failure = _private_scratch(spec["cwd"], scratch["bytes"], scratch["inodes"], spec.get("uid"),
                                           spec.get("gid"))
                if failure:
                    notes.append(f"no private scratch folder ({failure})")
            if in_user_namespace:
                failure = _drop_capabilities()
                if failure:
                    notes.append(f"could not drop the user namespace's capabilities ({failure})")
    os.chdir(spec["cwd"])
    limits = spec["limits"]
    for name, value in (
        ("RLIMIT_CPU", limits["cpu_seconds"]),
        ("RLIMIT_AS", limits["address_space_bytes"]),
        ("RLIMIT_FSIZE", limits["file_size_bytes"]),
        ("RLIMIT_NOFILE", limits["open_files"]),
        ("RLIMIT_CORE", 0),
    ):
        resource.setrlimit(getattr(resource, name), (value, value))
    if limits.get("processes") is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails instead of killing
    uid, gid = spec.get("uid"), spec.get("gid")
    if uid is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    os.environ.clear()
    os.environ.update(spec["env"])
    if spec.get("namespaces"):
        problem = _install_seccomp()  # last: everything above needed the calls it refuses
        if problem:
            notes.append(f"no seccomp filter ({problem})")
    return notes


# ---------------------------------------------------------------- importing the student's package


def install_student_path(root):
    """Make ``import cs_utils.x.y`` load the student's files without running package ``__init__``s.

    A broken ``softmax.py`` then costs the softmax tests only, not every test that goes through
    ``cs_utils/classifiers/__init__.py``.
    """
    sys.path.insert(0, root)
    for name, folder in (("cs_utils", "cs_utils"), ("cs_utils.classifiers", "cs_utils/classifiers")):
        package = types.ModuleType(name)
        package.__path__ = [os.path.join(root, folder)]
        package.__package__ = name
        spec = importlib.util.spec_from_loader(name, loader=None, is_package=True)
        if spec is None:  # never: with is_package given, spec_from_loader always makes a spec
            raise ImportError(f"cannot make a module spec for package {name}")
        spec.submodule_search_locations = package.__path__
        package.__spec__ = spec
        sys.modules[name] = package


class BrokenModule(types.ModuleType):
    """Stands in for a student module that failed to import, so that the modules importing it
    (``linear_classifier`` imports ``softmax``) still load: a crash costs the functions of the
    module that crashed, not those of every module that imports it. Any use raises ImportError."""

    def __init__(self, name, reason):
        super().__init__(name)
        self.__reason = reason

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        reason = self.__reason

        def unavailable(*args, **kwargs):
            raise ImportError(f"{self.__name__} could not be imported ({reason})")

        return unavailable


def import_student(name):
    """Import a module of the student's package; stand in for a *dependency* that fails to import."""
    for _ in range(8):  # bounded: each retry replaces one more broken dependency
        try:
            return importlib.import_module(name)
        except BaseException as error:
            root = os.path.dirname(os.path.abspath(sys.modules["cs_utils"].__path__[0]))
            culprit = _failing_module(error, root)
            if culprit is None or culprit == name or isinstance(sys.modules.get(culprit), BrokenModule):
                raise
            sys.modules[culprit] = BrokenModule(culprit, type(error).__name__)
            sys.modules.pop(name, None)
    return importlib.import_module(name)


def _failing_module(error, root):
    """The student module (``cs_utils.x.y``) whose own code raised ``error``, if any."""
    paths = []
    traceback = error.__traceback__
    while traceback is not None:
        paths.append(traceback.tb_frame.f_code.co_filename)
        traceback = traceback.tb_next
    if isinstance(error, SyntaxError):  # the file that does not parse has no frame of its own
        paths.append(getattr(error, "filename", None) or "")
    for path in reversed(paths):
        absolute = os.path.abspath(path) if path else ""
        if absolute.startswith(os.path.join(root, "cs_utils") + os.sep) and absolute.endswith(".py"):
            return os.path.relpath(absolute, root)[:-3].replace(os.sep, ".")
    return None


# ---------------------------------------------------------------- one call


class CallError(Exception):
    """The student's code did something the harness can report but not use."""


class FolderStore:
    """Inputs and outputs of one call as ``.npy`` files in a folder the parent made (the older,
    file-based requests: ``{"dir": ..., "call": ...}``)."""

    def __init__(self, folder):
        self.folder = folder

    def load(self, name):
        return np.load(os.path.join(self.folder, name + ".npy"), allow_pickle=False)

    def save(self, name, array):
        np.save(os.path.join(self.folder, name + ".npy"), array, allow_pickle=False)
        return {}


class MemoryStore:
    """Inputs and outputs of one call as raw array bytes carried on the control socket.

    An array travels as its bytes plus (dtype string, shape) in the JSON line: no pickle and no
    header to parse. Every ``load`` copies the parent's bytes again, so each call gets fresh,
    writable arrays that an earlier call (or the student) cannot have changed.
    """

    def __init__(self, blobs):
        self.blobs = blobs  # name -> (dtype string, shape, bytes)
        self.saved = []  # (name, bytes), in order

    def load(self, name):
        dtype, shape, data = self.blobs[name]
        return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()

    def save(self, name, array):
        self.saved.append((name, array.tobytes()))
        return {"dtype": array.dtype.str, "shape": list(array.shape)}


def _load_argument(store, ref):
    if "array" in ref:
        return store.load(ref["array"])
    if "seeded" in ref:
        return _seeded(ref["seeded"])
    return ref["value"]


SEEDED_ROWS = 8  # rows drawn for a seeded matrix; the rest repeat them


def _seeded(spec):
    """An input drawn here from a seed: large inputs whose values no judge reads need not travel.

    A matrix's first ``SEEDED_ROWS`` rows are drawn and repeated down to its full height (a copy,
    not a view): it takes the memory of a drawn one in a tenth of the time.
    """
    rng = np.random.default_rng(int(spec["seed"]))
    shape = tuple(int(n) for n in spec["shape"])
    if spec["kind"] == "integers":
        return rng.integers(0, int(spec["high"]), size=shape, dtype=np.int64)
    drawn = (min(shape[0], SEEDED_ROWS), *shape[1:]) if len(shape) == 2 else shape
    if spec["kind"] == "uniform":
        block = rng.uniform(0.0, float(spec["high"]), size=drawn)
    else:
        block = float(spec["scale"]) * rng.standard_normal(drawn)
    return np.resize(block, shape)


def _export(value, store, stem, record):
    """Save one returned value as plain data; describe it in ``record``."""
    if isinstance(value, (bool, np.bool_)):
        record[stem] = {"kind": "number", "value": float(bool(value))}
    elif isinstance(value, numbers.Real) and not isinstance(value, np.ndarray):
        number = float(value)
        record[stem] = {"kind": "number", "value": number if np.isfinite(number) else str(number)}
    elif isinstance(value, (list, tuple)) and stem == "result":
        record[stem] = {"kind": "tuple", "length": len(value)}
        for position, item in enumerate(value):
            _export(item, store, f"{stem}.{position}", record)
    else:
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise CallError(f"returned a value of type {type(value).__name__} that is not numeric")
        record[stem] = {"kind": "array", **store.save(stem, np.ascontiguousarray(array))}


def _invoke(call, store):
    kind = call["kind"]
    if kind == "program":
        return _run_program(call["source"], call["args"]), {}
    if kind == "race":
        return _race(call, store)
    if kind in ("function", "knn"):
        run, inputs = _prepare(call, store)
        result = run()
        return result, (inputs if call.get("return_inputs") else {})
    if kind == "predict":
        module = import_student("cs_utils.classifiers.linear_classifier")
        classifier = module.LinearClassifier()
        classifier.W = store.load("W")
        return classifier.predict(store.load("X")), {}
    if kind == "train":
        return _train_probe(call, store)
    raise CallError(f"unknown call kind {kind!r}")


def _prepare(call, store):
    """Import, load the inputs and build the object a ``function`` or ``knn`` call needs.

    Returns the call itself as a function of no arguments, and the input arrays by the names the
    parent checks for changes (``after.arg0``, ``after.X_train``). Nothing is timed here.
    """
    if call["kind"] == "function":
        function = getattr(import_student(call["module"]), call["name"])
        args = [_load_argument(store, ref) for ref in call["args"]]
        inputs = {f"after.arg{i}": a for i, a in enumerate(args) if isinstance(a, np.ndarray)}
        return (lambda: function(*args)), inputs
    module = import_student("cs_utils.classifiers.k_nearest_neighbor")
    classifier = module.KNearestNeighbor()
    train = call.get("train", [{"array": "X_train"}, {"array": "y_train"}])
    X_train = _load_argument(store, train[0])
    classifier.train(X_train, _load_argument(store, train[1]))
    args = [_load_argument(store, ref) for ref in call["args"]]
    kwargs = {key: _load_argument(store, ref) for key, ref in call.get("kwargs", {}).items()}
    method = getattr(classifier, call["method"])
    inputs = {"after.X_train": X_train, **{f"after.arg{i}": a for i, a in enumerate(args)}}
    return (lambda: method(*args, **kwargs)), inputs


def _import_for(call):
    """Import the student module a ``function`` or ``knn`` call runs (a no-op once imported)."""
    if call["kind"] == "function":
        import_student(call["module"])
    elif call["kind"] == "knn":
        import_student("cs_utils.classifiers.k_nearest_neighbor")


def _race(call, store):
    """Time the contenders (a vectorized function, then its naive version) in turns, in this process.

    Returns the fastest time of each and what the naive one returned (``naive.0``, ``naive.1``).
    The vectorized function's exceptions end the race: the call fails as that function's own call
    would. A naive version that raises anything (or hangs, and is interrupted) gets ``inf``: it is
    no yardstick, and the parent judges the vectorized time against the reference's. Turns
    alternate so both see the same machine, and the naive one stops early once it has used its
    share of time. Neither time counts the time the process waited for a CPU while others ran: in
    wall time, a short run that fits between two preemptions looks faster than a long one that
    does not. The vectorized function's is the wall time less that wait (:func:`_busy_seconds`), so
    work it hands to another process and waits for still counts; the naive one's is its CPU time
    (:func:`_cpu_seconds`), so sleeping cannot make it look slower. With ``settled_ratio``, the
    race ends after a round in which the first contender's best time is that many times shorter
    than the second's: more rounds could not change the verdict. With one contender it times that
    one alone (the reference's timing).
    """
    contenders = call["contenders"]
    best = [float("inf")] * len(contenders)
    spent = [0.0] * len(contenders)
    budget = call.get("budget_seconds", 1.5)
    last = None  # what the naive contender returned, so the parent can tell whether it is a fair yardstick
    for _ in range(int(call.get("rounds", 3))):
        for index, contender in enumerate(contenders):
            if index and spent[index] > budget:
                continue
            if not index:
                run, _ = _prepare(contender, store)  # fresh inputs, not timed
                start = _busy_seconds()
                run()
                elapsed = _busy_seconds() - start
            else:
                try:
                    run, _ = _prepare(contender, store)
                    start = _cpu_seconds()
                    with _time_limit(budget):
                        last = run()
                except BaseException:  # noqa: B036 -- any way out, even SystemExit: no yardstick
                    spent[index] = float("inf")
                    continue
                elapsed = _cpu_seconds() - start
            spent[index] += elapsed
            best[index] = min(best[index], elapsed)
        settled = call.get("settled_ratio")
        if settled and len(best) > 1 and best[1] < float("inf") and best[1] >= settled * best[0]:
            break
    parts = last if isinstance(last, tuple) else (last,)
    return tuple(best), {f"naive.{i}": part for i, part in enumerate(parts) if part is not None}


def _busy_seconds():
    """Seconds of wall clock so far less the time this process waited for a CPU while others ran
    (``/proc/self/schedstat``; Linux keeps it for every task): its running time plus any time it
    was blocked, waiting for a pipe, a thread or a child. Without that file, :func:`_cpu_seconds`."""
    try:
        with open("/proc/self/schedstat") as stats:
            waited = int(stats.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return _cpu_seconds()
    return time.perf_counter() - waited


def _cpu_seconds():
    """CPU seconds used by this process (every thread, finished ones included) and its waited-for
    children: work moved to a thread or a subprocess still counts. (``time.process_time`` would
    not do: under the child's ``RLIMIT_CPU`` Linux reads it from the scheduler tick, 4 ms steps.)"""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class _OutOfTime(Exception):
    """A race contender used up its time (raised by SIGALRM)."""


class _time_limit:
    """Interrupt the block with _OutOfTime after ``seconds`` of wall clock (None: no limit)."""

    def __init__(self, seconds):
        self.seconds = seconds

    def __enter__(self):
        if self.seconds:
            self.previous = signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        if self.seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False

    @staticmethod
    def _expire(signum, frame):
        raise _OutOfTime()


#: The write end of the pipe to the parent that only a ``program`` call may use (see ``spawn``).
REPORT_FD = None


def _run_program(source, args):
    """Run ``python -I -c source *args REPORT_FD`` and return its exit status.

    The program inherits this child's confinement. It alone gets the report pipe: this process
    closes its own copy once the program has started, so nothing else the program starts (a
    Jupyter kernel running student code, say) can reach the pipe, provided the program makes
    itself non-dumpable before starting anything (``/proc/<pid>/fd`` is then closed to its uid).
    """
    global REPORT_FD
    command = [sys.executable, "-I", "-c", source, *map(str, args)]
    if REPORT_FD is None:
        return subprocess.call([*command, "-1"])
    try:
        process = subprocess.Popen([*command, str(REPORT_FD)], pass_fds=(REPORT_FD,))
    finally:
        os.close(REPORT_FD)
        REPORT_FD = None
    return process.wait()


def _train_probe(call, store):
    """Run the student's ``LinearClassifier.train`` with a recording least-squares loss.

    The loss is deliberately not a loss of the assignment: ``train`` is graded on sampling and
    updating alone, whatever the student's SVM and softmax code does. After the recorded run, four
    short runs show how ``train`` uses its randomness: with ``seed=None`` after two different
    ``np.random.seed`` calls (the minibatches must differ: the global state is used), and with the
    same ``seed`` after two different global seeds (they must be equal: the seed is used).
    """
    module = import_student("cs_utils.classifiers.linear_classifier")
    batches_X, batches_y, weights, grads, regs = [], [], [], [], []
    student_class: Any = module.LinearClassifier  # known only at run time (mypy needs a name to subclass)

    class RecordingClassifier(student_class):
        def loss(self, X_batch, y_batch, reg):
            regs.append(float(reg) if isinstance(reg, (int, float, np.floating)) else float("nan"))
            X_batch, y_batch = np.asarray(X_batch, dtype=float), np.asarray(y_batch)
            targets = np.zeros((len(y_batch), self.W.shape[1]))
            targets[np.arange(len(y_batch)), y_batch.astype(int)] = 1.0
            residual = X_batch @ self.W - targets  # (B, C)
            loss = 0.5 * np.sum(residual * residual) / len(y_batch)
            grad = X_batch.T @ residual / len(y_batch)  # (D, C)
            batches_X.append(X_batch.copy())
            batches_y.append(y_batch.copy())
            weights.append(np.array(self.W, dtype=float))
            grads.append(grad.copy())
            return loss, grad

    X = store.load("X")
    y = store.load("y")
    np.random.seed(call["seed"])  # the plain CS231n contract: global seeding
    classifier = RecordingClassifier()
    history = classifier.train(
        X,
        y,
        learning_rate=call["learning_rate"],
        reg=call["reg"],
        num_iters=call["num_iters"],
        batch_size=call["batch_size"],
    )
    recorded = {"history": np.asarray(history if history is not None else [], dtype=float)}
    if batches_X and all(b.shape == batches_X[0].shape for b in batches_X):
        recorded["batches_X"] = np.stack(batches_X)
        recorded["batches_y"] = np.stack(batches_y)
        recorded["weights"] = np.stack(weights)
        recorded["grads"] = np.stack(grads)
    recorded["batch_sizes"] = np.array([len(b) for b in batches_y], dtype=np.int64)
    if classifier.W is not None:
        recorded["final_W"] = np.asarray(classifier.W, dtype=float)
    recorded["regs"] = np.asarray(regs, dtype=float)
    recorded["seed_runs"] = _seed_runs(RecordingClassifier, X, y, call, batches_X)
    return None, recorded


def _seed_runs(classifier_class, X, y, call, batches_X):
    """The first minibatch's row sums in four short runs: (global 1, None), (global 2, None),
    (global 3, seed), (global 4, seed); NaN rows where a run failed."""
    rows = []
    for global_seed, seed in ((101, None), (102, None), (103, call["seed"]), (104, call["seed"])):
        del batches_X[:]
        np.random.seed(global_seed)
        try:
            classifier_class().train(X, y, learning_rate=call["learning_rate"], reg=call["reg"], num_iters=2,
                                     batch_size=call["batch_size"], seed=seed)
            rows.append(np.asarray(batches_X[0], dtype=float).sum(axis=1))
        except Exception:
            rows.append(np.full(call["batch_size"], np.nan))
    return np.stack([row if row.shape == rows[0].shape else np.full(rows[0].shape, np.nan) for row in rows])


class _headroom:
    """Within the block, the address space may grow by ``bytes`` at most (soft ``RLIMIT_AS``).

    For the memory-safe calls: a (N, D, C) array of a few hundred MB fails at once, so the sizes
    that prove it stay small. The hard limit is untouched, and the soft one comes back afterwards.
    No-op without a size, or where ``/proc/self/statm`` cannot be read.
    """

    def __init__(self, size):
        self.size = int(size) if size else 0
        self.previous = None

    def __enter__(self):
        if self.size:
            try:
                with open("/proc/self/statm") as statm:
                    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, ValueError, IndexError):
                return
            soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            cap = used + self.size
            if hard == resource.RLIM_INFINITY or cap < hard:
                resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
                self.previous = (soft, hard)

    def __exit__(self, *exc):
        if self.previous is not None:
            resource.setrlimit(resource.RLIMIT_AS, self.previous)
        return False


def execute(call, repeat, store):
    """Run one call ``repeat`` times; return its status and the description of what it returned.

    A call with ``headroom_bytes`` runs (inputs drawn, function called) with its address space
    capped that much above what the process uses when it starts (see :class:`_headroom`); the
    student's module is imported before that, so what its imports map is not counted.
    """
    record: dict[str, dict] = {}
    try:
        result, extra = None, {}
        if call.get("headroom_bytes"):
            _import_for(call)
        with _headroom(call.get("headroom_bytes")):
            for _ in range(max(1, int(repeat))):
                result, extra = _invoke(call, store)
        if result is not None:
            _export(result, store, "result", record)
        for name, value in extra.items():
            _export(value, store, name, record)
        status: dict[str, object] = {"ok": True}
    except BaseException as error:  # the student's SystemExit and KeyboardInterrupt included
        status = {"ok": False, "error": type(error).__name__, "message": str(error)[:500]}
        record = {}
    return status, record


def run_call(request):
    """A file-based request: inputs and outputs live in ``request["dir"]``."""
    folder = request["dir"]
    status, record = execute(request["call"], request.get("repeat", 1), FolderStore(folder))
    with open(os.path.join(folder, "outputs.json"), "w") as handle:
        json.dump({"status": status, "outputs": record}, handle)


def read_exact(stream, size):
    data = stream.read(size)
    if data is None or len(data) != size:
        raise EOFError("the request ended early")
    return data


def run_batch(sock, stream, request):
    """A batch request: several calls whose input arrays follow the request line as raw bytes.

    Every input is read before the first call runs (the parent's send never waits on a busy
    child). Each call is answered as soon as it is done: a reply line naming the nonce and the
    call's index, followed by the raw bytes of the arrays it returned, in the order the line lists.
    """
    received = []
    for item in request["calls"]:
        received.append(
            {name: (dtype, shape, read_exact(stream, int(size))) for name, dtype, shape, size in item["arrays"]}
        )
    for index, (item, blobs) in enumerate(zip(request["calls"], received, strict=True)):
        store = MemoryStore(blobs)
        status, record = execute(item["call"], item.get("repeat", 1), store)
        saved = store.saved if status["ok"] else []
        header = {
            "done": request["nonce"],
            "index": index,
            "status": status,
            "outputs": record,
            "blobs": [[name, len(data)] for name, data in saved],
        }
        sock.sendall(json.dumps(header).encode() + b"\n" + b"".join(data for _, data in saved))


def serve_calls(sock):
    stream = sock.makefile("rb")
    while True:
        request = read_message(stream)
        if request is None:
            return
        if "calls" in request:
            run_batch(sock, stream, request)
        else:
            run_call(request)
            write_message(sock, {"done": request["nonce"]})


# ---------------------------------------------------------------- the zygote


def spawn(zygote_socket, spec, fds):
    """Fork a child: ``fds`` are its control socket, its output pipe and, for a ``program`` call,
    the write end of the report pipe."""
    global REPORT_FD
    control, output, *report = fds
    pid = os.fork()
    if pid:
        control.close()
        os.close(output)
        for fd in report:
            os.close(fd)
        return pid
    try:
        zygote_socket.close()  # the zygote runs privileged: its socket must not reach student code
        REPORT_FD = report[0] if report else None
        keep = sorted({control.fileno(), output, *report})
        os.closerange(3, keep[0])
        for low, high in zip(keep, keep[1:] + [65536], strict=True):
            os.closerange(low + 1, high)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output, 1)
        os.dup2(output, 2)
        notes = confine(spec)
        # Line-buffered text streams on the new descriptors, for the rest of the process's life.
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        install_student_path(spec["cwd"])
        write_message(control, {"ready": True, "notes": notes, "uid": os.getuid()})
        serve_calls(control)
    except BaseException as error:
        try:
            os.write(2, f"child setup failed: {type(error).__name__}: {error}\n".encode())
        except OSError:
            pass
    finally:
        os._exit(0)


def sweep(uid):
    """Kill every process owned by ``uid`` (a dedicated grading uid): escaped daemons too."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setresuid(uid, uid, uid)
            for _ in range(3):
                try:
                    os.kill(-1, signal.SIGKILL)  # every process this uid may signal, not itself
                except ProcessLookupError:
                    break
        finally:
            os._exit(0)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # SIGCHLD is ignored in the zygote: the kernel already reaped it
        pass


def warm_blas():
    """One matrix product large enough for OpenBLAS to map its work buffer (some 30 MB of address
    space, taken at the first real product): done here, every child inherits it, and no memory-safe
    call, with its few MB of headroom, has to find room for it."""
    block = np.ones((256, 256))
    block @ block


def zygote(fd):
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps finished children
    warm_blas()
    sock = socket.socket(fileno=fd)  # SOCK_SEQPACKET: one message per request
    gc.freeze()  # children's collections then skip (and do not copy-on-write) the zygote's objects
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, MAX_LINE, 3)
        except OSError:
            return
        if not message:
            return
        request = json.loads(message)
        if request["op"] == "spawn":
            pid = spawn(sock, request["spec"], (socket.socket(fileno=fds[0]), *fds[1:]))
            write_message(sock, {"pid": pid})
        elif request["op"] == "sweep":
            sweep(request["uid"])
            write_message(sock, {"swept": request["uid"]})
        elif request["op"] == "ping":
            write_message(sock, {"pong": time.time()})


if __name__ == "__main__":
    zygote(int(sys.argv[1]))
