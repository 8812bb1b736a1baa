"""Rasters and vectors in and out, block by block: grids and aligned factor stacks, GeoTIFF
writers, slope-unit (zonal) statistics, terrain derivatives, the one tile runner (local threads
or Dask), the seeded sample study area, the one model-file format (.hsm, .hnn, .mhz) and a
run's output files (swapped in when complete, undone when the run fails).

Modules: modelfile, outputs, raster, synthetic, terrain, tiles, zonal.
"""
from . import modelfile, outputs, raster, synthetic, terrain, tiles, zonal  # noqa: F401
from .raster import (AlignedStack, BLOCK_BYTES, Band, DECODE_THREADS,
                     GTIFF_OPTIONS, Grid, NODATA, RasterWriter, Window, bands_of, check_valid,
                     decoding_threads, iter_windows, open_raster, read_window, safe_name,
                     same_crs, sample_at, unique_names, write_stack)  # noqa: F401
from .zonal import (ZonalResult, geometries_from_wkb, overlap_area, points_in_zones,
                    polygon_areas, rasterize_ids, slope_unit_statistics, zonal_statistics,
                    zone_codes, zones_raster)  # noqa: F401
from .tiles import (CORE_PACKAGE, ordered_results, run_tiles)  # noqa: F401
from .synthetic import (CATEGORICAL, CELL, EPSG, FACTORS, FLOOD_COEF, LANDSLIDE_COEF,
                        LANDSLIDE_LITHO, NDVI_STEP, NOISE_FACTORS, ORIGIN, SIZE_COEF,
                        fractal_field, generate_study_area)  # noqa: F401
from .terrain import (D8, curvatures, d8_receivers, fill_depressions, flow_accumulation,
                      gradient, slope_aspect, twi)  # noqa: F401
__all__ = ['AlignedStack', 'BLOCK_BYTES', 'Band', 'CATEGORICAL', 'CELL',
           'CORE_PACKAGE', 'D8', 'DECODE_THREADS', 'EPSG', 'FACTORS', 'FLOOD_COEF',
           'GTIFF_OPTIONS', 'Grid', 'LANDSLIDE_COEF', 'LANDSLIDE_LITHO', 'NDVI_STEP', 'NODATA',
           'NOISE_FACTORS', 'ORIGIN', 'RasterWriter', 'SIZE_COEF', 'Window', 'ZonalResult',
           'bands_of', 'check_valid', 'curvatures', 'd8_receivers', 'decoding_threads',
           'fill_depressions', 'flow_accumulation', 'fractal_field', 'generate_study_area',
           'geometries_from_wkb', 'gradient', 'iter_windows', 'modelfile', 'open_raster', 'outputs',
           'ordered_results',
           'overlap_area', 'points_in_zones', 'polygon_areas', 'raster', 'rasterize_ids',
           'read_window', 'run_tiles', 'safe_name', 'same_crs', 'sample_at', 'slope_aspect',
           'slope_unit_statistics', 'synthetic', 'terrain', 'tiles', 'twi', 'unique_names',
           'write_stack', 'zonal', 'zonal_statistics', 'zone_codes', 'zones_raster']
