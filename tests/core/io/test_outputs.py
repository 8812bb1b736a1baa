"""A run's output files (core/io/outputs.py): data source strings, a failed run's outputs put
back, a shapefile swapped in with its parts, one GeoPackage layer replaced beside the others."""
import os

import pytest
from osgeo import ogr

from hazard_susceptibility.core.io import outputs


def test_split_source_reads_every_form_of_a_data_source():
    assert outputs.split_source("/d/a.gpkg") == ("/d/a.gpkg", None)
    assert outputs.split_source("/d/a.gpkg|layername=roads") == ("/d/a.gpkg", "roads")
    assert outputs.split_source("/d/a.gpkg|layerid=0|layername=x y") == ("/d/a.gpkg", "x y")
    # QGIS's ogr: destination, quotes doubled inside the names
    assert outputs.split_source("ogr:dbname='/d/it''s.gpkg' table=\"a \"\"b\"\"\" (geom)") == \
        ("/d/it's.gpkg", 'a "b"')
    assert outputs.split_source(None) == ("", None)


def test_same_file_sees_links(tmp_path):
    a = tmp_path / "a.tif"
    a.write_text("x")
    os.link(a, tmp_path / "hard.tif")
    os.symlink(a, tmp_path / "soft.tif")
    assert outputs.same_file(str(a), str(tmp_path / "hard.tif"))
    assert outputs.same_file(str(a), str(tmp_path / "soft.tif"))
    assert outputs.same_file(str(tmp_path / "new.tif"), str(tmp_path / "." / "new.tif"))
    assert not outputs.same_file(str(a), str(tmp_path / "b.tif"))


def test_unwritable_names_the_folder_in_the_way(tmp_path):
    assert outputs.unwritable(str(tmp_path / "new" / "deeper" / "out.tif")) is None
    (tmp_path / "file").write_text("x")
    why = outputs.unwritable(str(tmp_path / "file" / "out.tif"))
    assert why and "is a file, not a folder" in why and str(tmp_path / "file") in why
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):  # root writes anywhere
            pytest.skip("running as root: no folder is read-only")
        assert "not writable" in outputs.unwritable(str(locked / "out.tif"))
    finally:
        locked.chmod(0o700)


def test_rollback_puts_back_what_a_failed_run_replaced_and_removes_what_it_made(tmp_path):
    old = tmp_path / "old.tif"
    old.write_text("before")
    (tmp_path / "old.tif.aux.xml").write_text("stats before")
    new = tmp_path / "new.tif"
    with pytest.raises(RuntimeError):
        with outputs.rollback([str(old), str(new), ""]):
            for f in (old, tmp_path / "old.tif.aux.xml"):  # a writer replaces the output
                os.remove(f)  # and its sidecar: new files under their names
            old.write_text("after")
            (tmp_path / "old.tif.aux.xml").write_text("stats after")
            new.write_text("made")
            (tmp_path / "new.qml").write_text("style")
            raise RuntimeError("the run fails")
    assert old.read_text() == "before"
    assert (tmp_path / "old.tif.aux.xml").read_text() == "stats before"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.tif", "old.tif.aux.xml"]


def test_rollback_keeps_a_successful_run_and_leaves_no_link(tmp_path):
    out = tmp_path / "out.tif"
    out.write_text("before")
    with outputs.rollback([str(out)]):
        os.remove(out)
        out.write_text("after")
    assert out.read_text() == "after"
    assert [p.name for p in tmp_path.iterdir()] == ["out.tif"]


def _shapefile(path, n, extra_index=False):
    ds = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(str(path))
    lyr = ds.CreateLayer(path.stem, None, ogr.wkbPoint)
    for k in range(n):
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({k} {k})"))
        lyr.CreateFeature(f)
    ds = None
    if extra_index:
        (path.parent / f"{path.stem}.qix").write_bytes(b"old index")


def test_replace_dataset_swaps_every_part_and_drops_stale_ones(tmp_path):
    out, tmp = tmp_path / "samples.shp", tmp_path / ".samples.1-ab.partial.shp"
    _shapefile(out, 2, extra_index=True)
    (tmp_path / "samples.shp.provenance.json").write_text("{}")
    _shapefile(tmp, 5)
    outputs.replace_dataset(str(tmp), str(out))
    ds = ogr.Open(str(out))
    assert ds.GetLayer(0).GetFeatureCount() == 5
    ds = None
    names = sorted(p.name for p in tmp_path.iterdir())
    assert not any("partial" in n for n in names)
    assert "samples.qix" not in names and "samples.shp.provenance.json" not in names
    assert {"samples.shp", "samples.shx", "samples.dbf"} <= set(names)
    outputs.remove_dataset(str(out))
    assert not any(p.name.startswith("samples.") for p in tmp_path.iterdir())


def _gpkg_layer(path, name, n):
    drv = ogr.GetDriverByName("GPKG")
    ds = drv.Open(str(path), 1) if path.exists() else drv.CreateDataSource(str(path))
    lyr = ds.CreateLayer(name, None, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("v", ogr.OFTInteger))
    for k in range(n):
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField("v", k)
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({k} 0)"))
        lyr.CreateFeature(f)
    ds = None


def test_copy_layer_in_replaces_one_layer_and_keeps_the_others(tmp_path):
    project, tmp = tmp_path / "project.gpkg", tmp_path / "tmp.gpkg"
    _gpkg_layer(project, "roads", 3)
    _gpkg_layer(project, "samples", 2)
    _gpkg_layer(tmp, "samples", 7)
    outputs.copy_layer_in(str(tmp), str(project), "samples")
    ds = ogr.Open(str(project))
    counts = {ds.GetLayer(i).GetName(): ds.GetLayer(i).GetFeatureCount()
              for i in range(ds.GetLayerCount())}
    values = sorted(f.GetField("v") for f in ds.GetLayerByName("samples"))
    ds = None
    assert counts == {"roads": 3, "samples": 7}
    assert values == list(range(7))


def test_gpkg_layer_uri_is_read_back_by_split_source():
    for path, layer in (("/d/a.gpkg", "roads"), ("/d/it's.gpkg", 'say "x"')):
        uri = outputs.gpkg_layer_uri(path, layer)
        assert uri.startswith("ogr:dbname=") and outputs.split_source(uri) == (path, layer)


def test_file_destinations_and_provider_uris():
    assert outputs.file_destination("/d/out.gpkg")
    assert outputs.file_destination("/d/out.gpkg|layername=x")
    assert outputs.file_destination(outputs.gpkg_layer_uri("/d/a.gpkg", "x"))
    assert outputs.file_destination("C:\\data\\out.shp")  # a drive letter is no provider
    assert not outputs.file_destination("memory:samples")
    assert not outputs.file_destination("postgres:dbname='gis' table=\"t\"")
    assert not outputs.file_destination("/d/a.gpkg|layerid=0|subset=x")
    assert not outputs.file_destination("")


def test_output_problem_names_the_output_and_what_to_do(tmp_path):
    (tmp_path / "f.txt").write_text("x")
    assert outputs.output_problem(str(tmp_path / "new.tif"), "OUTPUT", "raster") is None
    assert outputs.output_problem(str(tmp_path / "dir"), "OUTPUT_FOLDER", "folder") is None
    why = outputs.output_problem(str(tmp_path / "f.txt"), "OUTPUT_FOLDER", "folder")
    assert "existing file" in why and why.endswith("[OUTPUT_FOLDER].")
    why = outputs.output_problem(str(tmp_path), "OUTPUT", "file")
    assert "existing folder" in why and why.endswith("[OUTPUT].")
    why = outputs.output_problem(str(tmp_path / "map.png"), "OUTPUT", "raster")
    assert "map.tif" in why and "'.png'" in why
    assert outputs.output_problem(str(tmp_path / "map.png"), "OUTPUT", "file") is None
    assert outputs.output_problem(str(tmp_path / "map"), "OUTPUT", "raster") is None
    long = str(tmp_path / ("a" * 245 + ".tif"))
    assert "bytes long" in outputs.output_problem(long, "OUTPUT", "raster")
