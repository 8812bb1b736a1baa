"""What the Hierarchical-NN algorithms share: slope units in, features and classes, the
network's parameters, evaluation, and slope units with probabilities out."""
import re

import numpy as np
from qgis.core import (QgsProcessingException, QgsProcessingParameterFeatureSink,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterField)

from ...core.hnn.network import Architecture
from ...core.hnn.training import check_units, held_out_units
from .. import compat
from ..vector_io import numbers, write_with_columns
from ..base import HazardAlgorithm
from ..styles import attach_style, probability_field
from .. import params as P


class HnnAlgorithm(HazardAlgorithm):
    GROUP = "hnn"
    REQUIRES = ("tensorflow", "sklearn", "imblearn", "matplotlib")

    def add_units(self, class_field=True):
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.UNITS, self.tr("Slope units with features (from 'Slope-unit statistics')"),
            [compat.TYPE_VECTOR_POLYGON]))
        self.addParameter(QgsProcessingParameterField(
            P.FEATURE_FIELDS, self.tr("Feature fields (default: every *_mean, *_std and "
                                      "su_area)"), parentLayerParameterName=P.UNITS,
            type=compat.FIELD_NUMERIC, allowMultiple=True, optional=True))
        if class_field:
            self.addParameter(QgsProcessingParameterField(
                P.CLASS_FIELD, self.tr("Size-class field (0 = no landslide)"), "size_class",
                P.UNITS, type=compat.FIELD_NUMERIC, optional=True))

    def add_network(self, alpha=0.8):
        self.add_number(P.ALPHA, "Loss weight alpha (binary; 1 - alpha for the size classes)",
                        alpha, minValue=0.0, maxValue=1.0)
        for key, text, default in ((P.N1, "Layers of block 1", 2), (P.U1, "Units of block 1", 16),
                                   (P.N2, "Layers of block 2", 2), (P.U2, "Units of block 2", 16)):
            self.add_number(key, text, default, minValue=1, integer=True)
        self.add_number(P.LR, "Learning rate", 1e-3, minValue=1e-6)
        self.add_number(P.L2, "L2 penalty", 1e-4, minValue=0.0)
        self.add_number(P.DROPOUT, "Dropout", 0.2, minValue=0.0, maxValue=0.9)
        self.add_number(P.EPOCHS, "Maximum epochs", 300, minValue=1, integer=True)
        self.add_number(P.PATIENCE, "Early-stopping patience (epochs)", 15, minValue=1,
                        integer=True)
        self.add_number(P.VAL_SHARE, "Validation share of the training units", 0.2, minValue=0.05,
                        maxValue=0.5)
        self.add_number(P.TEST_SHARE, "Held-out test share (for the report)", 0.2, minValue=0.05,
                        maxValue=0.5)
        self.add_seed_parameter()

    def arch(self, parameters, context):
        return Architecture(*(self.parameterAsInt(parameters, k, context)
                              for k in (P.N1, P.U1, P.N2, P.U2)),
                            self.parameterAsDouble(parameters, P.LR, context),
                            self.parameterAsDouble(parameters, P.L2, context),
                            self.parameterAsDouble(parameters, P.DROPOUT, context))

    def train_kwargs(self, parameters, context):
        return {"epochs": self.parameterAsInt(parameters, P.EPOCHS, context),
                "patience": self.parameterAsInt(parameters, P.PATIENCE, context),
                "val_share": self.parameterAsDouble(parameters, P.VAL_SHARE, context),
                "seed": self.seed(parameters, context)}

    def units(self, parameters, context, need_classes=True):
        """(source, features, feature names, X, classes or None)."""
        src = self.parameterAsSource(parameters, P.UNITS, context)
        if src is None or src.featureCount() == 0:
            raise QgsProcessingException("The slope-unit layer is empty or could not be opened "
                                         "[UNITS].")
        names = compat.parameter_as_fields(self, parameters, P.FEATURE_FIELDS, context) or \
            [f.name() for f in src.fields() if re.search(r"_(mean|std)$", f.name())
             or f.name() == "su_area"]
        if not names:
            raise QgsProcessingException("No feature field: choose them [FEATURE_FIELDS], or "
                                         "run 'Slope-unit statistics' first.")
        absent = [n for n in names if src.fields().indexOf(n) < 0]
        if absent:
            raise QgsProcessingException(f"The slope-unit layer has no field "
                                         f"{', '.join(absent)} [FEATURE_FIELDS].")
        feats = list(src.getFeatures())
        X = numbers(feats, names)
        classes = cf = None
        if need_classes:
            cf = self.parameterAsString(parameters, P.CLASS_FIELD, context) or "size_class"
            if src.fields().indexOf(cf) < 0:
                raise QgsProcessingException(f"The slope-unit layer has no field '{cf}': run "
                                             f"'Landslide size classes' first [CLASS_FIELD].")
            classes = np.array([int(v) if v == v else -1 for v in numbers(feats, [cf])[:, 0]])
        check_units(X, names, classes, cf)
        return src, feats, names, X, classes

    def test_split(self, classes, parameters, context):
        return held_out_units(classes, self.parameterAsDouble(parameters, P.TEST_SHARE,
                                                              context),
                              self.seed(parameters, context))

    def write_units(self, parameters, context, src, feats, pb, pc, name=P.OUTPUT, split=None,
                    spread=None, extra=None):
        """The units with P(landslide), P(class c), the most likely class, the spread of
        P(landslide) when given and, after training, the split each unit was in (train,
        validation, test), so that another model can be scored on the same held-out units."""
        cols = {"p_landslide": pb, **{f"p_class_{c}": pc[:, c] for c in range(pc.shape[1])},
                "pred_class": pc.argmax(axis=1)}
        if spread is not None:
            cols["spread"] = spread
        cols.update(extra or {})  # e.g. the area of applicability (di, aoa)
        if split is not None:
            cols["split"] = split
        dest = write_with_columns(self, parameters, context, name, src, feats, cols,
                                  ints=("pred_class", "aoa"), texts=("split",))
        attach_style(context, dest, probability_field("p_landslide"), "vector",
                     self.tr("HNN susceptibility"))
        return dest

    def add_units_output(self):
        self.addParameter(QgsProcessingParameterFeatureSink(
            P.OUTPUT, self.tr("Slope units with P(landslide) and P(class)"),
            compat.TYPE_VECTOR_POLYGON))
