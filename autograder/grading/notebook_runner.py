"""Execute a submission's rebuilt notebooks inside one confined child; never imported by the grader.

The parent hands this file's text to the harness's ``program`` call, so this process and every
process it starts inherit the child's uid, namespaces, seccomp filter, control group, resource
limits and scrubbed environment. Arguments: the data folder, the wall-clock budget of each
notebook in seconds, the notebooks' paths, and the report descriptor (added by the harness).

No Jupyter kernel: a kernel costs a second to start and another to stop, a ZeroMQ transport and
a PNG for every figure nobody looks at. This process imports NumPy, Matplotlib (the Agg backend:
figures are built, never rendered) and IPython's shell once, then forks one process per notebook,
which runs the cells in a fresh ``InteractiveShell`` (magics, ``get_ipython()`` and ``display``
work as in Jupyter) and exits. A notebook that loops past its budget is killed with its process
group; the next notebook still runs. The forked process shares nothing with the next one.

Reports travel on the report pipe, one JSON object per line: ``{"notebook", "cell", "state"}``
after every code cell (``ok`` or an exception's class name), then ``{"notebook", "results"}``
(the results file the notebook wrote), then ``{"notebook", "stopped", "finished"}``. Only this
process holds the report descriptor, and it is non-dumpable: a notebook's process sends its lines
on a pipe of its own, which this process relays (with the notebook's name) until that process
ends. Whether a cell raised still comes from the process that runs the student's code, so a
student can lie about a cell (the threat model says so), worth 1 point per notebook; a daemon a
cell leaves behind cannot add anything once the notebook has ended.

Standard library, NumPy, Matplotlib and IPython only: this text must run without the
``autograder`` package, which the child cannot read. The notebooks are read as plain JSON (the
parent rebuilt and validated them): importing nbformat would import jsonschema, whose optional
IRI grammar alone takes seconds to build.
"""
import json
import os
import signal
import sys
import time

MAX_RESULTS_BYTES = 64 << 10


def read_results(path):
    """The results file the notebook wrote: regular file, no symbolic link, capped; else None."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as reader:
        data = reader.read(MAX_RESULTS_BYTES + 1)
    if len(data) > MAX_RESULTS_BYTES:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def run_notebook(path, send):
    """Run every code cell of one notebook in this (forked) process and report each."""
    from IPython.core.interactiveshell import InteractiveShell

    with open(path, encoding="utf-8") as handle:  # rebuilt and validated by the parent: plain JSON
        notebook = json.load(handle)
    os.chdir(os.path.dirname(os.path.abspath(path)))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # cell output is the student's: it goes nowhere
    os.dup2(devnull, 2)
    shell = InteractiveShell.instance(colors="NoColor")
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        label = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell-{index}"
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        result = shell.run_cell(source, store_history=False)
        error = result.error_before_exec or result.error_in_exec
        send({"cell": label, "state": "ok" if error is None else type(error).__name__[:60]})
    name = os.path.splitext(os.path.basename(path))[0]
    send({"results": read_results(os.path.join("results", f"{name}.json"))})
    send({"done": True})


def make_undumpable():
    """No other process of this uid may open ``/proc/<this pid>/fd/*`` or ptrace this one."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def supervise(name, path, budget, report):
    """Fork the process that runs ``path``; relay what it says on its own pipe until it ends.

    The notebook's process never holds the report descriptor. Its lines are relayed with the
    notebook's name put in by this process; its own "finished" claims are not relayed: this
    process reports how the notebook ended (done, out of budget, or died) once it has ended, and
    stops reading then, so a daemon left behind by a cell can write nothing that is believed.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os.close(report.fileno())
        writer = os.fdopen(write_end, "w", buffering=1)
        try:
            os.setpgid(0, 0)  # its own group: a budget kill takes whatever it started too
            run_notebook(path, lambda message: writer.write(json.dumps(message) + "\n"))
        except BaseException as error:  # the notebook could not even be read or started
            writer.write(json.dumps({"error": type(error).__name__}) + "\n")
        finally:
            writer.flush()
            os._exit(0)
    os.close(write_end)
    os.set_blocking(read_end, False)
    buffer, done, stopped = b"", False, ""
    deadline = time.monotonic() + budget

    def relay():
        nonlocal buffer, done
        while True:
            try:
                chunk = os.read(read_end, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:
                return
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                try:
                    message = json.loads(line)
                except (ValueError, RecursionError):
                    continue
                if not isinstance(message, dict):
                    continue
                done = done or message.get("done") is True
                if "cell" in message or "results" in message:
                    kept = {key: message[key] for key in ("cell", "state", "results") if key in message}
                    report.write(json.dumps({"notebook": name, **kept}) + "\n")

    while True:
        relay()
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished:
            relay()  # what it wrote before it ended; nothing later is read
            stopped = "" if done else "kernel died"
            break
        if time.monotonic() >= deadline:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            relay()
            stopped = "budget"
            break
        time.sleep(0.01)
    os.close(read_end)
    report.write(json.dumps({"notebook": name, "stopped": stopped, "finished": True}) + "\n")


def main(data_dir, budget, *rest):
    *paths, report_fd = rest
    budget, report_fd = float(budget), int(report_fd)
    make_undumpable()
    os.set_inheritable(report_fd, False)
    report = os.fdopen(report_fd, "w", buffering=1)
    os.environ["CIFAR10_DIR"] = data_dir
    os.environ["MPLBACKEND"] = "agg"
    os.environ["CS_UTILS_AUTORELOAD"] = "0"  # the notebooks' setup cell: nothing is edited mid-run
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot  # noqa: F401  (imported once here, inherited by every notebook)
    import numpy  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401

    report.write(json.dumps({"started": True}) + "\n")
    for path in paths:
        supervise(os.path.splitext(os.path.basename(path))[0], path, budget, report)
    report.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
