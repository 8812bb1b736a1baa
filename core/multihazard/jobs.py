"""The multi-hazard TensorFlow work, run in the worker process (core.util.worker): training
the model set and writing its bundle."""
from __future__ import annotations

import typing
from dataclasses import dataclass

from ..util.worker import Job
from . import training


@dataclass
class TrainMultiHazard(Job):
    """Train the model set (training.train) and write the bundle (training.save_bundle)."""

    OP = "multihazard.train"
    ARRAYS = ("X", "hazard", "label", "zone", "split", "x", "y", "augmented")

    names: list[str]
    categorical: list[bool]
    bundle_path: str
    seed: int
    radius: float
    min_samples: int
    min_val: int
    n_iter: int
    ef_epochs: int
    gate_epochs: int
    patience: int
    batch: int
    features_by_zone: typing.Optional[dict[str, list[str]]] = None
    crs_wkt: str = ""
    algorithm: str = ""
    zone_mode: str = "paper"
    shrink_k: float = training.SHRINK_K
    ef_holdout: float = training.EF_HOLDOUT

    def run(self, a, fb):
        res = training.train(
            a["X"], self.names, self.categorical, a["hazard"], a["label"], a["zone"],
            a["split"], a["x"], a["y"], self.features_by_zone, radius=self.radius,
            min_samples=self.min_samples, min_val=self.min_val, seed=self.seed,
            n_iter=self.n_iter, ef_epochs=self.ef_epochs, gate_epochs=self.gate_epochs,
            patience=self.patience, batch=self.batch, feedback=fb.sub(0, 0.98),
            augmented=a["augmented"], zone_mode=self.zone_mode, shrink_k=self.shrink_k,
            ef_holdout=self.ef_holdout)
        training.save_bundle(self.bundle_path, res, seed=self.seed, crs_wkt=self.crs_wkt,
                             algorithm=self.algorithm)
        return ({"metrics": res.metrics, "notes": res.notes, "sources": res.sources,
                 "counts": res.counts,
                 "history": {k: s.history for k, s in res.sets.items()},
                 "lf_params": {k: s.lf_params for k, s in res.sets.items()},
                 "features": {k: [res.names[i] for i in s.features]
                              for k, s in res.sets.items()}}, dict(res.test_predictions))
