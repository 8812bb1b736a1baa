"""The binomial GLM (Aguilera et al.'s (2022) baseline): unpenalised logistic regression on
z-scores. In a model file it is its scaling and coefficients (``glm/...``); its importance is
|standardised coefficient|; no SHAP; its prediction spread comes from one model per fold; the
report gives its equation in the factors' own units."""
from __future__ import annotations

import numpy as np

from ...io.modelfile import ModelFileError
from .base import ModelKind


class Glm(ModelKind):
    name = "glm"
    display = "logistic GLM"
    help = "the binomial GLM (logistic regression on z-scores, Aguilera et al.'s (2022) baseline)"
    # C so large that the ridge term is below the last digit of the log-likelihood
    defaults = {"C": 1e12, "max_iter": 200}
    importance_name = "|standardised coefficient|"

    def make(self, p, seed, n_jobs):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        # Newton steps to a tight tolerance: the maximum-likelihood fit of the binomial GLM
        # (lbfgs at its default tolerance had stopped 0.1-2 % off it)
        return make_pipeline(StandardScaler(), LogisticRegression(
            C=float(p["C"]), max_iter=int(p["max_iter"]), solver="newton-cholesky", tol=1e-12))

    def arrays(self, estimator, prefix=""):
        scaler, glm = estimator[0], estimator[-1]
        return {f"{prefix}glm/mean": scaler.mean_, f"{prefix}glm/scale": scaler.scale_,
                f"{prefix}glm/var": scaler.var_, f"{prefix}glm/coef": glm.coef_,
                f"{prefix}glm/intercept": glm.intercept_}, {}

    def rebuild(self, mf, spec, where, prefix=""):
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        C = spec.n_columns
        arrs = {k: mf.array(f"{prefix}glm/{k}", "f", len(shape), shape).astype(np.float64)
                for k, shape in
                (("mean", (C,)), ("scale", (C,)), ("var", (C,)), ("coef", (1, C)),
                 ("intercept", (1,)))}
        if not all(np.isfinite(a).all() for a in arrs.values()) or (arrs["scale"] <= 0).any():
            raise ModelFileError(f"The GLM's scaling or coefficients are not finite and "
                                 f"positive: the {mf.manifest.LABEL} is damaged or altered; "
                                 f"refused.")
        scaler, glm = StandardScaler(), LogisticRegression()
        scaler.mean_, scaler.scale_, scaler.var_ = arrs["mean"], arrs["scale"], arrs["var"]
        scaler.n_features_in_, scaler.n_samples_seen_ = C, 0
        glm.coef_, glm.intercept_ = arrs["coef"], arrs["intercept"]
        glm.classes_, glm.n_features_in_, glm.n_iter_ = np.array(spec.classes), C, np.array([0])
        return make_pipeline(scaler, glm)

    def column_importance(self, estimator):
        return np.abs(np.asarray(estimator[-1].coef_[0], float))

    def describe(self, params):
        return "unpenalised (binomial GLM on standardised factors)"

    def coefficients(self, estimator, columns):
        """Rows (column, coefficient per unit, standardised coefficient) and the intercept,
        from the z-score pipeline back to the factors' own units: b_j = g_j / s_j and
        b_0 = g_0 - sum(g_j m_j / s_j) (m, s: the training means and deviations)."""
        scaler, lr = estimator.steps[0][1], estimator.steps[-1][1]
        g, g0 = lr.coef_[0], float(lr.intercept_[0])
        mean, scale = scaler.mean_, scaler.scale_
        b = g / scale
        b0 = g0 - float(np.sum(g * mean / scale))
        rows = [{"column": c, "coefficient": float(bj), "standardised": float(gj)}
                for c, bj, gj in zip(columns, b, g)]
        return rows, b0


KIND = Glm()
