"""The uncertainty of the Early Fusion network (FL-MHSM study, METHODS.md section 4): its outputs
are the mean and the Cholesky factor of a multivariate Gaussian over the hazards, trained by that
Gaussian's negative log-likelihood (in numpy and for Keras), read as a joint log-uncertainty and
an inter-hazard correlation; and the beta calibration of its probabilities."""
from __future__ import annotations

import math

import numpy as np


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
