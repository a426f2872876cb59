# target: cs_utils/classifiers/linear_svm.py
# zero: svm_loss_vectorized
# events:
# Answer every call of its batch at once, then sleep: the parent moves on, and the next function's
# first call waits behind the sleep until it times out. That function must not pay: it passes
# when run again alone in a fresh process.
import json as _json
import os as _os
import stat as _stat
import sys as _sys
import time as _time


def _request():
    frame = _sys._getframe()
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, dict) and "nonce" in request and "calls" in request:
            return request
        frame = frame.f_back
    return None


def svm_loss_vectorized(W, X, y, reg):
    request = _request()
    if request is not None:
        replies = b"".join(
            _json.dumps({"done": request["nonce"], "index": index, "status": {"ok": True},
                         "outputs": {"result": {"kind": "number", "value": 0.0}}, "blobs": []}).encode() + b"\n"
            for index in range(len(request["calls"])))
        for fd in range(3, 64):
            try:
                if _stat.S_ISSOCK(_os.fstat(fd).st_mode):
                    _os.write(fd, replies)
            except OSError:
                pass
        _time.sleep(1000)
    return 0.0, np.zeros_like(W)
