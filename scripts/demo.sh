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

step "1/3 Sample study area (seed $seed)"
"$qp" run hazard:createsamplearea -- SEED="$seed" OUTPUT_FOLDER="$out/sample_area" | tail -n 12
sa="$out/sample_area"
cont=(elevation slope aspect plan_curv prof_curv twi dist_river ndvi rainfall pga noise)
factor_args=()
for f in "${cont[@]}"; do factor_args+=("FACTORS=$sa/factors/$f.tif"); done
factor_args+=("CATEGORICAL=$sa/factors/lithology.tif" "REFERENCE=$sa/dem.tif")

step "2/3 Align the 12 factors (rainfall comes in WGS 84, PGA at 120 m) to the DEM's grid"
"$qp" run hazard:alignfactors -- "${factor_args[@]}" OUTPUT="$out/factors_aligned.tif" | tail -n 4

step "3/3 Slope-unit statistics with landslide area per unit"
"$qp" run hazard:slopeunitstats -- SLOPE_UNITS="$sa/slope_units.gpkg" "${factor_args[@]}" \
  LANDSLIDES="$sa/landslides.gpkg" OUTPUT="$out/slope_unit_stats.gpkg" | tail -n 3

cat <<MSG

Demo done. Written to $out:
  sample_area/                 the synthetic study area (factors/, landslides, floods, zones,
                               slope units, truth.json with the true processes)
  factors_aligned.tif          12 factors on one 30 m grid, one band each (styled: .qml beside it)
  slope_unit_stats.gpkg        slope units with <factor>_mean/_std, lithology_major, su_area,
                               n_pixels and ls_area (styled: .qml beside it)

Open them in QGIS: drag the files from a file manager onto the map, or
  qgis $out/slope_unit_stats.gpkg $out/factors_aligned.tif $sa/landslides.gpkg
MSG
