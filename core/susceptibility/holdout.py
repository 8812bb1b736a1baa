"""Evaluation on data the model never saw.

* :func:`holdout_mask`: an inventory split before any sampling or training, at random or by
  whole square blocks (a spatial hold-out: no held-out point has a training point in its block),
  seeded;
* :func:`random_split`, :func:`block_folds` and :func:`group_folds`: a model's validation, a
  stratified random test split or k folds over square blocks or zones, seeded;
* :func:`on_pixels` and :func:`same_rows`: which evaluation points are not independent at all
  (they share a pixel, or every factor value, with a training sample) and must be left out;
* :func:`sample_independent`: an independent inventory's factor values on a stack, less those
  points;
* :func:`score`: the threshold metrics of an independent evaluation set, with what was left out
  and why, ready to be set beside a model's internal score.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..stats import metrics as mt
from ..util.errors import InputError


def holdout_mask(x, y, share, seed, block_size=None):
    """A boolean mask of the points held out: ``round(share * n)`` of them (at least 1, at most
    n - 1). ``block_size`` None: a seeded random choice of points. Otherwise square blocks of
    that side (map units) are taken whole, in a seeded random order, until the held-out count
    is the closest it can come to the target: a block is never split between the two sets."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    n = len(x)
    if not 0 < share < 1:
        raise InputError(f"The share held out must lie between 0 and 1 (not {share:g}).",
                         "TEST_SHARE")
    if n < 2:
        raise InputError(f"{n} feature(s): at least 2 are needed to hold some out.", "INVENTORY")
    target = int(min(n - 1, max(1, round(share * n))))
    rng = np.random.default_rng(seed)
    held = np.zeros(n, bool)
    if block_size is None:
        held[rng.permutation(n)[:target]] = True
        return held
    if not block_size > 0:
        raise InputError(f"The block size must be positive (not {block_size:g}).", "BLOCK_SIZE")
    keys = np.stack([np.floor(x / block_size), np.floor(y / block_size)], 1).astype(np.int64)
    _, block = np.unique(keys, axis=0, return_inverse=True)
    block = block.ravel()
    nb = int(block.max()) + 1
    if nb < 2:
        raise InputError(f"Every feature lies in one block of {block_size:g} map units: use "
                         f"smaller blocks (or a random hold-out).", "BLOCK_SIZE")
    order = rng.permutation(nb)
    cum = np.cumsum(np.bincount(block, minlength=nb)[order])
    k = int(np.searchsorted(cum, target))  # first prefix reaching the target
    if k > 0 and abs(cum[k - 1] - target) <= abs(cum[k] - target):
        k -= 1  # the shorter prefix is at least as close
    k = min(k, nb - 2)  # at least one block stays for training
    held[np.isin(block, order[:k + 1])] = True
    return held


# -- validation splits: a model's test samples or cross-validation folds ---------------------
def random_split(y, test_share, seed):
    """Boolean test mask, stratified by label."""
    from ..sampling.samplers import stratified_split
    return stratified_split(np.asarray(y), test_share, np.random.default_rng(seed)) == "test"


def block_folds(x, y_coord, size, k, seed):
    """Spatial k-fold: square blocks of side ``size`` assigned to k folds at random (seeded);
    returns the fold (0..k-1) of every sample. No block is split between folds."""
    bx = np.floor(np.asarray(x) / size).astype(np.int64)
    by = np.floor(np.asarray(y_coord) / size).astype(np.int64)
    _, block = np.unique(np.stack([bx, by], 1), axis=0, return_inverse=True)
    block = block.ravel()
    nb = block.max() + 1
    if nb < k:
        raise InputError(f"Only {nb} blocks of {size:g} map units hold samples for {k} folds: "
                         f"use smaller blocks or fewer folds.", "BLOCK_SIZE")
    perm = np.random.default_rng(seed).permutation(nb)
    fold_of_block = np.empty(nb, np.int64)
    fold_of_block[perm] = np.arange(nb) % k
    return fold_of_block[block]


def group_folds(groups, k, seed):
    """k folds over the distinct values of ``groups`` (e.g. zones)."""
    g = np.asarray(groups).astype(str)
    uniq, inv = np.unique(g, return_inverse=True)
    if len(uniq) < 2:
        raise InputError("Spatial folds need at least two zones.", "ZONE_FIELD")
    k = min(k, len(uniq))
    perm = np.random.default_rng(seed).permutation(len(uniq))
    fold = np.empty(len(uniq), np.int64)
    fold[perm] = np.arange(len(uniq)) % k
    return fold[inv.ravel()], k


def on_pixels(grid, ref_x, ref_y, x, y):
    """A mask of the points (x, y) that fall in a pixel of ``grid`` holding one of the reference
    points (e.g. the training samples): such a point carries a training sample's factor values
    and is no independent evidence."""
    def flat(xx, yy):
        row, col = grid.rowcol(np.asarray(xx, float), np.asarray(yy, float))
        inside = (row >= 0) & (row < grid.ysize) & (col >= 0) & (col < grid.xsize)
        return np.where(inside, row.astype(np.int64) * grid.xsize + col, -1)
    ref = flat(ref_x, ref_y)
    return np.isin(flat(x, y), ref[ref >= 0])


def same_rows(X_ref, X):
    """A mask of the rows of ``X`` equal in every column to some row of ``X_ref`` (the same
    slope unit given twice, or a training sample given again as evaluation data)."""
    X_ref = np.ascontiguousarray(np.asarray(X_ref, float))
    X = np.ascontiguousarray(np.asarray(X, float))
    if not len(X) or not len(X_ref):
        return np.zeros(len(X), bool)
    view = np.dtype((np.void, X.dtype.itemsize * X.shape[1]))
    return np.isin(X.view(view).ravel(), X_ref.view(view).ravel())


OFF_RASTERS = "off the rasters or on nodata"


def require_classes(n_presences, n_absences, left_out, where="INDEPENDENT"):
    """Refuse an independent set left without presences or without absences, saying what was
    left out on the way."""
    if n_presences and n_absences:
        return
    what = "presence" if not n_presences else "absence"
    raise InputError(f"No independent {what} is left to score (after leaving out "
                     f"{'; '.join(f'{v} {k}' for k, v in left_out.items() if v) or 'none'}): "
                     f"give an inventory the training samples did not use, on the factor "
                     f"rasters.", where)


def sample_independent(stack, ref_x, ref_y, presences_xy, absences_xy, ref="a training sample",
                       feedback=None):
    """Factor values on ``stack`` and labels (1, 0) of independent presences and absences,
    less the points in a pixel of a reference point (``ref``: the training samples) and those
    off the rasters or on nodata: (X, y, {reason: count}). Raises when a class is left empty."""
    from ..io.raster import sample_at
    (px, py), (ax_, ay) = presences_xy, absences_xy
    xs = np.r_[np.asarray(px, float), np.asarray(ax_, float)]
    ys = np.r_[np.asarray(py, float), np.asarray(ay, float)]
    lab = np.r_[np.ones(len(px)), np.zeros(len(ax_))]
    near = on_pixels(stack.grid, ref_x, ref_y, xs, ys)
    X = sample_at(stack, xs[~near], ys[~near], feedback)
    lab = lab[~near]
    ok = np.isfinite(X).all(axis=1)
    left = {f"in a pixel of {ref}": int(near.sum()), OFF_RASTERS: int((~ok).sum())}
    require_classes(int((lab[ok] == 1).sum()), int((lab[ok] == 0).sum()), left)
    return X[ok], lab[ok], left


@dataclass
class Independent:
    """The score of an evaluation set the model never saw."""
    metrics: dict
    how: str                      # where the presences and absences came from
    left_out: dict = field(default_factory=dict)  # reason -> count
    samples: tuple = None         # (y, p) for the calibration and the ROC

    def describe(self):
        """One sentence: what was scored, and what was left out."""
        m = self.metrics
        text = (f"Independent evaluation: {m['presences']} presences and "
                f"{m['n'] - m['presences']} absences ({self.how}): AUC {m['AUC']:.3f}, kappa "
                f"{m['kappa']:.3f}.")
        gone = [f"{v} {k}" for k, v in self.left_out.items() if v]
        if gone:
            text += " Left out: " + "; ".join(gone) + "."
        return text


def score(p_presences, p_absences, how, left_out=None, threshold=0.5, where="INDEPENDENT"):
    """Threshold metrics, AUC and the (y, p) pairs of predicted probabilities at independent
    presences and absences; NaN predictions (off the rasters, nodata) are left out and
    counted. Raises when a class is left empty."""
    p1 = np.asarray(p_presences, float)
    p0 = np.asarray(p_absences, float)
    gone = dict(left_out or {})
    nan1, nan0 = int(np.isnan(p1).sum()), int(np.isnan(p0).sum())
    if nan1 or nan0:
        gone[OFF_RASTERS] = gone.get(OFF_RASTERS, 0) + nan1 + nan0
    p1, p0 = p1[~np.isnan(p1)], p0[~np.isnan(p0)]
    require_classes(len(p1), len(p0), gone, where)
    y = np.r_[np.ones(len(p1)), np.zeros(len(p0))]
    p = np.r_[p1, p0]
    return Independent(mt.threshold_metrics(y, p, threshold), how, gone, (y, p))
