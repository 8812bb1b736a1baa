"""Building blocks of the flood-landslide multi-hazard method (FL-MHSM study, METHODS.md section 4):
the multivariate-Gaussian negative log-likelihood of Early Fusion, beta calibration, overlapping
tiles merged by inverse-distance weighting, and bivariate classes."""
from __future__ import annotations

import math

import numpy as np

from ..util.errors import InputError

LEVELS = ["VL", "L", "M", "H", "VH"]
LN_EPSILON = 1e-3  # of the layer normalisations (Keras' default)


# -- Early Fusion: the MVG negative log-likelihood --------------------------------------------
def n_chol(h):
    """Number of lower-triangular entries of an h x h Cholesky factor."""
    return h * (h + 1) // 2


def chol_from_raw(raw, h):
    """Lower-triangular L (n, h, h) from raw outputs (n, h(h+1)/2): the diagonal entries are
    predicted in log space and exponentiated, so L_ii > 0 and Sigma = L L^T is positive
    definite. Order: row by row, (0,0), (1,0), (1,1), (2,0), ..."""
    raw = np.asarray(raw, float)
    n = raw.shape[0]
    L = np.zeros((n, h, h))
    k = 0
    for i in range(h):
        for j in range(i + 1):
            L[:, i, j] = np.exp(raw[:, k]) if i == j else raw[:, k]
            k += 1
    return L


def mvg_nll(y, mu, raw):
    """Per-sample NLL = 1/2 ||L^-1 (y - mu)||^2 + sum_i log L_ii + (H/2) log 2 pi.

    A label that is not known (NaN) is marginalised out: the NLL is that of the Gaussian of the
    observed labels, mean mu_o and covariance Sigma_oo (0 when no label is known)."""
    y = np.asarray(y, float)
    mu = np.asarray(mu, float)
    h = y.shape[1]
    L = chol_from_raw(raw, h)
    out = np.zeros(len(y))
    for i in range(len(y)):
        o = ~np.isnan(y[i])
        if o.all():
            z = np.linalg.solve(L[i], y[i] - mu[i])
            out[i] = 0.5 * z @ z + np.log(np.diag(L[i])).sum() + 0.5 * h * math.log(2 * math.pi)
        elif o.any():
            S = (L[i] @ L[i].T)[np.ix_(o, o)]
            d = y[i, o] - mu[i, o]
            out[i] = 0.5 * d @ np.linalg.solve(S, d) + 0.5 * np.linalg.slogdet(S)[1] + \
                0.5 * o.sum() * math.log(2 * math.pi)
    return out


def uncertainty_and_correlation(raw, h=2):
    """Joint log-uncertainty log det Sigma = 2 sum log L_ii and, for h = 2, the inter-hazard
    correlation rho = Sigma_12 / sqrt(Sigma_11 Sigma_22) (within [-1, 1])."""
    L = chol_from_raw(raw, h)
    S = L @ np.transpose(L, (0, 2, 1))
    logdet = 2 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    rho = S[:, 0, 1] / np.sqrt(S[:, 0, 0] * S[:, 1, 1]) if h >= 2 else np.zeros(len(L))
    return logdet, np.clip(rho, -1, 1)


def keras_mvg_nll(h):
    """The same loss for Keras: y_pred = [mu (h) | raw L entries (h(h+1)/2)]. Labels that are
    not known are NaN: a sample with one known label contributes that label's marginal NLL
    (variance Sigma_jj = sum_k L_jk^2), a sample with none contributes 0 (with two hazards these
    are all the cases; for more, a sample must have all labels or one)."""
    from ..util.deps import require
    tf = require("tensorflow")

    def loss(y_true, y_pred):
        mu = y_pred[:, :h]
        raw = y_pred[:, h:]
        rows = []
        k = 0
        for i in range(h):
            row = []
            for j in range(h):
                if j < i:
                    row.append(raw[:, k + j])
                elif j == i:
                    row.append(tf.exp(raw[:, k + j]))
                else:
                    row.append(tf.zeros_like(raw[:, 0]))
            k += i + 1
            rows.append(tf.stack(row, axis=-1))
        L = tf.stack(rows, axis=1)
        y = tf.cast(y_true, y_pred.dtype)
        known = tf.math.logical_not(tf.math.is_nan(y))
        n_known = tf.reduce_sum(tf.cast(known, y.dtype), axis=1)
        d = tf.where(known, tf.where(known, y, tf.zeros_like(y)) - mu, tf.zeros_like(mu))
        z = tf.linalg.triangular_solve(L, tf.expand_dims(d, -1), lower=True)
        quad = 0.5 * tf.reduce_sum(tf.square(z), axis=[1, 2])
        logdiag = tf.reduce_sum(tf.math.log(tf.linalg.diag_part(L)), axis=1)
        full = quad + logdiag + 0.5 * h * math.log(2 * math.pi)
        var = tf.reduce_sum(tf.square(L), axis=2)  # Sigma_jj
        marg = 0.5 * tf.square(d) / var + 0.5 * tf.math.log(var) + 0.5 * math.log(2 * math.pi)
        single = tf.reduce_sum(tf.where(known, marg, tf.zeros_like(marg)), axis=1)
        return tf.where(n_known >= h, full, tf.where(n_known > 0, single, tf.zeros_like(full)))
    return loss


# -- beta calibration -------------------------------------------------------------------------
class BetaCalibration:
    """Beta calibration (Kull et al. 2017), the 'abm' family: logit(q) = a ln p - b ln(1-p) + c
    with a, b >= 0, fitted by logistic regression on [ln p, -ln(1-p)]; a coefficient that would
    be negative is dropped and the fit repeated, as the betacal package does."""

    def fit(self, p, y):
        from sklearn.linear_model import LogisticRegression
        p = np.clip(np.asarray(p, float), 1e-12, 1 - 1e-12)
        y = np.asarray(y).astype(int)
        X = np.column_stack([np.log(p), -np.log(1 - p)])
        lr = LogisticRegression(C=1e12, max_iter=10000, tol=1e-10).fit(X, y)
        a, b = lr.coef_[0]
        if a < 0 or b < 0:
            keep = 1 if a < 0 else 0
            lr = LogisticRegression(C=1e12, max_iter=10000, tol=1e-10).fit(X[:, [keep]], y)
            coef = [0.0, 0.0]
            coef[keep] = float(lr.coef_[0][0])
            a, b = coef
        self.a, self.b, self.c = float(a), float(b), float(lr.intercept_[0])
        return self

    def predict(self, p):
        p = np.clip(np.asarray(p, float), 1e-12, 1 - 1e-12)
        z = self.a * np.log(p) - self.b * np.log(1 - p) + self.c
        return 1 / (1 + np.exp(-z))


# -- tiles ------------------------------------------------------------------------------------
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


# -- bivariate classes ------------------------------------------------------------------------
def bivariate_codes(flood_levels, landslide_levels):
    """code = 5 * flood level + landslide level (levels 0..4 = VL..VH); -1 where either is
    missing."""
    f = np.asarray(flood_levels)
    s = np.asarray(landslide_levels)
    out = 5 * f + s
    return np.where((f < 0) | (s < 0), -1, out)


#: corners of the bivariate palette: both very low (light grey, not white, which reads as no
#: data), flood very high only (teal), landslide very high only (pink), both very high (deep
#: blue, far from black so the high-high cells stay apart)
BIVARIATE_CORNERS = {"low": (0xe8, 0xe8, 0xe8), "flood": (0x5a, 0xc8, 0xc8),
                     "landslide": (0xbe, 0x64, 0xac), "both": (0x3b, 0x49, 0x94)}


def bivariate_colors():
    """25 colours of the 5x5 bivariate palette (code = 5 * flood level + landslide level):
    bilinear between the four corners of BIVARIATE_CORNERS."""
    c = {k: np.array(v, float) for k, v in BIVARIATE_CORNERS.items()}
    out = []
    for code in range(25):
        f, s = (code // 5) / 4, (code % 5) / 4
        rgb = (c["low"] * (1 - f) * (1 - s) + c["flood"] * f * (1 - s)
               + c["landslide"] * (1 - f) * s + c["both"] * f * s)
        out.append("#" + "".join(f"{int(round(v)):02x}" for v in rgb))
    return out


def bivariate_label(code):
    return f"{LEVELS[code // 5]}-{LEVELS[code % 5]}"


# -- samples and zone-wise feature selection --------------------------------------------------
def split_three(labels, groups, shares=(0.8, 0.1, 0.1), seed=0):
    """'train'/'val'/'test' per sample, stratified by (group, label): within each stratum the
    samples are shuffled (seeded) and cut at the cumulative shares."""
    labels = np.asarray(labels)
    groups = np.asarray(groups).astype(str)
    rng = np.random.default_rng(seed)
    out = np.empty(len(labels), dtype=object)
    for g in np.unique(groups):
        for lab in np.unique(labels[groups == g]):
            idx = np.nonzero((groups == g) & (labels == lab))[0]
            idx = idx[rng.permutation(len(idx))]
            n = len(idx)
            n_tr = int(round(shares[0] * n))
            n_va = int(round(shares[1] * n))
            out[idx[:n_tr]] = "train"
            out[idx[n_tr:n_tr + n_va]] = "val"
            out[idx[n_tr + n_va:]] = "test"
    return out


def pearson_screen(X, names, r_max=0.7, categorical=None):
    """Drop one factor of each pair of continuous factors with |r| > r_max, in factor order
    (the later one goes): returns (kept names, {dropped: (kept partner, r)}). Categorical
    factors (``categorical[j]`` true) are not screened: a Pearson correlation of category codes
    means nothing (the FL-MHSM study screens continuous predictors); only a constant one is
    dropped."""
    X = np.asarray(X, float)
    cat = list(categorical) if categorical is not None else [False] * X.shape[1]
    sd = X.std(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(X, rowvar=False) if X.shape[1] > 1 else np.ones((1, 1))
    kept, dropped = [], {}
    for j, n in enumerate(names):
        if sd[j] == 0:
            dropped[n] = ("(constant)", float("nan"))
            continue
        if cat[j]:
            kept.append(n)
            continue
        partner = next((k for k in kept if not cat[names.index(k)]
                        and abs(r[names.index(k), j]) > r_max), None)
        if partner is None:
            kept.append(n)
        else:
            dropped[n] = (partner, float(r[names.index(partner), j]))
    return kept, dropped


SHAP_SAMPLE = 2000  # rows explained by SHAP in the zone-wise selection (the model sees all)


def shap_shares(X, y, seed=0, sample=SHAP_SAMPLE, with_used=False):
    """Share (%) of the mean |SHAP| of each column in an XGBoost model of y on X. The model is
    fitted on every row; SHAP explains a seeded sample of at most ``sample`` rows (0: all),
    so its cost stops growing with the samples (the shares move by about a percentage point
    at 2,000 rows: tests/core/multihazard/test_blocks.py). ``with_used`` also returns which
    columns the model splits on at all: a column's mean |SHAP| over the training rows is zero
    exactly when it splits on none, so that decides "zero" whatever the sample."""
    from ..util.deps import require
    xgb = require("xgboost")
    m = xgb.XGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.1, subsample=0.8,
                          random_state=seed, n_jobs=1, tree_method="hist").fit(X, y)
    rows = X
    if sample and len(X) > sample:
        rows = X[np.sort(np.random.default_rng(seed).choice(len(X), sample, replace=False))]
    contrib = m.get_booster().predict(xgb.DMatrix(rows), pred_contribs=True)[:, :-1]
    mean_abs = np.abs(contrib).mean(axis=0)
    tot = mean_abs.sum()
    shares = 100 * mean_abs / tot if tot > 0 else np.zeros(X.shape[1])
    if not with_used:
        return shares
    split_on = m.get_booster().get_score(importance_type="weight")  # {"f3": splits, ...}
    used = np.array([split_on.get(f"f{j}", 0) > 0 for j in range(X.shape[1])])
    return shares, used


def zone_feature_selection(X, hazard, label, zone, names, r_max=0.7, seed=0, min_samples=20,
                           categorical=None, shap_sample=SHAP_SAMPLE):
    """Per zone: Pearson screening of the continuous factors (categorical ones are reported
    as not screened), then a factor is dropped only if its SHAP share is zero for every
    hazard in that zone (:func:`shap_shares`, SHAP on at most ``shap_sample`` rows; zero
    decided on every row). Returns rows (zone, factor, kept, reason, shap shares) and
    {zone: kept factor names}."""
    X = np.asarray(X, float)
    cat = list(categorical) if categorical is not None else [False] * len(names)
    rows, kept_by_zone = [], {}
    for z in np.unique(zone):
        in_z = zone == z
        kept, dropped = pearson_screen(X[in_z], names, r_max, cat)
        cols = [names.index(n) for n in kept]
        shares, used = {}, {}
        for h in np.unique(hazard):
            sel = in_z & (hazard == h)
            if sel.sum() < min_samples or len(np.unique(label[sel])) < 2:
                continue
            sh, u = shap_shares(X[sel][:, cols], label[sel], seed, shap_sample, with_used=True)
            shares[h], used[h] = dict(zip(kept, sh)), dict(zip(kept, u))
        final = [n for n in kept if not used or any(u[n] for u in used.values())]
        kept_by_zone[str(z)] = final
        for n in names:
            row = {"zone": str(z), "factor": n, "kept": n in final}
            if n in dropped:
                p, r = dropped[n]
                row["reason"] = f"|r| = {abs(r):.2f} with {p}" if p != "(constant)" \
                    else "constant in the zone"
            elif n not in final:
                row["reason"] = "SHAP share 0 for every hazard"
            elif cat[names.index(n)]:
                row["reason"] = "categorical: not screened by Pearson's r"
            else:
                row["reason"] = ""
            for h, s in shares.items():
                row[f"shap_{h}_pct"] = float(s.get(n, float("nan")))
            rows.append(row)
    return rows, kept_by_zone


# -- Late Fusion ------------------------------------------------------------------------------
LF_SPACE = {"n_estimators": [100, 200, 400], "max_depth": [3, 4, 6, 8],
            "learning_rate": [0.03, 0.1, 0.3], "subsample": [0.7, 0.85, 1.0],
            "colsample_bytree": [0.7, 0.85, 1.0],
            # regularisation: without it the search's deep, fast trees saturate the map
            "min_child_weight": [1, 3, 10], "gamma": [0.0, 0.5, 2.0],
            "reg_lambda": [1.0, 5.0, 20.0]}


def train_late_fusion(X, y, seed=0, n_iter=10, cv=3):
    """One XGBoost classifier for one hazard (and zone): hyperparameters by randomized search
    with stratified k-fold CV (AUC) over n_estimators, max_depth, learning_rate, subsample,
    colsample_bytree, the regularisation min_child_weight, gamma and reg_lambda, and
    scale_pos_weight (1, or the absence/presence ratio). Returns
    (fitted best estimator, best parameters, best CV AUC)."""
    from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
    from ..util.deps import require
    xgb = require("xgboost")
    y = np.asarray(y).astype(int)
    n1, n0 = int(y.sum()), int((1 - y).sum())
    if min(n0, n1) < cv:
        raise InputError(f"{n1} presences and {n0} absences: too few for {cv}-fold "
                         f"cross-validation.", "SAMPLES")
    space = dict(LF_SPACE, scale_pos_weight=sorted({1.0, round(n0 / n1, 3)}))
    search = RandomizedSearchCV(
        xgb.XGBClassifier(random_state=seed, n_jobs=1, tree_method="hist",
                          eval_metric="logloss"),
        space, n_iter=n_iter, scoring="roc_auc", random_state=seed, refit=True,
        cv=StratifiedKFold(cv, shuffle=True, random_state=seed), n_jobs=1)
    search.fit(np.asarray(X, float), y)
    return search.best_estimator_, search.best_params_, float(search.best_score_)


# -- Early Fusion and the Mixture of Experts (Keras; run them in the worker inside QGIS) -------
def build_early_fusion(n_features, h=2, noise=0.01, dropout=0.10, lr=1e-3):
    """Gaussian noise on the inputs -> Dense 256 (GELU, LayerNorm) with a residual 256 block ->
    128 -> 64 (GELU, LayerNorm), dropout 0.1 -> linear outputs: h means and h(h+1)/2 entries
    of the lower-triangular L (diagonal in log space). Loss: the MVG negative log-likelihood."""
    import functools
    from ..util.deps import require
    keras = require("tensorflow").keras
    act = functools.partial(keras.activations.gelu, approximate=True)  # = gelu() below
    x_in = keras.Input((n_features,), name="factors")
    x = keras.layers.GaussianNoise(noise)(x_in)
    x = keras.layers.Dense(256, activation=act)(x)
    x = keras.layers.LayerNormalization(epsilon=LN_EPSILON)(x)
    r = keras.layers.Dense(256, activation=act)(x)
    x = keras.layers.LayerNormalization(epsilon=LN_EPSILON)(keras.layers.Add()([x, r]))
    x = keras.layers.Dropout(dropout)(x)
    for units in (128, 64):
        x = keras.layers.Dense(units, activation=act)(x)
        x = keras.layers.LayerNormalization(epsilon=LN_EPSILON)(x)
    # start from mu = 0 and L = 0.5 I (small output weights): without it the first steps are
    # spent undoing huge initial losses of a near-singular Sigma
    bias = np.zeros(h + n_chol(h), np.float32)
    bias[[h + i * (i + 1) // 2 + i for i in range(h)]] = math.log(0.5)
    out = keras.layers.Dense(h + n_chol(h), name="mvg", kernel_initializer=keras.initializers
                             .RandomNormal(stddev=1e-3),
                             bias_initializer=keras.initializers.Constant(bias))(x)
    model = keras.Model(x_in, out, name="early_fusion")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss=keras_mvg_nll(h))
    return model


def train_early_fusion(X, Y, Xval, Yval, seed=0, epochs=100, batch=256, patience=10,
                       feedback=None, cal_rows=None):
    """Fit the Early Fusion network on z-scored factors X and the hazards' labels Y (n, h);
    then beta-calibrate sigmoid(mu_h) on the validation split (on the rows ``cal_rows[h]`` of
    it when given). Returns (model, mean, std, calibrators, history)."""
    from ..util.deps import require
    from ..hnn.network import set_seed
    from ..util import nnfit
    from ..util.progress import as_feedback
    require("tensorflow")
    fb = as_feedback(feedback)
    mean, std = X.mean(axis=0), X.std(axis=0)
    std[std == 0] = 1.0
    set_seed(seed)
    model = build_early_fusion(X.shape[1], Y.shape[1])
    history = nnfit.fit(model, (X - mean) / std, Y, (Xval - mean) / std, Yval, epochs=epochs,
                        batch=batch, patience=patience, seed=seed, feedback=fb)
    fb.check()
    raw = model.predict((Xval - mean) / std, verbose=0)
    cal = []
    for j in range(Y.shape[1]):
        rows = np.ones(len(Yval), bool) if cal_rows is None else np.asarray(cal_rows[j])
        cal.append(BetaCalibration().fit(1 / (1 + np.exp(-raw[rows, j])), Yval[rows, j]))
    return model, mean, std, cal, history


def masked_bce(smoothing=0.05):
    """Binary cross-entropy with label smoothing, summed over the hazards whose label is known
    (NaN: unknown), per sample."""
    from ..util.deps import require
    tf = require("tensorflow")

    def loss(y_true, y_pred):
        y = tf.cast(y_true, y_pred.dtype)
        known = tf.math.logical_not(tf.math.is_nan(y))
        ys = tf.where(known, y, tf.zeros_like(y)) * (1 - smoothing) + 0.5 * smoothing
        p = tf.clip_by_value(y_pred, 1e-7, 1 - 1e-7)
        e = -(ys * tf.math.log(p) + (1 - ys) * tf.math.log(1 - p))
        return tf.reduce_sum(tf.where(known, e, tf.zeros_like(e)), axis=1)
    return loss


def build_gate(n_experts=2, h=2, smoothing=0.05, lr=1e-3):
    """The MoE gate on z = [p_LF(h...), p_EF(h...)]: Dense 32 ReLU, dropout 0.2, Dense 16 ReLU,
    dropout 0.1, Dense n_experts softmax = expert weights; p_MoE,h = sum_e w_e p_e,h; loss: binary
    cross-entropy with label smoothing summed over hazards. Returns (model giving p_MoE, model
    giving the weights; they share their layers)."""
    from ..util.deps import require
    tf = require("tensorflow")
    keras = tf.keras
    z_in = keras.Input((n_experts * h,), name="expert_probabilities")
    g = keras.layers.Dense(32, activation="relu")(z_in)
    g = keras.layers.Dropout(0.2)(g)
    g = keras.layers.Dense(16, activation="relu")(g)
    g = keras.layers.Dropout(0.1)(g)
    # zero output weights: the gate starts as the equal-weight ensemble and moves from there
    # only as far as the validation rows support
    w = keras.layers.Dense(n_experts, activation="softmax", name="weights",
                           kernel_initializer="zeros")(g)
    experts = keras.layers.Reshape((n_experts, h))(z_in)
    p = keras.layers.Dot(axes=(1, 1), name="moe")([w, experts])
    model = keras.Model(z_in, p, name="moe_gate")  # trained on p_MoE
    weights = keras.Model(z_in, w, name="moe_weights")  # the same layers, to read w
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss=masked_bce(smoothing))
    return model, weights


# -- inference without TensorFlow --------------------------------------------------------------
# The networks are small: their forward passes in numpy give the same numbers in every thread,
# process and Dask worker (TensorFlow's kernels change their summation order with the thread
# count), and mapping then needs neither TensorFlow nor its process isolation. They run in
# float64 and the maps are stored as float32: the last-bit differences of vectorised kernels
# (between batch sizes, and from one run to the next) vanish in that rounding. In float32 they
# do not: a float32 forward pass, twice as fast, gave a few pixels in a million a different
# last bit of the log-uncertainty between two runs of the same map. The Early Fusion pass
# works in buffers allocated once per call, not in fresh temporaries for every chunk.

GELU_C = math.sqrt(2 / math.pi)


def gelu(x, t=None):
    """GELU in its tanh form, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the form the
    network is trained with (an order of magnitude cheaper than erf on a whole raster),
    computed as x / (1 + exp(-2 u)), u = sqrt(2/pi) (x + 0.044715 x^3), the same function
    (0.5 (1 + tanh u) = 1 / (1 + exp(-2 u))) in less time: numpy's exp is vectorised where its
    tanh is not (2.5x on one array, 1.45x within a map's profile). ``t`` (as ``x``) receives
    the result when given."""
    if t is None:
        t = np.empty_like(x)
    np.multiply(x, x, out=t)
    t *= 0.044715
    t += 1.0
    t *= x
    t *= -2.0 * GELU_C
    with np.errstate(over="ignore", under="ignore"):  # far out in the tails: -0 and x
        np.exp(t, out=t)
    t += 1.0
    np.divide(x, t, out=t)
    return t


def _layer_norm(x, gamma, beta, eps=LN_EPSILON, m=None, v=None, tmp=None):
    """Layer normalisation of the rows of ``x`` (in place); ``m``, ``v`` (rows,) and ``tmp``
    (as ``x``) are optional workspaces."""
    if m is None:
        m, v, tmp = np.empty(len(x), x.dtype), np.empty(len(x), x.dtype), np.empty_like(x)
    np.add.reduce(x, axis=1, out=m)
    m /= x.shape[1]
    x -= m[:, None]
    np.multiply(x, x, out=tmp)
    np.add.reduce(tmp, axis=1, out=v)
    v /= x.shape[1]
    v += eps
    np.sqrt(v, out=v)
    np.divide(1.0, v, out=v)
    x *= v[:, None]
    x *= gamma
    x += beta
    return x


def early_fusion_forward(weights, Z, chunk=2048):
    """Raw outputs [mu | L entries] of the Early Fusion network (weights in Keras'
    ``get_weights`` order of :func:`build_early_fusion`) for z-scored inputs ``Z``, in float64,
    in chunks of rows that stay in the CPU cache, in buffers allocated once."""
    (k1, b1, g1, e1, k2, b2, g2, e2, k3, b3, g3, e3, k4, b4, g4, e4, k5, b5) = \
        [np.ascontiguousarray(w, np.float64) for w in weights]
    Z = np.asarray(Z)
    n = len(Z)
    out = np.empty((n, k5.shape[1]))
    c = max(1, min(chunk, n))
    zin = np.empty((c, k1.shape[0]))
    widths = {k.shape[1] for k in (k1, k2, k3, k4, k5)}
    a = {w: np.empty((c, w)) for w in widths}  # layer outputs
    b = {w: np.empty((c, w)) for w in widths}  # their activations / the residual sum
    t = {w: np.empty((c, w)) for w in widths}  # scratch
    m, v = np.empty(c), np.empty(c)

    def dense(x, k, bias, r):
        y = a[k.shape[1]][:r]
        np.matmul(x, k, out=y)
        y += bias
        return y

    def norm(x, g, e, r):
        return _layer_norm(x, g, e, LN_EPSILON, m[:r], v[:r], t[x.shape[1]][:r])

    for s in range(0, n, c):
        r = min(c, n - s)
        x_in = zin[:r]
        x_in[...] = Z[s:s + r]
        w1 = k1.shape[1]
        x = norm(gelu(dense(x_in, k1, b1, r), b[w1][:r]), g1, e1, r)  # in b[w1]
        y = gelu(dense(x, k2, b2, r), t[w1][:r])  # in t[w1]
        x += y
        x = norm(x, g2, e2, r)  # still b[w1]; t[w1] is scratch again
        for k, bias, g, e in ((k3, b3, g3, e3), (k4, b4, g4, e4)):
            x = norm(gelu(dense(x, k, bias, r), b[k.shape[1]][:r]), g, e, r)
        out[s:s + r] = dense(x, k5, b5, r)
    return out


def gate_forward(weights, z, h=2):
    """(p_MoE (n, h), expert weights (n, n_experts)) of the gate of :func:`build_gate`."""
    k1, b1, k2, b2, k3, b3 = [np.asarray(w, np.float64) for w in weights]
    z = np.asarray(z, np.float64)
    g = np.maximum(z @ k1 + b1, 0)
    g = np.maximum(g @ k2 + b2, 0)
    a = g @ k3 + b3
    a = np.exp(a - a.max(axis=1, keepdims=True))
    w = a / a.sum(axis=1, keepdims=True)
    experts = z.reshape(len(z), -1, h)
    return np.einsum("ne,neh->nh", w, experts), w
