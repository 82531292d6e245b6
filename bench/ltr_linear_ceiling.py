#!/usr/bin/env python3
"""bench/ltr_linear_ceiling.py: how well can *any* linear pairwise ranker do on the shared data?

`mrank train` fits a linear score by SGD. This script asks whether a held-out shortfall comes from
the optimiser or from the model class: it solves the same RankSVM problem exactly (L-BFGS on the
whole training set, no sampling, no early stopping) for a grid of L2 strengths, on the very splits
that bench/ltr_heldout.sh makes with `mrank split`, and reports held-out NDCG@10 and pair accuracy
next to the best single feature and to `mrank tune`'s model (same grid as ltr_heldout.sh).

Two rows per data set are not honest estimates but bounds:
  exact, l2 chosen on test   picks, per split, the L2 with the best *test* NDCG@10 (optimistic);
  exact, in-sample           scores the exact model on its own training queries.

Objective (the one mrank's trainer descends): mean over pairs of max(0, margin - (w.x_i - w.x_j))
+ l2/2 |w|^2, margin 1. The hinge is smoothed over a width of 1e-4 so that L-BFGS converges; that
moves the objective by at most 2.5e-5 per pair, far below the metric differences reported.

Tooling only (numpy, scipy; `pip install numpy scipy`); nothing in mrank depends on it.
usage: bench/ltr_linear_ceiling.py [path/to/mrank] [seeds]     (needs ../shared/data)
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    from scipy.optimize import minimize
except ImportError:
    sys.exit("ltr_linear_ceiling: needs numpy and scipy (pip install numpy scipy)")

MRANK = sys.argv[1] if len(sys.argv) > 1 else "build/mrank"
SEEDS = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "1 2 3 4 5").split()]
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.environ.get("MRANK_SHARED_DATA", os.path.join(HERE, "..", "..", "shared", "data"))
L2_GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
SMOOTH = 1e-4


def load(path):
    """LETOR text with qid: tokens (what `mrank split` writes) -> X, labels, query starts."""
    rows, labels, qids, features = [], [], [], 0
    with open(path) as f:
        for line in f:
            tokens = line.split("#", 1)[0].split()
            if not tokens:
                continue
            labels.append(float(tokens[0]))
            qids.append(tokens[1].split(":", 1)[1])
            row = {int(k): float(v) for k, v in (t.split(":", 1) for t in tokens[2:])}
            features = max(features, max(row, default=0))
            rows.append(row)
    X = np.zeros((len(rows), features))
    for r, row in enumerate(rows):
        for k, v in row.items():
            X[r, k - 1] = v
    starts = [0] + [i for i in range(1, len(qids)) if qids[i] != qids[i - 1]] + [len(qids)]
    return X, np.array(labels), starts


def widen(data, features):
    X, y, starts = data
    if X.shape[1] < features:
        X = np.hstack([X, np.zeros((X.shape[0], features - X.shape[1]))])
    return X[:, :features], y, starts


def ndcg10(labels, scores):
    """LightGBM's convention, as mrank eval: gain 2^rel - 1, log2 discount, no relevant -> 1."""
    order = np.argsort(-scores, kind="stable")[:10]
    discount = 1.0 / np.log2(np.arange(2, len(order) + 2))
    ideal = np.sort(2.0 ** labels - 1)[::-1][:10]
    best = (ideal * discount[: len(ideal)]).sum()
    return 1.0 if best == 0 else ((2.0 ** labels[order] - 1) * discount).sum() / best


def evaluate(data, w):
    X, y, starts = data
    s = X @ w
    ndcg, correct, pairs = [], 0.0, 0
    for a, b in zip(starts[:-1], starts[1:]):
        ndcg.append(ndcg10(y[a:b], s[a:b]))
        above = y[a:b, None] > y[None, a:b]
        diff = s[a:b, None] - s[None, a:b]
        pairs += above.sum()
        correct += (above & (diff > 0)).sum() + 0.5 * (above & (diff == 0)).sum()
    return np.mean(ndcg), correct / max(pairs, 1)


def exact_ranksvm(data, l2, margin=1.0):
    X, y, starts = data
    first, second = [], []
    for a, b in zip(starts[:-1], starts[1:]):
        i, j = np.nonzero(y[a:b, None] > y[None, a:b])
        first.extend(i + a)
        second.extend(j + a)
    D = X[first] - X[second]

    def objective(w):
        z = margin - D @ w
        loss = np.where(z > SMOOTH, z - SMOOTH / 2, np.where(z > 0, z * z / (2 * SMOOTH), 0.0))
        slope = np.where(z > SMOOTH, 1.0, np.where(z > 0, z / SMOOTH, 0.0))
        return loss.mean() + l2 / 2 * w @ w, -(D.T @ slope) / len(z) + l2 * w

    result = minimize(objective, np.zeros(X.shape[1]), jac=True, method="L-BFGS-B",
                      options={"maxiter": 20000, "gtol": 1e-9, "ftol": 1e-14})
    return result.x


def best_feature(data):
    X = data[0]
    best, best_w = -1.0, None
    for f in range(X.shape[1]):
        for sign in (1.0, -1.0):
            w = np.zeros(X.shape[1])
            w[f] = sign
            score = evaluate(data, w)[0]
            if score > best:
                best, best_w = score, w
    return best_w


def mrank(*args):
    return subprocess.run([MRANK, *args], check=True, capture_output=True, text=True).stdout


def mrank_model(path, features):
    with open(path) as f:
        lines = f.read().split("weights\n", 1)[1].split()
    w = np.array([float(v) for v in lines])
    return np.pad(w, (0, max(0, features - len(w))))[:features]


def main():
    if not os.path.isdir(DATA):
        print(f"ltr_linear_ceiling: {DATA} is not here; skipped")
        return
    sets = {
        "lightgbm": ["--data", f"{DATA}/lightgbm-lambdarank/rank.train",
                     "--query", f"{DATA}/lightgbm-lambdarank/rank.train.query"],
        "mq2008": ["--data", f"{DATA}/mq2008-fold1/vali.txt"],
    }
    rows = ["best single feature", "mrank tune (SGD, device)", "exact, l2 chosen on valid",
            "exact, l2 chosen on test", "exact, in-sample", "best feature, in-sample"]
    print(f"{'data':9s} {'':27s} NDCG@10  pair acc   (means over split seeds {SEEDS})")
    with tempfile.TemporaryDirectory() as work:
        for name, source in sets.items():
            found = {r: [] for r in rows}
            for seed in SEEDS:
                p = lambda n: os.path.join(work, n)  # noqa: E731
                mrank("split", *source, "--train", p("all"), "--test", p("test"), "--seed", str(seed))
                mrank("split", "--data", p("all"), "--train", p("train"), "--test", p("valid"),
                      "--seed", "99")
                mrank("tune", "--train", p("train"), "--valid", p("valid"), "--model", p("model"),
                      "--grid", "lr=0.02,0.1", "--grid", "l2=0.0001,0.01,0.1", "--grid",
                      "margin=0.5,1", "--grid", "average=0,1")
                train = load(p("train"))
                features = train[0].shape[1]
                valid, test = widen(load(p("valid")), features), widen(load(p("test")), features)
                wf = best_feature(train)
                found["best single feature"].append(evaluate(test, wf))
                found["best feature, in-sample"].append(evaluate(train, wf))
                found["mrank tune (SGD, device)"].append(evaluate(test, mrank_model(p("model"), features)))
                fits = [exact_ranksvm(train, l2) for l2 in L2_GRID]
                on_valid = max(fits, key=lambda w: evaluate(valid, w)[0])
                found["exact, l2 chosen on valid"].append(evaluate(test, on_valid))
                found["exact, l2 chosen on test"].append(max((evaluate(test, w) for w in fits)))
                found["exact, in-sample"].append(evaluate(train, on_valid))
            for r in rows:
                v = np.array(found[r])
                print(f"{name:9s} {r:27s} {v[:, 0].mean():.3f}    {v[:, 1].mean():.3f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
