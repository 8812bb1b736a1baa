#!/usr/bin/env bash
# The demo: build the sample study area and run the plugin's algorithms on it through
# qgis_process, into demo_output/. Called by `make demo` (after `make setup`).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seed=${1:-42}
out="${DEMO_OUT:-$here/demo_output}"
qp="$here/scripts/qgis_process"
mkdir -p "$out"
step() { echo; echo "== $*"; }

step "1/22 Sample study area (seed $seed)"
"$qp" run hazard:createsamplearea -- SEED="$seed" OUTPUT_FOLDER="$out/sample_area" | tail -n 12
sa="$out/sample_area"
cont=(elevation slope aspect plan_curv prof_curv twi dist_river ndvi rainfall pga noise)
factor_args=()
for f in "${cont[@]}"; do factor_args+=("FACTORS=$sa/factors/$f.tif"); done
factor_args+=("CATEGORICAL=$sa/factors/lithology.tif" "REFERENCE=$sa/dem.tif")

step "2/22 Align the 12 factors (rainfall comes in WGS 84, PGA at 120 m) to the DEM's grid"
"$qp" run hazard:alignfactors -- "${factor_args[@]}" OUTPUT="$out/factors_aligned.tif" | tail -n 4

step "3/22 Slope-unit statistics with landslide area per unit"
"$qp" run hazard:slopeunitstats -- SLOPE_UNITS="$sa/slope_units.gpkg" "${factor_args[@]}" \
  LANDSLIDES="$sa/landslides.gpkg" OUTPUT="$out/slope_unit_stats.gpkg" | tail -n 3

sampling=()
for f in elevation plan_curv prof_curv twi dist_river ndvi rainfall pga; do
  sampling+=("FACTORS=$sa/factors/$f.tif")
done
sampling+=("CATEGORICAL=$sa/factors/lithology.tif" "REFERENCE=$sa/dem.tif")

step "4/22 Hold out 30 % of the landslides in whole 2 km blocks, for an honest evaluation"
"$qp" run hazard:splitinventory -- INVENTORY="$sa/landslide_points.gpkg" TEST_SHARE=0.3 \
  METHOD=1 BLOCK_SIZE=2000 SEED="$seed" OUTPUT_TRAINING="$out/landslides_training.gpkg" \
  OUTPUT_HELD_OUT="$out/landslides_held_out.gpkg" | tail -n 3

step "5/22 Absences by Mahalanobis distance (Rangamati Mahalanobis study), 1:1, at least 100 m from landslides"
"$qp" run hazard:mahalanobisabsences -- PRESENCES="$out/landslides_training.gpkg" "${sampling[@]}" \
  FACTORS="$sa/factors/slope.tif" RATIO=1 MIN_DISTANCE=100 SEED="$seed" \
  OUTPUT="$out/samples_mahalanobis.gpkg" OUTPUT_D2="$out/mahalanobis_d2.tif" \
  OUTPUT_MASK="$out/mahalanobis_space.tif" OUTPUT_HTML="$out/mahalanobis_summary.html" | tail -n 6

step "6/22 Absences on slopes below 3 degrees (the common practice the Rangamati Mahalanobis study compares against)"
"$qp" run hazard:slopeabsences -- PRESENCES="$out/landslides_training.gpkg" \
  SLOPE="$sa/factors/slope.tif" "${sampling[@]}" THRESHOLD=3 RATIO=1 MIN_DISTANCE=100 \
  SEED="$seed" OUTPUT="$out/samples_slope.gpkg" | tail -n 4

model_factors=()
for f in elevation plan_curv prof_curv twi dist_river ndvi rainfall pga slope; do
  model_factors+=("FACTORS=$sa/factors/$f.tif")
done
model_factors+=("CATEGORICAL=$sa/factors/lithology.tif" "REFERENCE=$sa/dem.tif")

step "7/22 Train a random forest on the Mahalanobis samples (70/30 split; scored on the held-out landslides too)"
"$qp" run hazard:trainmodel -- SAMPLES="$out/samples_mahalanobis.gpkg" "${model_factors[@]}" \
  MODEL=0 TREES=300 INDEPENDENT="$out/landslides_held_out.gpkg" SEED="$seed" \
  OUTPUT_MODEL="$out/model_rf.hsm" OUTPUT_HTML="$out/model_rf_report.html" \
  OUTPUT_CSV="$out/model_rf_metrics.csv" | tail -n 4

step "8/22 Map susceptibility: probability, 5 natural-breaks classes and the spread of the trees"
"$qp" run hazard:applymodel -- MODEL="$out/model_rf.hsm" "${model_factors[@]}" \
  OUTPUT="$out/susceptibility.tif" OUTPUT_CLASSES="$out/susceptibility_classes.tif" \
  OUTPUT_UNCERTAINTY="$out/uncertainty.tif" | tail -n 5

step "9/22 Area of applicability: where the factors leave what the samples showed (Meyer & Pebesma 2021)"
"$qp" run hazard:applicability -- MODEL="$out/model_rf.hsm" "${model_factors[@]}" SEED="$seed" \
  OUTPUT_DI="$out/dissimilarity.tif" OUTPUT_AOA="$out/applicability.tif" \
  OUTPUT_HTML="$out/applicability.html" | grep -E "Outside|threshold|OUTSIDE"

step "10/22 Evaluate the map on the held-out landslides (AUC, kappa, SCAI, LSI), inside and outside the area of applicability"
"$qp" run hazard:evaluatemap -- PROBABILITY="$out/susceptibility.tif" \
  HAZARDS="$out/landslides_held_out.gpkg" AOA="$out/applicability.tif" \
  UNCERTAINTY="$out/uncertainty.tif" SEED="$seed" OUTPUT_HTML="$out/evaluation.html" \
  OUTPUT_CSV="$out/evaluation.csv" | grep -E "AUC|AOA"

step "11/22 Compare Mahalanobis and slope-threshold sampling (Rangamati Mahalanobis study): own split, common yardstick, held-out landslides"
"$qp" run hazard:comparesampling -- SCENARIOS="$out/samples_mahalanobis.gpkg" \
  SCENARIOS="$out/samples_slope.gpkg" "${model_factors[@]}" TREES=200 \
  INDEPENDENT="$out/landslides_held_out.gpkg" SEED="$seed" \
  OUTPUT_HTML="$out/comparison.html" OUTPUT_CSV="$out/comparison.csv" \
  OUTPUT_MAPS="$out/comparison_maps" | tail -n 4

step "12/22 Landslide size classes per slope unit (Aguilera et al. (2022): GVF >= 0.85, small classes merged)"
"$qp" run native:extractbyexpression -- INPUT="$out/slope_unit_stats.gpkg" \
  EXPRESSION='"n_pixels" > 0' OUTPUT="$out/slope_units_valid.gpkg" > /dev/null
"$qp" run hazard:hnnsizeclasses -- UNITS="$out/slope_units_valid.gpkg" AREA_FIELD=ls_area \
  OUTPUT="$out/slope_units_classes.gpkg" OUTPUT_HTML="$out/size_classes.html" | tail -n 3

step "13/22 A small Hierarchical Neural Network: occurrence and size class per slope unit, and the units' area of applicability"
"$qp" run hazard:trainhnn -- UNITS="$out/slope_units_classes.gpkg" N1=2 U1=16 N2=1 U2=16 \
  EPOCHS=100 PATIENCE=10 SEED="$seed" OUTPUT_MODEL="$out/hnn.hnn" \
  OUTPUT="$out/slope_units_hnn.gpkg" OUTPUT_HTML="$out/hnn_report.html" | tail -n 4
"$qp" run hazard:applicability -- MODEL="$out/hnn.hnn" UNITS="$out/slope_units_classes.gpkg" \
  SEED="$seed" OUTPUT_UNITS="$out/slope_units_applicability.gpkg" \
  OUTPUT_HTML="$out/hnn_applicability.html" | grep -E "^Outside"

mh_args=()
for f in slope dist_river elevation twi ndvi pga rainfall plan_curv prof_curv noise; do
  mh_args+=("FACTORS=$sa/factors/$f.tif")
done
mh_args+=("CATEGORICAL=$sa/factors/lithology.tif" "REFERENCE=$sa/dem.tif")
mh="$out/multihazard"
mkdir -p "$mh"

step "14/22 Multi-hazard samples (the plugin's defaults): 20 % of each inventory held out in whole 2 km blocks first, 3 random absences per presence outside a 100 m buffer, no synthetic presences, 4 zones, 80/10/10"
"$qp" run hazard:multihazardsamples -- FLOODS="$sa/floods.gpkg" \
  LANDSLIDES="$sa/landslide_points.gpkg" "${mh_args[@]}" ZONES="$sa/zones.gpkg" \
  TEST_SHARE=0.2 BLOCK_SIZE=2000 SEED="$seed" OUTPUT="$mh/samples.gpkg" \
  OUTPUT_HELD_OUT="$mh/held_out.gpkg" | tail -n 3

step "15/22 Zone-wise feature selection (Pearson |r| > 0.7, SHAP shares; FL-MHSM study, table 4)"
features=$("$qp" run hazard:zonefeatureselection -- SAMPLES="$mh/samples.gpkg" "${mh_args[@]}" \
  SEED="$seed" OUTPUT_HTML="$mh/feature_selection.html" OUTPUT_CSV="$mh/feature_selection.csv" \
  | sed -n 's/^FEATURES:\t//p')
echo "kept per zone: $features"

step "16/22 Late Fusion (XGBoost), Early Fusion (MVG-NLL network) and the Mixture of Experts per zone, each zone leaning on the all-zone models by its sample size"
"$qp" run hazard:trainmultihazard -- SAMPLES="$mh/samples.gpkg" "${mh_args[@]}" \
  FEATURES="$features" SEED="$seed" OUTPUT_MODEL="$mh/models.mhz" \
  OUTPUT_HTML="$mh/training_report.html" OUTPUT_CSV="$mh/table5_metrics.csv" | grep -E "macro|WARN" || true

step "17/22 Map flood and landslide susceptibility on overlapping tiles (256 px, 32 px overlap), blended across zone borders, with each zone's area of applicability"
"$qp" run hazard:mapmultihazard -- MODEL="$mh/models.mhz" "${mh_args[@]}" ZONES="$sa/zones.gpkg" \
  TILE_SIZE=256 OVERLAP=32 OUTPUT_MOE_FLOOD="$mh/moe_flood.tif" \
  OUTPUT_MOE_LANDSLIDE="$mh/moe_landslide.tif" OUTPUT_LF_FLOOD="$mh/lf_flood.tif" \
  OUTPUT_LF_LANDSLIDE="$mh/lf_landslide.tif" OUTPUT_EF_FLOOD="$mh/ef_flood.tif" \
  OUTPUT_EF_LANDSLIDE="$mh/ef_landslide.tif" OUTPUT_UNCERTAINTY="$mh/uncertainty.tif" \
  OUTPUT_CORRELATION="$mh/correlation.tif" OUTPUT_BIVARIATE="$mh/bivariate.tif" \
  OUTPUT_DI="$mh/dissimilarity.tif" OUTPUT_AOA="$mh/applicability.tif" | grep -E "breaks|pixels"

step "18/22 Multi-hazard evaluation: Jaccard of H+VH areas, MH density, zonal uncertainty (table 6)"
"$qp" run hazard:evaluatemultihazard -- MAP_MOE_FLOOD="$mh/moe_flood.tif" \
  MAP_MOE_LANDSLIDE="$mh/moe_landslide.tif" MAP_LF_FLOOD="$mh/lf_flood.tif" \
  MAP_LF_LANDSLIDE="$mh/lf_landslide.tif" MAP_EF_FLOOD="$mh/ef_flood.tif" \
  MAP_EF_LANDSLIDE="$mh/ef_landslide.tif" BIVARIATE="$mh/bivariate.tif" \
  FLOODS="$sa/floods.gpkg" LANDSLIDES="$sa/landslides.gpkg" UNCERTAINTY="$mh/uncertainty.tif" \
  CORRELATION="$mh/correlation.tif" ZONES="$sa/zones.gpkg" HELD_OUT="$mh/held_out.gpkg" \
  SEED="$seed" OUTPUT_HTML="$mh/evaluation.html" \
  OUTPUT_JACCARD_CSV="$mh/jaccard.csv" OUTPUT_DENSITY_CSV="$mh/mh_density.csv" \
  OUTPUT_ZONAL_CSV="$mh/zonal_means.csv" | grep Jaccard

step "19/22 GeoDetector on the MoE maps per zone (all factors, interactions of the top 5, risk of the top 1)"
for h in flood landslide; do
  "$qp" run hazard:geodetector -- RESPONSE="$mh/moe_$h.tif" "${mh_args[@]}" \
    ZONES="$sa/zones.gpkg" ZONE_FIELD=zone TOP_N=5 SEED="$seed" \
    OUTPUT_HTML="$mh/geodetector_$h.html" OUTPUT_TABLES="$mh/geodetector_$h" | tail -n 1
done

mp="$out/multihazard_paper"
mkdir -p "$mp"
step "20/22 The FL-MHSM study's own settings, for comparison: KDE ratio 1.5, one-class SVM on the coordinates (1:1), zones on their own, Early Fusion stopping on the validation split, cut at the borders"
"$qp" run hazard:multihazardsamples -- FLOODS="$sa/floods.gpkg" \
  LANDSLIDES="$sa/landslide_points.gpkg" "${mh_args[@]}" ZONES="$sa/zones.gpkg" KDE_RATIO=1.5 \
  ABSENCE_METHOD=0 ABSENCE_RATIO=1 SEED="$seed" OUTPUT="$mp/samples.gpkg" | tail -n 1
"$qp" run hazard:trainmultihazard -- SAMPLES="$mp/samples.gpkg" "${mh_args[@]}" \
  FEATURES="$features" ZONE_MODE=1 EF_HOLDOUT=0 SEED="$seed" OUTPUT_MODEL="$mp/models.mhz" \
  OUTPUT_HTML="$mp/training_report.html" OUTPUT_CSV="$mp/table5_metrics.csv" | grep -E "macro" || true

step "21/22 The FL-MHSM study's maps (no blending across zone borders)"
"$qp" run hazard:mapmultihazard -- MODEL="$mp/models.mhz" "${mh_args[@]}" ZONES="$sa/zones.gpkg" \
  TILE_SIZE=256 OVERLAP=32 BLEND=0 OUTPUT_MOE_FLOOD="$mp/moe_flood.tif" \
  OUTPUT_MOE_LANDSLIDE="$mp/moe_landslide.tif" OUTPUT_LF_FLOOD="$mp/lf_flood.tif" \
  OUTPUT_LF_LANDSLIDE="$mp/lf_landslide.tif" OUTPUT_EF_FLOOD="$mp/ef_flood.tif" \
  OUTPUT_EF_LANDSLIDE="$mp/ef_landslide.tif" OUTPUT_UNCERTAINTY="$mp/uncertainty.tif" \
  OUTPUT_CORRELATION="$mp/correlation.tif" \
  | grep -E "pixels"

step "22/22 Fidelity to the truth: every probability map against the processes the sample area was drawn from (truth.json)"
fidelity=$(cd "$here/.build/plugins" && "$here/.venv/bin/python" -m \
  hazard_susceptibility.core.stats.fidelity "$out" "$seed")


cat <<MSG

Fidelity to the truth (Spearman with the true logit; AUC on 200,000 Bernoulli draws from the
true probability, the truth's own in brackets; zone-seam ratio, the truth's own in brackets):
$fidelity

Demo done. Written to $out:
  sample_area/                 the synthetic study area (factors/, landslides, floods, zones,
                               slope units, truth.json with the true processes)
  factors_aligned.tif          12 factors on one 30 m grid, one band each (styled: .qml beside it)
  slope_unit_stats.gpkg        slope units with <factor>_mean/_std, lithology_major, su_area,
                               n_pixels and ls_area (styled: .qml beside it)
  landslides_training.gpkg, landslides_held_out.gpkg
                               the landslide points split: 30 % held out in whole 2 km blocks
  samples_mahalanobis.gpkg     training landslides (label 1) and Mahalanobis absences (label 0)
  mahalanobis_d2.tif, mahalanobis_space.tif, mahalanobis_summary.html
                               the D2 map, the sampling space (D2 > critical value), the summary
  samples_slope.gpkg           landslide points and absences on slopes < 3 degrees (leave slope
                               out of a model trained on these)
  model_rf.hsm, model_rf_report.html, model_rf_metrics.csv
                               a random forest trained on the Mahalanobis samples, its report
                               (internal score beside the held-out landslides' score)
  susceptibility.tif, susceptibility_classes.tif, uncertainty.tif
                               the probability map, its 5 classes (very low .. very high) and
                               the spread of the forest's trees
  dissimilarity.tif, applicability.tif, applicability.html
                               the dissimilarity index to the training samples and the area of
                               applicability (1 inside, 0 outside: the model extrapolates)
  evaluation.html, evaluation.csv
                               AUC, kappa, SCAI per class and LSI statistics of the map on the
                               held-out landslides, inside and outside the area of applicability
  comparison.html, comparison.csv, comparison_maps/
                               Mahalanobis against slope-threshold sampling, side by side: each
                               on its own test split, on a common yardstick, on the held-out
                               landslides
  size_classes.html, slope_units_classes.gpkg
                               landslide size classes per slope unit
  hnn.hnn, hnn_report.html, slope_units_hnn.gpkg
                               the HNN, its report (ROC against the GLM, class AUCs, Moran's I)
                               and the slope units with P(landslide) and P(class)
  slope_units_applicability.gpkg, hnn_applicability.html
                               the slope units' DI to the HNN's training units, inside/outside
  multihazard/                 the FL-MHSM study: samples.gpkg; feature_selection.html (table 4);
                               models.mhz and training_report.html (table 5: LF, EF, MoE per
                               zone and macro); moe_/lf_/ef_flood|landslide.tif probabilities,
                               uncertainty.tif, correlation.tif, bivariate.tif (25 classes,
                               5x5 palette); dissimilarity.tif and applicability.tif per zone; evaluation.html (Jaccard, MH density, table 6);
                               geodetector_flood|landslide.html on the MoE maps per zone;
                               held_out.gpkg (20 % of each inventory, never sampled) and the
                               maps' held-out AUCs against random background in evaluation.html
  multihazard_paper/           the same chain with the FL-MHSM study's settings (KDE 1.5, one-class SVM
                               on the coordinates, zones on their own, no blending)
  fidelity.csv                 every probability map against the sample area's true processes

Open them in QGIS: drag the files from a file manager onto the map, or
  qgis $out/susceptibility_classes.tif $out/samples_mahalanobis.gpkg $sa/landslides.gpkg
  qgis $mh/bivariate.tif $sa/floods.gpkg $sa/landslides.gpkg
and open the .html reports in a web browser.
MSG
