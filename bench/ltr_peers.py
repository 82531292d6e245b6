#!/usr/bin/env python3
"""bench/ltr_peers.py: LightGBM (lambdarank) and XGBoost (rank:pairwise) with their default
parameters, trained on a LETOR file and scoring another, one score per line (what `mrank eval
--scores` reads). Tooling for bench/ltr_compare.sh: LightGBM and XGBoost come from PyPI and are
never a dependency of mrank.

usage: ltr_peers.py lightgbm|xgboost TRAIN TEST SCORES_OUT [SEED]
"""
import sys

import numpy as np


def read_letor(path):
    """labels, qids and a dense matrix from `label qid:Q i:v ... # comment` lines"""
    labels, qids, rows, width = [], [], [], 0
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            labels.append(float(line[0]))
            row = {}
            for token in line[1:]:
                key, value = token.split(":", 1)
                if key == "qid":
                    qids.append(value)
                else:
                    row[int(key)] = float(value)
                    width = max(width, int(key))
            rows.append(row)
    x = np.zeros((len(rows), width), dtype=np.float32)
    for i, row in enumerate(rows):
        for key, value in row.items():
            x[i, key - 1] = value
    return np.array(labels), qids, x


def groups(qids):
    """sizes of the runs of equal qids (documents of a query are consecutive)"""
    sizes = []
    for i, q in enumerate(qids):
        if i == 0 or q != qids[i - 1]:
            sizes.append(0)
        sizes[-1] += 1
    return sizes


def main():
    if len(sys.argv) not in (5, 6) or sys.argv[1] not in ("lightgbm", "xgboost"):
        sys.exit(__doc__)
    which, train_path, test_path, out_path = sys.argv[1:5]
    seed = int(sys.argv[5]) if len(sys.argv) == 6 else 1
    y, q, x = read_letor(train_path)
    ty, tq, tx = read_letor(test_path)
    width = max(x.shape[1], tx.shape[1])
    x = np.pad(x, ((0, 0), (0, width - x.shape[1])))
    tx = np.pad(tx, ((0, 0), (0, width - tx.shape[1])))
    # the native APIs (no scikit-learn needed) with the scikit-learn wrappers' defaults: 100 trees
    if which == "lightgbm":
        import lightgbm

        train = lightgbm.Dataset(x, y, group=groups(q))
        params = {"objective": "lambdarank", "seed": seed, "verbose": -1}
        model = lightgbm.train(params, train, num_boost_round=100)
        scores = model.predict(tx)
    else:
        import xgboost

        train = xgboost.DMatrix(x, y)
        train.set_group(groups(q))
        params = {"objective": "rank:pairwise", "seed": seed}
        model = xgboost.train(params, train, num_boost_round=100)
        scores = model.predict(xgboost.DMatrix(tx))
    with open(out_path, "w") as f:
        for s in scores:
            f.write("%.9g\n" % s)


if __name__ == "__main__":
    main()
