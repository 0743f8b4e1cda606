"""Lost updates under the GIL for two "innocent" statements on a shared dict.

Two threads share ``counter = {"value": 0}`` and each performs N (default 2,000,000)
increments with one of three statements:

  plus_eq  ``counter["value"] += 1``
  add_one  ``counter["value"] = add_one(counter["value"])`` with ``def add_one(v): return v + 1``
  locked   ``with lock: counter["value"] += 1``   (reference: never loses, shows lock cost)

For every statement the child also runs the same total work (2 * N increments) on one thread,
so the threaded wall time is reported as a ratio to that single-thread run of the same child.
Each child sets ``sys.setswitchinterval`` (3.x) before measuring.

Run (driver; one child at a time, repetitions round-robin over versions so machine noise is
spread evenly; writes bench/results/cpython/statements.json):

    python3 bench/python/statements.py [--versions 3.9,3.10,3.11,3.12,3.13] [--reps 5]
                                       [--intervals 0.005,0.001] [--n 2000000] [--py27]

One measurement in the current interpreter (prints a RESULT-JSON line):

    python bench/python/statements.py --child --interval 0.005 --n 2000000

Works on CPython 3.9-3.13; on 2.7 (``--py27``) only the default ``sys.setcheckinterval`` is used.
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


def work_plus_eq(counter, n):
    for _ in C.rng(n):
        counter["value"] += 1


def work_add_one(counter, n):
    for _ in C.rng(n):
        counter["value"] = add_one(counter["value"])


def work_locked(counter, n):
    lock = LOCK
    for _ in C.rng(n):
        with lock:
            counter["value"] += 1


WORKERS = [("plus_eq", work_plus_eq), ("add_one", work_add_one), ("locked", work_locked)]


def one_statement(fn, n, threads):
    total = n * threads
    # single-thread reference: the same number of increments on the main thread
    counter = {"value": 0}
    t0 = C.clock()
    fn(counter, total)
    single_s = C.clock() - t0
    assert counter["value"] == total
    # the contended run
    counter = {"value": 0}
    ts = [threading.Thread(target=fn, args=(counter, n)) for _ in range(threads)]
    t0 = C.clock()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall_s = C.clock() - t0
    final = counter["value"]
    return {
        "expected": total,
        "final": final,
        "lost": total - final,
        "lost_pct": 100.0 * (total - final) / total,
        "wall_s": wall_s,
        "single_thread_s": single_s,
        "wall_ratio_to_single": wall_s / single_s if single_s else None,
    }


def child(argv):
    p = C.child_parser()
    p.add_argument("--interval", default="default")
    p.add_argument("--n", type=int, default=2000000)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    if a.interval != "default":
        if not hasattr(sys, "setswitchinterval"):
            C.emit({"error": "no sys.setswitchinterval on this version"})
            return
        sys.setswitchinterval(float(a.interval))
    out = {"interval_requested": a.interval, "n_per_thread": a.n, "threads": a.threads,
           "checkinterval": sys.getcheckinterval() if hasattr(sys, "getcheckinterval") and C.PY2
           else None, "statements": {}}
    for name, fn in WORKERS:
        out["statements"][name] = one_statement(fn, a.n, a.threads)
    C.emit(out)


def driver(argv):
    p = C.driver_parser(__doc__, "3.9,3.10,3.11,3.12,3.13")
    p.add_argument("--intervals", default="0.005,0.001")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--n", type=int, default=2000000)
    p.add_argument("--py27", action="store_true", help="also run 2.7 at its default check interval")
    a = p.parse_args(argv)

    def children(rep, ver):
        intervals = ["default"] if ver == "2.7" else a.intervals.split(",")
        return [C.ChildRun(["--interval", interval, "--n", a.n], "interval=%s" % interval,
                           interval=interval) for interval in intervals]

    C.run_children(__file__, "statements", C.requested_versions(a), a.reps, children, summarise,
                   settings={"n_per_thread": a.n, "threads": 2})


def summarise(runs):
    groups = {}
    for r in runs:
        if "statements" not in r:
            continue
        for name, s in r["statements"].items():
            groups.setdefault((r["python"], r["interval"], name), []).append(s)
    out = []
    for (ver, interval, name), ss in sorted(groups.items()):
        out.append({
            "python": ver, "interval": interval, "statement": name,
            "final": C.summary([s["final"] for s in ss]),
            "lost_pct": C.summary([s["lost_pct"] for s in ss]),
            "wall_s": C.summary([s["wall_s"] for s in ss]),
            "wall_ratio_to_single": C.summary([s["wall_ratio_to_single"] for s in ss]),
            "lost_pct_samples": [round(s["lost_pct"], 3) for s in ss],
        })
    return out


if __name__ == "__main__":
    C.main(child, driver)
