"""Factor screening before modelling: variance inflation factors and correlated pairs of the
continuous factors at the samples (METHODS.md section 2), with the report."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..stats import metrics as mt
from ..util.errors import InputError

VIF_COLUMNS = ["factor", "VIF", "flag"]


@dataclass
class Screening:
    rows: list        # factor, VIF, flag (VIF above vif_max)
    pairs: list       # factor_1, factor_2, r with |r| above r_max
    r: np.ndarray     # Pearson correlation matrix
    names: list
    n: int            # samples with every factor
    vif_max: float
    r_max: float

    @property
    def flagged(self):
        return [x["factor"] for x in self.rows if x["flag"]]


def screen_factors(X, names, vif_max=10.0, r_max=0.7):
    """VIF and Pearson r of the columns of ``X`` (samples x factors) over the samples that have
    every factor. A factor without any value, or too few complete samples, is an error."""
    X = np.asarray(X, float)
    empty = [n for j, n in enumerate(names) if not np.isfinite(X[:, j]).any()]
    if empty:
        raise InputError(f"No sample has a value of {', '.join(empty)}: the raster is nodata "
                         f"there or does not cover the samples.", empty[0])
    X = X[np.isfinite(X).all(axis=1)]
    if len(X) < len(names) + 2:
        raise InputError(f"Only {len(X)} sample(s) have every factor: at least "
                         f"{len(names) + 2} are needed for VIF.", "SAMPLES")
    v = mt.vif(X, names)
    r = np.corrcoef(X, rowvar=False).reshape(len(names), len(names))
    rows = [{"factor": n, "VIF": vi, "flag": vi > vif_max} for n, vi in zip(names, v)]
    pairs = [{"factor_1": names[i], "factor_2": names[j], "r": float(r[i, j])}
             for i in range(len(names)) for j in range(i + 1, len(names))
             if abs(r[i, j]) > r_max]
    return Screening(rows, pairs, r, list(names), len(X), vif_max, r_max)
