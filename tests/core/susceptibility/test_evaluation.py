import numpy as np
import pytest

from hazard_susceptibility.core.susceptibility import evaluation as ev
from hazard_susceptibility.core.susceptibility import report as rp
from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid
from hazard_susceptibility.core.util.errors import InputError
from tests.helpers import write_raster

X0, Y0 = 700000.0, 9500000.0


def _centre(r, c):
    return X0 + (c + 0.5) * 10, Y0 - (r + 0.5) * 10


def test_frequency_ratio_on_a_hand_made_raster(tmp_path):
    # categorical factor: class 1 on the left 60 columns, class 2 on the right 40 (100 x 100)
    cat = np.ones((100, 100))
    cat[:, 60:] = 2
    # aspect: north-facing (10 deg) top half, south-facing (180) bottom half
    asp = np.full((100, 100), 10.0)
    asp[50:] = 180.0
    t = (X0, 10, 0, Y0, 0, -10)
    pc = write_raster(tmp_path / "cat.tif", cat, t)
    pa = write_raster(tmp_path / "aspect.tif", asp, t)
    # 10 hazards: 2 in class 1, 8 in class 2; 7 north, 3 south
    pts = [(5, 5), (60, 10), (5, 70), (10, 80), (20, 90), (30, 65), (40, 75), (45, 95),
           (70, 70), (80, 80)]
    xy = np.array([_centre(r, c) for r, c in pts]).T
    with AlignedStack([Band(pc, 1, "cat", True), Band(pa, 1, "aspect")], Grid.from_path(pc)) as st:
        rows, plan = ev.frequency_ratio_table(st, (xy[0], xy[1]), aspect=("aspect",))
        index = ev.write_fr_index(st, rows, plan, str(tmp_path / "fri.tif"))
    from osgeo import gdal
    fri = gdal.Open(index).ReadAsArray()
    # FR index = FR(cat class) + FR(aspect sector): top-right pixel 80/40 + 70/50
    assert fri[0, 99] == pytest.approx(2.0 + 1.4, rel=1e-6)
    assert fri[99, 0] == pytest.approx(20 / 60 + 30 / 50, rel=1e-6)
    assert np.unique(np.round(fri, 5)).size == 4
    html = open(rp.frequency_ratio_report(str(tmp_path / "fr.html"), rows, 10)).read()
    assert "10 hazard samples" in html and "max_FR" in html
    cat_rows = [r for r in rows if r["factor"] == "cat"]
    assert [r["pixels"] for r in cat_rows] == [6000, 4000]
    assert [r["hazards"] for r in cat_rows] == [2, 8]
    assert cat_rows[0]["FR"] == pytest.approx(20 / 60)
    assert cat_rows[1]["FR"] == pytest.approx(80 / 40)
    assert cat_rows[1]["RF"] == pytest.approx(100 * 2 / (2 + 1 / 3))
    assert cat_rows[0]["max_FR"] == pytest.approx(2.0)
    asp_rows = {r["class"]: r for r in rows if r["factor"] == "aspect"}
    assert asp_rows["N"]["pixels"] == 5000 and asp_rows["S"]["pixels"] == 5000
    assert asp_rows["N"]["hazards"] == 7 and asp_rows["S"]["hazards"] == 3
    assert asp_rows["N"]["FR"] == pytest.approx(70 / 50)
    assert ev.codes(plan["aspect"], [350, 10, 44, 46, 359.9]).tolist() == [0, 0, 1, 1, 0]


def test_map_evaluation(tmp_path):
    rng = np.random.default_rng(0)
    prob = rng.random((80, 80))
    p = write_raster(tmp_path / "p.tif", prob, (X0, 10, 0, Y0, 0, -10))
    hi = np.argwhere(prob > 0.8)[:50]
    lo = np.argwhere(prob < 0.3)[:50]
    pres = np.array([_centre(r, c) for r, c in hi]).T
    absn = np.array([_centre(r, c) for r, c in lo]).T
    with AlignedStack([Band(p, 1, "p")], Grid.from_path(p)) as st:
        m, scai, stats, roc = ev.evaluate_map(st, (pres[0], pres[1]), (absn[0], absn[1]),
                                              class_limits=[0.2, 0.4, 0.6, 0.8])
    assert m["AUC"] == 1.0 and m["TP"] == 50 and m["TN"] == 50
    assert [r["area_pixels"] for r in scai] == list(np.bincount(
        np.searchsorted([0.2, 0.4, 0.6, 0.8], prob.ravel(), side="left"), minlength=5))
    assert scai[4]["hazard"] == 50 and scai[0]["SCAI"] == float("inf")
    assert stats["mean"] == pytest.approx(prob.astype(np.float32).mean(), rel=1e-6)
    assert stats["std"] == pytest.approx(prob.astype(np.float32).std(), rel=1e-5)
    assert stats["hist"].sum() == 6400
    html = open(rp.map_evaluation_report(str(tmp_path / "e.html"), "my map", m, scai, stats,
                                         roc, "50 hand-picked pixels")).read()
    assert "Evaluation of my map" in html and "50 hand-picked pixels" in html
    assert "probability &gt; 0.5 counts as predicted presence" in html or \
        "probability > 0.5 counts as predicted presence" in html
    assert html.count("<img") == 4 and "Class limits: 0.2000, 0.4000, 0.6000, 0.8000" in html
    # ROC, area and inventory per class, reliability, histogram; the highest class holds all
    top2 = scai[3]["area_pct"] + scai[4]["area_pct"]
    assert f"cover {top2:.1f} % of the area and hold 100.0 % of the presences" in html
    assert "Calibration" in html and "reliability" in html


def test_map_evaluation_counts_what_it_leaves_out_and_refuses_a_non_probability(tmp_path):
    rng = np.random.default_rng(0)
    prob = rng.random((80, 80))
    prob[:10, :10] = np.nan
    p = write_raster(tmp_path / "p.tif", prob, (X0, 10, 0, Y0, 0, -10))
    hi = np.argwhere(prob > 0.8)[:50]
    lo = np.argwhere(prob < 0.3)[:50]
    pres = np.array([_centre(r, c) for r, c in hi]).T
    absn = np.array([_centre(r, c) for r, c in lo]).T
    # 3 presences off the map and 2 on its nodata corner, 4 absences off the map
    off = np.array([[X0 - 500, X0 - 900, X0 + 5000], [Y0 + 100, Y0 - 300, Y0 - 300]])
    nod = np.array([_centre(1, 1), _centre(5, 7)]).T
    px, py = np.r_[pres[0], off[0], nod[0]], np.r_[pres[1], off[1], nod[1]]
    ax, ay = np.r_[absn[0], [X0 - 50] * 4], np.r_[absn[1], [Y0 + 50] * 4]
    with AlignedStack([Band(p, 1, "p")], Grid.from_path(p)) as st:
        m, scai, stats, roc = ev.evaluate_map(st, (px, py), (ax, ay))
    assert stats["dropped"] == {"presences": 5, "absences": 4}
    assert m["TP"] + m["FN"] == 50 and m["TN"] + m["FP"] == 50
    html = open(rp.map_evaluation_report(str(tmp_path / "e.html"), "m", m, scai, stats, roc,
                                         "x")).read()
    assert "5 presence(s) and 4 absence(s)" in html
    # a slope raster (degrees) is not a probability: refused, naming the input
    s = write_raster(tmp_path / "slope.tif", prob * 45, (X0, 10, 0, Y0, 0, -10))
    with AlignedStack([Band(s, 1, "s")], Grid.from_path(s)) as st:
        with pytest.raises(InputError, match="from 0.* to 4[0-9.]*: it is not a probability") \
                as exc:
            ev.evaluate_map(st, (pres[0], pres[1]), (absn[0], absn[1]))
    assert exc.value.input_name == "PROBABILITY"
