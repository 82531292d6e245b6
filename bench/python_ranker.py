"""Python's overhead: mrank.Ranker().fit against `mrank train` with the same options on the same
data, alternating (command, Python, Python, command, ...) so that the shared machine's drift falls
on both; and Ranker.predict on 10^6 rows against `mrank predict`. The command's time includes
reading its text file, Python's its arrays into the library (a copy): each is what a user of that
interface pays. Prints the medians and their ratio, and whether the model bytes are the same.

    PYTHONPATH=python MRANK_LIBRARY=build/libmrank.so python3 bench/python_ranker.py [--rounds 3]
"""
import argparse
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import mrank

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def read_svmlight(path):
    rows, labels, qids, width = [], [], [], 0
    for line in open(path):
        tokens = line.split("#")[0].split()
        labels.append(float(tokens[0]))
        row = {}
        for t in tokens[1:]:
            key, value = t.split(":")
            if key == "qid":
                qids.append(int(value))
            else:
                row[int(key)] = np.float32(value)
        width = max([width] + list(row))
        rows.append(row)
    X = np.zeros((len(rows), width), dtype=np.float32)
    for i, row in enumerate(rows):
        for k, v in row.items():
            X[i, k - 1] = v
    return X, np.asarray(labels, dtype=np.float32), np.asarray(qids) if qids else None


def write_lines(path, X, y, qid=None):
    """SVMlight text of X (6 decimals), vectorised: one column of strings at a time."""
    lines = y.astype(np.int64).astype(str)
    if qid is not None:
        lines = np.char.add(lines, np.char.add(" qid:", qid.astype(str)))
    for f in range(X.shape[1]):
        lines = np.char.add(lines, np.char.add(" %d:" % (f + 1), np.char.mod("%.6f", X[:, f])))
    path.write_text("\n".join(lines.tolist()) + "\n")
    # the command reads the 6 decimals written: Python is given the same numbers
    return np.char.mod("%.6f", X).astype(np.float32)


def synthetic(path, queries, docs, features, seed=7):
    """A planted linear order (the shape of mrank synth's), written as text for the command."""
    rng = np.random.default_rng(seed)
    X = rng.random((queries * docs, features)).astype(np.float32)
    score = X @ rng.standard_normal(features) + 0.3 * rng.standard_normal(X.shape[0])
    y = np.digitize(score, np.quantile(score, [0.5, 0.8, 0.95])).astype(np.float32)
    qid = np.repeat(np.arange(1, queries + 1), docs)
    return write_lines(path, X, y, qid), y, qid


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def compare_fit(cli, name, data_path, X, y, qid, group, params, arguments, rounds, work):
    command = [cli, "train", "--train", str(data_path), "--model", str(work / "cli.model"),
               "--quiet"] + arguments
    if group is not None:
        command[4:4] = ["--query", str(group)]
    sizes = np.loadtxt(group, dtype=np.int64) if group is not None else None
    times = {"command": [], "python": []}
    for r in range(rounds):
        order = ("command", "python") if r % 2 == 0 else ("python", "command")
        for which in order:
            if which == "command":
                seconds, _ = timed(lambda: subprocess.run(command, check=True))
            else:
                def fit():
                    ranker = mrank.Ranker(**params)
                    if sizes is not None:
                        ranker.fit(X, y, group=sizes)
                    else:
                        ranker.fit(X, y, qid=qid)
                    ranker.save_model(work / "python.model")
                seconds, _ = timed(fit)
            times[which].append(seconds)
    same = (work / "cli.model").read_text() == (work / "python.model").read_text()
    c, p = statistics.median(times["command"]), statistics.median(times["python"])
    print("%-24s command %s s  python %s s  python/command %.3f  (%s)" % (
        name, " ".join("%.2f" % t for t in times["command"]),
        " ".join("%.2f" % t for t in times["python"]), p / c,
        "the same model bytes" if same else "THE MODELS DIFFER"), flush=True)


def compare_predict(cli, rounds, work):
    rows, features = 1_000_000, 20
    rng = np.random.default_rng(3)
    X = rng.random((rows, features)).astype(np.float32)
    path = work / "predict.txt"
    X = write_lines(path, X, np.zeros(rows, dtype=np.float32))
    small_y = np.zeros(2000, dtype=np.float32)
    ranker = mrank.Ranker(holdout=0, epochs=1).fit(X[:2000], small_y + (X[:2000, 0] > 0.5),
                                                   group=[100] * 20)
    ranker.save_model(work / "predict.model")
    command = [cli, "predict", "--model", str(work / "predict.model"), "--data", str(path),
               "--output", str(work / "scores.txt")]
    times = {"command": [], "python": []}
    for r in range(rounds):
        for which in (("command", "python") if r % 2 == 0 else ("python", "command")):
            if which == "command":
                seconds, _ = timed(lambda: subprocess.run(command, check=True))
            else:
                seconds, scores = timed(lambda: ranker.predict(X))
            times[which].append(seconds)
    printed = (work / "scores.txt").read_text().split()
    same = printed[:1000] == ["%.9g" % s for s in scores[:1000]]
    c, p = statistics.median(times["command"]), statistics.median(times["python"])
    print("%-24s command %.2f s  python %.2f s  python/command %.3f  (%s)" % (
        "predict 10^6 rows", c, p, p / c, "the same scores" if same else "SCORES DIFFER"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cli", default=str(ROOT / "build" / "mrank"))
    parser.add_argument("--small", action="store_true", help="no 500,000-document set")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        work = pathlib.Path(directory)
        lightgbm = SHARED / "lightgbm-lambdarank" / "rank.train"
        if lightgbm.exists():
            X, y, _ = read_svmlight(lightgbm)
            compare_fit(args.cli, "lightgbm sample, defaults", lightgbm, X, y, None,
                        lightgbm.with_name("rank.train.query"), {}, [], args.rounds, work)
        mq2008 = SHARED / "mq2008-fold1" / "vali.txt"
        if mq2008.exists():
            X, y, qid = read_svmlight(mq2008)
            compare_fit(args.cli, "mq2008 vali, defaults", mq2008, X, y, qid, None, {}, [],
                        args.rounds, work)
        if not lightgbm.exists() and not mq2008.exists():
            print("../shared/data is absent: the shared sets are skipped", file=sys.stderr)
        if not args.small:
            path = work / "big.txt"
            X, y, qid = synthetic(path, 10000, 50, 20)
            compare_fit(args.cli, "synthetic 500k x 20", path, X, y, qid, None,
                        {"holdout": 0, "epochs": 5}, ["--holdout", "0", "--epochs", "5"],
                        args.rounds, work)
            compare_predict(args.cli, args.rounds, work)


if __name__ == "__main__":
    main()
