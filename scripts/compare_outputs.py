"""Compare two output folders of the demo (or of any run): rasters byte for byte, CSV tables as
text, vector layers feature by feature (attributes and WKT geometry, in any order).

    python scripts/compare_outputs.py FOLDER_A FOLDER_B

Prints what differs and the count of files compared per kind; exit 1 when anything differs.
Used by the demo-determinism test and to check that a refactoring changes no result."""
import os
import sys
from pathlib import Path


def features(path):
    """Every layer's rows (attributes and geometry as WKT) of a vector file, sorted."""
    from osgeo import ogr
    ds = ogr.Open(str(path))
    out = {}
    for i in range(ds.GetLayerCount()):
        lyr = ds.GetLayerByIndex(i)
        rows = []
        for f in lyr:
            g = f.GetGeometryRef()
            rows.append((tuple(f.GetField(k) for k in range(f.GetFieldCount())),
                         g.ExportToWkt() if g is not None else None))
        out[lyr.GetName()] = sorted(rows, key=repr)
    return out


def compare(a, b):
    """(differences, {kind: files compared}) between folders ``a`` and ``b``."""
    a, b = Path(a), Path(b)
    fa = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    fb = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    diffs = [f"only in {a}: {p}" for p in sorted(set(fa) - set(fb))]
    diffs += [f"only in {b}: {p}" for p in sorted(set(fb) - set(fa))]
    checked = {"tif": 0, "csv": 0, "gpkg": 0}
    for rel in sorted(set(fa) & set(fb)):
        ext = rel.suffix.lstrip(".")
        if ext == "tif":
            same = (a / rel).read_bytes() == (b / rel).read_bytes()
        elif ext == "csv":
            same = (a / rel).read_text() == (b / rel).read_text()
        elif ext == "gpkg":
            same = features(a / rel) == features(b / rel)
        else:
            continue
        checked[ext] += 1
        if not same:
            diffs.append(f"differs: {rel}")
    return diffs, checked


def main(argv):
    if len(argv) != 3 or not all(os.path.isdir(d) for d in argv[1:]):
        print(__doc__, file=sys.stderr)
        return 2
    diffs, checked = compare(argv[1], argv[2])
    for d in diffs:
        print(d)
    print(f"compared {checked['tif']} rasters byte for byte, {checked['csv']} CSV tables, "
          f"{checked['gpkg']} vector files: {'identical' if not diffs else f'{len(diffs)} differences'}")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
