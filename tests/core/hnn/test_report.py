"""The HNN experiments' tables and reports from given test metrics (no network trained)."""
import pytest

from hazard_susceptibility.core.hnn import report as rp


def _ev(binary, per_class, macro=0.7, ovo=0.6):
    return {"binary_auc": binary, "per_class": per_class, "macro_ovr": macro,
            "weighted_ovo": ovo}


def test_ablation_pairs_mean_and_std_columns_and_sorts_by_the_drop(tmp_path):
    names = ["slope_mean", "slope_std", "ndvi_mean", "ndvi_std", "su_area"]
    assert rp.factor_groups(names) == {"slope": [0, 1], "ndvi": [2, 3], "su_area": [4]}
    configs = rp.ablation_configs(names, 0.8)
    assert configs[0] == {"alpha": 0.8}
    assert [c["cols"] for c in configs[1:]] == [[2, 3, 4], [0, 1, 4], [0, 1, 2, 3]]
    full = _ev(0.90, {"0": 0.80, "1": 0.70})
    evs = [full, _ev(0.70, {"0": 0.60, "1": 0.65}), _ev(0.88, {"0": 0.79}),
           _ev(0.91, {"0": 0.81, "1": 0.72})]
    rows = rp.ablation_rows(names, evs)
    assert [r["factor"] for r in rows] == ["slope", "ndvi", "su_area"]
    assert rows[0]["binary_drop"] == pytest.approx(0.20)
    assert rows[0]["class_0_drop"] == pytest.approx(0.20)
    assert rows[1]["class_1_drop"] != rows[1]["class_1_drop"]  # class 1 absent: NaN
    assert rows[2]["binary_drop"] == pytest.approx(-0.01)
    html = open(rp.ablation_report(str(tmp_path / "a.html"), rows, full)).read()
    assert "Full model: binary AUC 0.900, class AUCs 0: 0.800, 1: 0.700." in html
    assert html.count("<img") == 1


def test_loss_weight_rows_follow_the_eleven_alphas(tmp_path):
    assert rp.LOSS_WEIGHTS == (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    evs = [_ev(0.5 + a / 4, {}, macro=0.9 - a / 4) for a in rp.LOSS_WEIGHTS]
    rows = rp.loss_weight_rows(evs)
    assert [r["alpha"] for r in rows] == list(rp.LOSS_WEIGHTS)
    assert rows[-1]["binary_AUC"] == pytest.approx(0.75)
    assert rows[0]["class_AUC_macro_ovr"] == pytest.approx(0.9)
    html = open(rp.loss_weight_report(str(tmp_path / "l.html"), rows)).read()
    assert "HNN loss-weight test" in html and "<img" in html


def test_units_are_checked_and_the_held_out_share_is_stratified():
    import numpy as np
    from hazard_susceptibility.core.hnn.training import check_units, held_out_units
    from hazard_susceptibility.core.util.errors import InputError
    X = np.ones((6, 2))
    check_units(X, ["a", "b"], np.array([0, 0, 1, 1, 2, 2]))
    X[2, 1] = np.nan
    with pytest.raises(InputError, match=r"1 slope unit\(s\) have NULL .* \(b\)"):
        check_units(X, ["a", "b"])
    with pytest.raises(InputError, match="every class needs members") as e:
        check_units(np.ones((4, 1)), ["a"], np.array([0, 0, 1, 2]))
    assert e.value.input_name == "CLASS_FIELD"
    with pytest.raises(InputError, match="NULL or negative"):
        check_units(np.ones((3, 1)), ["a"], np.array([0, -1, 1]))
    classes = np.repeat([0, 1, 2], [60, 30, 10])
    test = held_out_units(classes, 0.2, seed=4)
    assert np.bincount(classes[test]).tolist() == [12, 6, 2]
    assert (np.diff(test) > 0).all()
    assert held_out_units(classes, 0.2, seed=4).tolist() == test.tolist()


def test_class_area_ranges_and_the_training_table():
    import numpy as np
    area = np.array([0.0, 120.0, 80.0, np.nan, 5000.0, 700.0])
    classes = np.array([0, 1, 1, 1, 2, 2])
    # each class's smallest and largest area, the NaN of a class-1 unit left out
    assert rp.class_area_ranges(area, classes) == {0: (0.0, 0.0), 1: (80.0, 120.0),
                                                   2: (700.0, 5000.0)}
    assert rp.class_area_ranges(np.array([np.nan]), np.array([3])) == {}
    ev = dict(_ev(0.9, {"0": 0.8, "1": 0.7}), weighted_ovr=0.75)
    rows = rp.training_rows(ev, 0.85, 40, {"I": 0.12})
    table = {r["metric"]: r["value"] for r in rows}
    assert table == {"binary AUC (HNN)": 0.9, "binary AUC (GLM)": 0.85,
                     "macro one-vs-rest AUC": 0.7, "weighted one-vs-rest AUC": 0.75,
                     "weighted one-vs-one AUC": 0.6, "class 0 one-vs-rest AUC": 0.8,
                     "class 1 one-vs-rest AUC": 0.7, "test units": 40,
                     "Moran's I of occurrence": 0.12}
    assert len(rows) == len(table)
