"""The dependency installer, against a temporary target folder and a local wheel (offline)."""


def test_dry_run_lists_the_pinned_packages_without_numpy(run, tmp_path):
    res = run("hazard:installdependencies", {"DRY_RUN": True, "TARGET": str(tmp_path / "t")})
    cmd = res["COMMAND"]
    assert "--target" in cmd and "--no-deps" in cmd and str(tmp_path / "t") in cmd
    assert "scikit-learn==" in cmd and "tensorflow-cpu==" in cmd
    assert "numpy==" not in cmd
    assert not (tmp_path / "t").exists()  # nothing installed


def test_the_dry_run_says_which_pinned_set_it_used(run, tmp_path):
    from hazard_susceptibility.core.util import locks
    res = run("hazard:installdependencies", {"DRY_RUN": True, "TARGET": str(tmp_path / "t")})
    assert res["PINNED_SET"] == locks.platform_tag()


def test_pip_options_in_packages_are_refused(run, tmp_path):
    import pytest
    from qgis.core import QgsProcessingException
    for spec in ("--index-url=http://example.invalid/simple", "-r /etc/passwd"):
        with pytest.raises(QgsProcessingException, match=r"not a package name.*\[PACKAGES\]"):
            run("hazard:installdependencies", {"DRY_RUN": True, "TARGET": str(tmp_path / "t"),
                                               "PACKAGES": spec})
    assert not (tmp_path / "t").exists()


def _as_python_314(monkeypatch):
    """This QGIS seen as QGIS 3.44 on Python 3.14 with numpy 2 (Debian forky/sid), where
    TensorFlow cannot be installed (its wheels stop at Python 3.13)."""
    import sys

    from hazard_susceptibility.core.util import deps, locks
    monkeypatch.setattr(sys, "version_info", (3, 14, 0, "final", 0))
    monkeypatch.setattr(locks, "numpy_major", lambda default=None: 2)
    real = deps.available
    monkeypatch.setattr(deps, "available", lambda m: False if m == "tensorflow" else real(m))


def test_on_python_314_only_the_neural_networks_refuse(provider, monkeypatch):
    before = {a.id(): a.canExecute()[0] for a in provider.algorithms()}
    _as_python_314(monkeypatch)
    refused = {}
    for alg in provider.algorithms():
        ok, msg = alg.canExecute()
        if "tensorflow" in getattr(alg, "REQUIRES", ()):
            assert not ok, alg.id()
            refused[alg.id()] = msg
        else:
            assert ok == before[alg.id()], (alg.id(), msg)  # everything else as it was
    assert {"hazard:trainhnn", "hazard:applyhnn", "hazard:trainmultihazard"} <= set(refused)
    for msg in refused.values():
        assert "(Python 3.14, " in msg and "no release for Python 3.14" in msg
        assert "Python 3.13 or older" in msg and "Every other algorithm" in msg


def test_the_installer_on_python_314_says_its_set_has_no_tensorflow(provider, monkeypatch,
                                                                    tmp_path):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    class Log(QgsProcessingFeedback):
        warnings = []

        def pushWarning(self, text):  # noqa: N802
            self.warnings.append(text)
            super().pushWarning(text)
    _as_python_314(monkeypatch)
    fb = Log()
    res = processing.run("hazard:installdependencies",
                         {"DRY_RUN": True, "TARGET": str(tmp_path / "t")},
                         context=QgsProcessingContext(), feedback=fb)
    assert res["PINNED_SET"] == "py314-numpy2" and "tensorflow" not in res["COMMAND"]
    text = " ".join(fb.warnings)
    assert "py314-numpy2 has no tensorflow-cpu" in text and "every other algorithm works" in text
    assert "Train Hierarchical Neural Network" in text and "Apply Hierarchical" in text
    assert not (tmp_path / "t").exists()
