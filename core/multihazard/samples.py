"""Multi-hazard samples (FL-MHSM study): per hazard, the presences, KDE-augmented presences and
one-class-SVM absences; every sample's contextual zone; a stratified 80/10/10 split per zone,
hazard and label of the real points, synthetic presences in the training split only."""
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
    ``zones_at(x, y)`` gives each point's zone name or None. Per hazard, the real presences are
    split first (80/10/10 per zone); round(kde_ratio x training presences) synthetic presences
    (augmented = 1) are drawn from a KDE of the training presences only, at least ``spacing``
    from every real presence, and all go to the training split: validation and test hold real
    points only (the FL-MHSM study augments the training data; METHODS 1.8 marks synthetic points so
    that evaluation can leave them out). round(absence_ratio x (presences + synthetic))
    absences, split 80/10/10 per zone. Samples outside every zone are left out (with a
    warning). Returns (x, y, columns) with columns hazard, label, augmented, sampler, zone,
    split (:func:`split_counts` tells what each split holds)."""
    stack.grid.check_distance(spacing, "SPACING", "spacing of the synthetic presences")
    fb = as_feedback(feedback)
    log = log or (lambda msg: None)
    warn = warn or log
    rng = np.random.default_rng(seed)
    parts = []  # (x, y, hazard, label, augmented, sampler, zone, split)
    dropped = 0

    def zones(x, y):
        return np.array([z if z is not None else "" for z in zones_at(x, y)], object) \
            if len(x) else np.empty(0, object)

    for h, (key, name) in enumerate(HAZARD_INPUTS):
        step = fb.sub(h / 2, (h + 1) / 2)
        pres = smp.locate_presences(stack, *inventories[name])
        if len(pres) < 3:
            raise InputError(f"Only {len(pres)} {name} presence(s) on valid pixels.", key)
        pz = zones(pres.x, pres.y)
        inside = pz != ""
        dropped += int((~inside).sum())
        psplit = np.full(len(pres), "", object)
        psplit[inside] = split_three(np.ones(int(inside.sum()), int), pz[inside], seed=seed + h)
        train = psplit == "train"
        n_kde = int(round(kde_ratio * int(train.sum())))
        kx = ky = np.empty(0)
        if n_kde:
            if train.sum() < 3:
                raise InputError(f"Only {int(train.sum())} {name} presence(s) in the training "
                                 f"split inside the zones: KDE augmentation needs 3.", key)
            tr = smp.Presences(pres.x[train], pres.y[train], pres.flat, pres.values[train])
            kx, ky = smp.kde_augment(stack, tr, n_kde, rng, spacing, feedback=step.sub(0, 0.4),
                                     keep_away=np.column_stack([pres.x[~train],
                                                                pres.y[~train]]))
        n_abs = int(round(absence_ratio * (len(pres) + n_kde)))
        ax, ay, _, _, _ = smp.ocsvm_absences(stack, pres, n_abs, rng, min_distance, nu,
                                             feedback=step.sub(0.4, 1.0))
        kz, az = zones(kx, ky), zones(ax, ay)
        asplit = np.full(len(ax), "", object)
        ain = az != ""
        asplit[ain] = split_three(np.zeros(int(ain.sum()), int), az[ain], seed=seed + 10 + h)
        dropped += int((kz == "").sum() + (~ain).sum())
        for x, y, lab, aug, samp, z, sp in (
                (pres.x, pres.y, 1, 0, "presence", pz, psplit),
                (kx, ky, 1, 1, "kde", kz, np.full(len(kx), "train", object)),
                (ax, ay, 0, 0, "ocsvm", az, asplit)):
            keep = z != ""
            n = int(keep.sum())
            parts.append((x[keep], y[keep], np.full(n, name, object), np.full(n, lab),
                          np.full(n, aug), np.full(n, samp, object), z[keep], sp[keep]))
        log(f"{name}: {len(pres)} presences, {n_kde} synthetic (from the training presences), "
            f"{n_abs} absences")
    x, y, hazard, label, augmented, sampler, zone, split = (np.concatenate(c) for c in
                                                            zip(*parts))
    if dropped:
        warn(f"{dropped} sample(s) outside every zone were left out.")
    for z in sorted(set(zone)):
        for _, name in HAZARD_INPUTS:
            if not ((zone == z) & (hazard == name) & (label == 1)).any():
                warn(f"Zone {z} holds no {name} presence: its {name} models will fall back to "
                     f"all zones.")
    cols = dict(hazard=hazard.astype(str), label=label.astype(int),
                augmented=augmented.astype(int), sampler=sampler.astype(str),
                zone=zone.astype(str), split=split.astype(str))
    return x, y, cols


def split_counts(hazard, label, augmented, split):
    """Rows (hazard, split, presences, synthetic, absences): what each split holds."""
    hazard, split = np.asarray(hazard).astype(str), np.asarray(split).astype(str)
    label, augmented = np.asarray(label).astype(int), np.asarray(augmented).astype(int)
    rows = []
    for h in sorted(set(hazard)):
        for sp in ("train", "val", "test"):
            m = (hazard == h) & (split == sp)
            rows.append(dict(hazard=h, split=sp,
                             presences=int((m & (label == 1) & (augmented == 0)).sum()),
                             synthetic=int((m & (label == 1) & (augmented == 1)).sum()),
                             absences=int((m & (label == 0)).sum())))
    return rows
