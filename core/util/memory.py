"""Memory and time, estimated before the work: a run whose arrays would not fit is refused
before it allocates them, saying how much it needs, how much there is, and which parameter to
change (one mechanism for every algorithm that allocates by a user's count, as large grids get
their reading-time estimate in core.io.raster.AlignedStack.read_estimate).

``available()`` is the memory the system can give without swapping: psutil's
``virtual_memory().available`` when psutil is installed, else MemAvailable of /proc/meminfo
(Linux), else unknown (None: nothing is refused). Tests replace it with a small figure.
"""
from __future__ import annotations

from .errors import InputError

#: the share of the available memory a run may plan to use (the rest: QGIS, the OS, estimates'
#: error)
USABLE_SHARE = 0.8
#: where Linux says how much memory is available
MEMINFO = "/proc/meminfo"


def available():
    """Bytes of memory available to a new allocation without swapping, or None if unknown."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return int(psutil.virtual_memory().available)
        except (OSError, RuntimeError, AttributeError, ValueError):
            psutil = None  # unable to read: ask Linux below
    try:
        with open(MEMINFO, encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def size_text(n):
    """Bytes as a short figure: '512 MB', '10.5 GB', '1.2 TB'."""
    n = float(n)
    for unit, scale in (("TB", 1024 ** 4), ("GB", 1024 ** 3), ("MB", 1024 ** 2)):
        if n >= scale:
            v = n / scale
            return f"{v:.1f} {unit}" if v < 100 else f"{v:,.0f} {unit}"
    return f"{max(n / 1024, 0):.0f} KB"


def duration_text(seconds):
    """Seconds as '3 seconds', '12 minutes', '4.5 hours', '3.2 days'."""
    s = float(seconds)
    if s >= 2 * 86400:
        return f"{s / 86400:.1f} days"
    if s >= 3600:
        return f"{s / 3600:.1f} hours"
    if s >= 60:
        return f"{s / 60:.0f} minutes"
    if s < 1:
        return "under a second"
    return f"{s:.0f} second{'s' if round(s) != 1 else ''}"


def require(need, what, param, advice, share=USABLE_SHARE):
    """Refuse (InputError naming ``param``) when ``need`` bytes exceed ``share`` of the available
    memory; else return a sentence with the estimate (for the log). ``what`` says what needs the
    memory ("Drawing 10,000,000,000 absences"); ``advice`` what to change ("lower the count")."""
    have = available()
    need = int(max(need, 0))
    if have is None:
        return f"{what} needs about {size_text(need)} of memory (the memory available is " \
               f"unknown here)."
    if need > share * have:
        raise InputError(f"{what} needs about {size_text(need)} of memory, and "
                         f"{size_text(have)} are available on this machine (a run may plan on "
                         f"{share:.0%} of it): {advice}. Nothing was started.", param)
    return f"{what} needs about {size_text(need)} of memory ({size_text(have)} available)."


_FLOPS = None


def flops():
    """Floating-point operations per second of a float32 matrix product here (measured once on
    a 512 x 512 product, a few milliseconds): the pace of dense-network training."""
    global _FLOPS
    if _FLOPS is None:
        import time

        import numpy as np
        a = np.random.default_rng(0).random((512, 512), dtype=np.float32)
        a @ a  # warm up
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            a @ a
            best = min(best, time.perf_counter() - t0)
        _FLOPS = 2 * 512 ** 3 / max(best, 1e-6)
    return _FLOPS
