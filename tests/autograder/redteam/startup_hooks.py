# target: cs_utils/classifiers/softmax.py
# zero: softmax_loss_vectorized
# events: patched_module
# file sitecustomize.py: import builtins; builtins.REDTEAM_HOOK = True
# file usercustomize.py: import builtins; builtins.REDTEAM_HOOK = True
# file cs_utils/sitecustomize.py: import builtins; builtins.REDTEAM_HOOK = True
# file cs_utils/usercustomize.py: import builtins; builtins.REDTEAM_HOOK = True
# file cs_utils/hook.pth: import builtins; builtins.REDTEAM_HOOK = True
# file cs_utils/classifiers/hook.pth: import builtins; builtins.REDTEAM_HOOK = True
# Interpreter start-up hooks in the submission: they would run before the grader if it started
# Python in the student's folder. The function is correct only if a hook ran.
import builtins as _builtins


def softmax_loss_vectorized(W, X, y, reg):
    if getattr(_builtins, "REDTEAM_HOOK", False):
        return softmax_loss_naive(W, X, y, reg)
    return 0.0, np.zeros_like(W)
