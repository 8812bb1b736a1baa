"""XGBoost (gradient-boosted trees), as in the FL-MHSM study's search space centre. In a
model file it is XGBoost's own JSON (``booster``); its prediction spread comes from one model
per cross-validation fold; SHAP values are XGBoost's exact TreeSHAP, in log-odds.

(The module is not called ``xgboost`` so that it can never stand for the package.)
"""
from __future__ import annotations

from ...io.modelfile import ModelFileError
from ...util.deps import require
from .base import ModelKind


class XGBoost(ModelKind):
    name = "xgboost"
    display = "XGBoost"
    help = ("XGBoost (the FL-MHSM study; default 300 trees, depth 6, learning rate 0.1, "
            "subsample and column sample 0.8)")
    # XGBoost as in the FL-MHSM study's search space centre
    defaults = {"n_estimators": 300, "max_depth": 6, "learning_rate": 0.1, "subsample": 0.8,
                "colsample_bytree": 0.8}
    trees = True
    shap_unit = "log-odds"
    importance_name = "gain"

    def make(self, p, seed, n_jobs):
        xgb = require("xgboost")
        return xgb.XGBClassifier(
            n_estimators=int(p["n_estimators"]), max_depth=int(p["max_depth"]),
            learning_rate=float(p["learning_rate"]), subsample=float(p["subsample"]),
            colsample_bytree=float(p["colsample_bytree"]), random_state=seed, n_jobs=n_jobs,
            tree_method="hist", eval_metric="logloss")

    def arrays(self, estimator, prefix=""):
        return {}, {f"{prefix}booster": bytes(estimator.get_booster().save_raw(
            raw_format="json"))}

    def rebuild(self, mf, spec, where, prefix=""):
        return xgboost_from_json(mf.blob(f"{prefix}booster"), spec.n_columns, where)

    def shap_values(self, estimator, X):
        xgb = require("xgboost")
        return estimator.get_booster().predict(xgb.DMatrix(X), pred_contribs=True)[:, :-1]


def xgboost_from_json(data, n_columns, where, advice=""):
    """An XGBClassifier rebuilt from XGBoost's own JSON (a model file's member), refused unless
    it is a binary classifier over ``n_columns`` columns."""
    xgb = require("xgboost")
    est = xgb.XGBClassifier()
    try:
        est.load_model(bytearray(data))
    except (xgb.core.XGBoostError, ValueError) as exc:
        raise ModelFileError(f"The XGBoost model in {where} is damaged ({exc}). {advice}")
    if est.n_features_in_ != n_columns or est.n_classes_ != 2:
        raise ModelFileError(f"The XGBoost model in {where} does not fit its manifest "
                             f"({est.n_features_in_} columns, {n_columns} expected): refused. "
                             f"{advice}")
    return est


KIND = XGBoost()
