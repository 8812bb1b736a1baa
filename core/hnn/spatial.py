"""The spatial autocorrelation of slope-unit values (METHODS.md section 3): Moran's I on queen
contiguity."""
from __future__ import annotations

import numpy as np

from ..util.errors import InputError


def morans_i(values, neighbours):
    """Moran's I with binary (queen) weights, its expectation -1/(n-1) and the two-sided p-value
    under the normality assumption."""
    from scipy import stats
    x = np.asarray(values, float)
    n = len(x)
    z = x - x.mean()
    pairs = [(i, j) for i, nb in enumerate(neighbours) for j in nb]
    if not pairs:
        raise InputError("No two slope units touch: Moran's I is undefined.", "UNITS")
    i_idx = np.array([p[0] for p in pairs])
    j_idx = np.array([p[1] for p in pairs])
    S0 = float(len(pairs))
    num = float((z[i_idx] * z[j_idx]).sum())
    den = float((z * z).sum())
    I = n / S0 * num / den  # noqa: E741  (Moran's I, the statistic's own name)
    E = -1.0 / (n - 1)
    S1 = 2.0 * S0  # symmetric binary weights: 1/2 sum (w_ij + w_ji)^2 over ordered pairs
    deg = np.bincount(i_idx, minlength=n) + np.bincount(j_idx, minlength=n)
    S2 = float((deg ** 2).sum())
    var = (n * n * S1 - n * S2 + 3 * S0 * S0) / ((n * n - 1) * S0 * S0) - E * E
    zscore = (I - E) / np.sqrt(var)
    return {"I": float(I), "E": float(E), "z": float(zscore),
            "p": float(2 * stats.norm.sf(abs(zscore)))}


def queen_neighbours(geoms):
    """Units sharing at least a boundary point (queen contiguity), from OGR polygons."""
    from ..io.zonal import bounding_boxes
    env = bounding_boxes(geoms)
    n = len(geoms)
    nb = [[] for _ in range(n)]
    ok = ~np.isnan(env[:, 0])
    for a in range(n):
        if not ok[a]:
            continue
        cand = np.nonzero(ok & (env[:, 0] <= env[a, 2]) & (env[:, 2] >= env[a, 0]) &
                          (env[:, 1] <= env[a, 3]) & (env[:, 3] >= env[a, 1]))[0]
        for b in cand:
            if b != a and geoms[a].Intersects(geoms[b]):
                nb[a].append(int(b))
    return nb
