"""Pure-Python core of the Hazard Susceptibility Toolkit.

Nothing in this package imports ``qgis``: it takes arrays, paths and plain values, a
:class:`~.progress.Feedback` for progress and cancellation, and raises :mod:`.errors`.
Heavy packages (tensorflow, shap, xgboost) are imported only inside the functions that use them.

One package per method family, named after METHODS.md's sections; each package's ``__init__``
names its public API::

    from hazard_susceptibility.core import sampling, susceptibility, hnn, multihazard, geodetector

- :mod:`.sampling` absence sampling and augmentation (section 1)
- :mod:`.susceptibility` models, training, applying, evaluating (section 2)
- :mod:`.hnn` the Hierarchical Neural Network (section 3)
- :mod:`.multihazard` flood-landslide multi-hazard (section 4)
- :mod:`.geodetector` GeoDetector (FL-MHSM study, section 4.7)
- :mod:`.io` rasters, stacks, writers, zonal statistics, terrain, tiles, the sample area
- :mod:`.stats` metrics and calibration, class breaks, compiled kernels
- :mod:`.util` errors, progress, optional packages, installer, worker, provenance, the generic
  HTML report

Each package's ``report`` module makes its HTML and figures. The packages stand in layers and
every import goes down: util, stats, io, sampling, susceptibility, geodetector and hnn,
multihazard (tests/core/test_import_graph.py).

Nothing is imported here: ``from hazard_susceptibility.core import X`` loads only X.
"""
