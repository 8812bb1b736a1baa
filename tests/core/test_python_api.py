"""docs/python-api.md's example runs as written, without QGIS, from rasters to a map and a report,
and gives what the sample study area's truth says it should."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from osgeo import gdal

from tests.conftest import PLUGINS, ROOT

from .test_core_imports import BLOCKER


def _example():
    with open(os.path.join(ROOT, "docs", "python-api.md"), encoding="utf-8") as fh:
        blocks = re.findall(r"```python\n(.*?)```", fh.read(), re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_the_documented_example_runs_without_qgis(tmp_path):
    pytest.importorskip("sklearn")
    code = BLOCKER.format(plugins=PLUGINS, modules=[]) + "\n" + _example()
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    auc = float(re.search(r"spatial 5-fold AUC ([0-9.]+)", res.stdout).group(1))
    assert 0.75 < auc <= 1.0, res.stdout
    # the model file came back as the same kind of model with its one-hot columns and score
    kind, cols, file_auc = re.search(r"^(\w+) (\[.*\]) ([0-9.]+)$", res.stdout, re.M).groups()
    assert kind == "rf" and "'lithology=4'" in cols and round(float(file_auc), 3) == auc
    out = tmp_path / "api_example"
    prob = gdal.Open(str(out / "probability.tif")).ReadAsArray()
    classes = gdal.Open(str(out / "classes.tif")).ReadAsArray()
    ok = np.isfinite(prob) & (prob != -9999)
    assert ok.mean() > 0.9 and 0 <= prob[ok].min() and prob[ok].max() <= 1
    assert set(np.unique(classes[classes > 0])) == {1, 2, 3, 4, 5}
    # higher classes hold higher probabilities
    means = [prob[classes == c].mean() for c in range(1, 6)]
    assert means == sorted(means)
    report = (out / "model_report.html").read_text()
    assert "AUC" in report and "rf" in report
