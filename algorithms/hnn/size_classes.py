"""hazard:hnnsizeclasses: landslide size classes per slope unit (Aguilera et al. 2022, tables
2-3)."""
import numpy as np
from qgis.core import (QgsProcessingException, QgsProcessingParameterBoolean,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterField, QgsProcessingParameterString)

from ...core.hnn.sizes import size_classes
from ...core.hnn.report import size_class_report
from .. import compat
from ..vector_io import numbers, write_with_columns
from ..base import HazardAlgorithm
from ..styles import attach_style, categorized, size_class_legend
from .. import params as P


class HnnSizeClasses(HazardAlgorithm):
    NAME = "hnnsizeclasses"
    DISPLAY = "Landslide size classes"
    GROUP = "hnn"
    REQUIRES = ("kmeans1d",)
    HELP = (
        "Size classes of the landslide area per slope unit, as Aguilera et al. (2022, "
        "tables 2-3) builds them for the Hierarchical Neural Network.<br><br>"
        "Class 0 = no landslide (area 0). The non-zero areas are split by Fisher-Jenks natural "
        "breaks with the smallest k &ge; 2 whose goodness of variance fit (GVF) reaches the "
        "threshold (default 0.85); classes with fewer members than SMOTE needs (k_neighbors + 1 "
        "= 6 by default) are merged into the next lower class (class 1 into class 2). You may "
        "give the upper bounds yourself instead. The report lists each class's bounds (the "
        "lowest bound is the smallest non-zero area - 1e-6, as in the paper) and counts.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.UNITS, self.tr("Slope units"), [compat.TYPE_VECTOR_POLYGON]))
        self.addParameter(QgsProcessingParameterField(
            P.AREA_FIELD, self.tr("Landslide area field"), "ls_area", P.UNITS,
            type=compat.FIELD_NUMERIC, optional=True))
        self.add_number(P.GVF, "GVF threshold", 0.85, minValue=0.1, maxValue=0.999)
        self.add_number(P.MIN_MEMBERS, "Minimum members of a class (SMOTE k_neighbors + 1)", 6,
                        minValue=2, integer=True)
        self.add_number(P.K_MAX, "Most natural-breaks classes tried (k cap)", 10, minValue=2,
                        maxValue=50, integer=True)
        self.addParameter(QgsProcessingParameterString(
            P.BOUNDS, self.tr("Upper class bounds (comma-separated; empty: natural breaks)"),
            optional=True))
        self.addParameter(QgsProcessingParameterBoolean(
            P.MERGE, self.tr("Merge classes too small for SMOTE"), True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            P.OUTPUT, self.tr("Slope units with size classes"), compat.TYPE_VECTOR_POLYGON))
        self.add_report_outputs("Size-class report", "Size-class table (CSV)", optional=True)

    def compute(self, parameters, context, feedback, fb):
        src = self.parameterAsSource(parameters, P.UNITS, context)
        if src is None or src.featureCount() == 0:
            raise QgsProcessingException("The slope-unit layer is empty [UNITS].")
        af = self.parameterAsString(parameters, P.AREA_FIELD, context) or "ls_area"
        if src.fields().indexOf(af) < 0:
            raise QgsProcessingException(f"The slope-unit layer has no field '{af}': run "
                                         f"'Slope-unit statistics' with landslides, or choose "
                                         f"the area field [AREA_FIELD].")
        feats = list(src.getFeatures())
        areas = numbers(feats, [af])[:, 0]
        if np.isnan(areas).any():
            raise QgsProcessingException(
                f"{int(np.isnan(areas).sum())} slope unit(s) have a NULL or non-numeric "
                f"landslide area in '{af}': give 0 where a unit holds no landslide "
                f"[AREA_FIELD].")
        bounds_txt = self.parameterAsString(parameters, P.BOUNDS, context)
        try:
            bounds = [float(b) for b in bounds_txt.replace(";", ",").split(",") if b.strip()] \
                if bounds_txt else None
        except ValueError:
            raise QgsProcessingException(f"Class bounds '{bounds_txt}' are not numbers: give "
                                         f"upper bounds in the area field's unit, separated by "
                                         f"commas, e.g. 1000, 10000 [BOUNDS].") from None
        sc = size_classes(areas, self.parameterAsDouble(parameters, P.GVF, context),
                          self.parameterAsInt(parameters, P.MIN_MEMBERS, context),
                          k_max=self.parameterAsInt(parameters, P.K_MAX, context),
                          bounds=bounds,
                          merge=self.parameterAsBool(parameters, P.MERGE, context))
        for w in sc.warnings():
            feedback.pushWarning(w)
        feedback.pushInfo(f"GVF {sc.gvf:.3f} with k = {sc.k_initial}; final classes: GVF "
                          f"{sc.gvf_final:.3f}.")
        cls = sc.classify(areas)
        dest = write_with_columns(self, parameters, context, P.OUTPUT, src, feats,
                                  {"size_class": cls}, ints=("size_class",))
        rows = sc.table(areas)
        attach_style(context, dest, categorized("size_class", size_class_legend(rows)), "vector",
                     self.tr("Landslide size classes"))
        for r in rows:
            feedback.pushInfo(f"class {r['class']}: ({r['min_excl']:.6g}, {r['max_incl']:.6g}] "
                              f"{r['count']} units")
        out = {P.OUTPUT: dest}
        out.update(self.optional_report(parameters, context, size_class_report, sc, rows))
        out.update(self.optional_csv(parameters, context, rows))
        return out
