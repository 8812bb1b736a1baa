"""The algorithms the provider registers: one import and one list entry per algorithm class.
The provider and the workflows (which look up their steps' classes) read it from here."""


def algorithm_classes():
    """Every algorithm class of the provider, in toolbox order (the workflows, models of
    models/, are added after them by the provider)."""
    from .data.align import AlignFactors
    from .mapping.apply import ApplyModel
    from .mapping.applicability import Applicability
    from .sampling.kde import KdeAugmentation
    from .reports.compare_sampling import CompareSampling
    from .reports.evaluate_map import EvaluateMap
    from .reports.factor_screening import FactorScreening
    from .reports.frequency_ratio import FrequencyRatio
    from .reports.geodetector import GeoDetector
    from .hnn.apply import ApplyHnn
    from .hnn.size_classes import HnnSizeClasses
    from .hnn.experiments import HnnAblation, HnnLossWeights
    from .hnn.train import TrainHnn
    from .setup.install import InstallDependencies
    from .sampling.merge import MergeSamples
    from .sampling.split import SplitInventory
    from .multihazard.evaluate import EvaluateMultiHazard
    from .multihazard.feature_selection import ZoneFeatureSelection
    from .multihazard.map import MapMultiHazard
    from .multihazard.samples import MultiHazardSamples
    from .multihazard.train import TrainMultiHazard
    from .data.sample_area import CreateSampleArea
    from .sampling.buffer import BufferAbsences
    from .sampling.mahalanobis import MahalanobisAbsences
    from .sampling.multiratio import MultiRatioAbsences
    from .sampling.ocsvm import OcsvmAbsences
    from .sampling.slope import SlopeAbsences
    from .sampling.susceptibility_ratio import SusceptibilityRatioAbsences
    from .sampling.factor_threshold import FactorThresholdAbsences
    from .data.slope_units import SlopeUnitStatistics
    from .modelling.train import TrainModel
    return [AlignFactors, SlopeUnitStatistics, CreateSampleArea, SplitInventory,
            MahalanobisAbsences, SlopeAbsences, BufferAbsences, MultiRatioAbsences,
            SusceptibilityRatioAbsences, FactorThresholdAbsences, OcsvmAbsences,
            KdeAugmentation, MergeSamples, TrainModel, ApplyModel, Applicability, EvaluateMap,
            FrequencyRatio,
            FactorScreening, CompareSampling, HnnSizeClasses, TrainHnn, ApplyHnn, HnnLossWeights,
            HnnAblation, MultiHazardSamples, ZoneFeatureSelection, TrainMultiHazard,
            MapMultiHazard, EvaluateMultiHazard, GeoDetector,
            InstallDependencies]
