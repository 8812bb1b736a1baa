"""Pure-Python core of the Hazard Susceptibility Toolkit.

Nothing in this package imports ``qgis``: it takes arrays, paths and plain values, a
:class:`~.progress.Feedback` for progress and cancellation, and raises :mod:`.errors`.
Heavy packages (tensorflow, shap, xgboost) are imported only inside the functions that use them.
"""
