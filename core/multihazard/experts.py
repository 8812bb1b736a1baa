"""The experts of the FL-MHSM study's Mixture of Experts and their gate (METHODS.md section 4),
each built and fitted on its own: Late Fusion (an XGBoost classifier per hazard, randomized
search), Early Fusion (the multivariate-Gaussian network, beta-calibrated) and the gate. The
Keras parts run in the worker process inside QGIS; :mod:`.forward` applies the networks in
numpy."""
from __future__ import annotations

import math

import numpy as np

from ..util.errors import InputError
from .forward import LN_EPSILON
from .uncertainty import BetaCalibration, keras_mvg_nll, n_chol


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
    act = functools.partial(keras.activations.gelu, approximate=True)  # = forward.gelu()
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


def stopping_rows(n, holdout, seed):
    """(rows fitted on, rows early stopping watches) of ``n`` training rows: a seeded
    ``holdout`` share of them, in order; (all rows, None) when the share is 0 or leaves
    either side empty."""
    n_stop = int(round(holdout * n))
    if not (holdout > 0 and 1 <= n_stop < n):
        return np.arange(n), None
    order = np.random.default_rng([seed, 7]).permutation(n)
    return np.sort(order[n_stop:]), np.sort(order[:n_stop])


def train_early_fusion(X, Y, Xval, Yval, seed=0, epochs=100, batch=256, patience=10,
                       feedback=None, cal_rows=None, holdout=0.0):
    """Fit the Early Fusion network on z-scored factors X and the hazards' labels Y (n, h);
    then beta-calibrate sigmoid(mu_h) on the validation split (on the rows ``cal_rows[h]`` of
    it when given). Early stopping watches the validation split (``holdout`` 0, the FL-MHSM
    study) or a seeded ``holdout`` share of the training rows, which the network is then not
    fitted on: the validation split of a zone is small (a few hundred rows), the gate weighs
    the network on those same rows, and an epoch chosen by chance on them is kept.
    Returns (model, mean, std, calibrators, history)."""
    from ..util.deps import require
    from ..util.nnfit import set_seed
    from ..util import nnfit
    from ..util.progress import as_feedback
    require("tensorflow")
    fb = as_feedback(feedback)
    mean, std = X.mean(axis=0), X.std(axis=0)
    std[std == 0] = 1.0
    set_seed(seed)
    model = build_early_fusion(X.shape[1], Y.shape[1])
    Z, Zval = (X - mean) / std, (Xval - mean) / std
    fit, stop = stopping_rows(len(X), holdout, seed)
    history = nnfit.fit(model, Z[fit], Y[fit], Zval if stop is None else Z[stop],
                        Yval if stop is None else Y[stop], epochs=epochs, batch=batch,
                        patience=patience, seed=seed, feedback=fb)
    fb.check()
    raw = model.predict(Zval, verbose=0)
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
