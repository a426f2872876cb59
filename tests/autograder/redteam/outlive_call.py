# target: cs_utils/classifiers/linear_classifier.py
# zero:
# needs: root
# Leave a detached process behind (its own session), then answer correctly.
import subprocess as _subprocess

_original_predict = LinearClassifier.predict


def _predict(self, X):
    _subprocess.Popen(["sleep", "987654"], start_new_session=True,
                      stdout=_subprocess.DEVNULL, stderr=_subprocess.DEVNULL)
    return _original_predict(self, X)


LinearClassifier.predict = _predict
