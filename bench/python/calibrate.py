"""Single-thread cost per loop iteration of the seed's statements, in ns, per CPython version.

Each loop runs inside a function, ``for _ in range(n)`` with the dict passed in as an argument,
exactly as bench/seed.py's ``increment(counter, num)`` does, n = 10,000,000:

  empty    ``for _ in range(n): pass``
  plus_eq  ``counter["value"] += 1``
  add_one  ``counter["value"] = add_one(counter["value"])``
  locked   ``with lock: counter["value"] += 1``

One child times all four variants once (in a rotating order), so every proportion (e.g.
(locked - empty) / (plus_eq - empty)) is taken within one run. Both wall time (perf_counter)
and the thread's CPU time (thread_time) are recorded: on a shared machine the CPU time is the
less disturbed one. The driver runs REPS (default 5) children per version, round-robin over
versions, reports medians and spread, and writes bench/results/cpython/calibrate.json.

Run (driver):

    python3 bench/python/calibrate.py [--versions 3.9,3.10,3.11,3.12,3.13] [--reps 5]
                                      [--n 10000000] [--py27]

One child in the current interpreter:

    python bench/python/calibrate.py --child --n 10000000 --order 0

Works on CPython 3.9-3.13 and 2.7 (xrange; 2.7 has no thread_time, process CPU time is used).
"""
from __future__ import division, print_function

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

LOCK = threading.Lock()


def add_one(v):
    return v + 1


def loop_empty(counter, num):
    for _ in C.rng(num):
        pass


def loop_plus_eq(counter, num):
    for _ in C.rng(num):
        counter["value"] += 1


def loop_add_one(counter, num):
    for _ in C.rng(num):
        counter["value"] = add_one(counter["value"])


def loop_locked(counter, num):
    for _ in C.rng(num):
        with LOCK:
            counter["value"] += 1


VARIANTS = [("empty", loop_empty), ("plus_eq", loop_plus_eq), ("add_one", loop_add_one),
            ("locked", loop_locked)]


def child(argv):
    p = C.child_parser()
    p.add_argument("--n", type=int, default=10000000)
    p.add_argument("--order", type=int, default=0, help="rotate the variant order by this much")
    a = p.parse_args(argv)
    order = VARIANTS[a.order % len(VARIANTS):] + VARIANTS[:a.order % len(VARIANTS)]
    wall_ns, cpu_ns = {}, {}
    for name, fn in order:
        counter = {"value": 0}
        c0 = C.thread_cpu()
        t0 = C.clock()
        fn(counter, a.n)
        t1 = C.clock()
        c1 = C.thread_cpu()
        if name != "empty":
            assert counter["value"] == a.n
        wall_ns[name] = (t1 - t0) * 1e9 / a.n
        cpu_ns[name] = (c1 - c0) * 1e9 / a.n if c0 is not None else None
    C.emit({"n": a.n, "order": [nm for nm, _ in order], "wall_ns_per_iter": wall_ns,
            "cpu_ns_per_iter": cpu_ns,
            "derived_wall": derive(wall_ns), "derived_cpu": derive(cpu_ns)})


def derive(ns):
    """Per-statement costs net of the empty loop, and proportions between them."""
    if any(v is None for v in ns.values()):
        return None
    e = ns["empty"]
    net = dict((k, v - e) for k, v in ns.items() if k != "empty")
    return {
        "net_ns": net,
        "plus_eq_over_empty": ns["plus_eq"] / e,
        "add_one_over_plus_eq": ns["add_one"] / ns["plus_eq"],
        "locked_over_plus_eq": ns["locked"] / ns["plus_eq"],
        "net_add_one_over_net_plus_eq": net["add_one"] / net["plus_eq"],
        "net_locked_over_net_plus_eq": net["locked"] / net["plus_eq"],
        "loop_share_of_plus_eq": e / ns["plus_eq"],
    }


def driver(argv):
    p = C.driver_parser(__doc__, "3.9,3.10,3.11,3.12,3.13")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--n", type=int, default=10000000)
    p.add_argument("--py27", action="store_true")
    a = p.parse_args(argv)
    C.run_children(__file__, "calibrate", C.requested_versions(a), a.reps,
                   lambda rep, ver: [C.ChildRun(["--n", a.n, "--order", rep])],
                   summarise, settings={"n": a.n})


def summarise(runs):
    groups = {}
    for r in runs:
        if "wall_ns_per_iter" in r:
            groups.setdefault(r["python"], []).append(r)
    out = []
    for ver, rs in sorted(groups.items(), key=lambda kv: [int(x) for x in kv[0].split(".")]):
        row = {"python": ver, "wall_ns": {}, "cpu_ns": {}, "derived_cpu": {}, "derived_wall": {}}
        for name, _ in VARIANTS:
            row["wall_ns"][name] = C.summary([r["wall_ns_per_iter"][name] for r in rs])
            row["cpu_ns"][name] = C.summary([r["cpu_ns_per_iter"][name] for r in rs])
        for kind in ("derived_cpu", "derived_wall"):
            ds = [r[kind] for r in rs if r.get(kind)]
            if not ds:
                continue
            for key in ds[0]:
                if key == "net_ns":
                    for stmt in ds[0]["net_ns"]:
                        row[kind]["net_" + stmt + "_ns"] = C.summary([d["net_ns"][stmt] for d in ds])
                else:
                    row[kind][key] = C.summary([d[key] for d in ds])
        out.append(row)
    return out


if __name__ == "__main__":
    C.main(child, driver)
