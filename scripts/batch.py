#!/usr/bin/env python3
"""Run one Processing algorithm over several inputs with qgis_process.

    scripts/batch.py ALGORITHM --over PARAM=GLOB [--set PARAM=VALUE ...] [--jobs N] [--log CSV]

Every file matched by GLOB is given to PARAM in its own run; in --set values, {input} is that
file, {stem} its name without extension and {name} its name. Runs go through
scripts/qgis_process (the plugin enabled, the project's venv visible), N at a time; a CSV log
records each run's status and outputs, and the exit code is non-zero when any run failed.

Example: a model per sample set of the multi-ratio sampler, two at a time:

    scripts/batch.py hazard:trainmodel --over SAMPLES='sets/ratio_*.gpkg' \\
        --set FACTORS=factors/slope.tif --set FACTORS=factors/ndvi.tif \\
        --set OUTPUT_MODEL='models/{stem}.hsm' --set OUTPUT_HTML='models/{stem}.html' --jobs 2
"""
import argparse
import csv
import glob
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
QP = os.path.join(HERE, "qgis_process")


def run_one(alg, over_param, path, sets):
    stem = os.path.splitext(os.path.basename(path))[0]
    subst = {"input": path, "stem": stem, "name": os.path.basename(path)}
    args = [f"{over_param}={path}"]
    for p, v in sets:
        value = v.format(**subst)
        d = os.path.dirname(value)
        if d and ("{stem}" in v or "{name}" in v):
            os.makedirs(d, exist_ok=True)
        args.append(f"{p}={value}")
    res = subprocess.run([QP, "run", alg, "--json", "--", *args], capture_output=True, text=True)
    outputs = {}
    if res.returncode == 0 and "{" in res.stdout:
        try:
            outputs = json.loads(res.stdout[res.stdout.index("{"):]).get("results", {})
        except ValueError:
            pass
    error = "" if res.returncode == 0 else (res.stderr.strip().splitlines() or ["?"])[-1]
    return {"input": path, "status": "ok" if res.returncode == 0 else "failed",
            "error": error, "outputs": json.dumps(outputs)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("algorithm")
    ap.add_argument("--over", required=True, help="PARAM=GLOB: one run per matching file")
    ap.add_argument("--set", action="append", default=[], help="PARAM=VALUE (repeatable)")
    ap.add_argument("--jobs", type=int, default=1, help="runs at the same time")
    ap.add_argument("--log", default="batch_log.csv", help="CSV log of the runs")
    a = ap.parse_args(argv)
    param, pattern = a.over.split("=", 1)
    files = sorted(glob.glob(pattern))
    if not files:
        print(f"No file matches {pattern}", file=sys.stderr)
        return 2
    sets = [tuple(s.split("=", 1)) for s in a.set]
    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        rows = list(ex.map(lambda f: run_one(a.algorithm, param, f, sets), files))
    with open(a.log, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["input", "status", "error", "outputs"])
        w.writeheader()
        w.writerows(rows)
    failed = [r for r in rows if r["status"] != "ok"]
    for r in rows:
        print(f"{r['status']:6} {r['input']}" + (f"  ({r['error']})" if r["error"] else ""))
    print(f"{len(rows) - len(failed)} of {len(rows)} runs succeeded; log: {a.log}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
