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
