"""GeoDetector names strata by the user's own codes (issue 30, part 5), on a vector response
with integer category fields and on a raster response alike, in the CSV tables, the HTML
report and the risk chart; the values are checked against an independent computation with
pandas and scipy on the same data."""
import csv

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.helpers import write_raster

CODES = [1, 2, 3, 5, 7]          # a soil-type field: codes that are not 0..k-1
EFFECT = {1: 0.0, 2: 3.0, 3: 1.0, 5: 2.0, 7: 4.5}
LITHS = ["shale", "granite", "limestone"]


def _read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _data(n=600, seed=3):
    rng = np.random.default_rng(seed)
    soil = rng.choice(CODES, n)
    lith = rng.choice(LITHS, n)
    y = np.array([EFFECT[s] for s in soil]) + 0.3 * (lith == "shale") + rng.normal(0, 0.5, n)
    return pd.DataFrame({"y": y, "soil": soil, "lith": lith})


def _q_by_hand(df, by):
    """q = 1 - sum_h N_h var_h / (N var), population variances (Wang et al. 2010)."""
    g = df.groupby(by)["y"]
    return 1.0 - float((g.count() * g.var(ddof=0)).sum()) / (len(df) * df["y"].var(ddof=0))


def _check_against_pandas(df, folder, factor, labels):
    """The factor detector's q, the risk detector's means, Welch t-tests and ANOVA of
    ``factor`` against pandas/scipy on ``df``; ``labels`` maps the CSV's stratum to df's."""
    fd = {r["factor"]: r for r in _read_csv(folder / "factor_detector.csv")}
    assert float(fd[factor]["q"]) == pytest.approx(_q_by_hand(df, factor), abs=1e-9)
    risk = [r for r in _read_csv(folder / "risk_detector.csv") if r["factor"] == factor]
    groups = {k: g["y"].to_numpy() for k, g in df.groupby(factor)}
    assert sorted(labels[r["stratum"]] for r in risk) == sorted(groups)
    for r in risk:
        g = groups[labels[r["stratum"]]]
        assert int(r["n"]) == g.size
        assert float(r["mean"]) == pytest.approx(g.mean(), abs=1e-9)
    tests = [r for r in _read_csv(folder / "risk_tests.csv") if r["factor"] == factor]
    assert len(tests) == len(groups) * (len(groups) - 1) // 2
    for r in tests:
        ref = stats.ttest_ind(groups[labels[r["stratum_a"]]], groups[labels[r["stratum_b"]]],
                              equal_var=False)
        assert float(r["t"]) == pytest.approx(ref.statistic, rel=1e-7)
        assert float(r["p"]) == pytest.approx(ref.pvalue, rel=1e-6, abs=1e-300)
    anova = [r for r in _read_csv(folder / "anova.csv") if r["factor"] == factor][0]
    ref = stats.f_oneway(*groups.values())
    assert float(anova["F"]) == pytest.approx(ref.statistic, rel=1e-7)


def _risk_table_codes(html, factor):
    """The stratum column of the report's risk table of ``factor``."""
    import re
    section = html.split(f"Risk detector: {factor}</h3>")[1].split("</table>")[0]
    return re.findall(r'<tr><td class="l">([^<]*)</td>', section)


def test_vector_integer_codes_name_the_strata(run, tmp_path):
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer

    from hazard_susceptibility.algorithms import compat
    df = _data()
    lyr = QgsVectorLayer("Point?crs=EPSG:32717", "pts", "memory")
    pr = lyr.dataProvider()
    pr.addAttributes([compat.double_field("y"), compat.int_field("soil"),
                      compat.string_field("lith")])
    lyr.updateFields()
    feats = []
    for i, row in df.iterrows():
        ft = QgsFeature(lyr.fields())
        ft.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(700000 + 10 * i, 9500000)))
        ft.setAttributes([float(row.y), int(row.soil), str(row.lith)])
        feats.append(ft)
    pr.addFeatures(feats)
    html, folder = tmp_path / "v.html", tmp_path / "t"
    run("hazard:geodetector", {"RESPONSE_VECTOR": lyr, "RESPONSE_FIELD": "y",
                               "CATEGORICAL_FIELDS": ["soil", "lith"],
                               "RISK_FACTORS": "soil,lith",
                               "OUTPUT_HTML": str(html), "OUTPUT_TABLES": str(folder)})
    risk = _read_csv(folder / "risk_detector.csv")
    assert [r["stratum"] for r in risk if r["factor"] == "soil"] == ["1", "2", "3", "5", "7"]
    assert sorted(r["stratum"] for r in risk if r["factor"] == "lith") == sorted(LITHS)
    tests = [r for r in _read_csv(folder / "risk_tests.csv") if r["factor"] == "soil"]
    assert {r["stratum_a"] for r in tests} | {r["stratum_b"] for r in tests} == \
        {"1", "2", "3", "5", "7"}
    text = html.read_text()
    assert _risk_table_codes(text, "soil") == ["1", "2", "3", "5", "7"]
    assert sorted(_risk_table_codes(text, "lith")) == sorted(LITHS)
    _check_against_pandas(df, folder, "soil", {str(c): c for c in CODES})
    _check_against_pandas(df, folder, "lith", {s: s for s in LITHS})


def test_raster_integer_codes_name_the_strata(run, tmp_path):
    df = _data(n=40 * 30, seed=5)
    gt = (700000, 30, 0, 9500000, 0, -30)
    resp = write_raster(tmp_path / "y.tif", df["y"].to_numpy().reshape(30, 40), gt)
    soil = write_raster(tmp_path / "soil.tif", df["soil"].to_numpy().reshape(30, 40), gt)
    html, folder = tmp_path / "r.html", tmp_path / "t"
    run("hazard:geodetector", {"RESPONSE": resp, "CATEGORICAL": [soil],
                               "OUTPUT_HTML": str(html), "OUTPUT_TABLES": str(folder)})
    risk = _read_csv(folder / "risk_detector.csv")
    assert [r["stratum"] for r in risk] == ["1", "2", "3", "5", "7"]
    assert _risk_table_codes(html.read_text(), "soil") == ["1", "2", "3", "5", "7"]
    # the raster holds float32: compare with the response as it was stored
    df["y"] = df["y"].astype(np.float32).astype(float)
    _check_against_pandas(df, folder, "soil", {str(c): c for c in CODES})


def test_risk_chart_labels_are_the_strata(tmp_path):
    from hazard_susceptibility.core.geodetector.report import _risk_bars
    rows = [{"stratum": str(c), "n": 10, "mean": float(c)} for c in CODES]
    fig = _risk_bars(rows, "soil")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3", "5", "7"]
