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

step "1/5 Sample study area (seed $seed)"
"$qp" run hazard:createsamplearea -- SEED="$seed" OUTPUT_FOLDER="$out/sample_area" | tail -n 12
sa="$out/sample_area"
cont=(elevation slope aspect plan_curv prof_curv twi dist_river ndvi rainfall pga noise)
factor_args=()
for f in "${cont[@]}"; do factor_args+=("FACTORS=$sa/factors/$f.tif"); done
factor_args+=("CATEGORICAL=$sa/factors/lithology.tif" "REFERENCE=$sa/dem.tif")

step "2/5 Align the 12 factors (rainfall comes in WGS 84, PGA at 120 m) to the DEM's grid"
"$qp" run hazard:alignfactors -- "${factor_args[@]}" OUTPUT="$out/factors_aligned.tif" | tail -n 4

step "3/5 Slope-unit statistics with landslide area per unit"
"$qp" run hazard:slopeunitstats -- SLOPE_UNITS="$sa/slope_units.gpkg" "${factor_args[@]}" \
  LANDSLIDES="$sa/landslides.gpkg" OUTPUT="$out/slope_unit_stats.gpkg" | tail -n 3

sampling=()
for f in elevation plan_curv prof_curv twi dist_river ndvi rainfall pga; do
  sampling+=("FACTORS=$sa/factors/$f.tif")
done
sampling+=("CATEGORICAL=$sa/factors/lithology.tif" "REFERENCE=$sa/dem.tif")

step "4/5 Absences by Mahalanobis distance (paper 003), 1:1, at least 100 m from landslides"
"$qp" run hazard:mahalanobisabsences -- PRESENCES="$sa/landslide_points.gpkg" "${sampling[@]}" \
  FACTORS="$sa/factors/slope.tif" RATIO=1 MIN_DISTANCE=100 SEED="$seed" \
  OUTPUT="$out/samples_mahalanobis.gpkg" OUTPUT_D2="$out/mahalanobis_d2.tif" \
  OUTPUT_MASK="$out/mahalanobis_space.tif" OUTPUT_HTML="$out/mahalanobis_summary.html" | tail -n 6

step "5/5 Absences on slopes below 3 degrees (the common practice paper 003 compares against)"
"$qp" run hazard:slopeabsences -- PRESENCES="$sa/landslide_points.gpkg" \
  SLOPE="$sa/factors/slope.tif" "${sampling[@]}" THRESHOLD=3 RATIO=1 MIN_DISTANCE=100 \
  SEED="$seed" OUTPUT="$out/samples_slope.gpkg" | tail -n 4

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

Open them in QGIS: drag the files from a file manager onto the map, or
  qgis $out/slope_unit_stats.gpkg $out/factors_aligned.tif $sa/landslides.gpkg
MSG
