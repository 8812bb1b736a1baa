"""The HNN's TensorFlow work, run in the worker process (core.util.worker): training with an
optional architecture search, one network per configuration (the loss-weight and ablation
experiments), and prediction from a model file."""
from __future__ import annotations

import typing
from dataclasses import dataclass, field

import numpy as np

from ..util.nnfit import set_seed
from ..util.worker import Job
from .cost import check_training
from .evaluation import evaluate, glm_baseline
from .modelfile import load_hnn, save_hnn
from .network import Architecture, dropout_spread, predict
from .search import monte_carlo_search
from .training import train_hnn


@dataclass
class _Training(Job):
    """What every network trained here is given: the size classes, the architecture, early
    stopping and the seed; the arrays are the features X, the classes and the test units."""

    ARRAYS = ("X", "classes", "test")

    n_classes: int
    arch: Architecture
    epochs: int
    patience: int
    val_share: float
    seed: int

    def _check(self, a, trials=0, repeats=1, n_networks=1):
        X = np.asarray(a["X"])
        test_share = len(a["test"]) / max(1, len(X))
        return check_training(len(X), X.shape[1], a["classes"], self.arch, self.epochs,
                              self.val_share, test_share, trials, repeats, n_networks)


@dataclass
class TrainHnn(_Training):
    """Train (after a Monte Carlo search of ``trials`` architectures when trials > 0), evaluate
    on the test units, write the model file, and predict every unit."""

    OP = "hnn.train"

    alpha: float
    model_path: str
    features: list[str]
    crs_authid: str = ""
    trials: int = 0
    repeats: int = 1

    def check(self, a):
        return self._check(a, self.trials, self.repeats)

    def run(self, a, fb):
        X, classes, test = a["X"], a["classes"].astype(int), a["test"].astype(int)
        arch, search = self.arch, []
        if self.trials:
            arch, search = monte_carlo_search(
                X, classes, self.n_classes, self.trials, self.repeats, self.alpha, self.epochs,
                self.patience, self.seed, test, fb.sub(0, 0.5))
        res = train_hnn(X, classes, self.n_classes, arch, self.alpha, self.epochs,
                        self.patience, self.val_share, test, self.seed,
                        feedback=fb.sub(0.5 if search else 0, 0.95))
        ev, pb_t, pc_t = evaluate(res, X, classes, test)
        glm_auc, glm_p = glm_baseline(X, classes, res.train_idx, test, self.seed)
        save_hnn(self.model_path, res, self.features, self.seed, X[res.train_idx],
                 crs_authid=self.crs_authid,
                 glm_auc=glm_auc, metrics={k: v for k, v in ev.items() if k != "confusion"})
        pb, pc = predict(res, X)
        fb.report(1.0)
        return ({"metrics": ev, "history": res.history, "arch": res.arch.to_json(),
                 "smote": res.smote_counts, "search": search, "glm_auc": glm_auc},
                {"pb": pb, "pc": pc, "pb_test": pb_t, "pc_test": pc_t, "glm_p": glm_p,
                 "train_idx": res.train_idx})


@dataclass
class Config:
    """One network of an experiment: its loss weight and the feature columns it sees."""

    alpha: float
    cols: typing.Optional[list[int]] = None


@dataclass
class EvaluateHnns(_Training):
    """Train and evaluate one network per configuration on the same split."""

    OP = "hnn.evaluate_many"

    configs: list[Config] = field(default_factory=list)

    def check(self, a):
        return self._check(a, n_networks=max(1, len(self.configs)))

    def run(self, a, fb):
        X, classes, test = a["X"], a["classes"].astype(int), a["test"].astype(int)
        out, n = [], len(self.configs)
        for k, cfg in enumerate(self.configs):
            Xc = X if cfg.cols is None else X[:, cfg.cols]
            res = train_hnn(Xc, classes, self.n_classes, self.arch, cfg.alpha, self.epochs,
                            self.patience, self.val_share, test, self.seed,
                            feedback=fb.sub(k / n, (k + 1) / n))
            ev, _, _ = evaluate(res, Xc, classes, test)
            ev.pop("confusion", None)
            out.append(ev)
        return {"results": out}, {}


@dataclass
class PredictHnn(Job):
    """P(landslide) and P(class) of every unit from a model file."""

    OP = "hnn.predict"
    ARRAYS = ("X",)

    model_path: str
    passes: int = 0  # Monte Carlo dropout passes for the spread of P(landslide) (0: none)
    seed: int = 0

    def run(self, a, fb):
        set_seed(self.seed)  # before the network is built: its dropout layers' seeds
        model, man = load_hnn(self.model_path)
        mean, std = np.array(man.mean), np.array(man.std)
        pb, pc = predict(model, a["X"], mean, std)
        out = {"pb": pb, "pc": pc}
        if self.passes:
            out["spread"] = dropout_spread(model, a["X"], mean, std, self.passes, self.seed)
        return {"features": man.features, "n_classes": man.n_classes}, out
