#!/usr/bin/env bash
# The demo: build the sample study area and run the plugin's algorithms on it through
# qgis_process, into demo_output/. Called by `make demo` (after `make setup`).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seed=${1:-42}
out="$here/demo_output"
qp="$here/scripts/qgis_process"
mkdir -p "$out"
step() { echo; echo "== $*"; }

step "1/11 Sample study area (seed $seed)"
"$qp" run hazard:createsamplearea -- SEED="$seed" OUTPUT_FOLDER="$out/sample_area" | tail -n 12
sa="$out/sample_area"
cont=(elevation slope aspect plan_curv prof_curv twi dist_river ndvi rainfall pga noise)
factor_args=()
for f in "${cont[@]}"; do factor_args+=("FACTORS=$sa/factors/$f.tif"); done
factor_args+=("CATEGORICAL=$sa/factors/lithology.tif" "REFERENCE=$sa/dem.tif")

step "2/11 Align the 12 factors (rainfall comes in WGS 84, PGA at 120 m) to the DEM's grid"
"$qp" run hazard:alignfactors -- "${factor_args[@]}" OUTPUT="$out/factors_aligned.tif" | tail -n 4

step "3/11 Slope-unit statistics with landslide area per unit"
"$qp" run hazard:slopeunitstats -- SLOPE_UNITS="$sa/slope_units.gpkg" "${factor_args[@]}" \
  LANDSLIDES="$sa/landslides.gpkg" OUTPUT="$out/slope_unit_stats.gpkg" | tail -n 3

sampling=()
for f in elevation plan_curv prof_curv twi dist_river ndvi rainfall pga; do
  sampling+=("FACTORS=$sa/factors/$f.tif")
done
sampling+=("CATEGORICAL=$sa/factors/lithology.tif" "REFERENCE=$sa/dem.tif")

step "4/11 Absences by Mahalanobis distance (paper 003), 1:1, at least 100 m from landslides"
"$qp" run hazard:mahalanobisabsences -- PRESENCES="$sa/landslide_points.gpkg" "${sampling[@]}" \
  FACTORS="$sa/factors/slope.tif" RATIO=1 MIN_DISTANCE=100 SEED="$seed" \
  OUTPUT="$out/samples_mahalanobis.gpkg" OUTPUT_D2="$out/mahalanobis_d2.tif" \
  OUTPUT_MASK="$out/mahalanobis_space.tif" OUTPUT_HTML="$out/mahalanobis_summary.html" | tail -n 6

step "5/11 Absences on slopes below 3 degrees (the common practice paper 003 compares against)"
"$qp" run hazard:slopeabsences -- PRESENCES="$sa/landslide_points.gpkg" \
  SLOPE="$sa/factors/slope.tif" "${sampling[@]}" THRESHOLD=3 RATIO=1 MIN_DISTANCE=100 \
  SEED="$seed" OUTPUT="$out/samples_slope.gpkg" | tail -n 4

model_factors=()
for f in elevation plan_curv prof_curv twi dist_river ndvi rainfall pga slope; do
  model_factors+=("FACTORS=$sa/factors/$f.tif")
done
model_factors+=("CATEGORICAL=$sa/factors/lithology.tif" "REFERENCE=$sa/dem.tif")

step "6/11 Train a random forest on the Mahalanobis samples (70/30 split)"
"$qp" run hazard:trainmodel -- SAMPLES="$out/samples_mahalanobis.gpkg" "${model_factors[@]}" \
  MODEL=0 TREES=300 SEED="$seed" OUTPUT_MODEL="$out/model_rf.hsm" \
  OUTPUT_HTML="$out/model_rf_report.html" OUTPUT_CSV="$out/model_rf_metrics.csv" | tail -n 4

step "7/11 Map susceptibility: probability and 5 natural-breaks classes"
"$qp" run hazard:applymodel -- MODEL="$out/model_rf.hsm" "${model_factors[@]}" \
  OUTPUT="$out/susceptibility.tif" OUTPUT_CLASSES="$out/susceptibility_classes.tif" | tail -n 4

step "8/11 Evaluate the map against the landslide polygons (AUC, kappa, SCAI, LSI)"
"$qp" run hazard:evaluatemap -- PROBABILITY="$out/susceptibility.tif" \
  HAZARDS="$sa/landslides.gpkg" SEED="$seed" OUTPUT_HTML="$out/evaluation.html" \
  OUTPUT_CSV="$out/evaluation.csv" | tail -n 3

step "9/11 Compare Mahalanobis and slope-threshold sampling (paper 003)"
"$qp" run hazard:comparesampling -- SCENARIOS="$out/samples_mahalanobis.gpkg" \
  SCENARIOS="$out/samples_slope.gpkg" "${model_factors[@]}" TREES=200 SEED="$seed" \
  OUTPUT_HTML="$out/comparison.html" OUTPUT_CSV="$out/comparison.csv" \
  OUTPUT_MAPS="$out/comparison_maps" | tail -n 4

step "10/11 Landslide size classes per slope unit (paper 000: GVF >= 0.85, small classes merged)"
"$qp" run native:extractbyexpression -- INPUT="$out/slope_unit_stats.gpkg" \
  EXPRESSION='"n_pixels" > 0' OUTPUT="$out/slope_units_valid.gpkg" > /dev/null
"$qp" run hazard:hnnsizeclasses -- UNITS="$out/slope_units_valid.gpkg" AREA_FIELD=ls_area \
  OUTPUT="$out/slope_units_classes.gpkg" OUTPUT_HTML="$out/size_classes.html" | tail -n 3

step "11/11 A small Hierarchical Neural Network: occurrence and size class per slope unit"
"$qp" run hazard:trainhnn -- UNITS="$out/slope_units_classes.gpkg" N1=2 U1=16 N2=1 U2=16 \
  EPOCHS=100 PATIENCE=10 SEED="$seed" OUTPUT_MODEL="$out/hnn.hnn" \
  OUTPUT="$out/slope_units_hnn.gpkg" OUTPUT_HTML="$out/hnn_report.html" | tail -n 4

cat <<MSG

Demo done. Written to $out:
  sample_area/                 the synthetic study area (factors/, landslides, floods, zones,
                               slope units, truth.json with the true processes)
  factors_aligned.tif          12 factors on one 30 m grid, one band each (styled: .qml beside it)
  slope_unit_stats.gpkg        slope units with <factor>_mean/_std, lithology_major, su_area,
                               n_pixels and ls_area (styled: .qml beside it)
  samples_mahalanobis.gpkg     landslide points (label 1) and Mahalanobis absences (label 0)
  mahalanobis_d2.tif, mahalanobis_space.tif, mahalanobis_summary.html
                               the D2 map, the sampling space (D2 > critical value), the summary
  samples_slope.gpkg           landslide points and absences on slopes < 3 degrees (leave slope
                               out of a model trained on these)
  model_rf.hsm, model_rf_report.html, model_rf_metrics.csv
                               a random forest trained on the Mahalanobis samples, its report
  susceptibility.tif, susceptibility_classes.tif
                               the probability map and its 5 classes (very low .. very high)
  evaluation.html, evaluation.csv
                               AUC, kappa, SCAI per class and LSI statistics of the map
  comparison.html, comparison.csv, comparison_maps/
                               Mahalanobis against slope-threshold sampling, side by side
  size_classes.html, slope_units_classes.gpkg
                               landslide size classes per slope unit
  hnn.hnn, hnn_report.html, slope_units_hnn.gpkg
                               the HNN, its report (ROC against the GLM, class AUCs, Moran's I)
                               and the slope units with P(landslide) and P(class)

Open them in QGIS: drag the files from a file manager onto the map, or
  qgis $out/susceptibility_classes.tif $out/samples_mahalanobis.gpkg $sa/landslides.gpkg
and open the .html reports in a web browser.
MSG
