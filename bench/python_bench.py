#!/usr/bin/env python3
"""bench/python_bench.py: what the Python binding and the PyTorch module cost, side by side in one
run on the same device:
  - per call, mrank.Context.forward_backward (new outputs, and out= arrays reused) against the bare C
    entry point (mrank_forward_backward_ex through ctypes with its arguments made beforehand), at
    n = 1 and 2^20;
  - forward + backward of mrank.torch.MarginRankingLoss against torch.nn.functional.
    margin_ranking_loss (eager, the same CPU) and against the bare C call, at 2^20, 2^22, 2^24.
Each figure is the median of interleaved repetitions. Needs the package installed (pip install .)
and, for the second part, PyTorch.

usage: python3 bench/python_bench.py [--device SEL] [--repeats R]
"""
import argparse
import ctypes
import statistics
import time

import numpy as np

import mrank
from mrank import _lib


def median_seconds(functions, repeats):
    """interleaved: each round runs every function once, so drift hits all alike"""
    times = [[] for _ in functions]
    for _ in range(repeats):
        for k, f in enumerate(functions):
            start = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def bare_call(ctx, x1, x2, y):
    """mrank_forward_backward_ex with everything made once: the C API's own time"""
    loss, dx1, dx2 = np.empty((), np.float32), np.empty_like(x1), np.empty_like(x1)
    desc = _lib.Desc(0, 0, 1, 1.0)
    args = (ctx._handle, ctypes.byref(desc), x1.size, x1.ctypes.data, x2.ctypes.data,
            y.ctypes.data, loss.ctypes.data, dx1.ctypes.data, dx2.ctypes.data)
    function = _lib.lib.mrank_forward_backward_ex
    held = (x1, x2, y, loss, dx1, dx2)  # the arrays live as long as the call does

    def call():
        assert held
        return function(*args)

    return call


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default=None)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    with mrank.Context(args.device) as ctx:
        print("device: %s" % ctx.device_name)
        print("%-10s %14s %14s %14s %12s" % ("n", "C API", "binding", "binding out=",
                                             "out= over C"))
        for n in (1, 1 << 20):
            x1, x2 = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
            y = np.ones(n, dtype=np.float32)
            out = (np.empty((), np.float32), np.empty(n, np.float32), np.empty(n, np.float32))
            c, py, py_out = median_seconds(
                [bare_call(ctx, x1, x2, y), lambda: ctx.forward_backward(x1, x2, y),
                 lambda: ctx.forward_backward(x1, x2, y, out=out)],
                args.repeats * 20 if n == 1 else args.repeats)
            print("%-10s %11.1f us %11.1f us %11.1f us %9.1f us" % (
                n, c * 1e6, py * 1e6, py_out * 1e6, (py_out - c) * 1e6))
        try:
            import torch
            import torch.nn.functional as F
            from mrank.torch import MarginRankingLoss
        except ImportError:
            print("(PyTorch is not installed: the module's comparison is left out)")
            return
        print("\nforward + backward, float32, reduction mean; torch %s with %d threads" % (
            torch.__version__, torch.get_num_threads()))
        print("%-10s %12s %12s %12s %10s %10s" % ("n", "C API", "mrank.torch", "PyTorch",
                                                 "vs torch", "vs C API"))
        loss_fn = MarginRankingLoss(1.0, device=args.device)
        for log in (20, 22, 24):
            n = 1 << log
            a = torch.rand(n, requires_grad=True)
            b = torch.rand(n, requires_grad=True)
            y = torch.where(torch.rand(n) < 0.5, -1.0, 1.0)
            x1, x2, yn = a.detach().numpy(), b.detach().numpy(), y.numpy()

            # as a training loop does (optimizer.zero_grad() sets them to None): the gradients are
            # assigned, not added to old ones
            def ours():
                a.grad = b.grad = None
                loss_fn(a, b, y).backward()

            def theirs():
                a.grad = b.grad = None
                F.margin_ranking_loss(a, b, y, margin=1.0).backward()

            c, m, t = median_seconds([bare_call(ctx, x1, x2, yn), ours, theirs], args.repeats)
            print("2^%-8d %9.2f ms %9.2f ms %9.2f ms %9.2fx %9.2fx" % (
                log, c * 1e3, m * 1e3, t * 1e3, t / m, m / c))


if __name__ == "__main__":
    main()
