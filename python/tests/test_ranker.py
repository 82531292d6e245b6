"""mrank.Ranker against the mrank command and scikit-learn's conventions: the same model bytes as
`mrank train` for the same data and options, the same scores as `mrank predict` for a model either
wrote, metrics equal to `mrank eval --json`'s, groups as LightGBM (sizes) and XGBoost (qid) pass
them, model selection through scikit-learn's metadata routing, and what is refused."""
import json
import pathlib
import pickle
import subprocess

import numpy as np
import pytest

import mrank
from conftest import ROOT

SHARED = ROOT.parent / "shared" / "data" / "lightgbm-lambdarank"


def planted(queries=30, docs=10, features=5, seed=0, noise=0.0):
    """Rows with a planted linear order, labels 0-3 from it, qid per row."""
    rng = np.random.default_rng(seed)
    X = rng.random((queries * docs, features)).astype(np.float32)
    w = np.linspace(2.0, -1.0, features)
    score = X @ w + noise * rng.standard_normal(X.shape[0])
    y = np.digitize(score, np.quantile(score, [0.5, 0.75, 0.9])).astype(np.float32)
    return X, y, np.repeat(np.arange(queries), docs)


def write_svmlight(path, X, y, qid=None):
    with open(path, "w") as f:
        for i in range(X.shape[0]):
            head = "%g" % y[i] + ("" if qid is None else " qid:%d" % qid[i])
            f.write(head + "".join(" %d:%.9g" % (j + 1, X[i, j]) for j in range(X.shape[1])) +
                    "\n")


def read_svmlight(path):
    """A sparse SVMlight file as dense float32 rows (absent features 0) and labels."""
    rows, labels, width = [], [], 0
    for line in open(path):
        tokens = line.split("#")[0].split()
        labels.append(float(tokens[0]))
        row = {int(k): np.float32(v) for k, v in (t.split(":") for t in tokens[1:]
                                                  if not t.startswith("qid:"))}
        width = max([width] + list(row))
        rows.append(row)
    X = np.zeros((len(rows), width), dtype=np.float32)
    for i, row in enumerate(rows):
        for k, v in row.items():
            X[i, k - 1] = v
    return X, np.asarray(labels, dtype=np.float32)


def train_by_command(cli, tmp_path, data, arguments, query=None):
    model = tmp_path / "command.model"
    command = [cli, "train", "--train", str(data), "--model", str(model), "--quiet"] + arguments
    if query is not None:
        command += ["--query", str(query)]
    subprocess.run(command, check=True)
    return model.read_text()


@pytest.mark.parametrize("params, arguments", [
    ({}, []),
    ({"holdout": 0, "epochs": 4, "lr": 0.1, "pairs_per_query": 6, "seed": 3},
     ["--holdout", "0", "--epochs", "4", "--lr", "0.1", "--pairs-per-query", "6", "--seed", "3"]),
    ({"scorer": "mlp", "hidden": (4,), "epochs": 2, "bins": 2},
     ["--scorer", "mlp", "--hidden", "4", "--epochs", "2", "--bins", "2"]),
])
def test_fit_writes_the_bytes_mrank_train_writes(cli, tmp_path, params, arguments):
    X, y, qid = planted()
    write_svmlight(tmp_path / "train.txt", X, y, qid)
    ranker = mrank.Ranker(**params).fit(X, y, qid=qid)
    ranker.save_model(tmp_path / "api.model")
    assert (tmp_path / "api.model").read_text() == \
        train_by_command(cli, tmp_path, tmp_path / "train.txt", arguments)


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data is absent (a user's checkout)")
@pytest.mark.parametrize("params, arguments", [
    ({}, []),
    ({"scorer": "mlp", "hidden": (8,), "epochs": 3}, ["--scorer", "mlp", "--hidden", "8",
                                                      "--epochs", "3"]),
])
def test_the_shared_lightgbm_sample_gives_the_commands_model(cli, tmp_path, params, arguments):
    X, y = read_svmlight(SHARED / "rank.train")
    group = np.loadtxt(SHARED / "rank.train.query", dtype=np.int64)
    ranker = mrank.Ranker(**params).fit(X, y, group=group)
    ranker.save_model(tmp_path / "api.model")
    assert (tmp_path / "api.model").read_text() == train_by_command(
        cli, tmp_path, SHARED / "rank.train", arguments, SHARED / "rank.train.query")


def test_a_model_scores_and_measures_as_the_command_does(cli, tmp_path):
    X, y, qid = planted(noise=0.3)
    write_svmlight(tmp_path / "data.txt", X, y, qid)
    train_by_command(cli, tmp_path, tmp_path / "data.txt", ["--epochs", "5"])
    ranker = mrank.Ranker.load_model(tmp_path / "command.model")
    printed = subprocess.run([cli, "predict", "--model", str(tmp_path / "command.model"),
                              "--data", str(tmp_path / "data.txt")], check=True,
                             capture_output=True, text=True).stdout.split()
    # predict prints 9 significant digits of the same doubles
    assert ["%.9g" % s for s in ranker.predict(X)] == printed
    evaluated = json.loads(subprocess.run(
        [cli, "eval", "--model", str(tmp_path / "command.model"), "--data",
         str(tmp_path / "data.txt"), "--json"], check=True, capture_output=True, text=True).stdout)
    ours = ranker.evaluate(X, y, qid=qid)
    for name, value in evaluated.items():
        if name != "scored_by":  # eval --json prints 6 decimals of the same doubles
            assert "%.6f" % ours[name] == "%.6f" % value if isinstance(value, float) \
                else ours[name] == value, name
    assert ranker.score(X, y, qid=qid) == ours["ndcg@10"]


def test_groups_as_sizes_qid_sparse_and_frames_train_the_same_model():
    X, y, qid = planted()
    by_qid = mrank.Ranker(holdout=0, epochs=3).fit(X, y, qid=qid)
    by_group = mrank.Ranker(holdout=0, epochs=3).fit(X, y, group=[10] * 30)
    assert by_qid.model_text() == by_group.model_text()
    scipy_sparse = pytest.importorskip("scipy.sparse")
    sparse = mrank.Ranker(holdout=0, epochs=3).fit(scipy_sparse.csc_matrix(X), y, qid=qid)
    assert sparse.model_text() == by_qid.model_text()
    assert np.array_equal(sparse.predict(scipy_sparse.csr_matrix(X)), by_qid.predict(X))
    assert np.array_equal(by_qid.predict(np.asfortranarray(X.astype(np.float64))),
                          by_qid.predict(X))
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(X, columns=["f%d" % k for k in range(5)])
    named = mrank.Ranker(holdout=0, epochs=3).fit(frame, y, qid=qid)
    assert list(named.feature_names_in_) == ["f%d" % k for k in range(5)]
    assert named.n_features_in_ == 5 and named.coef_.shape == (5,)


def test_what_is_wrong_is_said():
    X, y, qid = planted()
    with pytest.raises(ValueError, match="lr must be greater than 0"):
        mrank.Ranker(lr=0).fit(X, y, qid=qid)
    with pytest.raises(TypeError):
        mrank.Ranker(learning_rate=0.1)
    with pytest.raises(ValueError, match="group sums to 290 but X has 300 rows"):
        mrank.Ranker().fit(X, y, group=[10] * 29)
    with pytest.raises(ValueError, match="one of group"):
        mrank.Ranker().fit(X, y, group=[10] * 30, qid=qid)
    with pytest.raises(ValueError, match="give the query groups"):
        mrank.Ranker().fit(X, y)
    with pytest.raises(ValueError, match="one label per row"):
        mrank.Ranker().fit(X, y[:-1], qid=qid)
    shuffled = qid.copy()
    shuffled[[0, 150]] = shuffled[[150, 0]]
    with pytest.raises(ValueError, match="sort the rows by qid"):
        mrank.Ranker().fit(X, y, qid=shuffled)
    bad = X.copy()
    bad[7, 3] = np.nan
    with pytest.raises(ValueError, match="row 7"):
        mrank.Ranker().fit(bad, y, qid=qid)
    with pytest.raises(ValueError, match="hidden, bins, dropout"):
        mrank.Ranker(hidden=(8,)).fit(X, y, qid=qid)
    fitted = mrank.Ranker(holdout=0, epochs=2).fit(X, y, qid=qid)
    with pytest.raises(ValueError, match="X has 4 features, but this Ranker was fitted with 5"):
        fitted.predict(X[:, :4])
    with pytest.raises(Exception, match="not fitted"):
        mrank.Ranker().predict(X)
    with pytest.raises(mrank.Error, match="MRANK_ERROR_DIVERGED"):
        mrank.Ranker(holdout=0, epochs=3, lr=1e38, scale="none").fit(X, y, qid=qid)


def test_callbacks_see_the_epochs_and_stop_training():
    X, y, qid = planted()
    seen = []

    def stop_after_two(event):
        seen.append(event)
        return event["kind"] == "epoch" and event["epoch"] == 2

    ranker = mrank.Ranker(holdout=0, epochs=6).fit(X, y, qid=qid, callbacks=[stop_after_two])
    assert ranker.best_epoch_ == 2
    assert [e["epoch"] for e in seen if e["kind"] == "epoch"] == [1, 2]

    def broken(event):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        mrank.Ranker(holdout=0, epochs=3).fit(X, y, qid=qid, callbacks=[broken])
    valid = mrank.Ranker(l2=0.01, epochs=4).fit(X, y, qid=qid, eval_set=[(X, y)],
                                                eval_qid=[qid])
    curve = valid.evals_result_["valid"]["ndcg@10"]
    assert len(curve) == 4 and max(curve) <= 1.0


def test_pickle_and_files_keep_the_model(tmp_path):
    X, y, qid = planted()
    ranker = mrank.Ranker(scorer="mlp", hidden=(4,), epochs=2, holdout=0).fit(X, y, qid=qid)
    again = pickle.loads(pickle.dumps(ranker))
    assert np.array_equal(again.predict(X), ranker.predict(X))
    assert again.get_params() == ranker.get_params()
    ranker.save_model(tmp_path / "m")
    assert np.array_equal(mrank.Ranker.load_model(tmp_path / "m").predict(X), ranker.predict(X))


def test_scikit_learn_model_selection_carries_the_groups():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, GroupKFold, cross_validate
    if tuple(int(p) for p in sklearn.__version__.split(".")[:2]) < (1, 4):
        pytest.skip("metadata routing needs scikit-learn 1.4 or later")
    X, y, qid = planted(queries=40, noise=0.3)
    ranker = mrank.Ranker(holdout=0, epochs=4, l2=0.01)
    assert clone(ranker).get_params() == ranker.get_params()
    with sklearn.config_context(enable_metadata_routing=True):
        routed = mrank.Ranker(holdout=0, epochs=4).set_fit_request(qid=True) \
            .set_score_request(qid=True)
        scores = cross_validate(routed, X, y, cv=GroupKFold(4),
                                params={"qid": qid, "groups": qid})["test_score"]
        assert len(scores) == 4 and all(0.5 < s <= 1.0 for s in scores)
        search = GridSearchCV(routed, {"lr": [0.1, 0.01]}, cv=GroupKFold(4))
        search.fit(X, y, qid=qid, groups=qid)
        assert search.best_params_["lr"] in (0.1, 0.01)
        # the refit best estimator scores the held-in data through the same routing
        assert 0.5 < search.score(X, y, qid=qid) <= 1.0
