"""I/O-bound threads overlap under the GIL: wall time of N sleeping threads vs one.

Each of N threads (N = 1, 2, 4) does ITERS (default 50) iterations of
    a tiny bit of pure-Python work (~20 us, calibrated at start-up), then time.sleep(0.002).
``time.sleep`` releases the GIL, so the threads' sleeps overlap and the wall time should stay
near one thread's (~ITERS * 2 ms), i.e. a ratio to N=1 of about 1x, not N x.

One child measures N = 1, 2, 4 back to back REPS_IN times (default 5), so every ratio to N=1 is
taken within one run, one repetition at a time. The driver repeats children round-robin over
versions and writes bench/results/cpython/waiting.json.

Run (driver):

    python3 bench/python/waiting.py [--versions 3.12,3.13] [--reps 3] [--ns 1,2,4]

One child in the current interpreter:

    python bench/python/waiting.py --child --ns 1,2,4 --reps-in 5

Works on CPython 3.9-3.13 and 2.7 (2.7 uses time.time).
"""
from __future__ import division, print_function

import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402


def busy(m):
    s = 0
    for i in C.rng(m):
        s += i
    return s


def calibrate(target_us):
    """Loop count for busy() that takes about target_us on one thread right now.

    Two refinement rounds, each timing 200 calls at the current guess and taking the median
    of 5 batches (robust to a stray preemption by other load on the machine)."""
    m = 200
    per_iter = None
    for _ in range(3):
        batches = []
        for _ in range(5):
            t0 = C.clock()
            for _ in range(200):
                busy(m)
            batches.append((C.clock() - t0) / 200 / m)
        per_iter = C.percentile(batches, 50)
        m = max(1, int(round(target_us * 1e-6 / per_iter)))
    return m, per_iter * 1e6


def worker(iters, m, sleep_s):
    for _ in range(iters):
        busy(m)
        time.sleep(sleep_s)


def run_n(n, iters, m, sleep_s):
    ts = [threading.Thread(target=worker, args=(iters, m, sleep_s)) for _ in range(n)]
    t0 = C.clock()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return C.clock() - t0


def child(argv):
    p = C.child_parser()
    p.add_argument("--ns", default="1,2,4")
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--work-us", type=float, default=20.0)
    p.add_argument("--sleep", type=float, default=0.002)
    p.add_argument("--reps-in", type=int, default=5)
    a = p.parse_args(argv)
    ns = [int(x) for x in a.ns.split(",")]
    m, us_per_iter = calibrate(a.work_us)
    t0 = C.clock()
    for _ in range(200):
        busy(m)
    work_us = (C.clock() - t0) / 200 * 1e6
    reps = []
    for _ in range(a.reps_in):
        walls = dict((str(n), run_n(n, a.iters, m, a.sleep)) for n in ns)
        base = walls[str(ns[0])]
        reps.append({"wall_s": walls,
                     "ratio_to_first": dict((k, v / base) for k, v in walls.items())})
    C.emit({"iters": a.iters, "sleep_s": a.sleep, "busy_loop_count": m,
            "busy_us_measured": work_us, "busy_us_per_iteration": us_per_iter,
            "ideal_wall_s": a.iters * (a.sleep + work_us * 1e-6), "ns": ns, "reps": reps})


def driver(argv):
    p = C.driver_parser(__doc__, "3.12,3.13")
    p.add_argument("--ns", default="1,2,4")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--reps-in", type=int, default=5)
    a = p.parse_args(argv)
    C.run_children(__file__, "waiting", C.requested_versions(a), a.reps,
                   lambda rep, ver: [C.ChildRun(["--ns", a.ns, "--reps-in", a.reps_in])],
                   summarise)


def summarise(runs):
    groups = {}
    for r in runs:
        for rr in r.get("reps", []):
            for n, wall in rr["wall_s"].items():
                g = groups.setdefault((r["python"], int(n)), {"wall": [], "ratio": [], "ideal": []})
                g["wall"].append(wall)
                g["ratio"].append(rr["ratio_to_first"][n])
                g["ideal"].append(wall / r["ideal_wall_s"])
    out = []
    for (ver, n), g in sorted(groups.items()):
        out.append({"python": ver, "n": n, "wall_s": C.summary(g["wall"]),
                    "ratio_to_n1": C.summary(g["ratio"]),
                    "ratio_to_ideal": C.summary(g["ideal"])})
    return out


if __name__ == "__main__":
    C.main(child, driver)
