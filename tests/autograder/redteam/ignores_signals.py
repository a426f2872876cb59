# target: cs_utils/classifiers/k_nearest_neighbor.py
# zero: compute_distances_two_loops
# events: timeout
# Ignore every catchable signal, then loop forever.
import signal as _signal


def _stubborn(self, X):
    for _name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGXCPU"):
        _signal.signal(getattr(_signal, _name), _signal.SIG_IGN)
    while True:
        try:
            pass
        except BaseException:
            pass


KNearestNeighbor.compute_distances_two_loops = _stubborn
