# target: cs_utils/classifiers/k_nearest_neighbor.py
# zero: compute_distances_one_loop
# events: timeout
def _spin(self, X):
    while True:
        pass


KNearestNeighbor.compute_distances_one_loop = _spin
