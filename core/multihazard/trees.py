"""XGBoost's binary classifiers for the maps in compiled loops of our own, the same numbers as
XGBoost's own prediction bit for bit (checked on every model before it is used), faster on
the maps' many small trees (QuickScorer, Lucchese et al. 2015, SIGIR).

Each tree's leaves are numbered from left to right (at most 64: a 64-bit mask). A node whose
test a pixel fails (XGBoost sends a value to the right when it is not below the threshold)
rules out the leaves of its left subtree; the pixel ends in the leftmost leaf no failed node
rules out. So for each factor the nodes are sorted by threshold, and a pixel only walks each
factor's nodes up to its own value, clearing bits, instead of walking every tree from its
root. The leaves' values are then added in tree order from the base margin in float32, as
XGBoost adds them, and the probability is its logistic function.

A model is compiled only when it reproduces XGBoost exactly: its margins and probabilities
are compared with XGBoost's on a check batch (values spread over every threshold of every
factor, and between them) when it is built; anything else (another objective, categorical
splits, trees of more than 64 leaves, a difference in a last bit) keeps XGBoost's own
prediction. Pixels with a missing value (NaN) go to XGBoost too, and so does a model whose
first large batch XGBoost predicts faster (a few deep trees).
"""
from __future__ import annotations

import json

import numpy as np

from ..util.jit import compiled_once

_COMPILED = {}
#: rows of the check batch
CHECK_ROWS = 2048
#: rows of the first large batch on which ours and XGBoost's walk are timed
TRIAL_ROWS = 8192


class NotCompiled(ValueError):
    """The model cannot be compiled exactly: keep XGBoost's prediction."""


class CompiledTrees:
    """``predict_proba`` of an XGBClassifier (binary:logistic) in our loops."""

    def __init__(self, est, seed=0):
        self.est = est
        self.choice = None  # "ours" or "xgboost" once timed (:meth:`_choose`)
        booster = est.get_booster()
        model = json.loads(booster.save_raw("json"))
        learner = model["learner"]
        if learner["objective"]["name"] != "binary:logistic":
            raise NotCompiled("not binary:logistic")
        gb = learner["gradient_booster"]
        if gb.get("name") != "gbtree" or int(learner["learner_model_param"].get(
                "num_class", 0)) > 1:
            raise NotCompiled("not a single-output tree booster")
        trees = gb["model"]["trees"]
        if any(int(t) != 0 for t in gb["model"].get("tree_info", [])):
            raise NotCompiled("several output groups")
        self.n_features = int(learner["learner_model_param"]["num_feature"])
        self._build(trees)
        base = float(str(learner["learner_model_param"]["base_score"]).strip("[]"))
        self.base = self._calibrate(booster, base, seed)

    def __getattr__(self, name):
        """Anything else is the XGBClassifier's (the bundle's model stays itself)."""
        if name.startswith("__") or name == "est":
            raise AttributeError(name)
        return getattr(self.est, name)

    def _build(self, trees):
        n_trees = len(trees)
        if n_trees == 0:
            raise NotCompiled("no trees")
        vals = np.zeros((n_trees, 64), np.float32)
        feat, thr, tree, mask = [], [], [], []
        full = (1 << 64) - 1
        for t, tr in enumerate(trees):
            left, right = tr["left_children"], tr["right_children"]
            cond = np.asarray(tr["split_conditions"], np.float32)
            index = tr["split_indices"]
            if any(int(s) != 0 for s in tr.get("split_type", [])) or \
                    tr.get("categories_nodes"):
                raise NotCompiled("categorical splits")
            # the leaves from left to right (depth first, left child first)
            order, stack = [], [0]
            while stack:
                n = stack.pop()
                if left[n] < 0:
                    order.append(n)
                else:
                    stack += [right[n], left[n]]
            if len(order) > 64:
                raise NotCompiled("a tree with more than 64 leaves")
            pos = {n: i for i, n in enumerate(order)}
            for n, i in pos.items():
                vals[t, i] = cond[n]
            for n in range(len(left)):
                if left[n] < 0:
                    continue
                lo, hi = self._leaf_range(left, right, left[n], pos)
                feat.append(int(index[n]))
                thr.append(cond[n])
                tree.append(t)
                mask.append(full & ~(((1 << (hi - lo + 1)) - 1) << lo))
        if feat and max(feat) >= self.n_features:
            raise NotCompiled("a split on a column the model does not have")
        key = np.lexsort((np.asarray(thr, np.float32), np.asarray(feat)))
        self.thr = np.ascontiguousarray(np.asarray(thr, np.float32)[key])
        self.tree = np.ascontiguousarray(np.asarray(tree, np.int64)[key])
        self.mask = np.ascontiguousarray(np.asarray(mask, np.uint64)[key])
        feat = np.asarray(feat, np.int64)[key]
        self.start = np.searchsorted(feat, np.arange(self.n_features + 1)).astype(np.int64)
        self.vals = vals
        self._thresholds = [np.unique(self.thr[self.start[f]:self.start[f + 1]])
                            for f in range(self.n_features)]

    @staticmethod
    def _leaf_range(left, right, n, pos):
        """(first, last) left-to-right numbers of the leaves under node ``n``."""
        a = b = n
        while left[a] >= 0:
            a = left[a]
        while left[b] >= 0:
            b = right[b]
        return pos[a], pos[b]

    def _check_batch(self, seed):
        """Rows spread over every threshold of every column: each value a threshold, the
        float32 just below one, or a point between two (and beyond the ends)."""
        rng = np.random.default_rng(seed)
        X = np.empty((CHECK_ROWS, self.n_features), np.float32)
        for f, th in enumerate(self._thresholds):
            if len(th) == 0:
                X[:, f] = rng.normal(0, 1, CHECK_ROWS)
                continue
            pick = th[rng.integers(0, len(th), CHECK_ROWS)]
            kind = rng.integers(0, 4, CHECK_ROWS)
            spread = max(1.0, float(np.abs(th).max()))
            X[:, f] = np.where(kind == 0, pick, np.where(
                kind == 1, np.nextafter(pick, np.float32(-np.inf)), np.where(
                    kind == 2, pick + np.float32(rng.normal(0, 0.05 * spread)),
                    rng.uniform(th.min() - spread, th.max() + spread, CHECK_ROWS))))
        return X

    def _calibrate(self, booster, base, seed):
        """The float32 base margin that gives XGBoost's margins bit for bit on the check
        batch, and the probabilities checked too; NotCompiled if there is none."""
        X = self._check_batch(seed)
        want = booster.inplace_predict(X, predict_type="margin", validate_features=False)
        want_p = self.est.predict_proba(X)[:, 1]
        # XGBoost takes the logit of its base score in float32 (1 / b - 1 loses digits near
        # b = 0.5): the float64 logit of that float32 difference, of the score itself, and
        # their float32 neighbours
        cands = []
        if 0.0 < base < 1.0:
            b32 = np.float32(base)
            for d in (np.float64(np.float32(1) / b32 - np.float32(1)), 1.0 / base - 1.0):
                if d > 0:
                    c = np.float32(-np.log(d))
                    lo = hi = c
                    cands.append(c)
                    for _ in range(4):
                        lo = np.nextafter(lo, np.float32(-np.inf))
                        hi = np.nextafter(hi, np.float32(np.inf))
                        cands += [lo, hi]
        cands.append(np.float32(0))
        got = np.empty(len(X), np.float32)
        p = np.empty(len(X), np.float32)
        for b in cands:
            _loops()["margin"](X, self.thr, self.tree, self.mask, self.start, self.vals,
                               np.float32(b), got, p)
            if np.array_equal(got, want):
                if not np.array_equal(p, want_p):
                    raise NotCompiled("the probabilities differ from XGBoost's")
                return np.float32(b)
        raise NotCompiled("the margins differ from XGBoost's")

    def predict_proba(self, X):
        """(n, 2) float32: 1 - p, p, as XGBClassifier.predict_proba."""
        X = np.ascontiguousarray(X, np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} columns, got {X.shape}")
        if np.isnan(X).any() or self._choose(X) == "xgboost":
            return self.est.predict_proba(X)
        return self._ours(X)

    def _choose(self, X):
        """Ours or XGBoost's own walk, whichever predicts the first large batch faster (a few
        deep trees favour XGBoost's): only the time depends on it, never the numbers."""
        import time
        if self.choice is None and len(X) >= TRIAL_ROWS:
            best = {}
            for name, fn in (("ours", self._ours), ("xgboost", self.est.predict_proba)) * 2:
                t = time.thread_time()
                fn(X[:TRIAL_ROWS])
                best[name] = min(best.get(name, np.inf), time.thread_time() - t)
            self.choice = min(best, key=best.get)
        return self.choice

    def _ours(self, X):
        m = np.empty(len(X), np.float32)
        p = np.empty(len(X), np.float32)
        if len(X):
            _loops()["margin"](X, self.thr, self.tree, self.mask, self.start, self.vals,
                               self.base, m, p)
        return np.column_stack([np.float32(1) - p, p])


def compiled(est, seed=0):
    """``est`` as :class:`CompiledTrees` when that reproduces it exactly, else ``est``."""
    if isinstance(est, CompiledTrees):
        return est
    try:
        return CompiledTrees(est, seed)
    except NotCompiled:
        return est


def _loops():
    return compiled_once(_COMPILED, "loops", _compile, required=True)


def _compile():
    import numba
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def lowest_bit(typingctx, x):
        """The index of the lowest set bit of a uint64 (llvm.cttz)."""
        if x != types.uint64:
            return None

        def codegen(context, builder, sig, args):
            i64 = ir.IntType(64)
            fn = cgutils.get_or_insert_function(builder.module,
                                                ir.FunctionType(i64, [i64, ir.IntType(1)]),
                                                "llvm.cttz.i64")
            return builder.call(fn, [args[0], ir.Constant(ir.IntType(1), 0)])
        return types.uint64(x), codegen

    globals()["_LOWEST_BIT"] = lowest_bit  # a global, not a closure: numba's cache holds
    one = np.float32(1.0)
    ones = np.uint64(0xFFFFFFFFFFFFFFFF)

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def margin(X, thr, tree, mask, start, vals, base, out, prob):
        """Margins (out) and probabilities (prob) of the rows of X, 8 rows at a time."""
        n, ncol = X.shape
        T = vals.shape[0]
        bv = np.empty((8, T), np.uint64)
        acc = np.empty(8, np.float32)
        for s in range(0, n, 8):
            m = min(8, n - s)
            for q in range(8):
                for t in range(T):
                    bv[q, t] = ones
            for q in range(m):
                b = bv[q]
                for f in range(ncol):
                    x = X[s + q, f]
                    k = start[f]
                    end = start[f + 1]
                    while k < end and thr[k] <= x:
                        b[tree[k]] &= mask[k]
                        k += 1
            a0 = base; a1 = base; a2 = base; a3 = base  # noqa: E702
            a4 = base; a5 = base; a6 = base; a7 = base  # noqa: E702
            b0 = bv[0]; b1 = bv[1]; b2 = bv[2]; b3 = bv[3]  # noqa: E702
            b4 = bv[4]; b5 = bv[5]; b6 = bv[6]; b7 = bv[7]  # noqa: E702
            for t in range(T):  # 8 rows' sums side by side, each in tree order
                v = vals[t]
                a0 += v[_LOWEST_BIT(b0[t])]; a1 += v[_LOWEST_BIT(b1[t])]  # noqa: E702
                a2 += v[_LOWEST_BIT(b2[t])]; a3 += v[_LOWEST_BIT(b3[t])]  # noqa: E702
                a4 += v[_LOWEST_BIT(b4[t])]; a5 += v[_LOWEST_BIT(b5[t])]  # noqa: E702
                a6 += v[_LOWEST_BIT(b6[t])]; a7 += v[_LOWEST_BIT(b7[t])]  # noqa: E702
            acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3  # noqa: E702
            acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7  # noqa: E702
            for q in range(m):
                out[s + q] = acc[q]
                prob[s + q] = one / (one + np.exp(-acc[q]))

    return {"margin": margin}


_LOWEST_BIT = None
