"""Where a model can be trusted: the dissimilarity index (DI) and the area of applicability
(AOA) of Meyer & Pebesma (2021), "Predicting into unknown space? Estimating the area of
applicability of spatial prediction models", Methods in Ecology and Evolution 12: 1620-1633.

* The model's columns are standardised with the training rows' mean and standard deviation
  (n - 1, as R's ``scale``) and multiplied by the model's importance of each column;
* d̄ is the mean distance between two training rows (over every pair, or a seeded sample of
  pairs when the rows are many);
* DI of a new row = distance to its nearest training row / d̄ (0 on a training row);
* the training rows' own DI is taken across the cross-validation folds: the distance to the
  nearest training row outside the row's own fold, / d̄;
* the threshold is the upper whisker of those values, as R's ``boxplot.stats`` gives it (the
  largest one not above the upper hinge + 1.5 times the hinge spread), and the AOA is where
  DI <= threshold.

Nearest distances come from :mod:`core.stats.nearest` (exact: equal to a brute-force minimum),
queried block by block.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..util.errors import InputError

#: above this many training rows, d̄ comes from a seeded sample of pairs (exact below)
EXACT_ROWS = 20_000
SAMPLED_PAIRS = 5_000_000


@dataclass
class Applicability:
    """What a model's DI and AOA need: the training rows in the weighted standardised space,
    and the figures that scale and cut the DI."""
    columns: list
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    train: np.ndarray       # (n, c) weighted standardised training rows
    d_bar: float            # mean distance between two training rows
    train_di: np.ndarray    # each training row's DI across the folds
    threshold: float        # upper whisker of train_di
    folds: int = 0
    pairs: int = 0          # pairs behind d̄
    sampled: bool = False   # d̄ from a sample of pairs
    folds_how: str = ""     # where the folds come from
    _tree: object = None

    def transform(self, X):
        """Rows of X (n, c) in the weighted standardised space."""
        return (np.asarray(X, float) - self.mean) / self.scale * self.weights

    def tree(self):
        if self._tree is None:
            from ..stats.nearest import NearestTree
            self._tree = NearestTree(self.train)
        return self._tree

    def di(self, X):
        """The dissimilarity index of rows X (NaN where a value is missing)."""
        X = np.asarray(X, float)
        out = np.full(len(X), np.nan)
        ok = np.isfinite(X).all(axis=1)
        if ok.any():
            out[ok] = self.tree().distances(self.transform(X[ok])) / self.d_bar
        return out

    def inside(self, di):
        """1 inside the AOA (DI <= threshold), 0 outside, as float (NaN stays NaN)."""
        di = np.asarray(di, float)
        return np.where(np.isnan(di), np.nan, (di <= self.threshold).astype(float))


def upper_whisker(values):
    """The upper whisker of R's ``boxplot.stats`` (coef 1.5): Tukey's hinges as ``fivenum``
    gives them, then the largest value not above the upper hinge + 1.5 * (upper - lower
    hinge)."""
    x = np.sort(np.asarray(values, float)[np.isfinite(values)])
    n = len(x)
    if n == 0:
        raise InputError("No training row has a dissimilarity across the folds.", "MODEL")
    n4 = np.floor((n + 3) / 2) / 2
    d = np.array([n4, n + 1 - n4]) - 1  # 0-based positions of the two hinges
    lo = 0.5 * (x[int(np.floor(d[0]))] + x[int(np.ceil(d[0]))])
    hi = 0.5 * (x[int(np.floor(d[1]))] + x[int(np.ceil(d[1]))])
    return float(x[x <= hi + 1.5 * (hi - lo)].max())


def mean_pair_distance(Z, seed=0, exact_rows=EXACT_ROWS, sampled_pairs=SAMPLED_PAIRS,
                       check=None):
    """The mean Euclidean distance between two different rows of Z: every pair when the rows
    are at most ``exact_rows`` (in blocks, memory bounded), else a seeded sample of
    ``sampled_pairs`` pairs. Returns (mean, pairs used, sampled)."""
    from scipy.spatial.distance import cdist
    n = len(Z)
    if n < 2:
        raise InputError("At least two training rows are needed.", "MODEL")
    if n <= exact_rows:
        total, step = 0.0, max(1, 2_000_000 // n)
        for i in range(0, n, step):
            if check:
                check()
            total += cdist(Z[i:i + step], Z).sum()  # the diagonal adds 0
        pairs = n * (n - 1)
        return float(total / pairs), pairs // 2, False
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, sampled_pairs)
    b = rng.integers(0, n - 1, sampled_pairs)
    b[b >= a] += 1  # a different row
    d = np.sqrt(((Z[a] - Z[b]) ** 2).sum(axis=1))
    return float(d.mean()), sampled_pairs, True


def fit(X, columns, weights, folds, seed=0, check=None):
    """The :class:`Applicability` of a model trained on rows X (n, c) of its columns, with
    ``weights`` (the model's importance of each column, >= 0) and the cross-validation fold of
    every row (at least two folds)."""
    X = np.asarray(X, float)
    folds = np.asarray(folds)
    w = np.clip(np.nan_to_num(np.asarray(weights, float)), 0, None)
    if X.ndim != 2 or X.shape[1] != len(columns) or len(w) != len(columns) or \
            len(folds) != len(X):
        raise InputError("The training rows, columns, weights and folds do not match.", "MODEL")
    if not np.isfinite(X).all():
        raise InputError("The training rows hold missing values.", "MODEL")
    if len(np.unique(folds)) < 2:
        raise InputError("The area of applicability needs at least two cross-validation "
                         "folds.", "MODEL")
    if not (w > 0).any():
        raise InputError("Every column has zero importance: the model ignores its factors and "
                         "has no area of applicability.", "MODEL")
    mean = X.mean(axis=0)
    scale = X.std(axis=0, ddof=1)
    flat = ~(scale > 0)
    scale[flat] = 1.0
    w[flat] = 0.0  # a constant column tells no row from another
    Z = (X - mean) / scale * w
    d_bar, pairs, sampled = mean_pair_distance(Z, seed, check=check)
    if not d_bar > 0:
        raise InputError("Every training row is the same in the weighted factors: no "
                         "dissimilarity can be measured.", "MODEL")
    from ..stats.nearest import NearestTree
    train_di = np.full(len(X), np.nan)
    for f in np.unique(folds):
        if check:
            check()
        inn = folds == f
        train_di[inn] = NearestTree(Z[~inn]).distances(Z[inn]) / d_bar
    return Applicability(list(columns), mean, scale, w, Z, d_bar, train_di,
                         upper_whisker(train_di), int(len(np.unique(folds))), int(pairs),
                         sampled)


def assign_folds(x, y, n, k, seed, block_size=None):
    """Cross-validation folds for the AOA when the model was not validated by k-fold: whole
    square blocks of ``block_size`` (as the model's spatial k-fold would) when they number at
    least k, else random folds. Returns (folds, how)."""
    from .holdout import block_folds
    if block_size and x is not None:
        try:
            return block_folds(x, y, block_size, k, seed), \
                f"spatial {k}-fold over blocks of {block_size:g} map units"
        except InputError:
            pass
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(n) % k), f"random {k}-fold"


# -- a model file's applicability over rasters ---------------------------------------------------
#: AOA mask codes (Byte raster, 255 = nodata)
INSIDE, OUTSIDE, MASK_NODATA = 1, 0, 255


def read_rows(mf, prefix, n_rows, n_columns, where, advice=""):
    """The training rows a model file keeps for the area of applicability (arrays
    ``<prefix>train``, ``<prefix>folds``, ``<prefix>weights``), checked against the manifest:
    (rows, folds, weights) as float, int, float. A damaged file is refused."""
    from ..io.modelfile import ModelFileError
    X = mf.array(f"{prefix}train", "f", 2, (n_rows, n_columns))
    folds = mf.array(f"{prefix}folds", "iu", 1, (n_rows,))
    w = mf.array(f"{prefix}weights", "f", 1, (n_columns,))
    if not (np.isfinite(X).all() and np.isfinite(w).all() and (w >= 0).all()
            and len(np.unique(folds)) >= 2):
        raise ModelFileError(f"{where}: the training rows kept for the area of applicability "
                             f"are malformed: the file is damaged or altered; refused. {advice}")
    return X.astype(float), folds, w.astype(float)


def from_model(aoa, columns, seed=0, check=None):
    """The :class:`Applicability` of a model file's kept training rows (``ModelExtras.aoa``:
    rows, folds, column weights, how the folds were made)."""
    X, folds, weights, how = aoa
    app = fit(X, columns, weights, folds, seed, check)
    app.folds_how = how
    return app


def unit_fields(app, X):
    """The fields a slope-unit layer gets: {"di": DI, "aoa": 1 inside, 0 outside} of the rows
    X (already in the model's columns); NaN where a value is missing."""
    d = app.di(X)
    return {"di": d, "aoa": app.inside(d)}


@dataclass
class AoaResult:
    valid_pixels: int
    inside: int
    outside: int
    sample: np.ndarray  # a seeded sample of the DI values (for the histogram)


def write_mask(di_path, threshold, out_path=None, feedback=None):
    """The pixels of a DI raster inside the AOA (DI <= threshold) and outside it, and, when
    ``out_path`` is given, the mask as a Byte raster there: 1 inside, 0 outside, 255 nodata.
    Returns (pixels inside, pixels outside)."""
    from osgeo import gdal
    from .apply import _raster_blocks
    from ..io.raster import RasterWriter
    grid, blocks = _raster_blocks(di_path, feedback)
    w = RasterWriter(out_path, grid, ["area_of_applicability"], gdal.GDT_Byte,
                     MASK_NODATA) if out_path else None
    inside = outside = 0
    try:
        for win, d in blocks:
            m = np.full(d.shape, MASK_NODATA, np.uint8)
            ok = ~np.isnan(d)
            m[ok & (d <= threshold)] = INSIDE
            m[ok & (d > threshold)] = OUTSIDE
            inside += int((m == INSIDE).sum())
            outside += int((m == OUTSIDE).sum())
            if w is not None:
                w.write(win, m)
        if w is not None:
            w.set_metadata({"threshold": f"{threshold:.6g}", "inside": str(INSIDE),
                            "outside": str(OUTSIDE)})
    finally:
        if w is not None:
            w.close()
    return inside, outside


def applicability_map(app, manifest, bands, di_path, aoa_path=None, workers=1, scheduler=None,
                      feedback=None, log=None, sample=1_000_000, seed=0):
    """The DI raster of a raster model file over ``bands`` (matched to its factors by name, on
    its training grid), block by block on the tile runner, and the AOA mask when
    ``aoa_path`` is given. Files are written under temporary names and moved into place only
    when complete."""
    from ..io.raster import AlignedStack
    from ..util.partial import AtomicOutput
    from ..util.progress import as_feedback
    from .apply import apply_to_raster, model_bands
    fb = as_feedback(feedback)
    enc = manifest.encoding
    ordered, grid = model_bands(manifest, bands, log)
    app.tree()  # built once, shared by every tile

    def predict(X):
        return app.di(enc.transform(X))

    with AlignedStack(ordered, grid, manifest.resampling) as stack:
        with AtomicOutput(di_path) as tmp:
            n_valid, values = apply_to_raster(stack, predict, tmp, workers, scheduler,
                                              fb.sub(0, 0.85), sample, seed,
                                              names=("dissimilarity_index",))
            if n_valid == 0:
                raise InputError("No pixel has a value in every factor: check the rasters' "
                                 "extent and nodata.", "FACTORS")
    if aoa_path:
        with AtomicOutput(aoa_path) as tmp:
            inside, outside = write_mask(di_path, app.threshold, tmp, fb.sub(0.85, 1.0))
    else:
        inside, outside = write_mask(di_path, app.threshold, None, fb.sub(0.85, 1.0))
    return AoaResult(n_valid, inside, outside, values)
