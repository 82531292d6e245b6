"""mrank.Ranker: a scikit-learn-style pairwise ranker on the library's training API (mrank_rank.h),
the one `mrank train` runs: the same options by name, the same automatic choice, the same model
files (a model trained here scores the same in the CLI, bit for bit, and the reverse).

    import mrank
    ranker = mrank.Ranker().fit(X, y, qid=qid)          # or group=[sizes...], as LightGBM
    scores = ranker.predict(X_test)                      # one per row, no groups needed
    ranker.evaluate(X_test, y_test, qid=qid_test)        # mrank eval's metrics
    ranker.save_model("model.txt")                       # mrank train's file

Query groups: exactly one of `group` (LightGBM's query sizes, in row order) and `qid` (XGBoost's
query id per row; the rows of a query must be contiguous). scikit-learn is not needed; where it is
installed, Ranker is one of its estimators (get_params, set_params, clone, GridSearchCV and
cross_validate with GroupKFold, the groups passed through metadata routing)."""
import ctypes
import math

import numpy as np

from . import _lib
from ._lib import lib

try:  # scikit-learn's estimator base class where it is installed (never required)
    from sklearn.base import BaseEstimator as _Base
    from sklearn.exceptions import NotFittedError as _NotFitted
except ImportError:  # pragma: no cover - exercised where scikit-learn is absent
    _Base = object

    class _NotFitted(RuntimeError):
        """predict, evaluate or save_model before fit (scikit-learn's NotFittedError where
        installed)."""


# The training options, in mrank train --help's order: Ranker's parameters (dashes as
# underscores); None leaves mrank train's default.
OPTION_NAMES = ("margin", "lr", "l2", "l1", "momentum", "epochs", "batch_queries",
                "pairs_per_query", "patience", "holdout", "seed", "scale", "average", "hidden",
                "bins", "dropout", "optimizer", "weight_decay", "skip", "gemm", "profile")


def _raise(status):
    if status != 0:
        from . import Error, _STATUS_NAMES
        raise Error(_STATUS_NAMES.get(status, "status %d" % status),
                    lib.mrank_last_error().decode("utf-8", "replace"))


def _option_text(name, value):
    """An option's value as mrank train's command line writes it."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if name == "hidden":
        sizes = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
        if not sizes or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                for v in sizes):
            raise TypeError("hidden is 1 to 4 layer sizes (whole numbers), as (64, 32), not %r"
                            % (value,))
        return ",".join(str(int(v)) for v in sizes)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, str):
        return value
    raise TypeError("%s: %r is not a number, a flag or a name" % (name, value))


class _Options:
    """mrank_train_options built from a Ranker's parameters."""

    def __init__(self, params):
        self.handle = _lib.mrank_train_options_p()
        _raise(lib.mrank_train_options_create(ctypes.byref(self.handle)))
        try:
            for name, value in params.items():
                if value is None:
                    continue
                text = value if name in ("scorer", "device") else _option_text(name, value)
                status = lib.mrank_train_options_set(self.handle, name.replace("_", "-").encode(),
                                                     str(text).encode())
                if status != 0:
                    message = lib.mrank_last_error().decode("utf-8", "replace")
                    raise ValueError("Ranker(%s=%r): %s" % (name, value, message))
            if lib.mrank_train_options_check(self.handle) != 0:
                raise ValueError(lib.mrank_last_error().decode("utf-8", "replace"))
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.handle:
            lib.mrank_train_options_destroy(self.handle)
            self.handle = _lib.mrank_train_options_p()


class _Dataset:
    """An mrank_dataset from X (numpy, scipy.sparse, pandas), y and its query groups; the arrays
    it was made from are copied by the library."""

    def __init__(self, X, y=None, group=None, qid=None, what="X"):
        X, self.feature_names = _matrix(X, what)
        rows = X.shape[0]
        if y is None:
            labels = np.zeros(rows, dtype=np.float32)
        else:
            labels = np.ascontiguousarray(np.asarray(y, dtype=np.float64).astype(np.float32))
            if labels.ndim != 1 or labels.shape[0] != rows:
                raise ValueError("y has shape %s; give one label per row of %s (%d)" %
                                 (np.shape(y), what, rows))
        qid_array, sizes = _groups(group, qid, rows, required=y is not None, what=what)
        self.rows, self.features = rows, X.shape[1]
        self.handle = _lib.mrank_dataset_p()
        qid_p = qid_array.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)) if qid_array is not None \
            else None
        sizes_p = sizes.ctypes.data_as(ctypes.POINTER(ctypes.c_size_t)) if sizes is not None \
            else None
        groups = 0 if sizes is None else sizes.shape[0]
        f32 = ctypes.POINTER(ctypes.c_float)
        if hasattr(X, "indptr"):
            status = lib.mrank_dataset_from_csr(
                rows, X.shape[1], X.indptr.ctypes.data_as(ctypes.POINTER(ctypes.c_int64)),
                X.indices.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
                X.data.ctypes.data_as(f32), labels.ctypes.data_as(f32), qid_p, sizes_p, groups,
                ctypes.byref(self.handle))
        else:
            status = lib.mrank_dataset_from_dense(
                rows, X.shape[1], X.ctypes.data_as(f32), labels.ctypes.data_as(f32), qid_p,
                sizes_p, groups, ctypes.byref(self.handle))
        if status != 0:
            message = lib.mrank_last_error().decode("utf-8", "replace")
            raise ValueError("%s: %s" % (what, message))

    def close(self):
        if self.handle:
            lib.mrank_dataset_destroy(self.handle)
            self.handle = _lib.mrank_dataset_p()


def _matrix(X, what):
    """X as float32 rows (C order) or as CSR with int64 offsets and int32 indices; and the column
    names of a DataFrame (else None)."""
    names = None
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):  # pandas, without importing it
        names = np.asarray([str(c) for c in X.columns], dtype=object)
        X = X.to_numpy(dtype=np.float32)
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):  # scipy.sparse: converted in scipy's own code
        X = X.tocsr()
        X.sort_indices()
        csr = type("csr", (), {})()
        csr.shape = X.shape
        csr.indptr = np.ascontiguousarray(X.indptr, dtype=np.int64)
        csr.indices = np.ascontiguousarray(X.indices, dtype=np.int32)
        csr.data = np.ascontiguousarray(X.data, dtype=np.float32)
        return csr, names
    array = np.asarray(X)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or
                                     array.dtype == np.bool_):
        raise TypeError("%s must be numbers (float32 or float64 rows), not dtype %s" %
                        (what, array.dtype))
    if array.ndim != 2:
        raise ValueError("%s must be 2-dimensional (rows x features), not of shape %s" %
                         (what, array.shape))
    return np.ascontiguousarray(array, dtype=np.float32), names


def _groups(group, qid, rows, required, what):
    """(qid as int64, None) or (None, sizes as size_t); (None, one group) where none is needed."""
    if group is not None and qid is not None:
        raise ValueError("give one of group (the query sizes) and qid (a query id per row), not "
                         "both")
    if qid is not None:
        q = np.asarray(qid)
        if q.ndim != 1 or q.shape[0] != rows:
            raise ValueError("qid has shape %s; give one query id per row of %s (%d)" %
                             (q.shape, what, rows))
        if not np.issubdtype(q.dtype, np.integer):
            raise TypeError("qid must be whole numbers, not dtype %s" % q.dtype)
        return np.ascontiguousarray(q, dtype=np.int64), None
    if group is not None:
        g = np.asarray(group)
        if g.ndim != 1 or not np.issubdtype(g.dtype, np.integer) or (g < 0).any():
            raise ValueError("group is the query sizes (whole numbers of 0 or more, in row "
                             "order), not %r" % (group,))
        if int(g.sum()) != rows:
            raise ValueError("group sums to %d but %s has %d rows; the sizes must add up to the "
                             "rows" % (int(g.sum()), what, rows))
        return None, np.ascontiguousarray(g, dtype=np.uintp)
    if required:
        raise ValueError("give the query groups of %s: group (the query sizes) or qid (a query "
                         "id per row)" % what)
    return None, np.asarray([rows], dtype=np.uintp)


def _model_from_string(text):
    handle = _lib.mrank_model_p()
    _raise(lib.mrank_model_from_string(text.encode(), ctypes.byref(handle)))
    return handle


def _model_text(handle):
    text = ctypes.c_void_p()
    _raise(lib.mrank_model_to_string(handle, ctypes.byref(text)))
    try:
        return ctypes.string_at(text.value).decode()
    finally:
        lib.mrank_string_free(text)


class Ranker(_Base):
    """A pairwise ranker trained with mrank's margin ranking loss: the linear scorer (RankSVM's
    model) or an MLP (scorer="mlp"). Every parameter is `mrank train`'s option of that name
    (dashes as underscores: pairs_per_query, weight_decay, batch_queries); None keeps mrank
    train's default, and the defaults choose l2 and the epoch count on held-out queries as the
    command does. hidden is a tuple of layer sizes, (64, 32).

    Learned: n_features_in_, feature_names_in_ (from a DataFrame), coef_ (the linear scorer's
    weights, in the data's units), best_epoch_, choice_ (how the model was chosen: l2, the L2
    path, the epoch, a note where training was stopped), evals_result_ (per epoch of the final
    run: {"valid": {"ndcg@10": [...]}} where there was validation data)."""

    def __init__(self, scorer="linear", device=None, margin=None, lr=None, l2=None, l1=None,
                 momentum=None, epochs=None, batch_queries=None, pairs_per_query=None,
                 patience=None, holdout=None, seed=None, scale=None, average=None, hidden=None,
                 bins=None, dropout=None, optimizer=None, weight_decay=None, skip=None,
                 gemm=None, profile=None):
        self.scorer = scorer
        self.device = device
        self.margin = margin
        self.lr = lr
        self.l2 = l2
        self.l1 = l1
        self.momentum = momentum
        self.epochs = epochs
        self.batch_queries = batch_queries
        self.pairs_per_query = pairs_per_query
        self.patience = patience
        self.holdout = holdout
        self.seed = seed
        self.scale = scale
        self.average = average
        self.hidden = hidden
        self.bins = bins
        self.dropout = dropout
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.skip = skip
        self.gemm = gemm
        self.profile = profile

    # scikit-learn's get_params/set_params come from BaseEstimator; these serve without it
    if _Base is object:  # pragma: no cover - exercised where scikit-learn is absent
        def get_params(self, deep=True):
            return {name: getattr(self, name) for name in ("scorer", "device") + OPTION_NAMES}

        def set_params(self, **params):
            for name, value in params.items():
                if name not in self.get_params():
                    raise ValueError("Ranker has no parameter %r" % name)
                setattr(self, name, value)
            return self

    def _training_params(self):
        params = {"scorer": self.scorer, "device": self.device}
        params.update({name: getattr(self, name) for name in OPTION_NAMES})
        return params

    def fit(self, X, y, group=None, qid=None, eval_set=None, eval_group=None, eval_qid=None,
            callbacks=None, verbose=False):
        """Trains on X (rows x features: numpy, scipy.sparse or a DataFrame) and y (a relevance
        label per row) in query groups (group: sizes, or qid: an id per row). eval_set: a list of
        one (X, y), whose groups are eval_group[0] or eval_qid[0]: the choice of l2 and the epoch
        count is then made on it, as mrank train --valid does. callbacks: callables given each
        progress event (a dict); one returning True stops training after the epoch under way.
        verbose: print mrank train's progress lines."""
        train = valid = options = None
        try:
            options = _Options(self._training_params())
            train = _Dataset(X, y, group, qid, "X")
            if eval_set:
                if len(eval_set) != 1:
                    raise ValueError("eval_set takes one (X, y) pair (mrank chooses on one "
                                     "validation set), not %d" % len(eval_set))
                ex, ey = eval_set[0]
                valid = _Dataset(ex, ey, eval_group[0] if eval_group else None,
                                 eval_qid[0] if eval_qid else None, "eval_set[0]")
            self._train(train, valid, options, callbacks or (), verbose)
        finally:
            for resource in (train, valid, options):
                if resource is not None:
                    resource.close()
        self.n_features_in_ = train.features
        if train.feature_names is not None:
            self.feature_names_in_ = train.feature_names
        return self

    def _train(self, train, valid, options, callbacks, verbose):
        curve = []
        failure = []

        def relay(progress, user):
            p = progress.contents
            event = {"kind": ("note", "warning", "epoch", "batch")[p.kind],
                     "stage": (p.stage or b"").decode(), "epoch": p.epoch,
                     "train_loss": p.train_loss, "valid_ndcg@10": p.valid_ndcg,
                     "best": bool(p.best), "final": bool(p.final), "seconds": p.seconds,
                     "text": p.text.decode() if p.text else None}
            if p.kind == _lib.PROGRESS_EPOCH and p.final and not math.isnan(p.valid_ndcg):
                curve.append(p.valid_ndcg)
            if verbose and p.kind in (_lib.PROGRESS_NOTE, _lib.PROGRESS_WARNING):
                print(event["text"], flush=True)
            try:
                return 1 if any(callback(event) for callback in callbacks) else 0
            except BaseException as error:  # raised again after training stops
                failure.append(error)
                return 1

        callback = _lib.TRAIN_CALLBACK(relay)
        model = _lib.mrank_model_p()
        status = lib.mrank_train(train.handle, valid.handle if valid is not None else None,
                                 options.handle, callback, None, ctypes.byref(model))
        if failure:
            if model:
                lib.mrank_model_destroy(model)
            raise failure[0]
        if status != 0:
            if model:
                lib.mrank_model_destroy(model)
            _raise(status)
        self._set_model(model)
        self.evals_result_ = {"valid": {"ndcg@10": curve}} if valid is not None else {}

    def _set_model(self, handle):
        old = getattr(self, "_model", None)
        if old:
            lib.mrank_model_destroy(old)
        self._model = handle
        d = _lib.ModelDescription()
        _raise(lib.mrank_model_info(handle, ctypes.byref(d)))
        self.n_features_in_ = d.features
        self.best_epoch_ = d.best_epoch
        self.scorer_ = d.scorer.decode()
        self.choice_ = {"l2": d.l2, "best_epoch": d.best_epoch,
                        "path": [(d.path_l2[k], d.path_epochs[k]) for k in range(d.path_count)],
                        "note": d.note.decode() if d.note else ""}
        if self.scorer_ == "linear":
            weights = np.zeros(d.features, dtype=np.float32)
            _raise(lib.mrank_model_linear_weights(
                handle, weights.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), d.features))
            self.coef_ = weights
        elif hasattr(self, "coef_"):
            del self.coef_

    def _fitted(self):
        if not getattr(self, "_model", None):
            raise _NotFitted("this Ranker is not fitted yet: call fit (or Ranker.load_model) "
                             "first")

    def __sklearn_is_fitted__(self):
        return bool(getattr(self, "_model", None))

    def predict(self, X):
        """One score per row of X (double), the scores mrank predict prints."""
        self._fitted()
        data = _Dataset(X, None, None, None, "X")
        try:
            if data.features != self.n_features_in_:
                raise ValueError("X has %d features, but this Ranker was fitted with %d" %
                                 (data.features, self.n_features_in_))
            scores = np.empty(data.rows, dtype=np.float64)
            _raise(lib.mrank_model_score(self._model, data.handle,
                                         scores.ctypes.data_as(ctypes.POINTER(ctypes.c_double))))
        finally:
            data.close()
        return scores

    def evaluate(self, X, y, group=None, qid=None, at=(1, 3, 5, 10)):
        """mrank eval's metrics of the model on X, y in their query groups, as eval --json names
        them ("ndcg@10", "map", "pair_accuracy", ...); NaN where a metric had nothing to
        measure."""
        scores = self.predict(X)
        return evaluate_scores(scores, y, group=group, qid=qid, at=at)

    def score(self, X, y, group=None, qid=None):
        """NDCG@10 on X, y (for scikit-learn's model selection)."""
        return self.evaluate(X, y, group=group, qid=qid, at=(10,))["ndcg@10"]

    def save_model(self, path):
        """Writes the file mrank train writes (atomically)."""
        self._fitted()
        _raise(lib.mrank_model_save(self._model, str(path).encode()))

    @classmethod
    def load_model(cls, path):
        """A Ranker holding the model in `path` (any file mrank train or tune wrote)."""
        handle = _lib.mrank_model_p()
        _raise(lib.mrank_model_load(str(path).encode(), ctypes.byref(handle)))
        ranker = cls()
        ranker._set_model(handle)
        ranker.scorer = ranker.scorer_
        return ranker

    def model_text(self):
        """The model file's text."""
        self._fitted()
        return _model_text(self._model)

    def __getstate__(self):
        state = {k: v for k, v in self.__dict__.items() if k != "_model"}
        if getattr(self, "_model", None):
            state["_model_text"] = _model_text(self._model)
        return state

    def __setstate__(self, state):
        text = state.pop("_model_text", None)
        self.__dict__.update(state)
        self._model = None
        if text is not None:
            curve = state.get("evals_result_")
            self._set_model(_model_from_string(text))
            if curve is not None:
                self.evals_result_ = curve

    def __del__(self):
        handle = getattr(self, "_model", None)
        if handle and lib is not None:
            lib.mrank_model_destroy(handle)
            self._model = None


def evaluate_scores(scores, y, group=None, qid=None, at=(1, 3, 5, 10)):
    """mrank eval's metrics of any scores (one per row) with labels y in their query groups."""
    scores = np.ascontiguousarray(np.asarray(scores, dtype=np.float64))
    if scores.ndim != 1:
        raise ValueError("scores must be one per row, not of shape %s" % (scores.shape,))
    cutoffs = np.ascontiguousarray(np.asarray(at, dtype=np.uint32))
    data = _Dataset(np.zeros((scores.shape[0], 0), dtype=np.float32), y, group, qid, "scores")
    try:
        m = _lib.Metrics()
        _raise(lib.mrank_evaluate(scores.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
                                  data.handle,
                                  cutoffs.ctypes.data_as(ctypes.POINTER(ctypes.c_uint)),
                                  cutoffs.shape[0], ctypes.byref(m), None))
    finally:
        data.close()
    result = {"queries": m.queries, "pairs": m.pairs}
    for name, values in (("ndcg", m.ndcg), ("precision", m.precision), ("recall", m.recall),
                         ("f1", m.f1)):
        for c in range(m.cutoff_count):
            result["%s@%d" % (name, m.cutoffs[c])] = values[c]
    result["map"] = m.map
    result["pair_accuracy"] = m.pair_accuracy
    return result
