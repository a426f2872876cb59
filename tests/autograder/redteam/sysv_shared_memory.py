# target: cs_utils/classifiers/linear_svm.py
# zero: svm_loss_naive
# Leave System V shared memory behind: segments outlive the process that made them (and the
# address-space limit, which counts only what is mapped) unless the child has its own IPC
# namespace. The key 0x5EED0001.. lets the test find them.
import ctypes as _ctypes


def svm_loss_naive(W, X, y, reg):
    libc = _ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = _ctypes.c_void_p
    for number in range(4):
        segment = libc.shmget(0x5EED0001 + number, 32 << 20, 0o1666)  # IPC_CREAT | 0666
        if segment >= 0:
            address = libc.shmat(segment, None, 0)
            if address not in (None, _ctypes.c_void_p(-1).value):
                _ctypes.memset(address, 1, 32 << 20)  # touched: real memory, not a reservation
                libc.shmdt(_ctypes.c_void_p(address))
    return 0.0, W * 0
