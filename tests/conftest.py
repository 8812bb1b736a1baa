"""Shared fixtures. The repository root is the plugin folder, imported as
``hazard_susceptibility`` through a link in .build/plugins (made here if missing)."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGINS = os.path.join(ROOT, ".build", "plugins")
LINK = os.path.join(PLUGINS, "hazard_susceptibility")
if not os.path.exists(LINK):
    os.makedirs(PLUGINS, exist_ok=True)
    os.symlink(ROOT, LINK)
if PLUGINS not in sys.path:
    sys.path.insert(0, PLUGINS)

SHARED_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")


@pytest.fixture(scope="session")
def sample_area(tmp_path_factory):
    """The default sample study area (seed 42), generated once per test session."""
    from hazard_susceptibility.core.io.synthetic import generate_study_area
    folder = tmp_path_factory.mktemp("sample_area")
    truth = generate_study_area(str(folder), seed=42)
    return folder, truth


@pytest.fixture(scope="session")
def loja():
    """The real Loja study area from ../shared/data; tests using it skip without it."""
    d = os.path.join(SHARED_DATA, "loja")
    if not os.path.isfile(os.path.join(d, "factors.tif")):
        pytest.skip("../shared/data/loja is not available")
    return d
