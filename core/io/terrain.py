"""Terrain derivatives of a DEM held in memory: slope, aspect, curvatures, D8 flow, TWI.

Used by the sample-study-area generator (and usable on any DEM that fits in memory).
Conventions: rows grow southwards; aspect in degrees clockwise from north, the direction the
slope faces; plan and profile curvature after Zevenbergen & Thorne (1987), in 1/m, with the
sign convention of SAGA/ArcGIS: positive profile curvature = upwardly convex, positive plan
curvature = divergent (convex contours).
"""
from __future__ import annotations

import heapq

import numpy as np

# D8 neighbour offsets (drow, dcol)
D8 = np.array([(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)])


def _pad(z):
    return np.pad(z, 1, mode="edge")


def gradient(z, cell):
    """dz/dx (east) and dz/dy (north) by central differences (edges replicated)."""
    p = _pad(z)
    dzdx = (p[1:-1, 2:] - p[1:-1, :-2]) / (2 * cell)
    dzdy = (p[:-2, 1:-1] - p[2:, 1:-1]) / (2 * cell)
    return dzdx, dzdy


def slope_aspect(z, cell):
    """Slope (degrees) and aspect (degrees clockwise from north, 0..360; flat = 0)."""
    dzdx, dzdy = gradient(z, cell)
    slope = np.degrees(np.arctan(np.hypot(dzdx, dzdy)))
    # the surface faces down-gradient: direction of (-dzdx, -dzdy) as a compass bearing
    aspect = (np.degrees(np.arctan2(-dzdx, -dzdy)) + 360.0) % 360.0
    aspect[np.hypot(dzdx, dzdy) == 0] = 0.0
    return slope, aspect


def curvatures(z, cell):
    """Plan and profile curvature (Zevenbergen & Thorne), 1/m."""
    p = _pad(z)
    z1, z2, z3 = p[:-2, :-2], p[:-2, 1:-1], p[:-2, 2:]
    z4, z5, z6 = p[1:-1, :-2], p[1:-1, 1:-1], p[1:-1, 2:]
    z7, z8, z9 = p[2:, :-2], p[2:, 1:-1], p[2:, 2:]
    L = cell
    D = ((z4 + z6) / 2 - z5) / L ** 2
    E = ((z2 + z8) / 2 - z5) / L ** 2
    F = (-z1 + z3 + z7 - z9) / (4 * L ** 2)
    G = (-z4 + z6) / (2 * L)
    H = (z2 - z8) / (2 * L)
    gh = G * G + H * H
    with np.errstate(invalid="ignore", divide="ignore"):
        prof = np.where(gh > 0, -2 * (D * G * G + E * H * H + F * G * H) / gh, 0.0)
        plan = np.where(gh > 0, 2 * (D * H * H + E * G * G - F * G * H) / gh, 0.0)
    return plan, prof


def fill_depressions(z, eps=1e-3):
    """Priority-flood filling (Barnes et al. 2014) with a small gradient on flats, so every
    cell drains to the border."""
    rows, cols = z.shape
    filled = z.astype(np.float64).copy()
    closed = np.zeros(z.shape, bool)
    heap = []
    for r in range(rows):
        for c in (0, cols - 1):
            if not closed[r, c]:
                closed[r, c] = True
                heap.append((filled[r, c], r, c))
    for c in range(1, cols - 1):
        for r in (0, rows - 1):
            if not closed[r, c]:
                closed[r, c] = True
                heap.append((filled[r, c], r, c))
    heapq.heapify(heap)
    offsets = [tuple(o) for o in D8]
    push, pop = heapq.heappush, heapq.heappop
    while heap:
        h, r, c = pop(heap)
        for dr, dc in offsets:
            rr, cc = r + dr, c + dc
            if 0 <= rr < rows and 0 <= cc < cols and not closed[rr, cc]:
                closed[rr, cc] = True
                v = filled[rr, cc]
                if v <= h:
                    v = h + eps
                    filled[rr, cc] = v
                push(heap, (v, rr, cc))
    return filled


def d8_receivers(z, cell):
    """Flat index of each cell's steepest-descent neighbour, -1 where none is lower."""
    rows, cols = z.shape
    p = np.pad(z, 1, mode="constant", constant_values=np.inf)
    best = np.zeros(z.shape)
    rec = np.full(z.shape, -1, np.int64)
    rr, cc = np.indices(z.shape)
    for dr, dc in D8:
        nb = p[1 + dr:1 + dr + rows, 1 + dc:1 + dc + cols]
        drop = (z - nb) / (cell * np.hypot(dr, dc))
        better = drop > best
        best = np.where(better, drop, best)
        rec = np.where(better, (rr + dr) * cols + (cc + dc), rec)
    return rec.ravel()


def flow_accumulation(z, rec):
    """Number of cells draining through each cell (itself included), D8."""
    order = np.argsort(-z.ravel(), kind="stable")
    acc = np.ones(z.size, np.float64)
    recl = rec.tolist()
    accl = acc.tolist()
    for i in order.tolist():
        r = recl[i]
        if r >= 0:
            accl[r] += accl[i]
    return np.array(accl).reshape(z.shape), order


def twi(acc, slope_deg, cell):
    """Topographic wetness index ln(a / tan b), a = specific catchment area (m)."""
    a = acc * cell
    tanb = np.tan(np.radians(np.maximum(slope_deg, 0.1)))
    return np.log(a / tanb)
