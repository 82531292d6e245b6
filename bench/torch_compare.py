#!/usr/bin/env python3
"""PyTorch side by side: torch.nn.functional.margin_ranking_loss (mean, CPU, all cores) forward and
forward+backward (autograd), against mrank's forward and fused forward+backward (mean) on the selected
OpenCL device, at the same n and in the same run. Prints the times and mrank's speed-up.

usage: bench/torch_compare.py [--mrank build/mrank] [--device SEL] [--n 2^20,2^22,2^24] [--runs 10]
Skips (exit status 0, with a message) where PyTorch is not installed (Debian: python3-torch).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def parse_sizes(text):
    sizes = []
    for item in text.split(","):
        item = item.strip()
        sizes.append(2 ** int(item[2:]) if item.startswith("2^") else int(item))
    return sizes


def best_of(runs, fn):
    for _ in range(2):  # warm-up
        fn()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def torch_times(torch, n, runs):
    generator = torch.Generator().manual_seed(n)
    x1 = (torch.rand(n, generator=generator) * 4 - 2).requires_grad_()
    x2 = (torch.rand(n, generator=generator) * 4 - 2).requires_grad_()
    y = torch.randint(0, 2, (n,), generator=generator).float() * 2 - 1
    loss_fn = torch.nn.functional.margin_ranking_loss

    def forward():
        with torch.no_grad():
            loss_fn(x1, x2, y, margin=1.0, reduction="mean")

    def forward_backward():
        x1.grad = None
        x2.grad = None
        loss_fn(x1, x2, y, margin=1.0, reduction="mean").backward()

    return best_of(runs, forward), best_of(runs, forward_backward)


def mrank_times(mrank, device, sizes):
    with tempfile.TemporaryDirectory() as work:
        report = os.path.join(work, "bench.json")
        command = [mrank, "bench", "--op", "forward,fused", "--reduction", "mean",
                   "--n", ",".join(str(n) for n in sizes), "--json", report]
        if device:
            command += ["--device", device]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        with open(report) as f:
            data = json.load(f)
    times = {}
    for row in data["results"]:
        if row["op"] in ("forward", "fused") and row["kind"] == "throughput":
            times[(row["op"], row["api"], row["n"])] = row["seconds"]
    return data["device"]["name"], times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mrank", default="build/mrank")
    parser.add_argument("--device", default=None)
    parser.add_argument("--n", default="2^20,2^22,2^24")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("torch_compare: PyTorch is not installed (Debian: apt-get install python3-torch); skipped")
        return 0
    torch.set_num_threads(os.cpu_count() or 1)
    sizes = parse_sizes(args.n)
    device, mrank = mrank_times(args.mrank, args.device, sizes)
    print(f"PyTorch {torch.__version__} on the CPU ({torch.get_num_threads()} threads) against mrank "
          f"on \"{device}\"; mean reduction, best of {args.runs} runs")
    print(f"{'n':>10} {'torch fwd':>11} {'mrank fwd':>11} {'x':>6}   {'torch fwd+bwd':>13} "
          f"{'mrank fused':>11} {'x':>6} {'(buffers)':>10} {'x':>6}")
    for n in sizes:
        forward, forward_backward = torch_times(torch, n, args.runs)
        fwd = mrank[("forward", "host", n)]
        fused = mrank[("fused", "host", n)]
        fused_buffers = mrank[("fused", "buffer", n)]
        print(f"{n:>10} {forward * 1e3:>8.2f} ms {fwd * 1e3:>8.2f} ms {forward / fwd:>5.1f}x   "
              f"{forward_backward * 1e3:>10.2f} ms {fused * 1e3:>8.2f} ms "
              f"{forward_backward / fused:>5.1f}x {fused_buffers * 1e3:>7.2f} ms "
              f"{forward_backward / fused_buffers:>5.1f}x")
    print("mrank fwd and fused take host arrays and return host arrays (like the PyTorch call); "
          "'buffers' is the device-buffer API")
    return 0


if __name__ == "__main__":
    sys.exit(main())
