"""Multi-hazard samples (paper 002): per hazard, the presences, KDE-augmented presences and
one-class-SVM absences; every sample's contextual zone; a stratified 80/10/10 split per zone,
hazard and label."""
from __future__ import annotations

import numpy as np

from ..sampling import samplers as smp
from ..util.errors import InputError
from ..util.progress import as_feedback
from .blocks import split_three

HAZARD_INPUTS = (("FLOODS", "flood"), ("LANDSLIDES", "landslide"))


def multihazard_samples(stack, inventories, zones_at, seed=0, kde_ratio=1.5, spacing=100.0,
                        absence_ratio=1.0, min_distance=100.0, nu=0.1, feedback=None, log=None,
                        warn=None):
    """``inventories`` {hazard: (x, y)} in the stack's CRS (flood, then landslide);
    ``zones_at(x, y)`` gives each point's zone name or None. Per hazard: round(kde_ratio x
    presences) synthetic presences (augmented = 1), round(absence_ratio x all presences)
    absences. Samples outside every zone are left out (with a warning). Returns (x, y, columns)
    with columns hazard, label, augmented, sampler, zone, split."""
    stack.grid.check_distance(spacing, "SPACING", "spacing of the synthetic presences")
    fb = as_feedback(feedback)
    log = log or (lambda msg: None)
    warn = warn or log
    rng = np.random.default_rng(seed)
    cols = {k: [] for k in ("x", "y", "hazard", "label", "augmented", "sampler")}
    for h, (key, name) in enumerate(HAZARD_INPUTS):
        step = fb.sub(h / 2, (h + 1) / 2)
        pres = smp.locate_presences(stack, *inventories[name])
        if len(pres) < 3:
            raise InputError(f"Only {len(pres)} {name} presence(s) on valid pixels.", key)
        n_kde = int(round(kde_ratio * len(pres)))
        kx = ky = np.empty(0)
        if n_kde:
            kx, ky = smp.kde_augment(stack, pres, n_kde, rng, spacing, feedback=step.sub(0, 0.4))
        n_abs = int(round(absence_ratio * (len(pres) + n_kde)))
        ax, ay, _, _, _ = smp.ocsvm_absences(stack, pres, n_abs, rng, min_distance, nu,
                                             feedback=step.sub(0.4, 1.0))
        for x, y, lab, aug, samp in ((pres.x, pres.y, 1, 0, "presence"),
                                     (kx, ky, 1, 1, "kde"), (ax, ay, 0, 0, "ocsvm")):
            cols["x"].append(x)
            cols["y"].append(y)
            cols["hazard"].append(np.full(len(x), name, object))
            cols["label"].append(np.full(len(x), lab))
            cols["augmented"].append(np.full(len(x), aug))
            cols["sampler"].append(np.full(len(x), samp, object))
        log(f"{name}: {len(pres)} presences, {n_kde} synthetic, {n_abs} absences")
    cols = {k: np.concatenate(v) for k, v in cols.items()}
    zone = np.array([z if z is not None else "" for z in zones_at(cols["x"], cols["y"])],
                    object)
    outside = zone == ""
    if outside.any():
        warn(f"{int(outside.sum())} sample(s) outside every zone were left out.")
    cols = {k: v[~outside] for k, v in cols.items()}
    zone = zone[~outside]
    for z in sorted(set(zone)):
        for _, name in HAZARD_INPUTS:
            if not ((zone == z) & (cols["hazard"] == name) & (cols["label"] == 1)).any():
                warn(f"Zone {z} holds no {name} presence: its {name} models will fall back to "
                     f"all zones.")
    split = split_three(cols["label"], np.array([f"{z}|{h}" for z, h in
                                                 zip(zone, cols["hazard"])]), seed=seed)
    x, y = cols.pop("x"), cols.pop("y")
    cols.update(zone=zone.astype(str), split=split.astype(str))
    cols["hazard"] = cols["hazard"].astype(str)
    cols["sampler"] = cols["sampler"].astype(str)
    return x, y, cols
