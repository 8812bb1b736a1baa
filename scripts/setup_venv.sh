#!/usr/bin/env bash
# Make (or bring up to date) the project's venv for this platform, from its pinned lock.
#
#   scripts/setup_venv.sh VENV          install from constraints/<tag>.txt (+ -dev.txt)
#   scripts/setup_venv.sh --lock VENV   resolve requirements*.txt afresh and write the lock
#                                       of this platform (maintainers: `make lock`)
#
# The platform tag is (Python of /usr/bin/python3, major version of Debian's numpy), for
# example py311-numpy1 on Debian 12 and py313-numpy2 on Debian 13 (core/util/locks.py). The venv is
# made with --system-site-packages so QGIS's bindings, GDAL, numpy and matplotlib stay Debian's;
# pip is held to Debian's numpy and GDAL versions so it can never install over them. After the
# install: every package in the venv must be pinned by the lock (a complete lock), numpy and
# GDAL must still come from Debian, and QGIS, GDAL, matplotlib and every ML package must import
# together, or the set-up fails saying which combination broke.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
mode=install
if [ "${1:-}" = --lock ]; then mode=lock; shift; fi
venv=${1:?usage: setup_venv.sh [--lock] VENV}
sys_python=${SYS_PYTHON:-/usr/bin/python3}
cd "$here"

tag=$("$sys_python" core/util/locks.py tag)
held="$venv/held-by-debian.txt"

make_venv() {
  [ -x "$venv/bin/python" ] || "$sys_python" -m venv --system-site-packages "$venv"
  # numpy and the GDAL bindings are Debian's: pin pip to exactly those
  "$sys_python" - >"$held" <<'EOF'
import numpy
print(f"numpy=={numpy.__version__}")
try:
    from osgeo import gdal
    print(f"GDAL=={gdal.__version__}")
except ImportError:
    pass
EOF
}

pipq() { "$venv/bin/python" -m pip "$@" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" || true; }

if [ "$mode" = lock ]; then
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  venv="$scratch/venv"; held="$scratch/held.txt"
  make_venv
  desc="$(. /etc/os-release && echo "$PRETTY_NAME"), Python $("$sys_python" -c 'import sys; print(sys.version.split()[0])'), Debian's $(tr '\n' ' ' <"$held")"
  # hand-made limits of this platform, if any (constraints/<tag>.in)
  [ -e "constraints/$tag.in" ] && cat "constraints/$tag.in" >>"$held"
  pipq install -q -r requirements.txt -c "$held"
  "$venv/bin/python" -m pip freeze --local | LC_ALL=C sort >"$scratch/rt.txt"
  pipq install -q -r requirements-dev.txt -c "$held"
  "$venv/bin/python" -m pip freeze --local | LC_ALL=C sort >"$scratch/all.txt"
  { echo "# Lock for $tag: $desc"
    echo "# Made by \`make lock\` ($(date -u +%F)): pip freeze --local of a venv with"
    echo "# --system-site-packages. Exact pins of everything installed on top of Debian's packages;"
    echo "# numpy and GDAL are Debian's and never listed.$([ -e "constraints/$tag.in" ] && echo " Hand-made limits: constraints/$tag.in.")"
    cat "$scratch/rt.txt"; } >"constraints/$tag.txt"
  { echo "# Test tools for $tag (make test), on top of constraints/$tag.txt; made by \`make lock\`."
    LC_ALL=C comm -13 "$scratch/rt.txt" "$scratch/all.txt"; } >"constraints/$tag-dev.txt"
  echo "wrote constraints/$tag.txt and constraints/$tag-dev.txt"
  exit 0
fi

lock=$("$sys_python" core/util/locks.py path) || {
  echo "hazard: 'make lock' on this machine writes a lock for $tag; commit it once its tests pass." >&2
  exit 3; }
dev=$("$sys_python" core/util/locks.py dev-path)
echo "Setting up $venv for $tag from $lock"
make_venv
out=$("$venv/bin/python" -m pip install -q -r requirements.txt -r requirements-dev.txt \
      -c "$lock" -c "$dev" -c "$held" 2>&1) || {
  echo "$out" | grep -v "is ignored: it is neither" >&2
  echo "hazard: pip could not install the pinned set $lock for $tag with Debian's $(tr '\n' ' ' <"$held")" >&2
  exit 1; }

# a complete lock: nothing in the venv that the lock does not pin
"$venv/bin/python" - "$lock" "$dev" <<'EOF'
import sys
sys.path.insert(0, "core/util")
import locks
from importlib import metadata
pins = {}
for path in sys.argv[1:]:
    pins.update(locks.read_lock(path))
site = [p for p in sys.path if p.startswith(sys.prefix) and p.endswith("site-packages")]
unpinned, wrong = [], []
for dist in metadata.distributions(path=site):
    name = locks.norm(dist.metadata["Name"])
    if name in ("pip", "setuptools", "wheel"):
        continue
    if name not in pins:
        unpinned.append(f"{name}=={dist.version}")
    elif pins[name] != dist.version:
        wrong.append(f"{name} {dist.version} (lock: {pins[name]})")
if unpinned or wrong:
    sys.exit("hazard: the lock is not complete for this platform; installed but "
             f"unpinned: {', '.join(sorted(unpinned)) or 'none'}; other versions: "
             f"{', '.join(sorted(wrong)) or 'none'}. Run 'make lock' and commit the result.")
EOF

# Debian's numpy and GDAL still in charge, and everything imports together
"$venv/bin/python" - <<'EOF'
import importlib, subprocess, sys
import numpy
from osgeo import gdal
for mod, path in (("numpy", numpy.__file__), ("osgeo.gdal", gdal.__file__)):
    if not path.startswith("/usr/lib/python3/"):
        sys.exit(f"hazard: {mod} comes from {path}, not from Debian: the venv must never "
                 "replace QGIS's own numpy or GDAL bindings (remove the venv and run make setup)")
base = ["qgis.core", "osgeo.gdal", "matplotlib", "numpy"]
ml = ["scipy", "pandas", "sklearn", "xgboost", "shap", "numba", "imblearn",
      "jenkspy", "kmeans1d", "betacal", "dask", "distributed"]
def check(mods):
    code = ("import importlib, sys\n"
            f"for m in {mods!r}: importlib.import_module(m)\n"
            "import numpy; print(numpy.__version__)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return r.returncode == 0, (r.stderr.strip().splitlines() or ["(no message)"])[-1]
ok, why = check(base + ml)
if not ok:
    for m in ml:  # which one breaks beside QGIS
        good, why1 = check(base + [m])
        if not good:
            sys.exit(f"hazard: {m} does not import beside {', '.join(base)}: {why1}")
    sys.exit(f"hazard: {', '.join(base + ml)} do not import together: {why}")
# TensorFlow runs in its own worker process (core/util/worker.py), never beside QGIS
ok, why = check(["numpy", "sklearn", "tensorflow"])
if not ok:
    sys.exit(f"hazard: tensorflow does not import with numpy {numpy.__version__} and "
             f"scikit-learn: {why}")
import qgis.core
print(f"hazard: QGIS {qgis.core.Qgis.QGIS_VERSION}, Python {sys.version.split()[0]}, "
      f"numpy {numpy.__version__} and GDAL {gdal.__version__} (Debian's): all packages import")
EOF
