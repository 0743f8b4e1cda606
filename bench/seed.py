"""The seed talk's four workloads on a real CPython, for comparing shapes with the playground.

    python bench/seed.py [TOTAL] [THREADS]

Runs single_thread, multi_thread_share, multi_thread_share_lock and multi_thread_private as
the seed's scripts do (counter["value"] += 1 on a dict), prints run.sh's two lines per script
plus the lost updates. Works on CPython 2.7 to 3.13 (GIL builds; with a free-threaded build
the "without GIL" column of the seed).
"""
from __future__ import print_function

import sys
import threading
import time

TOTAL = int(sys.argv[1]) if len(sys.argv) > 1 else 10000000
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
LOCK = threading.Lock()


def increment(counter, num):
    for _ in range(num):
        counter["value"] += 1


def increment_locked(counter, num):
    for _ in range(num):
        with LOCK:
            counter["value"] += 1


def threaded(target, counters):
    shares = [TOTAL // THREADS + (1 if i < TOTAL % THREADS else 0) for i in range(THREADS)]
    threads = [threading.Thread(target=target, args=(c, n)) for c, n in zip(counters, shares)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def single_thread():
    counter = {"value": 0}
    increment(counter, TOTAL)
    return counter["value"]


def multi_thread_share():
    counter = {"value": 0}
    threaded(increment, [counter] * THREADS)
    return counter["value"]


def multi_thread_share_lock():
    counter = {"value": 0}
    threaded(increment_locked, [counter] * THREADS)
    return counter["value"]


def multi_thread_private():
    counters = [{"value": 0} for _ in range(THREADS)]
    threaded(increment, counters)
    return sum(c["value"] for c in counters)


for workload in (single_thread, multi_thread_share, multi_thread_share_lock, multi_thread_private):
    start = time.time()
    final = workload()
    took = time.time() - start
    print("===== Running %s.py =====" % workload.__name__)
    print("Execution time: %.6f seconds" % took)
    print("Final counter value: %d" % final)
    print("Lost updates: %d (%.2f%%)" % (TOTAL - final, 100.0 * (TOTAL - final) / TOTAL))
gil = getattr(sys, "_is_gil_enabled", lambda: True)()
print("python %s, GIL %s, %d threads" % (sys.version.split()[0], "on" if gil else "off", THREADS))
