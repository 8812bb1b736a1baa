"""What every sampling algorithm shares: presences in, a labelled point layer out."""
import numpy as np
from qgis.core import (QgsCategorizedSymbolRenderer, QgsCoordinateReferenceSystem, QgsFeature,
                       QgsFields, QgsGeometry, QgsMarkerSymbol, QgsPointXY,
                       QgsProcessingException, QgsProcessingParameterBoolean,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterField, QgsProcessingParameterNumber,
                       QgsRendererCategory, QgsVectorLayer)

from ...core.sampling import samplers as smp
from ...core.io.zonal import geometries_from_wkb, point_coordinates
from .. import compat
from ..base import HazardAlgorithm, source_geometries
from ..guard import CheckedSink
from ..styles import attach_style
from .. import params as P

LABEL_COLORS = {1: ("#d7301f", "presence (1)"), 0: ("#2c7bb6", "absence (0)")}


def label_style(layer):
    """Points categorised by label: presences red, absences blue."""
    if not isinstance(layer, QgsVectorLayer) or layer.fields().indexOf("label") < 0:
        return
    cats = []
    for value, (color, text) in LABEL_COLORS.items():
        sym = QgsMarkerSymbol.createSimple({"name": "circle", "color": color, "size": "1.8",
                                            "outline_color": "white", "outline_width": "0.2"})
        cats.append(QgsRendererCategory(value, sym, text))
    layer.setRenderer(QgsCategorizedSymbolRenderer("label", cats))


class SamplingAlgorithm(HazardAlgorithm):
    GROUP = "sampling"
    SAMPLER = ""  # value of the 'sampler' field
    ADVANCED = (P.LABEL_FIELD,)

    def add_presence_parameter(self):
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.PRESENCES, self.tr("Hazard presences (points, or polygons: their pixels)"),
            [compat.TYPE_VECTOR_POINT, compat.TYPE_VECTOR_POLYGON]))
        self.addParameter(QgsProcessingParameterField(
            P.LABEL_FIELD, self.tr("Label field of labelled samples (only label 1 are presences; "
                                   "empty: the field 'label' if there is one, else every "
                                   "feature)"),
            None, P.PRESENCES, compat.FIELD_ANY, optional=True))

    def add_count_parameters(self, ratio=1.0):
        self.add_number(P.COUNT, "Number of samples (0: use the ratio)", 0, minValue=0,
                        integer=True)
        self.add_number(P.RATIO, "Ratio of samples per presence", ratio, minValue=0.0)

    def add_common_parameters(self, min_distance=0.0, include_presences=True):
        self.addParameter(QgsProcessingParameterNumber(
            P.MIN_DISTANCE, self.tr("Minimum distance from any presence (metres, whatever the "
                                    "CRS's units)"),
            compat.NUMBER_DOUBLE, min_distance, minValue=0.0))
        self.add_seed_parameter()
        if include_presences:
            self.addParameter(QgsProcessingParameterBoolean(
                P.INCLUDE_PRESENCES, self.tr("Add the presences (label 1) to the output, making "
                                             "it a training layer"), True))

    def add_output(self, name=P.OUTPUT, text="Samples"):
        self.addParameter(QgsProcessingParameterFeatureSink(
            name, self.tr(text), compat.TYPE_VECTOR_POINT))

    # -- inputs -----------------------------------------------------------------------------
    def presences(self, parameters, context, stack, feedback, fb):
        """Presences on the stack's grid: points as they are, polygons as their pixels."""
        src = self.parameterAsSource(parameters, P.PRESENCES, context)
        if src is None:
            raise QgsProcessingException("The presence layer could not be opened [PRESENCES].")
        if src.featureCount() == 0:
            raise QgsProcessingException("The presence layer is empty [PRESENCES].")
        crs = QgsCoordinateReferenceSystem.fromWkt(stack.grid.crs_wkt)
        wkbs, feats = source_geometries(src, P.PRESENCES, crs, context, feedback)
        wkbs = self._labelled_presences(parameters, context, src, wkbs, feats, feedback)
        geoms = geometries_from_wkb(wkbs)
        if compat.geometry_type(src.wkbType()) == compat.GEOM_POLYGON:
            pres = smp.presences_from_ids(stack, smp.polygon_pixels(stack, geoms), fb)
            feedback.pushInfo(f"{len(pres)} presence pixels inside {len(geoms)} polygons.")
        else:
            xy = point_coordinates(geoms)
            pres = smp.locate_presences(stack, xy[:, 0], xy[:, 1], fb)
        if pres.dropped_outside or pres.dropped_nodata:
            feedback.pushWarning(f"{pres.dropped_outside} presence(s) outside the rasters and "
                                 f"{pres.dropped_nodata} on nodata were dropped.")
        if len(pres) == 0:
            raise QgsProcessingException("No presence lies on valid pixels of the factor "
                                         "rasters [PRESENCES]: check their CRS and extent.")
        return pres

    def _labelled_presences(self, parameters, context, src, wkbs, feats, feedback):
        """Of a labelled layer (presences and absences, e.g. an inventory with its authors'
        absences) only the features labelled 1; a layer without the label field is all
        presences."""
        from ..vector_io import number
        field = self.parameterAsString(parameters, P.LABEL_FIELD, context) or ""
        if not field and src.fields().indexOf("label") >= 0:
            field = "label"  # labelled samples given as presences: their label 1 only
        if not field or src.fields().indexOf(field) < 0:
            if field and field != "label":
                raise QgsProcessingException(f"The presence layer has no field '{field}' "
                                             f"[{P.LABEL_FIELD}].")
            return wkbs
        labels = np.array([number(f[field]) for f in feats])
        keep = labels == 1
        if not keep.any():
            raise QgsProcessingException(f"No feature of the presence layer has {field} = 1 "
                                         f"[{P.LABEL_FIELD}].")
        if not keep.all():
            feedback.pushInfo(f"PRESENCES: {int(keep.sum())} features with {field} = 1 are the "
                              f"presences; {int((~keep).sum())} others (absences or other "
                              f"labels) are left out.")
        return [w for w, k in zip(wkbs, keep) if k]

    def count(self, parameters, context, n, bands=0):
        """The number of absences (COUNT, or RATIO x ``n`` presences), refused before anything
        is drawn when they would not fit in memory (with ``bands`` values each)."""
        from ...core.sampling.samplers import absence_count
        from ...core.util.progress import Feedback
        fb = getattr(self, "feedback", None)
        return absence_count(n, self.parameterAsInt(parameters, P.COUNT, context),
                             self.parameterAsDouble(parameters, P.RATIO, context), bands,
                             feedback=Feedback(log=fb.pushInfo) if fb is not None else None)

    def rng(self, parameters, context):
        return np.random.default_rng(self.seed(parameters, context))

    # -- output -----------------------------------------------------------------------------
    def write_samples(self, parameters, context, crs_wkt, x, y, columns, name=P.OUTPUT,
                      layer_name="Samples"):
        """Points (x, y) with ``columns`` (name -> array: ints, floats or strings)."""
        fields = QgsFields()
        kinds = {}
        for cname, values in columns.items():
            arr = np.asarray(values)
            if arr.dtype.kind in "iub":
                fields.append(compat.int_field(cname))
                kinds[cname] = int
            elif arr.dtype.kind == "f":
                fields.append(compat.double_field(cname))
                kinds[cname] = float
            else:
                fields.append(compat.string_field(cname))
                kinds[cname] = str
        crs = QgsCoordinateReferenceSystem.fromWkt(crs_wkt)
        cols = [(c, kinds[c], list(np.asarray(v).tolist())) for c, v in columns.items()]
        with CheckedSink(self, parameters, name, context, fields, compat.WKB_POINT,
                         crs) as sink:
            for k in range(len(x)):
                f = QgsFeature(fields)
                f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(float(x[k]), float(y[k]))))
                f.setAttributes([kind(v[k]) for _, kind, v in cols])
                sink.add(f)
            dest = sink.close()
        attach_style(context, dest, label_style, "vector", name=self.tr(layer_name))
        return dest

    def write_absences(self, parameters, context, crs, pres, ax, ay, layer_name):
        """Write the absences (ax, ay), with the presences unless INCLUDE_PRESENCES is off, to
        OUTPUT; returns its destination."""
        x, y, cols = self._with_presences(parameters, context, pres, ax, ay, self.SAMPLER)
        return self.write_samples(parameters, context, crs, x, y, cols, layer_name=layer_name)

    def _with_presences(self, parameters, context, pres, ax, ay, sampler):
        """Absences, and the presences unless INCLUDE_PRESENCES is off: (x, y, columns)."""
        include = self.parameterAsBool(parameters, P.INCLUDE_PRESENCES, context)
        n_abs = len(ax)
        n_pre = len(pres) if include else 0
        x = np.concatenate([pres.x[:n_pre], ax])
        y = np.concatenate([pres.y[:n_pre], ay])
        label = np.r_[np.ones(n_pre, int), np.zeros(n_abs, int)]
        samp = np.array(["presence"] * n_pre + [sampler] * n_abs, dtype=object)
        return x, y, {"label": label, "sampler": samp}
