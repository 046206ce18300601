#!/usr/bin/env python3
"""PyTorch's torch.mm at the shapes common_bench measures, for a side-by-side figure.

Run it with Debian's python3-torch in its fastest setup on this machine, and never at the
same time as common_bench (they would share the 2 cores):

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp OPENBLAS_CORETYPE=SkylakeX \
  OMP_NUM_THREADS=2 /usr/bin/python3 common/bench/torch_gemm.py [--json FILE]

GFLOP/s = 2*M*N*K / seconds / 1e9, best of 3 rounds, for 1 and 2 threads.
"""
import argparse
import json
import time

import torch

SHAPES = [  # label, M, N, K, trans_a, trans_b -- the same list as common_bench.cpp
    ("128", 128, 128, 128, False, False),
    ("256", 256, 256, 256, False, False),
    ("512", 512, 512, 512, False, False),
    ("1024", 1024, 1024, 1024, False, False),
    ("2048", 2048, 2048, 2048, False, False),
    ("lenet_c1_fwd", 6, 50176, 25, False, False),
    ("lenet_c1_dw", 6, 25, 12544, False, True),
    ("lenet_c3_fwd", 16, 6400, 150, False, False),
    ("lenet_c3_dcols", 150, 6400, 16, True, False),
    ("mlp_fc1_fwd", 64, 256, 784, False, True),
    ("mlp_fc1_dw", 256, 784, 64, True, False),
    ("rnn_input", 3200, 256, 65, False, True),
    ("rnn_step_fwd", 32, 256, 256, False, True),
    ("rnn_step_bwd", 32, 256, 256, False, False),
    ("rnn_dw_hh", 256, 256, 3200, True, False),
    ("rnn_logits", 3200, 65, 256, False, True),
    ("attn_scores", 128, 128, 32, False, True),
    ("attn_context", 128, 32, 128, False, False),
    ("gpt_qkv", 2048, 384, 128, False, True),
    ("gen_matvec_nt", 1, 1152, 384, False, True),
    ("gen_matvec_nn", 1, 1152, 384, False, False),
]


def gflops(m, n, k, ta, tb, threads, min_seconds):
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(42)
    a = torch.rand((k, m) if ta else (m, k), generator=g) * 2 - 1
    b = torch.rand((n, k) if tb else (k, n), generator=g) * 2 - 1
    op_a = a.t() if ta else a
    op_b = b.t() if tb else b
    out = torch.empty(m, n)
    torch.mm(op_a, op_b, out=out)  # warm-up
    best = 0.0
    for _ in range(3):
        reps, start = 0, time.perf_counter()
        while True:
            torch.mm(op_a, op_b, out=out)
            reps += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds / 3:
                break
        best = max(best, 2.0 * m * n * k * reps / elapsed * 1e-9)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write {'gemm': {label: {...}}} here")
    parser.add_argument("--min-seconds", type=float, default=0.6)
    parser.add_argument("--quick", action="store_true", help="the first shapes only, briefly")
    parser.add_argument("--shapes", help="comma-separated labels: only these shapes")
    args = parser.parse_args()
    shapes = SHAPES[:2] + SHAPES[5:7] if args.quick else SHAPES
    if args.shapes:
        wanted = args.shapes.split(",")
        unknown = [w for w in wanted if w not in {s[0] for s in SHAPES}]
        if unknown:
            parser.error(f"--shapes: no shape called {unknown[0]!r}")
        shapes = [s for s in SHAPES if s[0] in wanted]
    if args.quick:
        args.min_seconds = 0.05
    table = {}
    print(f"{'shape':20} {'M':>6} {'N':>6} {'K':>6}  {'1 thread':>10} {'2 threads':>10}")
    for label, m, n, k, ta, tb in shapes:
        g1 = gflops(m, n, k, ta, tb, 1, args.min_seconds)
        g2 = gflops(m, n, k, ta, tb, 2, args.min_seconds)
        print(f"{label:20} {m:6d} {n:6d} {k:6d}  {g1:10.1f} {g2:10.1f}", flush=True)
        table[label] = {"m": m, "n": n, "k": k, "threads_1": g1, "threads_2": g2}
    print(f"torch {torch.__version__}, BLAS: {torch.__config__.show().count('OpenBLAS') and 'OpenBLAS' or 'other'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"gemm": table}, f, indent=2)


if __name__ == "__main__":
    main()
