#!/usr/bin/env python3
"""examples/torch_ranker.py: a small multilayer perceptron scorer trained with PyTorch, its
pairwise loss computed by mrank (mrank.torch.MarginRankingLoss) on any OpenCL device.

    python3 examples/torch_ranker.py                      # synthetic data, the default device
    python3 examples/torch_ranker.py --data all.txt       # a LETOR file (e.g. from `mrank synth`)

Per epoch: for each query, every pair (i, j) with label_i > label_j; scores s = MLP(x); the loss is
max(0, -(s_i - s_j) + margin) over the pairs (target +1: i must rank above j). Prints the training
loss per epoch and the pair accuracy on held-out queries.
"""
import argparse

import numpy as np
import torch

from mrank.torch import MarginRankingLoss


def read_letor(path):
    """labels, query ids and a dense float32 matrix from `label qid:Q i:v ... # comment` lines"""
    labels, qids, rows, width = [], [], [], 0
    with open(path) as f:
        for line in f:
            fields = line.split("#", 1)[0].split()
            if not fields:
                continue
            labels.append(float(fields[0]))
            row = {}
            for token in fields[1:]:
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
    return np.array(labels, dtype=np.float32), np.array(qids), x


def synthetic(queries, docs, features, seed):
    """labels from a planted non-linear score (a linear part and a product of two features)"""
    rng = np.random.default_rng(seed)
    x = rng.random((queries * docs, features), dtype=np.float32)
    w = rng.standard_normal(features)
    score = x @ w + 3.0 * x[:, 0] * x[:, 1] + 0.1 * rng.standard_normal(len(x))
    labels = np.zeros(len(x), dtype=np.float32)
    for q in range(queries):
        part = slice(q * docs, (q + 1) * docs)
        ranks = np.argsort(np.argsort(-score[part]))
        labels[part] = np.select([ranks < docs * 0.1, ranks < docs * 0.3, ranks < docs * 0.6],
                                 [3, 2, 1], 0)
    return labels, np.repeat(np.arange(queries), docs).astype(str), x


def pairs_of(labels, qids):
    """(i, j) for every pair of one query with label_i > label_j"""
    first, second = [], []
    for q in np.unique(qids):
        docs = np.flatnonzero(qids == q)
        better = labels[docs][:, None] > labels[docs][None, :]
        i, j = np.nonzero(better)
        first.append(docs[i])
        second.append(docs[j])
    return np.concatenate(first), np.concatenate(second)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="a LETOR file (default: synthetic data)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--device", default=None, help="mrank device selector (default: default)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    labels, qids, x = (read_letor(args.data) if args.data
                       else synthetic(200, 20, 10, args.seed))
    queries = np.unique(qids)
    rng = np.random.default_rng(args.seed)
    held_out = set(rng.choice(queries, size=max(1, len(queries) // 5), replace=False))
    test = np.array([q in held_out for q in qids])
    x = torch.from_numpy((x - x[~test].mean(0)) / (x[~test].std(0) + 1e-6))
    train_i, train_j = pairs_of(labels[~test], qids[~test])
    train_docs = np.flatnonzero(~test)
    test_i, test_j = pairs_of(labels[test], qids[test])
    test_docs = np.flatnonzero(test)
    model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    loss_fn = MarginRankingLoss(margin=1.0, device=args.device)
    target = torch.ones(len(train_i))
    for epoch in range(1, args.epochs + 1):
        optimizer.zero_grad()
        scores = model(x[train_docs]).squeeze(1)
        loss = loss_fn(scores[train_i], scores[train_j], target)
        loss.backward()
        optimizer.step()
        if epoch == 1 or epoch % 10 == 0 or epoch == args.epochs:
            print("epoch %3d  loss %.4f" % (epoch, loss.item()))
    with torch.no_grad():
        scores = model(x[test_docs]).squeeze(1)
        accuracy = (scores[test_i] > scores[test_j]).float().mean().item()
    print("held-out pair accuracy %.4f (%d pairs, %d queries)" % (accuracy, len(test_i),
                                                                   len(held_out)))


if __name__ == "__main__":
    main()
