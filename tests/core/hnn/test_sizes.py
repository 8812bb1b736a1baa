import numpy as np
import pytest

from hazard_susceptibility.core.hnn.sizes import size_classes
from hazard_susceptibility.core.util.errors import InputError


def test_gvf_rule_picks_k_on_known_breaks():
    rng = np.random.default_rng(0)
    areas = np.concatenate([np.zeros(500), rng.normal(1000, 50, 200), rng.normal(5000, 100, 60),
                            rng.normal(20000, 300, 20)])
    # k = 2 splits {1000, 5000} from {20000} with GVF 0.89; k = 3 separates all three
    assert size_classes(areas, gvf_min=0.85).k_initial == 2
    sc = size_classes(areas, gvf_min=0.95)
    assert sc.n_classes == 3 + 1 and sc.k_initial == 3
    assert sc.gvf >= 0.95
    counts = np.bincount(sc.classify(areas))
    assert counts.tolist() == [500, 200, 60, 20]
    rows = sc.table(areas)
    assert rows[1]["min_excl"] == pytest.approx(areas[areas > 0].min() - 1e-6)


def test_small_classes_merge_down_and_errors():
    rng = np.random.default_rng(1)
    areas = np.concatenate([np.zeros(100), rng.normal(1000, 50, 100), rng.normal(5000, 100, 40),
                            [90000.0, 95000.0]])
    sc = size_classes(areas, gvf_min=0.95, min_members=6)
    counts = np.bincount(sc.classify(areas))[1:]
    assert (counts >= 6).all() and sc.merges
    with pytest.raises(InputError, match="merging is disabled"):
        size_classes(areas, gvf_min=0.95, min_members=6, merge=False)
    with pytest.raises(InputError, match="negative"):
        size_classes(np.r_[areas, -1.0])


def test_size_classes_say_when_the_rule_fails_after_merging_or_one_class_remains():
    """With heavy-tailed areas k = 2 can reach the GVF rule and then the small class is merged:
    one landslide class remains and the class head repeats the binary one; the GVF reported
    had been the one before merging. The final GVF is computed (checked by hand here) and
    each case is said."""
    from hazard_susceptibility.core.stats.breaks import classify, gvf
    areas = np.r_[np.zeros(50), np.full(40, 100.0) + np.arange(40), [5e5, 6e5, 7e5]]
    sc = size_classes(areas, gvf_min=0.85, min_members=6)
    assert sc.merges and sc.n_classes - 1 == 1
    nz = areas[areas > 0]
    assert sc.gvf_final == pytest.approx(gvf(nz, classify(nz, sc.upper[:-1])))
    said = " ".join(sc.warnings())
    assert "Only one landslide size class remains" in said
    # the k cap: a GVF of 0.9999 is out of reach with at most 3 classes
    capped = size_classes(np.r_[np.zeros(5), np.linspace(1, 1000, 200)], gvf_min=0.9999,
                          k_max=3, merge=False, min_members=2)
    assert capped.capped and "No k up to 3 reached a GVF of 0.9999" in " ".join(
        capped.warnings())
