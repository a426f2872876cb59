"""Exit codes of ``python -m autograder``, in one place so scripts can rely on them."""

#: The command did what was asked (for ``grade``: a result was written, whatever the score).
OK = 0
#: A check found a problem (for example ``release --check`` on a stale release).
CHECK_FAILED = 1
#: The command line was wrong (argparse uses 2 as well).
USAGE = 2
#: An input file or folder was unusable (unbalanced solution markers, unreadable submission).
BAD_INPUT = 3
#: The grader itself failed before it could write any result (a bug or a broken installation).
INTERNAL_ERROR = 4
#: The sandbox does not keep a promise on this machine and the weaker mode was not accepted
#: (``--accept-isolation``), or notebooks were asked for and no kernel starts in the sandbox.
ISOLATION = 5
#: ``grade-all --scheduler``: no Dask scheduler at the address, no usable worker (every one refused
#: for another kit, or none left while submissions waited), or ``distributed`` not installed.
CLUSTER = 6
#: ``grade-all`` wrote a result for everyone, but some are "could not grade" (the grader's failure or
#: an unreadable submission, never a score): look at their feedback; the next run grades them again.
NOT_ALL_GRADED = 7
#: Interrupted by the user (Ctrl-C); ``grade-all`` resumes where it stopped.
INTERRUPTED = 130
