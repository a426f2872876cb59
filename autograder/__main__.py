"""``python -m autograder``: see :mod:`autograder.cli`."""
import os
import sys

#: Commands that grade: their own arrays are small (expected values, judged replies), and the
#: machine's cores belong to the sandboxed children, so BLAS runs on one thread in this process
#: (idle OpenBLAS threads otherwise spin on the cores the children need). Set before NumPy loads.
GRADING_COMMANDS = ("grade", "grade-all", "demo")
if sys.argv[1:2] and sys.argv[1] in GRADING_COMMANDS:
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

from autograder.cli import main  # noqa: E402

sys.exit(main())
