# target: cs_utils/classifiers/linear_svm.py
# zero: svm_loss_naive
# events: forged_channel
# Flood the control socket with well-formed but unexpected frames (each tiny, all together far
# under any byte cap) to make the parent burn CPU parsing them, then answer correctly. The parent
# must treat the first unexpected frame as the end of the child.
import os as _os
import stat as _stat

_correct_svm_loss_naive = svm_loss_naive


def svm_loss_naive(W, X, y, reg):
    for fd in range(3, 64):
        try:
            if _stat.S_ISSOCK(_os.fstat(fd).st_mode):
                _os.write(fd, b"{}\n" * 20000)
        except OSError:
            pass
    return _correct_svm_loss_naive(W, X, y, reg)
