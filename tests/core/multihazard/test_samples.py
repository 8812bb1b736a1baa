"""Multi-hazard samples on a synthetic stack: the counts the method fixes, zones and splits."""
import numpy as np
import pytest

from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid
from hazard_susceptibility.core.multihazard.samples import multihazard_samples, split_three
from hazard_susceptibility.core.util.errors import InputError
from tests.helpers import write_raster

X0, Y0 = 700000.0, 9500000.0


def _stack(tmp_path):
    rng = np.random.default_rng(0)
    t = (X0, 10, 0, Y0, 0, -10)
    paths = [write_raster(tmp_path / f"{n}.tif", rng.normal(size=(80, 100)), t) for n in "ab"]
    return AlignedStack([Band(p, 1, n) for p, n in zip(paths, "ab")], Grid.from_path(paths[0]))


def _points(rng, n, col_lo, col_hi):
    cells = rng.choice(80 * (col_hi - col_lo), n, replace=False)
    return (X0 + (col_lo + cells % (col_hi - col_lo) + 0.5) * 10,
            Y0 - (cells // (col_hi - col_lo) + 0.5) * 10)


def test_counts_zones_and_a_stratified_split(tmp_path):
    rng = np.random.default_rng(1)
    inv = {"flood": _points(rng, 40, 0, 100), "landslide": _points(rng, 30, 0, 100)}

    def zones_at(x, y):  # west and east; the last 10 columns are in no zone
        return ["west" if v < X0 + 500 else "east" if v < X0 + 900 else None for v in x]

    warnings = []
    with _stack(tmp_path) as st:
        x, y, cols = multihazard_samples(st, inv, zones_at, seed=3, kde_ratio=1.5, spacing=20,
                                         absence_ratio=1.0, min_distance=20, warn=warnings.append,
                                         absences="ocsvm_xy")
        again = multihazard_samples(st, inv, zones_at, seed=3, kde_ratio=1.5, spacing=20,
                                    absence_ratio=1.0, min_distance=20, absences="ocsvm_xy")
    np.testing.assert_array_equal(x, again[0])
    assert list(cols["split"]) == list(again[2]["split"])
    inside = np.array([z is not None for z in zones_at(x, y)])
    assert inside.all() and set(cols["zone"]) == {"west", "east"}
    assert any("outside every zone" in w for w in warnings)
    # before the zones cut: 40 presences, 60 synthetic, 100 absences for floods; 30, 45, 75
    for name, n in (("flood", 40), ("landslide", 30)):
        h = cols["hazard"] == name
        kept = {s: int((h & (cols["sampler"] == s)).sum()) for s in ("presence", "kde", "ocsvm")}
        assert kept["presence"] <= n and kept["kde"] <= round(1.5 * n)
        assert kept["ocsvm"] <= round(2.5 * n)
        assert sum(kept.values()) > 0.8 * 3.5 * n  # the 10 % strip holds few samples
        assert (cols["label"][h & (cols["sampler"] == "ocsvm")] == 0).all()
        assert (cols["augmented"][h] == (cols["sampler"][h] == "kde")).all()
    # 80/10/10 of the real points within each zone, hazard and label
    real = cols["augmented"] == 0
    for z in ("west", "east"):
        for name in ("flood", "landslide"):
            for lab in (0, 1):
                s = cols["split"][(cols["zone"] == z) & (cols["hazard"] == name) &
                                  (cols["label"] == lab) & real]
                if len(s) >= 20:
                    assert (s == "train").mean() == pytest.approx(0.8, abs=0.06)
                    assert (s == "test").mean() == pytest.approx(0.1, abs=0.06)


def test_synthetic_presences_only_in_training_and_away_from_held_out_ones(tmp_path):
    """The real presences are split first; the KDE sees the training presences only and its
    points all go to training, at least the spacing from every held-out presence."""
    from scipy.spatial import cKDTree
    from hazard_susceptibility.core.multihazard.samples import split_counts
    rng = np.random.default_rng(4)
    inv = {"flood": _points(rng, 50, 0, 100), "landslide": _points(rng, 40, 0, 100)}
    with _stack(tmp_path) as st:
        x, y, cols = multihazard_samples(st, inv, lambda x, y: ["z"] * len(x), seed=5,
                                         kde_ratio=2.0, spacing=15, min_distance=15,
                                         absence_ratio=1.0, absences="ocsvm_xy")
    syn = cols["augmented"] == 1
    assert syn.any() and set(cols["split"][syn]) == {"train"}
    for name, n in (("flood", 50), ("landslide", 40)):
        h = cols["hazard"] == name
        real_p = h & (cols["label"] == 1) & ~syn
        n_train = int((real_p & (cols["split"] == "train")).sum())
        assert n_train == round(0.8 * n)
        assert int((h & syn).sum()) == round(2.0 * n_train)  # from the training presences only
        held = real_p & (cols["split"] != "train")
        d, _ = cKDTree(np.column_stack([x[held], y[held]])).query(
            np.column_stack([x[h & syn], y[h & syn]]))
        assert d.min() >= 15
    rows = {(r["hazard"], r["split"]): r for r in split_counts(
        cols["hazard"], cols["label"], cols["augmented"], cols["split"])}
    assert rows[("flood", "test")]["synthetic"] == 0 == rows[("landslide", "val")]["synthetic"]
    assert rows[("flood", "train")]["synthetic"] == round(2.0 * round(0.8 * 50))
    assert rows[("flood", "test")]["presences"] == 5


def test_too_few_presences_names_the_inventory(tmp_path):
    rng = np.random.default_rng(2)
    inv = {"flood": _points(rng, 10, 0, 100), "landslide": _points(rng, 2, 0, 100)}
    with _stack(tmp_path) as st, pytest.raises(InputError) as e:
        multihazard_samples(st, inv, lambda x, y: ["z"] * len(x), seed=1)
    assert e.value.input_name == "LANDSLIDES"


@pytest.mark.parametrize("method", ["ocsvm_xy", "ocsvm_factors", "buffer_random",
                                    "mahalanobis"])
def test_every_absence_method_draws_its_count_away_from_the_presences(tmp_path, method):
    from scipy.spatial import cKDTree
    from hazard_susceptibility.core.io.raster import sample_at
    from hazard_susceptibility.core.multihazard.samples import ABSENCE_METHODS
    rng = np.random.default_rng(7)
    inv = {"flood": _points(rng, 30, 0, 100), "landslide": _points(rng, 25, 0, 100)}
    with _stack(tmp_path) as st:
        x, y, cols = multihazard_samples(st, inv, lambda x, y: ["z"] * len(x), seed=2,
                                         kde_ratio=0.0, min_distance=25, absences=method,
                                         absence_ratio=1.0)
        X = sample_at(st, x, y)
    for name, n in (("flood", 30), ("landslide", 25)):
        h = cols["hazard"] == name
        ab = h & (cols["label"] == 0)
        assert int(ab.sum()) == n  # 1 absence per presence, no synthetic ones
        assert set(cols["sampler"][ab]) == {ABSENCE_METHODS[method][0]}
        pres = np.column_stack(inv[name])
        d, _ = cKDTree(pres).query(np.column_stack([x[ab], y[ab]]))
        assert d.min() >= 25
    if method == "mahalanobis":  # beyond the chi-square critical value of the presences
        from hazard_susceptibility.core.sampling.samplers import (mahalanobis_d2,
                                                                   mahalanobis_model)
        with _stack(tmp_path) as st:
            P = sample_at(st, *inv["flood"])
        m = mahalanobis_model(P, ["a", "b"], allow_pinv=True)
        fl = (cols["hazard"] == "flood") & (cols["label"] == 0)
        assert (mahalanobis_d2(m, X[fl]) > m.critical).all()


def test_unknown_absence_method_is_named(tmp_path):
    rng = np.random.default_rng(2)
    inv = {"flood": _points(rng, 10, 0, 100), "landslide": _points(rng, 10, 0, 100)}
    with _stack(tmp_path) as st, pytest.raises(InputError) as e:
        multihazard_samples(st, inv, lambda x, y: ["z"] * len(x), seed=1, absences="nearby")
    assert e.value.input_name == "ABSENCES"


def test_held_out_inventories_are_whole_blocks():
    from hazard_susceptibility.core.multihazard.samples import split_held_out
    rng = np.random.default_rng(3)
    inv = {"flood": (rng.uniform(0, 10000, 300), rng.uniform(0, 10000, 300)),
           "landslide": (rng.uniform(0, 10000, 200), rng.uniform(0, 10000, 200))}
    train, held = split_held_out(inv, 0.2, seed=4, block_size=2000.0)
    for h, (x, y) in inv.items():
        assert len(train[h][0]) + len(held[h][0]) == len(x)
        assert len(held[h][0]) == pytest.approx(0.2 * len(x), abs=0.08 * len(x))
        blocks = {tuple(b) for b in np.floor(np.column_stack(held[h]) / 2000.0).astype(int)}
        kept = {tuple(b) for b in np.floor(np.column_stack(train[h]) / 2000.0).astype(int)}
        assert not blocks & kept  # no block split between the two
    again = split_held_out(inv, 0.2, seed=4, block_size=2000.0)[1]
    np.testing.assert_array_equal(again["flood"][0], held["flood"][0])
    train0, held0 = split_held_out(inv, 0.0)
    assert len(held0["flood"][0]) == 0 and len(train0["flood"][0]) == 300


def test_caution_names_the_separating_samplers():
    from hazard_susceptibility.core.multihazard.samples import separating_caution
    text = separating_caution(["presence", "ocsvm", "ocsvm", "kde"], [1, 0, 0, 1], "0.9")
    assert "2 absences from 'ocsvm'" in text and "optimistic" in text
    assert separating_caution(["presence", "other"], [1, 0]) is None


def test_split_three_is_stratified_by_zone_and_label():
    labels = np.r_[np.ones(100), np.zeros(100), np.ones(50), np.zeros(50)]
    zones = np.r_[np.full(200, "a"), np.full(100, "b")]
    s = split_three(labels, zones, seed=0)
    for z, n in (("a", 100), ("b", 50)):
        for lab in (0, 1):
            sel = (zones == z) & (labels == lab)
            assert (s[sel] == "train").sum() == round(0.8 * n)
            assert (s[sel] == "val").sum() == round(0.1 * n)
    assert (split_three(labels, zones, seed=0) == s).all()


def test_the_samples_memory_is_checked_before_drawing(monkeypatch):
    from hazard_susceptibility.core.multihazard import samples
    from hazard_susceptibility.core.sampling.samplers import BYTES_PER_ABSENCE, DRAW_MASK_BYTES
    from hazard_susceptibility.core.util import memory
    inv = {"flood": (np.zeros(10), np.zeros(10)), "landslide": (np.zeros(30), np.zeros(30))}
    # 40 presences, 1.5 synthetic each, 3 absences per point: 40 x 2.5 x 4 = 400 samples
    need = 400 * BYTES_PER_ABSENCE + DRAW_MASK_BYTES
    monkeypatch.setattr(memory, "available", lambda: 10 * need)
    assert "Drawing 400 samples" in samples.samples_memory(inv, 1.5, 3.0)
    monkeypatch.setattr(memory, "available", lambda: need // 2)
    with pytest.raises(InputError) as e:
        samples.samples_memory(inv, 1.5, 3.0)
    assert e.value.input_name == "ABSENCE_RATIO"
    with pytest.raises(InputError) as e:
        samples.samples_memory(dict(inv, flood=None), 9.0, 0.5)
    assert e.value.input_name == "KDE_RATIO"
