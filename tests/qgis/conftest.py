"""Headless QGIS (pytest-qgis, offscreen) with Processing and this plugin's provider."""
import pytest


@pytest.fixture(scope="session")
def provider(qgis_app, qgis_processing):
    from qgis.core import QgsApplication

    from hazard_susceptibility.provider import HazardSusceptibilityPlugin
    plugin = HazardSusceptibilityPlugin(None)
    plugin.initProcessing()
    yield QgsApplication.processingRegistry().providerById("hazard")
    plugin.unload()


@pytest.fixture(scope="module")
def run_module(provider):
    return _runner()


@pytest.fixture()
def run(provider):
    return _runner()


def _runner():
    """processing.run with a fresh context; returns the results dict."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject

    def _run(alg, params, context=None):
        ctx = context or QgsProcessingContext()
        ctx.setProject(QgsProject.instance())
        try:
            return processing.run(alg, params, context=ctx, feedback=QgsProcessingFeedback())
        finally:
            # a context that outlives QGIS (held by some traceback until exit) would free its
            # layers after GDAL is gone: empty its store now
            ctx.temporaryLayerStore().removeAllMapLayers()
    return _run
