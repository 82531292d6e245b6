#!/usr/bin/env python3
"""bench/torch_mlp_compare.py: pairs/s of an MLP epoch in `mrank train --scorer mlp` (the default
device with its default layers' kernels and with --gemm clblast, and --device host) against the same MLP trained with torch.nn.MarginRankingLoss in PyTorch
on the same CPU, in one run: the same layers, batch of queries, pairs (every label_i > label_j
within a query), optimiser (Adam 1e-3, weight decay), dropout and standardised features (mrank's
network alone on the features alone: --skip none --bins 0, as PyTorch's has no linear term and no
bins). PyTorch from PyPI is tooling here (pip install torch numpy), never the library's.

usage: bench/torch_mlp_compare.py [path/to/mrank] [--data FILE [--query FILE]] [--hidden 64,32]
                                  [--batch-queries 8] [--epochs 3]
Without --data, `mrank synth --queries 2000 --docs 40 --features 100` is the data. Each figure is
the best epoch of --epochs after a first one (warm-up: kernels, CLBlast's compile, PyTorch's)."""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

import ltr_peers  # bench/ltr_peers.py: the LETOR reader the peers use


def read_letor(path, query_path=None):
    """the dense matrix, labels and query starts (from the group file, else from the qids)"""
    labels, qids, x = ltr_peers.read_letor(path)
    if query_path:
        counts = [int(c) for c in open(query_path).read().split()]
    else:
        counts = ltr_peers.groups(qids)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return x, labels.astype(np.float32), starts


def pairs_of(labels, starts):
    a, b, query_pairs = [], [], [0]
    for q in range(len(starts) - 1):
        s, e = starts[q], starts[q + 1]
        for i in range(s, e):
            for j in range(s, e):
                if labels[i] > labels[j]:
                    a.append(i)
                    b.append(j)
        query_pairs.append(len(a))
    return np.array(a, dtype=np.int64), np.array(b, dtype=np.int64), np.array(query_pairs)


def torch_pairs_per_second(x, labels, starts, hidden, batch, epochs, dropout, decay):
    torch.manual_seed(1)
    x = (x - x.mean(0)) / np.where(x.std(0) > 1e-12, x.std(0), 1.0)
    a, b, query_pairs = pairs_of(labels, starts)
    layers, width = [], x.shape[1]
    for units in hidden:
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU(), torch.nn.Dropout(dropout)]
        width = units
    layers.append(torch.nn.Linear(width, 1, bias=False))
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=decay)
    loss_fn = torch.nn.MarginRankingLoss(margin=1.0)
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    queries = len(starts) - 1
    batches = [(q, min(q + batch, queries)) for q in range(0, queries, batch)]
    best = 0.0
    rng = np.random.default_rng(1)
    for epoch in range(epochs + 1):
        order = rng.permutation(len(batches))
        start, pairs = time.perf_counter(), 0
        for k in order:
            q0, q1 = batches[k]
            d0, d1 = starts[q0], starts[q1]
            p0, p1 = query_pairs[q0], query_pairs[q1]
            if p1 == p0:
                continue
            scores = model(xt[d0:d1]).squeeze(1)
            ia = torch.from_numpy(a[p0:p1] - d0)
            ib = torch.from_numpy(b[p0:p1] - d0)
            loss = loss_fn(scores[ia], scores[ib], torch.ones(p1 - p0))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            pairs += p1 - p0
        seconds = time.perf_counter() - start
        if epoch > 0:
            best = max(best, pairs / seconds)
    return best


def mrank_pairs_per_second(mrank, data, query, hidden, batch, epochs, device, dropout, decay,
                           gemm=None):
    command = [mrank, "train", "--scorer", "mlp", "--train", data, "--holdout", "0",
               "--epochs", str(epochs + 1), "--batch-queries", str(batch), "--hidden", hidden,
               "--dropout", str(dropout), "--weight-decay", str(decay), "--skip", "none",
               "--bins", "0",
               "--model", os.path.join(tempfile.gettempdir(), "mrank-mlp-bench.model")]
    if query:
        command += ["--query", query]
    if device:
        command += ["--device", device]
    if gemm:
        command += ["--gemm", gemm]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rates = [float(m.group(1)) for m in re.finditer(r"^epoch +\d+ .* ([0-9.e+]+) pairs/s", out,
                                                    re.M)]
    return max(rates[1:]) if len(rates) > 1 else rates[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mrank", nargs="?", default="build/mrank")
    parser.add_argument("--data")
    parser.add_argument("--query")
    parser.add_argument("--hidden", default="64,32")
    parser.add_argument("--batch-queries", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    args = parser.parse_args()
    data, query = args.data, args.query
    work = tempfile.mkdtemp()
    if data is None:
        data = os.path.join(work, "synth.txt")
        subprocess.run([args.mrank, "synth", "--queries", "2000", "--docs", "40", "--features",
                        "100", "--seed", "7", "--out", data], check=True, capture_output=True)
    x, labels, starts = read_letor(data, query)
    hidden = [int(h) for h in args.hidden.split(",")]
    print("data: %s, %d documents, %d queries, %d features; MLP %s, batches of %d queries, "
          "Adam 1e-3, dropout %g, weight decay %g; torch %s with %d threads" % (
              data, x.shape[0], len(starts) - 1, x.shape[1], args.hidden, args.batch_queries,
              args.dropout, args.weight_decay, torch.__version__, torch.get_num_threads()))
    device = mrank_pairs_per_second(args.mrank, data, query, args.hidden, args.batch_queries,
                                    args.epochs, None, args.dropout, args.weight_decay)
    clblast = mrank_pairs_per_second(args.mrank, data, query, args.hidden, args.batch_queries,
                                     args.epochs, None, args.dropout, args.weight_decay, "clblast")
    host = mrank_pairs_per_second(args.mrank, data, query, args.hidden, args.batch_queries,
                                  args.epochs, "host", args.dropout, args.weight_decay)
    torch_rate = torch_pairs_per_second(x, labels, starts, hidden, args.batch_queries, args.epochs,
                                        args.dropout, args.weight_decay)
    print("%-40s %12s %8s" % ("", "pairs/s", "ratio"))
    print("%-40s %12.3g %8.2f" % ("PyTorch, MarginRankingLoss", torch_rate, 1.0))
    print("%-40s %12.3g %8.2f" % ("mrank train --scorer mlp (default device)", device,
                                   device / torch_rate))
    print("%-40s %12.3g %8.2f" % ("the same with --gemm clblast", clblast, clblast / torch_rate))
    print("%-40s %12.3g %8.2f" % ("mrank train --scorer mlp --device host", host,
                                   host / torch_rate))
    print("(one machine's figures; the ratios are what carries over)")


if __name__ == "__main__":
    sys.exit(main())
