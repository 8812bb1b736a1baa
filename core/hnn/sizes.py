"""Landslide size classes of Aguilera et al. (2022) (METHODS.md section 3): class 0 for slope
units without landslide, Fisher-Jenks classes of the landslide areas chosen by their goodness of
variance fit, small classes merged down."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..stats.breaks import classify, gvf, natural_breaks
from ..util.errors import InputError


@dataclass
class SizeClasses:
    upper: list          # upper bound (inclusive) of classes 1..K-1; class 0 is area 0
    lowest: float        # smallest non-zero area - 1e-6 (the paper's convention)
    k_initial: int
    gvf: float           # of the Fisher-Jenks classes chosen, before any merge
    merges: list = field(default_factory=list)
    gvf_min: float = 0.85
    k_max: int = 10
    capped: bool = False  # k reached k_max without the GVF reaching gvf_min
    gvf_final: float = float("nan")  # of the classes after the merges

    def warnings(self):
        """What an analyst must know about these classes, in words (empty if nothing)."""
        out = []
        if self.capped:
            out.append(f"No k up to {self.k_max} reached a GVF of {self.gvf_min:g} (k = "
                       f"{self.k_max}: GVF {self.gvf:.3f}); raise the k cap or lower the GVF.")
        if self.merges and self.gvf_final < self.gvf_min:
            out.append(f"After merging small classes the GVF is {self.gvf_final:.3f}, below the "
                       f"rule's {self.gvf_min:g} (it was {self.gvf:.3f} before merging).")
        if self.n_classes - 1 < 2:
            out.append("Only one landslide size class remains: the class head then repeats "
                       "the binary one (occurrence); give more landslides, fewer merges or "
                       "explicit bounds.")
        return out

    @property
    def n_classes(self):
        return len(self.upper) + 1

    def classify(self, areas):
        a = np.asarray(areas, float)
        out = np.zeros(a.shape, np.int64)
        nz = a > 0
        out[nz] = 1 + classify(a[nz], self.upper[:-1])
        return out

    def table(self, areas):
        c = self.classify(areas)
        rows = [{"class": 0, "name": "no landslide", "min_excl": 0.0, "max_incl": 0.0,
                 "count": int((c == 0).sum())}]
        lo = self.lowest
        for k, hi in enumerate(self.upper, 1):
            rows.append({"class": k, "name": f"class {k}", "min_excl": float(lo),
                         "max_incl": float(hi), "count": int((c == k).sum())})
            lo = hi
        return rows


def size_classes(areas, gvf_min=0.85, min_members=6, k_max=10, bounds=None, merge=True,
                 seed=0):
    """Class 0 for units without landslide; Fisher-Jenks on the non-zero areas with the
    smallest k >= 2 whose GVF >= ``gvf_min`` (or explicit upper ``bounds``); classes with fewer
    than ``min_members`` (SMOTE's k_neighbors + 1) merged into the next lower class (class 1
    into class 2)."""
    a = np.asarray(areas, float)
    if np.isnan(a).any():
        raise InputError("The landslide-area field has NULL values: fill them (0 for units "
                         "without landslide).", "AREA_FIELD")
    if (a < 0).any():
        raise InputError(f"{int((a < 0).sum())} unit(s) have a negative landslide area.",
                         "AREA_FIELD")
    nz = a[a > 0]
    if len(nz) < 2:
        raise InputError(f"Only {len(nz)} unit(s) with landslides: size classes need more.",
                         "AREA_FIELD")
    if bounds:
        upper = sorted(float(b) for b in bounds)
        if upper[-1] < nz.max():
            upper.append(float(nz.max()))
        k0, g = len(upper), gvf(nz, classify(nz, upper[:-1]))
    else:
        k0, upper, g = None, None, 0.0
        for k in range(2, k_max + 1):
            lim = natural_breaks(nz, k, sample=0, seed=seed)
            g = gvf(nz, classify(nz, lim))
            upper = list(lim) + [float(nz.max())]
            k0 = k
            if g >= gvf_min or len(np.unique(nz)) <= k:
                break
    sc = SizeClasses(upper, float(nz.min() - 1e-6), k0, float(g), gvf_min=gvf_min, k_max=k_max,
                     capped=not bounds and g < gvf_min and k0 == k_max and
                     len(np.unique(nz)) > k_max)
    if merge:
        while len(sc.upper) > 1:
            counts = np.bincount(sc.classify(nz), minlength=sc.n_classes)[1:]
            small = [i for i, c in enumerate(counts) if c < min_members]
            if not small:
                break
            i = small[-1]  # the largest small class first
            if i == 0:     # class 1 has no lower landslide class: merge into class 2
                sc.merges.append((1, 2))
                del sc.upper[0]
            else:          # class i+1 merges into class i: drop class i's upper bound
                sc.merges.append((i + 1, i))
                del sc.upper[i - 1]
    sc.gvf_final = float(gvf(nz, classify(nz, sc.upper[:-1])))
    counts = np.bincount(sc.classify(nz), minlength=sc.n_classes)[1:]
    if (counts < min_members).any():
        raise InputError(f"A size class has fewer than {min_members} members (counts "
                         f"{counts.tolist()}) and merging is disabled: enable merging or give "
                         f"coarser bounds.", "MERGE")
    return sc
