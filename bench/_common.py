"""Helpers shared by the benchmarks: import path, timing, sample data."""
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGINS = os.path.join(ROOT, ".build", "plugins")
if not os.path.exists(os.path.join(PLUGINS, "hazard_susceptibility")):
    os.makedirs(PLUGINS, exist_ok=True)
    os.symlink(ROOT, os.path.join(PLUGINS, "hazard_susceptibility"))
sys.path.insert(0, PLUGINS)
WORK = os.path.join(ROOT, ".build", "bench")


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def sample_area(size, seed=42):
    """Generate (once) a sample study area of ``size`` pixels per side under .build/bench."""
    from hazard_susceptibility.core.synthetic import generate_study_area
    folder = os.path.join(WORK, f"sample_{size}_{seed}")
    if not os.path.exists(os.path.join(folder, "truth.json")):
        generate_study_area(folder, seed=seed, size=size)
    return folder
