"""Execute one rebuilt notebook inside a confined child; never imported by the grader.

The parent hands this file's text to ``python -I -c`` started by a sandboxed child (through the
harness's ordinary ``function`` call of ``subprocess.call``), so the runner and the kernel it
starts inherit the child's uid, namespaces, resource limits and scrubbed environment. Arguments:
the notebook path, the status file to write, the data folder and the wall-clock budget in seconds.

The kernel talks over Unix sockets (``transport="ipc"``): the child's network namespace has no
interface up. After every cell the runner rewrites the status file (one JSON object: per cell
``ok``, an error name, ``timeout`` or ``died``), so a runner killed by the parent's own clock
still leaves what it had done. A cell gets the time left in the budget; when the budget is used
up or the kernel died, the remaining cells are marked ``not run``.

Standard library plus nbclient/nbformat only; this text must run without the ``autograder``
package, which the child cannot read.
"""
import json
import os
import sys
import time

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def main(notebook_path, status_path, data_dir, budget):
    deadline = time.monotonic() + float(budget)
    os.environ["CIFAR10_DIR"] = data_dir
    os.environ["MPLBACKEND"] = "agg"
    notebook = nbformat.read(notebook_path, as_version=4)
    labels = [cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell-{i}"
              for i, cell in enumerate(notebook.cells)]
    cells: dict[str, str] = {}  # label -> "ok", "timeout", "died" or the error's name
    status: dict[str, object] = {"cells": cells, "finished": False}

    def save():
        with open(status_path + ".tmp", "w") as handle:
            json.dump(status, handle)
        os.replace(status_path + ".tmp", status_path)

    def executed(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {}) if isinstance(execute_reply, dict) else {}
        ok = content.get("status") == "ok"
        cells[labels[cell_index]] = "ok" if ok else str(content.get("ename", "error"))[:60]
        save()

    manager = KernelManager(kernel_name="python3", transport="ipc",
                            ip=os.path.join(os.getcwd(), ".kernel"))
    client = NotebookClient(
        notebook, km=manager, allow_errors=True, interrupt_on_timeout=True, record_timing=False,
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        startup_timeout=60, iopub_timeout=4, raise_on_iopub_timeout=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(notebook_path))}},
        on_cell_executed=executed,
    )
    save()
    try:
        with client.setup_kernel():
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type != "code":
                    continue
                if time.monotonic() >= deadline:
                    status["stopped"] = "budget"
                    break
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    cells[labels[index]] = "timeout"
                except DeadKernelError:
                    cells[labels[index]] = "died"
                    status["stopped"] = "kernel died"
                    break
                except CellExecutionError as error:
                    cells[labels[index]] = str(getattr(error, "ename", "error"))[:60]
                save()
    except DeadKernelError:
        status["stopped"] = "kernel died"
    except Exception as error:  # noqa: BLE001 (reported to the parent, which decides)
        status["stopped"] = f"runner: {type(error).__name__}: {str(error)[:200]}"
    status["finished"] = True
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
