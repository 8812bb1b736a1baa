"""The model-file layer against crafted files: every one is refused with a message naming the
model input, and none runs code (a marker file that the payloads would create proves it)."""
import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hazard_susceptibility.core.io import modelfile
from hazard_susceptibility.core.io.modelfile import ModelFileError
from hazard_susceptibility.core.susceptibility import estimators as models
from hazard_susceptibility.core.susceptibility.training import save, train

MARKER = "/tmp/hazard_modelfile_marker"  # the payloads below would create it


class _Payload:
    """Unpickling this creates MARKER: what an attacker's object would do."""

    def __reduce__(self):
        return (open, (MARKER, "w"))


@pytest.fixture(autouse=True)
def no_marker():
    if os.path.exists(MARKER):
        os.remove(MARKER)
    yield
    assert not os.path.exists(MARKER), "a crafted model file ran code"


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=(n, 2)), rng.integers(1, 4, n)])
    y = (X[:, 0] - X[:, 1] + rng.normal(0, 0.5, n) > 0).astype(int)
    return X, y, ["a", "b", "lith"], [False, False, True]


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A genuine random forest (.hsm) and its members, to tamper with."""
    X, y, names, cat = _data()
    res = train(X, y, names, cat, "rf", {"n_estimators": 5}, {"method": "none"}, seed=1)
    path = tmp_path_factory.mktemp("mf") / "rf.hsm"
    save(res, path, crs_authid="EPSG:32717", label_field="label", n_samples=len(y))
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    return path, members, res, X


def _zip(path, members, **kw):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, **kw) as z:
        for n, data in members.items():
            z.writestr(n, data)
    return path


def _manifest(members):
    return json.loads(members["manifest.json"])


def _with(members, changes):
    return dict(members, **changes)


def _refused(path, match):
    with pytest.raises(ModelFileError, match=match) as exc:
        models.load_model(path)
    assert exc.value.input_name == "MODEL"
    return str(exc.value)


def _npy(arr, allow_pickle=False):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def test_the_genuine_file_opens(good):
    path, members, res, X = good
    est, man = models.load_model(path)
    Xt = res.encoding.transform(X)
    np.testing.assert_array_equal(est.predict_proba(Xt), res.estimator.predict_proba(Xt))
    # nothing but the manifest and plain arrays
    assert "manifest.json" in members and all(
        n == "manifest.json" or (n.startswith(("rf/", "aoa/")) and n.endswith(".npy"))
        for n in members)
    # the training rows of the area of applicability, checked against the manifest
    _, man, ex = models.load_model(path, extras=True)
    rows, folds, weights, how = ex.aoa
    assert rows.shape == (man.aoa_rows, len(man.encoding.columns)) and how
    assert len(np.unique(folds)) >= 2 and (weights >= 0).all()


def test_damaged_applicability_rows_are_refused(good, tmp_path):
    path, members, _, _ = good
    bad = np.load(io.BytesIO(members["aoa/train.npy"]))
    bad[0, 0] = np.nan
    p = _zip(tmp_path / "bad.hsm", _with(members, {"aoa/train.npy": _npy(bad)}))
    _refused(str(p), "area of applicability are malformed")


def test_pickles_and_object_arrays_are_never_unpickled(good, tmp_path):
    path, members, _, _ = good
    obj = np.empty(1, object)
    obj[0] = _Payload()
    cases = {
        # an object array in place of a genuine array: refused from its header
        "object": _with(members, {"rf/threshold.npy": _npy(obj, allow_pickle=True)}),
        # a pickle added beside the genuine forest (the stealth variant)
        "extra pickle": _with(members, {"model.pkl": pickle.dumps(_Payload())}),
        # a format-1 file as earlier versions wrote it (skops), with a payload in it
        "old format": {"manifest.json": json.dumps({"format": "hazard-susceptibility-model/1",
                                                    "kind": "rf"}),
                       "model.skops": pickle.dumps(_Payload())},
        # a structured array (field dtypes can hide objects)
        "structured": _with(members, {"rf/values.npy": _npy(np.zeros(3, [("a", "f8"),
                                                                             ("b", "i8")]))}),
    }
    msgs = {"object": "element type object", "extra pickle": "member named 'model.pkl'",
            "old format": "format 'hazard-susceptibility-model/1'", "structured": "element type"}
    for name, m in cases.items():
        msg = _refused(_zip(tmp_path / f"{name}.hsm", m), msgs[name])
        assert "refused" in msg or "Train the model again" in msg


def test_old_files_are_refused_with_what_to_do(tmp_path):
    p = _zip(tmp_path / "old.hsm", {"manifest.json": json.dumps(
        {"format": "hazard-susceptibility-model/1", "kind": "glm"}), "model.skops": b"x"})
    msg = _refused(p, "reads 'hazard-susceptibility-model/2' only")
    assert "Train the model again with 'Train susceptibility model'" in msg


def test_zip_slip_duplicates_encryption_and_odd_names(good, tmp_path):
    path, members, _, _ = good
    for i, name in enumerate(["../../etc/cron.d/x.npy", "/abs/x.npy", "rf/../x.npy",
                              "rf\\x.npy", "rf/x.npy.exe", "MANIFEST.JSON"]):
        _refused(_zip(tmp_path / f"n{i}.hsm", _with(members, {name: b"x"})),
                 "member named")
    dup = tmp_path / "dup.hsm"
    with pytest.warns(UserWarning, match="Duplicate name"):
        with zipfile.ZipFile(dup, "w") as z:
            for n, d in members.items():
                z.writestr(n, d)
            z.writestr("manifest.json", b"{}")
    _refused(dup, "twice")
    enc = bytearray(path.read_bytes())
    # set the 'encrypted' flag of the first central directory entry
    first = enc.find(b"PK\x01\x02")
    flags = struct.unpack_from("<H", enc, first + 8)[0]
    struct.pack_into("<H", enc, first + 8, flags | 1)
    (tmp_path / "enc.hsm").write_bytes(bytes(enc))
    _refused(tmp_path / "enc.hsm", "encrypted")


def test_zip_bombs_are_refused_before_they_cost_memory(good, tmp_path):
    import resource
    path, members, _, _ = good
    # a manifest that inflates beyond its cap (16 MiB): 40 MiB of spaces, ~40 KB on disk
    big = _manifest(members)
    bomb = json.dumps(big).encode()[:-1] + b" " * (40 << 20) + b"}"
    p = _zip(tmp_path / "manifest_bomb.hsm", _with(members, {"manifest.json": bomb}))
    assert p.stat().st_size < 200_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _refused(p, "inflate to 40 MiB.*zip bomb")
    # an array member whose declared size is 5 GiB (the central directory says so)
    raw = bytearray(path.read_bytes())
    i = raw.find(b"PK\x01\x02")
    struct.pack_into("<I", raw, i + 24, 0xFFFFFFF0)  # uncompressed size field
    (tmp_path / "declared.hsm").write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="inflate|damaged"):
        models.load_model(tmp_path / "declared.hsm")
    grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before  # KiB
    assert grew < 100_000, f"refusing the bombs took {grew} KiB"


def test_a_member_that_inflates_beyond_its_declared_size_is_damaged(good, tmp_path):
    path, members, _, _ = good
    raw = bytearray(path.read_bytes())
    name = b"manifest.json"
    j = raw.rfind(b"PK\x01\x02", 0, raw.rfind(name))
    size = struct.unpack_from("<I", raw, j + 24)[0]
    struct.pack_into("<I", raw, j + 24, size // 2)  # declared: half of what it inflates to
    (tmp_path / "short.hsm").write_bytes(bytes(raw))
    _refused(tmp_path / "short.hsm", "damaged|not valid JSON")


def test_truncated_empty_and_foreign_files(good, tmp_path):
    path, members, _, _ = good
    data = path.read_bytes()
    for i, cut in enumerate((0, 10, len(data) // 2, len(data) - 30)):
        (tmp_path / f"t{i}.hsm").write_bytes(data[:cut])
        _refused(tmp_path / f"t{i}.hsm", "not a readable zip|damaged")
    (tmp_path / "x.hsm").write_bytes(b"GIF89a" + bytes(100))
    _refused(tmp_path / "x.hsm", "not a readable zip")
    _refused(tmp_path / "missing.hsm", "does not exist")
    _refused(_zip(tmp_path / "nomanifest.hsm", {"rf/offsets.npy": _npy(np.arange(3))}),
             "no manifest")


def test_wrong_kind(good, tmp_path):
    path, members, _, _ = good
    man = _manifest(members)
    man["format"] = "hazard-multihazard-bundle/2"
    msg = _refused(_zip(tmp_path / "k.hsm", _with(members, {"manifest.json": json.dumps(man)})),
                   "not a susceptibility model file")
    assert "hazard-multihazard-bundle/2" in msg
    from hazard_susceptibility.core.multihazard.training import Predictor
    with pytest.raises(ModelFileError, match="not a multi-hazard model bundle"):
        Predictor.from_file(str(path))


@pytest.mark.parametrize("change, match", [
    (lambda m: m.update(kind="pickle"), "unknown model kind"),
    (lambda m: m["estimator"].update(n_columns="5"), "n_columns.*expected an integer"),
    (lambda m: m["estimator"].update(n_columns=7), "give 5 model column"),
    (lambda m: m["encoding"]["names"].append("extra"), "do not agree"),
    (lambda m: m.update(__class__="os.system"), "unknown field"),
    (lambda m: m.pop("seed"), "'seed' is missing"),
    (lambda m: m.update(seed=True), "seed.*expected an integer"),
    (lambda m: m["grid"].update(transform=[0, 0, 0, 0, 0, 0]), "grid is malformed"),
    (lambda m: m.update(grid=None), "mode 'rasters' and the training grid disagree"),
    (lambda m: m.update(resampling="lanczos; rm -rf"), "unknown resampling"),
    (lambda m: m["encoding"].update(categories=[]), "categories.*expected an object"),
])
def test_tampered_manifests(good, tmp_path, change, match):
    path, members, _, _ = good
    man = _manifest(members)
    man["grid"] = {"crs_wkt": "", "transform": [0, 30, 0, 0, 0, -30], "xsize": 10,
                   "ysize": 10}
    man["mode"] = "rasters"
    change(man)
    _refused(_zip(tmp_path / "m.hsm", _with(members, {"manifest.json": json.dumps(man)})),
             match)


def test_manifests_that_are_not_objects(good, tmp_path):
    path, members, _, _ = good
    for i, text in enumerate([b"[1, 2]", b'"rf"', b"\xff\xfe", b"{", b"[" * 100_000]):
        _refused(_zip(tmp_path / f"j{i}.hsm", _with(members, {"manifest.json": text})),
                 "not a JSON object|not valid JSON")


def test_tampered_trees_cannot_reach_outside_their_arrays(good, tmp_path):
    path, members, _, _ = good
    left = np.load(io.BytesIO(members["rf/left_child.npy"]))
    feat = np.load(io.BytesIO(members["rf/feature.npy"]))
    internal = int(np.nonzero(left >= 0)[0][0])
    cases = []
    a = left.copy()
    a[internal] = 10 ** 9  # a child far outside the tree
    cases.append(("rf/left_child.npy", a))
    a = left.copy()
    a[internal] = internal  # a node that is its own child: predict would loop for ever
    cases.append(("rf/left_child.npy", a))
    a = feat.copy()
    a[internal] = 99  # a feature outside the 4 columns
    cases.append(("rf/feature.npy", a))
    thr = np.load(io.BytesIO(members["rf/threshold.npy"]))
    thr[internal] = np.nan
    cases.append(("rf/threshold.npy", thr))
    off = np.load(io.BytesIO(members["rf/offsets.npy"]))
    off[-1] += 5
    cases.append(("rf/offsets.npy", off))
    for i, (name, arr) in enumerate(cases):
        _refused(_zip(tmp_path / f"tree{i}.hsm", _with(members, {name: _npy(arr)})),
                 "malformed|wrong type or shape")
    # an array whose header declares far more data than the member holds
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                               "shape": (10 ** 12,)})
    fake = buf.getvalue() + bytes(24)
    _refused(_zip(tmp_path / "shape.hsm", _with(members, {"rf/threshold.npy": fake})),
             "declares 8,000,000,000,000 bytes")


def test_a_tampered_xgboost_or_glm_is_refused(tmp_path):
    X, y, names, cat = _data()
    for kind, member, data, match in (
            ("xgboost", "booster.json", b'{"learner": 1}', "XGBoost model .* is damaged"),
            ("glm", "glm/scale.npy", _npy(np.zeros(5)), "not finite and positive"),
            ("glm", "glm/coef.npy", _npy(np.zeros((1, 9))), "wrong type or shape")):
        res = train(X, y, names, cat, kind, {"n_estimators": 5} if kind != "glm" else None,
                    {"method": "none"}, seed=1)
        p = tmp_path / f"{kind}.hsm"
        save(res, p)
        with zipfile.ZipFile(p) as z:
            members = {n: z.read(n) for n in z.namelist()}
        members[member] = data
        _refused(_zip(tmp_path / "t.hsm", members), match)


def test_hnn_and_bundle_manifests_are_checked_without_tensorflow(tmp_path):
    from hazard_susceptibility.core.hnn import modelfile as hnn
    from hazard_susceptibility.core.multihazard import training as mh
    good = {"format": "hazard-susceptibility-hnn/2", "features": ["a", "b"], "n_classes": 3,
            "arch": {"n1": 1, "u1": 4, "n2": 1, "u2": 4, "lr": 0.001, "l2": 0.0001,
                     "dropout": 0.2}, "alpha": 0.8, "mean": [0, 0], "std": [1, 1],
            "n_weights": 8}
    p = _zip(tmp_path / "m.hnn", {"manifest.json": json.dumps(good)})
    assert hnn.read_manifest(p).arch.u1 == 4
    for change, match in ((dict(std=[1, 0]), "not finite and positive"),
                          (dict(arch=dict(good["arch"], u1=10 ** 9)), "out of range"),
                          (dict(features=["a"]), "inconsistent"),
                          (dict(format="hazard-susceptibility-model/2"), "not a HNN model")):
        p = _zip(tmp_path / "m.hnn", {"manifest.json": json.dumps(dict(good, **change))})
        with pytest.raises(ModelFileError, match=match):
            hnn.read_manifest(p)
    bundle = {"format": "hazard-multihazard-bundle/2", "hazards": ["flood", "landslide"],
              "names": ["a"], "categorical": [False], "zones": ["1"],
              "sources": {"1": {"ef": "nowhere"}}, "sets": []}
    p = _zip(tmp_path / "b.mhz", {"manifest.json": json.dumps(bundle)})
    with pytest.raises(ModelFileError, match="do not agree"):
        mh.read_manifest(str(p), str(p))


def test_caps_per_kind():
    from hazard_susceptibility.core.hnn.modelfile import HnnManifest
    from hazard_susceptibility.core.multihazard.training import BundleManifest
    assert HnnManifest.MAX_BYTES < BundleManifest.MAX_BYTES < models.ModelManifest.MAX_BYTES
    assert modelfile.CAPS["manifest"] == 16 << 20


# -- fuzz ----------------------------------------------------------------------------------------
# derandomized, so that CI runs the same cases every time; HAZARD_FUZZ_EXAMPLES=5000 explores
FUZZ = int(os.environ.get("HAZARD_FUZZ_EXAMPLES", "0"))


@settings(max_examples=FUZZ or 150, deadline=None, derandomize=not FUZZ,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_bytes(good, tmp_path, data):
    """Any byte changes to a genuine file: it opens (and predicts probabilities) or is refused
    with a ModelFileError; never another exception, never code run."""
    path, members, res, X = good
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, len(raw) - 1))
        raw[i] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[:data.draw(st.integers(0, len(raw)))]
    p = tmp_path / "f.hsm"
    p.write_bytes(bytes(raw))
    try:
        est, _ = models.load_model(p)
    except ModelFileError:
        return
    proba = est.predict_proba(res.encoding.transform(X[:20]))
    assert proba.shape == (20, 2) and np.isfinite(proba).all()


_json = st.recursive(st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) |
                     st.floats(allow_nan=True) | st.text(max_size=8),
                     lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c,
                                                                         max_size=4),
                     max_leaves=10)


@settings(max_examples=FUZZ or 200, deadline=None, derandomize=not FUZZ,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzz_manifest_fields(good, tmp_path, data):
    """Any field of the manifest replaced by any JSON value, or any array replaced by random
    integers: opened or refused with a ModelFileError, nothing else."""
    path, members, res, X = good
    man = _manifest(members)
    m = dict(members)
    key = data.draw(st.sampled_from(sorted(man) + ["estimator.n_columns", "estimator.n_trees",
                                                   "encoding.categories", "array"]))
    if key == "array":
        name = data.draw(st.sampled_from(sorted(n for n in members if n.endswith(".npy"))))
        arr = np.load(io.BytesIO(members[name]))
        flat = arr.reshape(-1).copy()
        j = data.draw(st.integers(0, len(flat) - 1))
        flat[j] = data.draw(st.integers(-5, 200))
        m[name] = _npy(flat.reshape(arr.shape))
    else:
        head, _, tail = key.partition(".")
        if tail:
            man[head] = dict(man[head], **{tail: data.draw(_json)})
        else:
            man[head] = data.draw(_json)
        m["manifest.json"] = json.dumps(man)
    p = _zip(tmp_path / "f.hsm", m)
    try:
        est, _ = models.load_model(p)
    except ModelFileError:
        return
    proba = est.predict_proba(res.encoding.transform(X[:20]))
    assert proba.shape == (20, 2)


@pytest.mark.parametrize("kind", ["rf", "glm", "xgboost"])
def test_files_written_on_debian_12_open_alike_on_every_platform(kind):
    """Model files exchanged between analysts cross versions: these were written on Debian 12
    (scikit-learn 1.5.2, XGBoost 3.2.0) and must give the same probabilities wherever the
    plugin runs (on Debian 13, scikit-learn 1.9.1, too)."""
    here = os.path.join(os.path.dirname(__file__), "data")
    expected = np.load(os.path.join(here, "expected_debian12.npz"))
    est, man = models.load_model(os.path.join(here, f"{kind}_debian12.hsm"))
    assert man.versions["sklearn"] == "1.5.2" and man.kind == kind
    p = est.predict_proba(man.encoding.transform(expected["X"]))[:, 1]
    np.testing.assert_allclose(p, expected[kind], rtol=1e-12, atol=1e-15)


def test_a_zip_of_a_newer_version_is_refused(tmp_path):
    """The byte fuzzer's second escape: a central directory claiming zip version 6.4 made
    zipfile raise NotImplementedError."""
    p = tmp_path / "v64.hsm"
    with zipfile.ZipFile(p, "w") as z:
        info = zipfile.ZipInfo("manifest.json")
        info.extract_version = 64
        z.writestr(info, "{}")
    with pytest.raises(ModelFileError, match="zip file version 6.4"):
        models.load_model(p)


def test_an_npy_header_that_does_not_parse_is_refused(tmp_path, good):
    """The byte fuzzer's third escape: a header numpy's parser cannot tokenize."""
    path, members, _, _ = good
    bad = dict(members)
    name = next(n for n in bad if n.endswith(".npy"))
    raw = bytearray(bad[name])
    raw[10:14] = b"{'de"  # an unterminated string inside the header dict
    raw[14:20] = b"(((((("
    bad[name] = bytes(raw)
    p = tmp_path / "t.hsm"
    with zipfile.ZipFile(p, "w") as z:
        for n, data in bad.items():
            z.writestr(n, data)
    with pytest.raises(ModelFileError, match="damaged"):
        models.load_model(p)
