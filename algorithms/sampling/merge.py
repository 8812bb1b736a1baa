"""hazard:mergesamples: presence and absence layers -> one labelled training layer."""
import math

from qgis.core import (QgsCoordinateTransform, QgsFeature, QgsFields,
                       QgsProcessingException, QgsProcessingParameterFeatureSink,
                       QgsProcessingParameterFeatureSource)

from .. import compat
from ..base import HazardAlgorithm
from ..guard import CheckedSink
from .common import label_style
from ..styles import attach_style
from .. import params as P


class MergeSamples(HazardAlgorithm):
    NAME = "mergesamples"
    DISPLAY = "Merge presences and absences into training samples"
    GROUP = "sampling"
    HELP = (
        "Makes one training layer from a presence layer and an absence layer: every feature "
        "gets label = 1 (presences) or 0 (absences) and a sampler field (kept from the input "
        "when it has one). Absences in another CRS are reprojected to the presences' CRS. "
        "Polygon presences are represented by a point inside each polygon. Use it to chain "
        "any sampler with any inventory in the Graphical Modeler.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.PRESENCES, self.tr("Presences"), [compat.TYPE_VECTOR_POINT,
                                                compat.TYPE_VECTOR_POLYGON]))
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.ABSENCES, self.tr("Absences"), [compat.TYPE_VECTOR_POINT]))
        self.addParameter(QgsProcessingParameterFeatureSink(
            P.OUTPUT, self.tr("Training samples"), compat.TYPE_VECTOR_POINT))

    def compute(self, parameters, context, feedback, fb):
        pres = self.parameterAsSource(parameters, P.PRESENCES, context)
        absn = self.parameterAsSource(parameters, P.ABSENCES, context)
        if pres is None or absn is None:
            raise QgsProcessingException("The presence or absence layer could not be opened.")
        for src, key in ((pres, P.PRESENCES), (absn, P.ABSENCES)):
            if src.featureCount() == 0:
                raise QgsProcessingException(f"The layer [{key}] is empty: a training layer "
                                             f"needs presences and absences.")
        fields = QgsFields()
        fields.append(compat.int_field("label"))
        fields.append(compat.string_field("sampler"))
        crs = pres.sourceCrs()
        n, skipped = [0, 0], {P.PRESENCES: 0, P.ABSENCES: 0}
        with CheckedSink(self, parameters, P.OUTPUT, context, fields, compat.WKB_POINT,
                         crs) as sink:
            for src, label, default, key in ((pres, 1, "presence", P.PRESENCES),
                                             (absn, 0, "absence", P.ABSENCES)):
                xf = QgsCoordinateTransform(src.sourceCrs(), crs, context.transformContext()) \
                    if src.sourceCrs() != crs else None
                has_sampler = src.fields().indexOf("sampler") >= 0
                for f in src.getFeatures():
                    g = f.geometry()
                    if g is None or g.isNull() or g.isEmpty():
                        skipped[key] += 1
                        continue
                    if compat.geometry_type(g.wkbType()) != compat.GEOM_POINT:
                        g = g.pointOnSurface()
                    if xf is not None:
                        g.transform(xf)
                    bb = g.boundingBox()
                    if not all(math.isfinite(v) for v in (bb.xMinimum(), bb.yMinimum(),
                                                          bb.xMaximum(), bb.yMaximum())):
                        skipped[key] += 1  # NaN or infinite coordinates
                        continue
                    out = QgsFeature(fields)
                    out.setGeometry(g)
                    out.setAttributes([label, str(f["sampler"]) if has_sampler and f["sampler"]
                                       else default])
                    sink.add(out)
                    n[label] += 1
            dest = sink.close()
        feedback.pushInfo(f"{n[1]} presences and {n[0]} absences merged.")
        for key, k in skipped.items():
            if k:
                feedback.pushWarning(f"{k} feature(s) of [{key}] without a usable geometry "
                                     f"(NULL, empty, or NaN or infinite coordinates) were left "
                                     f"out.")
        attach_style(context, dest, label_style, "vector", self.tr("Training samples"))
        return {P.OUTPUT: dest}
