"""Absence (non-hazard) sampling and presence augmentation (METHODS.md section 1).

Every sampler draws pixel centres uniformly from an *admissible* set computed block by block:
valid in every factor (the stack's combined mask), not a presence pixel, at least a minimum
distance from every presence, and the sampler's own constraint (D^2 > c, slope < t, ...).
Drawing is exact and seeded: a first pass counts the admissible pixels of each block, ``count``
ranks are drawn without replacement, and a second pass turns ranks into pixels; so there is
never more than one sample per pixel and memory stays bounded.

Every sampler declares what it is beside its code (:func:`declare`: the value of its 'sampler'
field, whether it separates its absences from the presences by construction, needs the
presences, draws in geographic or factor space); training reads :data:`SAMPLERS`. A sampler
module is imported by ``core/sampling/__init__.py``, so the registry is complete whenever any
part of the package is.
"""
from __future__ import annotations

from dataclasses import dataclass

import math

import numpy as np

from ..util.errors import InputError
from ..util.progress import as_feedback
from ..io.raster import sample_at

LABEL_ABSENCE, LABEL_PRESENCE = 0, 1


# -- what a sampler is -------------------------------------------------------------------------
@dataclass(frozen=True)
class Sampler:
    """What a sampler declares of itself, beside its code (:func:`declare`).

    ``name``: the value it writes in the samples' 'sampler' field; ``label``: of the points it
    draws (0 absences, 1 presences); ``needs_presences``: it cannot draw without them (it
    models them or draws around them; False when they only keep its draws off their pixels);
    ``space``: where it draws, "geographic" (pixels or coordinates) or "factor" (factor
    values); ``separates``: how it sets its absences apart from the presences by construction,
    "" when it does not. A model trained on separating absences partly learns where the
    sampler put them, and any split of those samples rewards it: training says so."""

    name: str
    label: int = LABEL_ABSENCE
    needs_presences: bool = True
    space: str = "geographic"
    separates: str = ""


#: every sampler, by its 'sampler' field value, as declared by its module
SAMPLERS: dict = {}


def declare(name, **properties):
    """Declare the sampler ``name`` with its properties (:class:`Sampler`); returns it."""
    out = Sampler(name, **properties)
    if out.space not in ("geographic", "factor") or SAMPLERS.get(name, out) != out:
        raise ValueError(f"sampler {name!r}: space {out.space!r}, or declared twice otherwise")
    SAMPLERS[name] = out
    return out


def separating(samplers, labels=None):
    """{sampler name: count} of the absences (``labels`` 0; all when None) in ``samplers`` (the
    samples' 'sampler' values) whose sampler separates them from the presences by
    construction, in the order the samplers were declared."""
    names = np.asarray([str(v) for v in samplers], dtype=object)
    if labels is not None:
        names = names[np.asarray(labels).astype(int) == LABEL_ABSENCE]
    names = list(names)
    return {n: names.count(n) for n, s in SAMPLERS.items() if s.separates and n in names}


PRESENCE = declare("presence", label=LABEL_PRESENCE, needs_presences=False)  # the inventory's
RANDOM = declare("random", needs_presences=False)  # uniform among the admissible pixels (draw)
BUFFER_RANDOM = declare("buffer_random", separates="outside a buffer around every presence")
SLOPE_THRESHOLD = declare(  # draw with the constraint slope < threshold
    "slope_threshold", needs_presences=False, space="factor",
    separates="on gentle slopes below a threshold, where presences are rare by construction")


@dataclass
class Presences:
    """Presence samples located on a stack's grid."""

    x: np.ndarray           # pixel-centre or point coordinates in the grid CRS
    y: np.ndarray
    flat: np.ndarray        # sorted unique flat pixel indices (row * xsize + col)
    values: np.ndarray      # (n, bands) factor values at the presences
    dropped_outside: int = 0
    dropped_nodata: int = 0

    def __len__(self):
        return len(self.x)


def locate_presences(stack, x, y, feedback=None):
    """Presences from point coordinates: those outside the grid or on nodata are dropped (and
    counted); several points in one pixel are all kept as samples."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    row, col = stack.grid.rowcol(x, y)
    inside = (row >= 0) & (row < stack.grid.ysize) & (col >= 0) & (col < stack.grid.xsize) & \
        np.isfinite(x) & np.isfinite(y)
    vals = sample_at(stack, x[inside], y[inside], feedback)
    ok = ~np.isnan(vals).any(axis=1)
    xi, yi, ri, ci = x[inside][ok], y[inside][ok], row[inside][ok], col[inside][ok]
    flat = np.unique(ri * stack.grid.xsize + ci)
    return Presences(xi, yi, flat, vals[ok], int((~inside).sum()), int((~ok).sum()))


def presences_from_ids(stack, flat_ids, feedback=None):
    """Presences at pixel centres of flat pixel indices (e.g. the pixels of polygons)."""
    flat = np.unique(np.asarray(flat_ids, np.int64))
    row, col = np.divmod(flat, stack.grid.xsize)
    x0, dx, _, y0, _, dy = stack.grid.transform
    return locate_presences(stack, x0 + (col + 0.5) * dx, y0 + (row + 0.5) * dy, feedback)


def polygon_pixels(stack, geoms):
    """Flat indices of the pixels whose centre lies in the polygons (for small polygons with no
    pixel centre inside, the pixel holding their centroid)."""
    from ..io.zonal import memory_layer
    from osgeo import gdal
    ds_vec, lyr = memory_layer(geoms, stack.grid.crs_wkt)
    out = []
    mem = gdal.GetDriverByName("MEM")
    for win in stack.windows():
        ds = mem.Create("", win.cols, win.rows, 1, gdal.GDT_Int32)
        ds.SetGeoTransform(stack.grid.window_transform(win))
        b = ds.GetRasterBand(1)
        b.Fill(0)
        gdal.RasterizeLayer(ds, [1], lyr, options=["ATTRIBUTE=zid"])
        ids = b.ReadAsArray()
        r, c = np.nonzero(ids)
        out.append((r + win.row) * stack.grid.xsize + (c + win.col))
        b = ds = None
    flat = np.concatenate(out) if out else np.empty(0, np.int64)
    covered = set()
    if len(flat):
        # which polygons got a pixel: re-rasterising per polygon is costly, so check centroids
        covered = set(flat.tolist())
    extra = []
    for g in geoms:
        if g is None:
            continue
        c = g.Centroid()
        r, cc = stack.grid.rowcol([c.GetX()], [c.GetY()])
        if 0 <= r[0] < stack.grid.ysize and 0 <= cc[0] < stack.grid.xsize:
            idx = int(r[0] * stack.grid.xsize + cc[0])
            if idx not in covered and g.GetArea() < stack.grid.pixel_area:
                extra.append(idx)
    return np.unique(np.concatenate([flat, np.asarray(extra, np.int64)]))


# -- counts and splits ------------------------------------------------------------------------
#: bytes each absence costs from its draw to its output: 74 measured (tracemalloc, a million
#: absences: ranks, coordinates, pixel ids, their shuffles, label and sampler columns), rounded
#: up for the features being written
BYTES_PER_ABSENCE = 128


def absence_count(n_presences, count=0, ratio=1.0, bands=0, ratio_param="RATIO",
                  feedback=None):
    """``count`` when given (> 0), else ``round(ratio * n_presences)``; refused before anything
    is drawn when the absences (with ``bands`` factor values each) would not fit in memory."""
    from ..util import memory
    by_count = bool(count and count > 0)
    n = int(count) if by_count else int(round(float(ratio) * n_presences))
    if n <= 0:
        raise InputError("The number of absences to draw is 0: give a count or a positive "
                         "ratio.", "COUNT")
    need = n * (BYTES_PER_ABSENCE + 8 * int(bands)) + DRAW_MASK_BYTES
    msg = memory.require(need, f"Drawing {n:,} absences", "COUNT" if by_count else ratio_param,
                         "lower the number of samples [COUNT]" if by_count else
                         f"lower the ratio [{ratio_param}] or give a smaller count [COUNT]")
    if n >= 1_000_000:
        as_feedback(feedback).info(msg)
    return n


def parse_ratios(text):
    """'1:1, 1:5, 1:50' -> [1.0, 5.0, 50.0] (absences per presence)."""
    out = []
    for part in str(text).replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            a, b = part.split(":") if ":" in part else ("1", part)
            out.append(float(b) / float(a))
        except (ValueError, ZeroDivisionError):
            raise InputError(f"Cannot read the ratio '{part}': write ratios as 1:5, 1:50, ...",
                             "RATIOS")
    if not out or any(not r > 0 or not np.isfinite(r) for r in out):
        raise InputError("Give at least one positive ratio, e.g. 1:1, 1:5.", "RATIOS")
    seen = {}
    for part, r in zip([p.strip() for p in str(text).replace(";", ",").split(",")
                        if p.strip()], out):
        if round(r, 9) in seen:  # the same set twice: its presences would count twice
            raise InputError(f"The ratios '{seen[round(r, 9)]}' and '{part}' are the same "
                             f"(1:{r:g}): each ratio makes one sample set, and a repeated one "
                             f"would repeat its presences; give each ratio once.", "RATIOS")
        seen[round(r, 9)] = part
    return out


def stratified_split(labels, test_share, rng):
    """'train'/'test' per sample, stratified by label: round(test_share * n_label) of each label
    go to 'test'."""
    labels = np.asarray(labels)
    out = np.full(labels.shape, "train", dtype=object)
    for lab in np.unique(labels):
        idx = np.nonzero(labels == lab)[0]
        n_test = int(round(test_share * len(idx)))
        if len(idx) >= 2 and n_test == 0 and test_share > 0:
            n_test = 1
        if n_test >= len(idx) and len(idx) > 1:
            n_test = len(idx) - 1
        out[rng.choice(idx, n_test, replace=False)] = "test"
    return out


# -- the admissible space and exact drawing ---------------------------------------------------
class Admissible:
    """Which pixels of a block may be drawn.

    ``constraint(window, data) -> bool mask`` adds a sampler's own condition (data is the
    block's factor array, NaN on the combined nodata mask)."""

    def __init__(self, stack, presences=None, min_distance=0.0, constraint=None, exclude=None):
        self.stack = stack
        self.constraint = constraint
        self.min_distance = stack.grid.check_distance(float(min_distance or 0.0),
                                                      "MIN_DISTANCE", "minimum distance")
        self.pflat = presences.flat if presences is not None else np.empty(0, np.int64)
        self.exclude = np.unique(np.asarray(exclude, np.int64)) if exclude is not None else None
        self.near = None
        if presences is not None and self.min_distance > 0 and len(presences):
            self.near = (np.asarray(presences.x, float), np.asarray(presences.y, float))

    def mask(self, win, data=None):
        st = self.stack
        if data is None:
            data = st.read(win)
        ok = ~np.isnan(data[0])
        if self.constraint is not None:
            ok &= self.constraint(win, data)
        rows = np.arange(win.row, win.row + win.rows)
        cols = np.arange(win.col, win.col + win.cols)
        flat = (rows[:, None] * st.grid.xsize + cols[None, :])
        for ex in (self.pflat, self.exclude):
            if ex is not None and len(ex):
                lo, hi = flat[0, 0], flat[-1, -1]
                sub = ex[(ex >= lo) & (ex <= hi)]
                if len(sub):
                    ok &= ~np.isin(flat, sub)
        if self.near is not None and ok.any():
            self._drop_near(win, ok)
        return ok

    def _drop_near(self, win, ok):
        """Clear the pixels of ``win`` whose centre is closer than the minimum distance to a
        presence: each presence near the window marks the pixels of its own disk, so the cost
        follows the presences (times the disk's pixels), not the window's pixels."""
        g = self.stack.grid
        px, py = self.near
        x0, dx, _, y0, _, dy = g.window_transform(win)
        d = self.min_distance
        pr = (py - y0) / dy  # presence position in the window's pixel units
        pc = (px - x0) / dx
        rr = d / abs(dy) + 1
        rc = d / abs(dx) + 1
        sel = (pr > -rr) & (pr < win.rows + rr) & (pc > -rc) & (pc < win.cols + rc)
        if not sel.any():
            return
        pr, pc, qx, qy = pr[sel], pc[sel], px[sel], py[sel]
        o_r = np.arange(-int(np.ceil(rr)), int(np.ceil(rr)) + 1)
        o_c = np.arange(-int(np.ceil(rc)), int(np.ceil(rc)) + 1)
        r = (np.floor(pr).astype(np.int64)[:, None, None] + o_r[None, :, None])
        c = (np.floor(pc).astype(np.int64)[:, None, None] + o_c[None, None, :])
        r, c = np.broadcast_arrays(r, c)
        inside = (r >= 0) & (r < win.rows) & (c >= 0) & (c < win.cols)
        cx = x0 + (c + 0.5) * dx  # the pixel centres, as Grid.pixel_centers gives them
        cy = y0 + (r + 0.5) * dy
        dist = np.hypot(cx - qx[:, None, None], cy - qy[:, None, None])
        hit = inside & (dist < d)
        ok[r[hit], c[hit]] = False


#: bytes of admissibility masks (one bit per pixel) a draw keeps between its counting pass and
#: its picking pass, so that up to 512 million pixels are read once, not twice; past that the
#: blocks that do not fit are read again
DRAW_MASK_BYTES = 64 * 1024 * 1024


def draw(adm, count, rng, feedback=None, what="absences", at_most=False):
    """``count`` distinct admissible pixels, uniformly at random: (x, y, flat) of their centres.

    Raises :class:`InputError` with the number available when there are too few, unless
    ``at_most``: then all of them (none raises still)."""
    fb = as_feedback(feedback)
    st = adm.stack
    wins = list(st.windows())
    counts = np.zeros(len(wins), np.int64)
    kept, room = {}, DRAW_MASK_BYTES
    for k, win in enumerate(wins):
        fb.check()
        m = adm.mask(win)
        counts[k] = int(m.sum())
        if counts[k] and m.size // 8 + 1 <= room:
            kept[k] = np.packbits(m)
            room -= kept[k].nbytes
        fb.report(0.5 * (k + 1) / len(wins))
    total = int(counts.sum())
    if at_most and total:
        count = min(count, total)
    if total < count or (at_most and not total):
        raise InputError(f"Only {total} admissible pixels for {count} {what}: lower the count or "
                         f"ratio, the minimum distance or the threshold.", "COUNT")
    ranks = np.sort(rng.choice(total, count, replace=False))
    starts = np.concatenate([[0], np.cumsum(counts)])
    xs, ys, flats = [], [], []
    for k, win in enumerate(wins):
        a, b = np.searchsorted(ranks, [starts[k], starts[k + 1]])
        if b > a:
            fb.check()
            m = (np.unpackbits(kept.pop(k), count=win.rows * win.cols).reshape(
                win.rows, win.cols).astype(bool) if k in kept else adm.mask(win))
            r, c = np.nonzero(m)
            pick = ranks[a:b] - starts[k]
            r, c = r[pick], c[pick]
            px, py = st.grid.pixel_centers(win)
            xs.append(px[c])
            ys.append(py[r])
            flats.append((r + win.row) * st.grid.xsize + (c + win.col))
        fb.report(0.5 + 0.5 * (k + 1) / len(wins))
    order = rng.permutation(count)  # no spatial order in the output
    return (np.concatenate(xs)[order], np.concatenate(ys)[order], np.concatenate(flats)[order])


# -- Mahalanobis chi-square -------------------------------------------------------------------
@dataclass
class MahalanobisModel:
    mean: np.ndarray
    cov: np.ndarray
    inv: np.ndarray
    names: list
    critical: float
    dof: int
    alpha: float
    pseudo_inverse: bool = False
    sd: np.ndarray = None        # D2 is computed on z-scores with the correlation matrix's
    vecs: np.ndarray = None      # eigen-decomposition: sum((V^T z)^2 / w) is never negative
    inv_vals: np.ndarray = None  # 1 / eigenvalue (0 for the pseudo-inverse's dropped ones)


def mahalanobis_model(values, names, alpha=0.05, dof="p-1", allow_pinv=False, cond_max=1e10):
    """Mean and covariance of the presences' factor values, the inverse, and the chi-square
    critical value c = chi2_{1-alpha}(dof), dof = p - 1 (as published) or p."""
    from scipy import stats
    X = np.asarray(values, float)
    n, p = X.shape
    if p < 1:
        raise InputError("Mahalanobis sampling needs at least one continuous factor.", "FACTORS")
    if n <= p:
        raise InputError(f"{n} presences for {p} factors: the covariance is singular. Mahalanobis "
                         f"sampling needs more presences than factors ({', '.join(names)}); use "
                         f"fewer factors.", "PRESENCES")
    bad = [names[j] for j in range(p) if not np.isfinite(X[:, j]).all()]
    if bad:
        raise InputError(f"Factor(s) {', '.join(bad)} have missing or infinite values at some "
                         f"presences: drop those presences or fix the rasters' nodata.",
                         "FACTORS")
    with np.errstate(over="ignore", invalid="ignore"):
        mean = X.mean(axis=0)
        cov = np.cov(X, rowvar=False).reshape(p, p)
    if not (np.isfinite(mean).all() and np.isfinite(cov).all()):
        raise InputError("The factor values are too large for a covariance in double "
                         "precision: rescale the factors.", "FACTORS")
    sd = np.sqrt(np.diag(cov))
    const = [names[i] for i in range(p) if sd[i] == 0]
    if const:
        raise InputError(f"Factor(s) {', '.join(const)} are constant over the presences: the "
                         f"covariance is singular; leave them out.", "FACTORS")
    corr = cov / np.outer(sd, sd)
    try:
        w, v = np.linalg.eigh(corr)
    except np.linalg.LinAlgError:
        raise InputError("The factors' covariance over the presences could not be decomposed: "
                         "check the factor values.", "FACTORS")
    cond = w.max() / max(w.min(), 1e-300)
    pinv = False
    if cond > cond_max:
        weak = v[:, 0]
        involved = [names[i] for i in np.argsort(-np.abs(weak)) if abs(weak[i]) > 0.2]
        if not allow_pinv:
            raise InputError(f"The factors' covariance over the presences is singular or "
                             f"ill-conditioned (condition number {cond:.3g}): "
                             f"{', '.join(involved)} are (nearly) collinear. Leave one of them "
                             f"out, or allow the pseudo-inverse.", "FACTORS")
        pinv = True
    inv_vals = np.where(w > w.max() / cond_max, 1.0 / np.maximum(w, 1e-300), 0.0) if pinv \
        else 1.0 / w
    inv = (v * inv_vals) @ v.T / np.outer(sd, sd)
    k = p - 1 if dof == "p-1" else p
    if k < 1:
        raise InputError("With one factor, dof = p - 1 is 0: use dof = p.", "DOF")
    c = float(stats.chi2.ppf(1 - alpha, k))
    return MahalanobisModel(mean, cov, inv, list(names), c, k, alpha, pinv, sd, v, inv_vals)


def mahalanobis_d2(model, X):
    """D^2 of samples X (n, p) (or a block (p, rows, cols) -> (rows, cols))."""
    X = np.asarray(X, float)
    if X.ndim == 3:
        p = X.shape[0]
        z = (X.reshape(p, -1) - model.mean[:, None]) / model.sd[:, None]
        y = model.vecs.T @ z
        return np.einsum("in,in->n", y, y * model.inv_vals[:, None]).reshape(X.shape[1:])
    z = (X - model.mean) / model.sd
    y = z @ model.vecs
    return np.einsum("ni,ni->n", y, y * model.inv_vals)


# -- one-class SVM, KDE -----------------------------------------------------------------------
OCSVM = declare("ocsvm", separates="outside the one-class SVM's outline of the presences' "
                                   "coordinates")
OCSVM_FACTORS = declare("ocsvm_factors", space="factor",
                        separates="outside the one-class SVM's outline of the presences' "
                                  "factor values")
KDE = declare("kde", label=LABEL_PRESENCE)


def ocsvm_absences(stack, presences, count, rng, min_distance=100.0, nu=0.1, gamma="scale",
                   feedback=None, max_rounds=20, columns=None, param="COUNT"):
    """Absences among random candidates that a one-class SVM fitted on the standardised
    presences calls outliers, at least ``min_distance`` from every presence: fitted on their
    coordinates, or with ``columns`` (band indices of the stack) on their factor values.
    ``param`` names the count's parameter in the refusal when too few outliers are found."""
    from sklearn.svm import OneClassSVM
    fb = as_feedback(feedback)
    if len(presences.x) < 3:
        raise InputError(f"Only {len(presences.x)} presence(s) on valid pixels: a one-class SVM "
                         f"of their locations needs at least 3.", "PRESENCES")

    def features(x, y, values):
        return np.column_stack([x, y]) if columns is None else values[:, columns]
    P = features(presences.x, presences.y, presences.values)
    mu, sd = P.mean(axis=0), P.std(axis=0)
    sd[sd == 0] = 1.0
    svm = OneClassSVM(nu=nu, gamma=gamma).fit((P - mu) / sd)
    adm = Admissible(stack, presences, min_distance)
    taken = np.empty(0, np.int64)
    xs, ys, fl = [], [], []
    got = 0
    for round_ in range(max_rounds):
        fb.check()
        need = count - got
        adm.exclude = np.unique(np.concatenate([taken] + ([adm.exclude] if adm.exclude is not None
                                                          else [])))
        try:
            cx, cy, cf = draw(adm, max(need * 4, 100), rng,
                              fb.sub(round_ / max_rounds, (round_ + 1) / max_rounds),
                              at_most=True)
        except InputError:
            break
        values = None if columns is None else sample_at(stack, cx, cy)
        outlier = svm.predict((features(cx, cy, values) - mu) / sd) == -1
        cx, cy, cf = cx[outlier][:need], cy[outlier][:need], cf[outlier][:need]
        xs.append(cx)
        ys.append(cy)
        fl.append(cf)
        got += len(cx)
        taken = np.concatenate([taken, cf])
        if got >= count:
            break
    if got < count:
        where = "" if columns is None else " in factor space"
        raise InputError(f"Only {got} one-class-SVM outliers{where} at least {min_distance:g} "
                         f"from every presence could be found for {count} absences: lower the "
                         f"count or the minimum distance, or raise nu.", param)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(fl), svm, (mu, sd)


def kde_augment(stack, presences, count, rng, spacing=100.0, bandwidth="scott", feedback=None,
                max_rounds=50, keep_away=None):
    """New presences drawn from a Gaussian KDE of the presence coordinates, each at least
    ``spacing`` from every existing and already accepted point (and from the points
    ``keep_away``, an (n, 2) array: e.g. held-out presences, which a synthetic training point
    must not sit next to), inside the grid and on valid pixels. Returns (x, y)."""
    from scipy.spatial import cKDTree
    from scipy.stats import gaussian_kde
    fb = as_feedback(feedback)
    spacing = stack.grid.check_distance(spacing, "MIN_DISTANCE", "spacing of the new points")
    P = np.column_stack([presences.x, presences.y])
    if len(P) < 3:
        raise InputError("KDE augmentation needs at least 3 presences.", "PRESENCES")
    try:
        kde = gaussian_kde(P.T, bw_method=bandwidth)
    except np.linalg.LinAlgError:
        raise InputError("The presences are collinear (all on a line): the KDE is degenerate.",
                         "PRESENCES")
    acc = np.empty((0, 2))
    grid = _SpacingGrid(spacing)
    tree = cKDTree(P if keep_away is None or not len(keep_away) else
                   np.vstack([P, np.asarray(keep_away, float).reshape(-1, 2)]))
    for round_ in range(max_rounds):
        fb.check()
        cand = kde.resample(max(4 * (count - len(acc)), 64), seed=rng).T
        row, col = stack.grid.rowcol(cand[:, 0], cand[:, 1])
        inside = (row >= 0) & (row < stack.grid.ysize) & (col >= 0) & (col < stack.grid.xsize)
        cand = cand[inside]
        if len(cand):
            ok = ~np.isnan(sample_at(stack, cand[:, 0], cand[:, 1]).any(axis=1))
            cand = cand[ok]
        if len(cand):
            d, _ = tree.query(cand, k=1)
            cand = cand[d >= spacing]
        taken = []
        for c in cand:  # greedy, in random order, against the points accepted so far
            if grid.near(c[0], c[1]):
                continue
            grid.add(c[0], c[1])
            taken.append(c)
            if len(acc) + len(taken) >= count:
                break
        if taken:
            acc = np.vstack([acc, np.array(taken)])
        fb.report(len(acc) / count)
        if len(acc) >= count:
            break
    if len(acc) < count:
        raise InputError(f"Only {len(acc)} synthetic presences could be placed {spacing:g} apart "
                         f"for {count} requested: lower the count or the spacing.", "COUNT")
    return acc[:, 0], acc[:, 1]


class _SpacingGrid:
    """Accepted points hashed into square cells of side ``spacing``: whether a new point lies
    closer than ``spacing`` to one of them looks at the 3 x 3 cells around it, so accepting n
    points costs n, not n^2 (a Nepal-size inventory asks for tens of thousands)."""

    def __init__(self, spacing):
        self.s = float(spacing)
        self.cells = {}

    def _cell(self, x, y):
        return (int(np.floor(x / self.s)), int(np.floor(y / self.s))) if self.s > 0 else (0, 0)

    def near(self, x, y):
        if self.s <= 0:
            return False
        i, j = self._cell(x, y)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for px, py in self.cells.get((i + di, j + dj), ()):
                    if math.hypot(px - x, py - y) < self.s:
                        return True
        return False

    def add(self, x, y):
        self.cells.setdefault(self._cell(x, y), []).append((float(x), float(y)))


# -- SHAP-derived factor threshold ------------------------------------------------------------
def shap_crossings(centres, means):
    """Every sign change of a binned mean-SHAP curve: rows (value, jump, prone) in factor
    order; value interpolated where the mean is zero, jump the change of the mean across it,
    prone the side ('below'/'above') where SHAP is positive next to it."""
    centres, means = np.asarray(centres, float), np.asarray(means, float)
    sign = np.sign(means)
    out = []
    for k in np.nonzero(sign[:-1] * sign[1:] < 0)[0]:
        x0, x1, m0, m1 = centres[k], centres[k + 1], means[k], means[k + 1]
        out.append({"value": float(x0 + (x1 - x0) * (0 - m0) / (m1 - m0)),
                    "jump": float(abs(m1 - m0)), "prone": "below" if m0 > 0 else "above"})
    return out


def shap_threshold(values, shap_values, bins=20):
    """The factor value where the binned mean SHAP value changes sign, with the curve. With
    several sign changes the one with the largest jump of the mean is taken (the step);
    :func:`shap_crossings` of the returned curve lists them all.

    Returns (threshold, prone_side, centres, means): prone_side is 'below' when SHAP is
    positive (pushes towards the hazard) below the threshold."""
    v = np.asarray(values, float)
    s = np.asarray(shap_values, float)
    edges = np.unique(np.quantile(v, np.linspace(0, 1, bins + 1)))
    idx = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2)
    centres, means = [], []
    for b in range(len(edges) - 1):
        sel = idx == b
        if sel.any():
            centres.append(float(v[sel].mean()))
            means.append(float(s[sel].mean()))
    centres, means = np.array(centres), np.array(means)
    crossings = shap_crossings(centres, means)
    if not crossings:
        raise InputError("The mean SHAP value of the factor never changes sign: no threshold "
                         "can be derived; give the threshold yourself.", "THRESHOLD")
    best = max(crossings, key=lambda c: c["jump"])
    return best["value"], best["prone"], centres, means


def shap_dependence(X, y, j, seed=0, n_estimators=300, max_depth=4):
    """SHAP values of factor ``j`` from a gradient-boosted tree model (XGBoost's exact
    TreeSHAP, ``pred_contribs``) fitted on samples X (n, p) with labels y."""
    from ..util.deps import require
    xgb = require("xgboost")
    model = xgb.XGBClassifier(n_estimators=n_estimators, max_depth=max_depth,
                              learning_rate=0.05, subsample=0.8, colsample_bytree=1.0,
                              random_state=seed, n_jobs=1, tree_method="hist")
    model.fit(X, y)
    contribs = model.get_booster().predict(xgb.DMatrix(X), pred_contribs=True)
    return contribs[:, j]
