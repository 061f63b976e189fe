"""bench/load.py --cprofile: every thread of a helploop process under cProfile (CPU time), merged and dumped at exit.

Imported by Python at start-up when this folder is on PYTHONPATH and HELPLOOP_CPROFILE names a folder;
each process (the web process, the worker child) writes `<role>-<pid>.prof` (marshal, pstats' format)
there when it exits normally (SIGTERM). Read with `python bench/cprofile/show.py FILE [sort] [lines]`.
Bench only: it slows the profiled processes 2-3 times.
"""
import atexit
import cProfile
import marshal
import os
import sys
import threading
import time

_DIR = os.environ.get("HELPLOOP_CPROFILE")


def _install(folder: str) -> None:
    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_thread(*_args) -> None:  # the first profile event of a new thread: hand it its own profiler
        sys.setprofile(None)
        profile = cProfile.Profile(time.thread_time)  # CPU time of this thread, not wall time
        with lock:
            profiles.append(profile)
        profile.enable()

    threading.setprofile(start_thread)
    main = cProfile.Profile(time.thread_time)
    profiles.append(main)
    main.enable()

    def dump() -> None:
        merged: dict = {}
        with lock:
            taken = list(profiles)
        for profile in taken:
            try:
                profile.snapshot_stats()
            except Exception:  # noqa: BLE001 - a profiler in a strange state is left out
                continue
            for func, (cc, nc, tt, ct, callers) in profile.stats.items():
                if func not in merged:
                    merged[func] = (cc, nc, tt, ct, dict(callers))
                    continue
                occ, onc, ott, oct_, ocallers = merged[func]
                for caller, value in callers.items():
                    old = ocallers.get(caller)
                    ocallers[caller] = tuple(a + b for a, b in zip(old, value, strict=True)) if old else value
                merged[func] = (occ + cc, onc + nc, ott + tt, oct_ + ct, ocallers)
        role = "worker" if "worker" in sys.argv else "web"
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{role}-{os.getpid()}.prof"), "wb") as out:
            marshal.dump(merged, out)

    atexit.register(dump)


if _DIR:
    _install(_DIR)
