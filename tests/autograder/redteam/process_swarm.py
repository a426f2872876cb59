# target: cs_utils/classifiers/k_nearest_neighbor.py
# zero: predict_labels
# events: outside_path
# needs: root
# Start a swarm of spinning processes (each under every per-process limit) and report what
# caps them all together: the control group it was born in, its CPU quota and how many of 200
# processes it managed to start. The report goes to the staff log, where the test reads it.
import os as _os
import signal as _signal
import time as _time


def _cgroup_settings():
    found = {}
    for line in open("/proc/self/cgroup").read().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller, setting in (("cpu", "cpu.cfs_quota_us"), ("pids", "pids.max"),
                                    ("memory", "memory.limit_in_bytes"), ("", "cpu.max")):
            if controller in controllers.split(",") or (controller == "" and controllers == ""):
                where = f"/sys/fs/cgroup/{controller}{path}/{setting}".replace("//", "/")
                try:
                    found[setting] = open(where).read().strip()
                except OSError:
                    pass
    return found


def _swarm(self, dists, k=1):
    print(f"SWARM settings {_cgroup_settings()}", flush=True)
    started = []
    for _ in range(200):
        try:
            pid = _os.fork()
        except OSError:
            break
        if pid == 0:
            while True:
                pass
        started.append(pid)
    print(f"SWARM started {len(started)}", flush=True)
    for pid in started:
        _os.kill(pid, _signal.SIGKILL)
    _time.sleep(0.1)
    return dists[:, 0] * 0 - 1


KNearestNeighbor.predict_labels = _swarm
