# target: cs_utils/classifiers/k_nearest_neighbor.py
# zero: predict_labels
# events: outside_path
# needs: root
# Write outside the scratch folder: the kit, the batch (a classmate's code), the outputs, /tmp, $HOME/..
import os as _os

_PLACES = ("KIT_ROOT/planted-by-redteam.txt", "KIT_ROOT/cs_utils/planted-by-redteam.py",
           "BATCH_DIR/planted-by-redteam.txt", "BATCH_DIR/classmate/cs_utils/classifiers/softmax.py",
           "OUT_DIR/planted-by-redteam.txt", "/tmp/planted-by-redteam.txt", "/var/tmp/planted-by-redteam.txt",
           "/dev/shm/planted-by-redteam.txt", "../planted-by-redteam.txt", "../../planted-by-redteam.txt")


def _plant(self, dists, k=1):
    for place in _PLACES:
        try:
            _os.makedirs(_os.path.dirname(place), exist_ok=True)
            with open(place, "w") as handle:
                handle.write("def softmax_loss_naive(*a): return 0.0, None\n")
        except OSError:
            pass
    return np.zeros(dists.shape[0])


KNearestNeighbor.predict_labels = _plant
