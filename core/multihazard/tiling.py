"""Overlapping lattice tiles of a multi-hazard map and the inverse-distance weights that merge
them (FL-MHSM study, METHODS.md section 4)."""
from __future__ import annotations

import numpy as np

from ..util.errors import InputError


def tiles(grid, size, overlap):
    """Lattice tiles of ``size`` pixels with ``overlap`` pixels on every side: a list of
    (padded Window, core Window)."""
    from ..io.raster import Window
    if size <= 0:
        raise InputError("The tile size must be positive.", "TILE_SIZE")
    if overlap < 0 or overlap >= size:
        raise InputError(f"The overlap ({overlap} px) must be smaller than the tile size "
                         f"({size} px).", "OVERLAP")
    out = []
    for r in range(0, grid.ysize, size):
        for c in range(0, grid.xsize, size):
            core = Window(r, c, min(size, grid.ysize - r), min(size, grid.xsize - c))
            r0, c0 = max(0, r - overlap), max(0, c - overlap)
            r1 = min(grid.ysize, r + core.rows + overlap)
            c1 = min(grid.xsize, c + core.cols + overlap)
            out.append((Window(r0, c0, r1 - r0, c1 - c0), core))
    return out


def edge_weights(rows, cols):
    """Inverse-distance weights of a tile: the distance (in pixels) of each pixel centre to the
    tile's nearest edge, so a pixel's weight falls to zero at the tile's edge."""
    r = np.arange(rows) + 0.5
    c = np.arange(cols) + 0.5
    dr = np.minimum(r, rows - r)
    dc = np.minimum(c, cols - c)
    return np.minimum(dr[:, None], dc[None, :])
