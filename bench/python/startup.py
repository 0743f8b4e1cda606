"""Start-up and hand-off costs of CPython's concurrency units, in ms per operation.

Measured in one child per version (each a median over repeated operations):

  thread            create + start + join one threading.Thread with an empty target   (x200)
  process_fork      multiprocessing Process(target=empty) start + join, 'fork'          (x20)
  process_spawn     the same with 'spawn' (a fresh interpreter that re-imports this file) (x20)
  process_forkserver  the same with 'forkserver' (first, server-starting call excluded)  (x20)
  subinterp_*       create + run "x = 1" + destroy a sub-interpreter through the private
                    module: _xxsubinterpreters (3.9-3.12; 3.12 both isolated=True, i.e. its
                    own GIL, and isolated=False) or _interpreters (3.13; 'isolated' = own GIL,
                    'legacy' = shared GIL). Recorded as unavailable where not importable.  (x20)
  pipe_1mb / pipe_1b  round trip: send 1 MB bytes (or 1 byte) over a multiprocessing Pipe to
                    an already-running child, which replies with the length              (x20)
  queue_1mb / queue_1b  the same through two multiprocessing Queues                       (x20)
  interpreter_exec  subprocess ``python -c pass`` (fresh interpreter start-up, reference) (x20)

Everything is also given as a ratio to the thread start in the same run. The driver runs the
child REPS times per version, round-robin, and writes bench/results/cpython/startup.json.

Run (driver):

    python3 bench/python/startup.py [--versions 3.9,3.10,3.11,3.12,3.13] [--reps 3]

One child in the current interpreter:

    python bench/python/startup.py --child

Works on CPython 3.9-3.13 (not 2.7: no multiprocessing contexts).
"""
from __future__ import division, print_function

import multiprocessing
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common as C  # noqa: E402

MB = 1024 * 1024


def empty():
    pass


def timed(fn, count, warmup=2):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(count):
        t0 = C.clock()
        fn()
        out.append((C.clock() - t0) * 1000.0)
    return out


def thread_once():
    t = threading.Thread(target=empty)
    t.start()
    t.join()


def process_once_factory(ctx):
    def once():
        p = ctx.Process(target=empty)
        p.start()
        p.join()
    return once


# ---- sub-interpreters ------------------------------------------------------------------------

def subinterp_variants():
    """[(name, once_fn)] for whatever private sub-interpreter module this version has."""
    variants = []
    try:
        import _interpreters as mod  # 3.13
        for cfg in ("isolated", "legacy"):
            def once(cfg=cfg):
                iid = mod.create(cfg)
                getattr(mod, "exec")(iid, "x = 1")  # "exec" is a keyword in 2.7 syntax
                mod.destroy(iid)
            variants.append(("_interpreters/" + cfg, once))
        return variants, None
    except ImportError:
        pass
    try:
        import _xxsubinterpreters as mod  # 3.8-3.12
    except ImportError as e:
        return [], "no _interpreters/_xxsubinterpreters: %s" % e
    if sys.version_info >= (3, 12):
        for isolated in (True, False):
            def once(isolated=isolated):
                iid = mod.create(isolated=isolated)
                mod.run_string(iid, "x = 1")
                mod.destroy(iid)
            variants.append(("_xxsubinterpreters/isolated=%s" % isolated, once))
    else:
        def once():
            iid = mod.create()
            mod.run_string(iid, "x = 1")
            mod.destroy(iid)
        variants.append(("_xxsubinterpreters/shared-gil", once))
    return variants, None


# ---- hand-off to a running child ---------------------------------------------------------------

def pipe_echo(conn):
    while True:
        obj = conn.recv()
        if obj is None:
            break
        conn.send(len(obj))


def queue_echo(q_in, q_out):
    while True:
        obj = q_in.get()
        if obj is None:
            break
        q_out.put(len(obj))


def handoff(ctx, count):
    big = b"x" * MB
    small = b"x"
    res = {}
    parent, kid = ctx.Pipe()
    proc = ctx.Process(target=pipe_echo, args=(kid,))
    proc.start()

    def pipe_rt(payload):
        def once():
            parent.send(payload)
            assert parent.recv() == len(payload)
        return once
    res["pipe_1mb"] = timed(pipe_rt(big), count)
    res["pipe_1b"] = timed(pipe_rt(small), count)
    parent.send(None)
    proc.join()

    q_in, q_out = ctx.Queue(), ctx.Queue()
    proc = ctx.Process(target=queue_echo, args=(q_in, q_out))
    proc.start()

    def queue_rt(payload):
        def once():
            q_in.put(payload)
            assert q_out.get() == len(payload)
        return once
    res["queue_1mb"] = timed(queue_rt(big), count)
    res["queue_1b"] = timed(queue_rt(small), count)
    q_in.put(None)
    proc.join()
    return res


def child(argv):
    p = C.child_parser()
    p.add_argument("--threads", type=int, default=200)
    p.add_argument("--count", type=int, default=20)
    a = p.parse_args(argv)
    samples, notes = {}, {}
    samples["thread"] = timed(thread_once, a.threads, warmup=10)
    for method in ("fork", "spawn", "forkserver"):
        try:
            ctx = multiprocessing.get_context(method)
        except ValueError as e:
            notes["process_" + method] = "unavailable: %s" % e
            continue
        samples["process_" + method] = timed(process_once_factory(ctx), a.count, warmup=1)
    variants, why = subinterp_variants()
    if why:
        notes["subinterp"] = why
    for name, once in variants:
        try:
            samples["subinterp:" + name] = timed(once, a.count, warmup=1)
        except Exception as e:  # noqa: BLE001 - record, don't fail
            notes["subinterp:" + name] = "failed: %r" % (e,)
    samples.update(handoff(multiprocessing.get_context("fork"), a.count))
    samples["interpreter_exec"] = timed(
        lambda: subprocess.check_call([sys.executable, "-c", "pass"]), a.count, warmup=1)
    med = dict((k, C.percentile(v, 50)) for k, v in samples.items())
    ratio = dict((k, v / med["thread"]) for k, v in med.items())
    C.emit({"samples_ms": dict((k, C.rounded(v, 4)) for k, v in samples.items()),
            "median_ms": med, "ratio_to_thread": ratio, "notes": notes})


def driver(argv):
    p = C.driver_parser(__doc__, "3.9,3.10,3.11,3.12,3.13")
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args(argv)
    C.run_children(__file__, "startup", C.requested_versions(a), a.reps,
                   lambda rep, ver: [C.ChildRun([])], summarise)


def summarise(runs):
    groups = {}
    for r in runs:
        for k, v in r.get("median_ms", {}).items():
            g = groups.setdefault((r["python"], k), {"ms": [], "ratio": []})
            g["ms"].append(v)
            g["ratio"].append(r["ratio_to_thread"][k])
    return [{"python": ver, "what": k, "median_ms": C.summary(g["ms"]),
             "ratio_to_thread": C.summary(g["ratio"])}
            for (ver, k), g in sorted(groups.items())]


if __name__ == "__main__":
    C.main(child, driver)
