"""The absence ratio from an initial susceptibility map (Li & Tian 2025, scenario 2; METHODS.md
section 1.5): a random forest on the presences and as many random absences maps an initial
susceptibility; its 5 natural-breaks classes give r = area(very low) / area(very high), and
r x presences absences are drawn.

A sampler that fits and maps a model first: it lives with the models, and draws with
core.sampling's tools."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..util.partial import AtomicOutput
from ..stats.breaks import classify, gvf, natural_breaks
from ..util.deps import require
from ..util.errors import InputError
from ..util.progress import as_feedback
from ..sampling.samplers import Admissible, absence_count, declare, draw, sample_at
from .apply import apply_to_raster, class_counts
from .models import check_forest

#: random absences; only their number comes from the initial map
SUSCEPTIBILITY_RATIO = declare("susceptibility_ratio")


@dataclass
class RatioDraw:
    x: np.ndarray
    y: np.ndarray
    ratio: float
    counts: np.ndarray    # pixels per class of the initial map
    limits: np.ndarray
    gvf: float
    pixel_area: float


def susceptibility_ratio_absences(stack, presences, rng, map_path, trees=100, seed=0,
                                  min_distance=0.0, feedback=None):
    """Write the initial map to ``map_path`` (only once the absences are drawn) and draw the
    absences; seeded throughout. Raises when the map has too few distinct values for 5 classes
    or an empty 'very high' class."""
    require("sklearn")
    from sklearn.ensemble import RandomForestClassifier
    fb = as_feedback(feedback)
    adm = Admissible(stack, presences, min_distance)
    bx, by, _ = draw(adm, len(presences), rng, fb.sub(0.05, 0.15))
    Xa = sample_at(stack, bx, by)
    X = np.vstack([presences.values, Xa])
    y = np.r_[np.ones(len(presences)), np.zeros(len(Xa))]
    check_forest("rf", trees, len(X))  # refused before it is grown when beyond memory
    rf = RandomForestClassifier(trees, random_state=seed, n_jobs=1).fit(X, y)
    with AtomicOutput(map_path) as tmp:
        _, sample = apply_to_raster(stack, lambda v: rf.predict_proba(v)[:, 1], tmp, 1, None,
                                    fb.sub(0.15, 0.6), sample=100_000, seed=seed)
        limits = natural_breaks(sample, 5, sample=0, seed=seed)
        if len(limits) < 4:
            raise InputError("The initial map has fewer than 5 distinct values: natural breaks "
                             "need more variety.")
        counts = class_counts(tmp, limits, fb.sub(0.6, 0.7))
        if counts[-1] == 0:
            raise InputError("The 'very high' class of the initial map is empty: the ratio is "
                             "undefined.")
        ratio = counts[0] / counts[-1]
        ax, ay, _ = draw(adm, absence_count(len(presences), ratio=ratio), rng, fb.sub(0.7, 0.95))
    return RatioDraw(ax, ay, float(ratio), counts, limits,
                     float(gvf(sample, classify(sample, limits))), stack.grid.pixel_area)
