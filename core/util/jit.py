"""numba-compiled loops, built once per process: the statistics' kernels (core.stats.kernels),
the nearest-row search (core.stats.nearest) and the multi-hazard networks' float32 loops
(core.multihazard.forward32) all go through :func:`compiled_once`. ``HAZARD_NUMBA=0`` turns
numba off where a numpy or scipy path exists."""
import os
import threading

_LOCK = threading.Lock()


def numba_enabled():
    """False when ``HAZARD_NUMBA=0`` asks for the paths without numba."""
    return os.environ.get("HAZARD_NUMBA", "1") != "0"


def compiled_once(cache, key, compile, required=False):
    """``cache[key]``, made by ``compile()`` the first time (under one lock, so two threads do
    not compile the same loops). Not ``required``: None when numba is off, missing or unusable
    (the caller falls back to numpy or scipy). ``required``: numba must be there (a
    DependencyError naming it otherwise), whatever HAZARD_NUMBA says."""
    with _LOCK:
        if key not in cache:
            if required:
                from .deps import require
                require("numba")
                cache[key] = compile()
            elif not numba_enabled():
                cache[key] = None
            else:
                try:
                    cache[key] = compile()
                except (ImportError, OSError):  # numba missing or unusable
                    cache[key] = None
        return cache[key]
