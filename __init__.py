"""Hazard Susceptibility Toolkit: QGIS plugin entry point.

Nothing here imports QGIS at module level, so ``hazard_susceptibility.core`` stays importable
(and testable) without QGIS.
"""


def classFactory(iface):  # noqa: N802 (QGIS API name)
    from .provider import HazardSusceptibilityPlugin
    return HazardSusceptibilityPlugin(iface)
