"""Execute one rebuilt notebook inside a confined child; never imported by the grader.

The parent hands this file's text to the harness's ``program`` call, so the runner and the kernel
it starts inherit the child's uid, namespaces, resource limits and scrubbed environment.
Arguments: the notebook path, the data folder, the wall-clock budget in seconds and the report
descriptor (the last one is added by the harness).

Results travel on the report pipe, never through a file: one JSON object per line, ``{"cell":
label, "state": "ok" | error name | "timeout" | "died"}`` after every cell, then ``{"results":
...}`` (the results file the notebook wrote, read by this process) and ``{"stopped": ...}`` and
``{"finished": true}``. The kernel runs the student's code with the same uid, so before it
starts, this process makes itself non-dumpable: its ``/proc/<pid>/fd`` then refuses that uid,
and the pipe is not inherited (non-inheritable descriptor, ``close_fds``). Whatever the kernel
does (kill this process, rewrite files), it cannot write a line the parent would believe; a
runner killed by the parent's clock leaves the lines it had sent.

The kernel talks over Unix sockets (``transport="ipc"``): the child's network namespace has no
interface up. A cell gets the time left in the budget; when the budget is used up or the kernel
died, the remaining cells are not run.

Standard library plus nbclient/nbformat only; this text must run without the ``autograder``
package, which the child cannot read.
"""
import ctypes
import json
import os
import sys
import time

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

PR_SET_DUMPABLE = 4
MAX_RESULTS_BYTES = 64 << 10


def make_undumpable():
    """No other process of this uid may open ``/proc/<this pid>/fd/*`` or ptrace this one."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


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


def main(notebook_path, data_dir, budget, report_fd):
    report_fd = int(report_fd)
    make_undumpable()
    os.set_inheritable(report_fd, False)
    report = os.fdopen(report_fd, "w", buffering=1)

    def send(message):
        report.write(json.dumps(message) + "\n")

    deadline = time.monotonic() + float(budget)
    os.environ["CIFAR10_DIR"] = data_dir
    os.environ["MPLBACKEND"] = "agg"
    notebook = nbformat.read(notebook_path, as_version=4)
    labels = [cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell-{i}"
              for i, cell in enumerate(notebook.cells)]

    def executed(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {}) if isinstance(execute_reply, dict) else {}
        ok = content.get("status") == "ok"
        send({"cell": labels[cell_index], "state": "ok" if ok else str(content.get("ename", "error"))[:60]})

    manager = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(os.getcwd(), ".kernel"))
    client = NotebookClient(
        notebook, km=manager, allow_errors=True, interrupt_on_timeout=True, record_timing=False,
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        startup_timeout=60, iopub_timeout=4, raise_on_iopub_timeout=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(notebook_path))}},
        on_cell_executed=executed,
    )
    send({"started": True})
    stopped = ""
    try:
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                if time.monotonic() >= deadline:
                    stopped = "budget"
                    break
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    send({"cell": labels[index], "state": "timeout"})
                except DeadKernelError:
                    send({"cell": labels[index], "state": "died"})
                    stopped = "kernel died"
                    break
                except CellExecutionError as error:
                    send({"cell": labels[index], "state": str(getattr(error, "ename", "error"))[:60]})
    except DeadKernelError:
        stopped = "kernel died"
    except Exception as error:  # noqa: BLE001 (reported to the parent, which decides)
        stopped = f"runner: {type(error).__name__}: {str(error)[:200]}"
    name = os.path.splitext(os.path.basename(notebook_path))[0]
    send({"results": read_results(os.path.join(os.path.dirname(notebook_path), "results", f"{name}.json"))})
    send({"stopped": stopped, "finished": True})
    report.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
