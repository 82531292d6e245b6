#!/usr/bin/env python3
"""bench/ltr_peers.py: LightGBM (lambdarank) and XGBoost (rank:pairwise) with their default
parameters, and PyTorch scorers trained with torch.nn.MarginRankingLoss (torch-mlp: the MLP issue
16 measured its target with, 64-32, ReLU, dropout 0.1, Adam 1e-3, early stopping; torch-linear: the
same pipeline with a linear scorer), trained on a LETOR file and scoring another, one score per
line (what `mrank eval --scores` reads). Tooling for bench/ltr_compare.sh: LightGBM, XGBoost and
PyTorch come from PyPI and are never a dependency of mrank.

usage: ltr_peers.py lightgbm|xgboost|torch-mlp|torch-linear TRAIN TEST SCORES_OUT [SEED]
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


def ndcg10(scores, labels, sizes):
    """mean NDCG@10 (gain 2^label - 1, log2 discount) over queries with a relevant document"""
    total, counted, start = 0.0, 0, 0
    for n in sizes:
        s, l = scores[start:start + n], labels[start:start + n]
        start += n
        ideal = np.sort(l)[::-1][:10]
        discount = 1.0 / np.log2(np.arange(2, 12))
        best = np.sum((2.0 ** ideal - 1.0) * discount[:len(ideal)])
        if best <= 0:
            continue
        got = l[np.argsort(-s, kind="stable")][:10]
        total += np.sum((2.0 ** got - 1.0) * discount[:len(got)]) / best
        counted += 1
    return total / max(counted, 1)


def torch_scores(hidden, x, y, sizes, tx, seed):
    """the PyTorch pipeline: standardised features; 20% of the training queries held out to stop
    early (best validation NDCG@10, patience 10, at most 100 epochs); batches of 8 queries, every
    pair label_i > label_j of a query, MarginRankingLoss(margin 1); Adam 1e-3; no refit"""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    mean, sd = x.mean(0), x.std(0)
    sd[sd < 1e-12] = 1.0
    x, tx = (x - mean) / sd, (tx - mean) / sd
    starts = np.concatenate([[0], np.cumsum(sizes)])
    order = rng.permutation(len(sizes))
    held = set(order[: max(1, len(sizes) // 5)].tolist())
    train_q = [q for q in range(len(sizes)) if q not in held]
    valid_q = sorted(held)
    layers, width = [], x.shape[1]
    for units in hidden:
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU(), torch.nn.Dropout(0.1)]
        width = units
    layers.append(torch.nn.Linear(width, 1))
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.MarginRankingLoss(margin=1.0)
    xt = torch.from_numpy(x.astype(np.float32))
    pairs = {}
    for q in train_q:
        l = y[starts[q]:starts[q + 1]]
        a, b = np.nonzero(l[:, None] > l[None, :])
        pairs[q] = (torch.from_numpy(a + starts[q]), torch.from_numpy(b + starts[q]))
    vx = torch.from_numpy(np.concatenate([x[starts[q]:starts[q + 1]] for q in valid_q]))
    vy = np.concatenate([y[starts[q]:starts[q + 1]] for q in valid_q])
    vsizes = [sizes[q] for q in valid_q]
    best, best_state, stale = -1.0, None, 0
    for _ in range(100):
        model.train()
        rng.shuffle(train_q)
        for k in range(0, len(train_q), 8):
            a = torch.cat([pairs[q][0] for q in train_q[k:k + 8]])
            b = torch.cat([pairs[q][1] for q in train_q[k:k + 8]])
            if len(a) == 0:
                continue
            scores = model(xt).squeeze(1)
            loss = loss_fn(scores[a], scores[b], torch.ones(len(a)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            value = ndcg10(model(vx).squeeze(1).numpy(), vy, vsizes)
        if value > best:
            best, stale = value, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= 10:
                break
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(tx.astype(np.float32))).squeeze(1).numpy()


def main():
    peers = ("lightgbm", "xgboost", "torch-mlp", "torch-linear")
    if len(sys.argv) not in (5, 6) or sys.argv[1] not in peers:
        sys.exit(__doc__)
    which, train_path, test_path, out_path = sys.argv[1:5]
    seed = int(sys.argv[5]) if len(sys.argv) == 6 else 1
    y, q, x = read_letor(train_path)
    ty, tq, tx = read_letor(test_path)
    width = max(x.shape[1], tx.shape[1])
    x = np.pad(x, ((0, 0), (0, width - x.shape[1])))
    tx = np.pad(tx, ((0, 0), (0, width - tx.shape[1])))
    # the native APIs (no scikit-learn needed) with the scikit-learn wrappers' defaults: 100 trees
    if which.startswith("torch"):
        hidden = [64, 32] if which == "torch-mlp" else []
        scores = torch_scores(hidden, x, y, groups(q), tx, seed)
    elif which == "lightgbm":
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
