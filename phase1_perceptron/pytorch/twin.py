#!/usr/bin/env python3
"""phase1_perceptron/pytorch/twin.py -- the digit perceptron of phase 1, with PyTorch tensors.

The framework twin of digits.cpp: the same data (the first training images present in
DATA_DIR/mnist and the 10,000 test images, pixels / 255), the same rule (multi-class
perceptron from zero weights, update on mistakes, lr 1), the same averaging trick, the same
number of epochs, and even the same visiting order: the shuffle below re-implements the
project's xoshiro256** generator (common/rng.cpp), so both programs see the images in the
same order. Their scores are summed in a different order (a BLAS matrix-vector product here,
16 partial sums in C++), so a near-tie could go the other way and the two runs would then
drift apart; on the default run (10,000 images, 10 epochs, seed 1) that did not happen: both
made the same mistakes, epoch by epoch, and reached the same accuracies.

There is no autograd here, and no torch.nn: the perceptron has no gradient to follow. PyTorch
is used as a tensor library, which is what the rule needs.

    /usr/bin/python3 phase1_perceptron/pytorch/twin.py --data-dir data --json out/twin.json
    /usr/bin/python3 phase1_perceptron/pytorch/twin.py --data-dir data --json out/twin.json --quick

Writes {"experiments": {"digits": {...}}} with the key names of the C++ program's --json.
"""
import argparse
import json
import os
import pathlib
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "common" / "python"))
from aij_common import Rng, dataset_variant, load_image_dataset  # noqa: E402  (common/python)


# --- Data -------------------------------------------------------------------------------

def load_mnist(data_dir, max_train, max_test):
    train_x, train_y, test_x, test_y = load_image_dataset(data_dir, "mnist", max_train, max_test)
    # (N, 784) float32 in [0, 1], exactly as common/data.cpp scales them (byte / 255).
    def to_x(a):
        return torch.from_numpy(a.reshape(len(a), -1).astype(np.float32) / np.float32(255.0))
    return to_x(train_x), torch.from_numpy(train_y.astype(np.int64)), \
        to_x(test_x), torch.from_numpy(test_y.astype(np.int64))


# --- The perceptron -------------------------------------------------------------------------

def predict(W, b, X):
    """S (N, K) = X (N, D) W^T + b, then argmax (the first maximum on ties)."""
    return torch.argmax(X @ W.T + b, dim=1)


def train(train_x, train_y, test_x, test_y, epochs, lr, seed):
    N, D = train_x.shape
    K = 10
    W = torch.zeros(K, D)                      # templates (K, D)
    b = torch.zeros(K)                         # biases (K)
    U = torch.zeros(K, D, dtype=torch.float64)  # sum of t * (change of W), for the average
    Ub = torch.zeros(K, dtype=torch.float64)
    t = 0
    rng = Rng(seed)
    order = list(range(N))
    labels = train_y.tolist()
    train_seconds = 0.0
    log = []
    for epoch in range(1, epochs + 1):
        rng.shuffle(order)
        start = time.perf_counter()
        mistakes = 0
        for i in order:
            x = train_x[i]
            y = labels[i]
            guess = int(torch.argmax(W @ x + b))  # y_hat = argmax_k w_k . x + b_k
            if guess != y:
                # w_y += lr x, w_yhat -= lr x; the same times the step index into U
                W[y] += lr * x
                W[guess] -= lr * x
                b[y] += lr
                b[guess] -= lr
                xd = x.double() * (t * lr)
                U[y] += xd
                U[guess] -= xd
                Ub[y] += t * lr
                Ub[guess] -= t * lr
                mistakes += 1
            t += 1
        train_seconds += time.perf_counter() - start
        # w_avg = w_T - U / T
        W_avg = (W.double() - U / t).float()
        b_avg = (b.double() - Ub / t).float()
        acc = (predict(W, b, test_x) == test_y).double().mean().item()
        acc_avg = (predict(W_avg, b_avg, test_x) == test_y).double().mean().item()
        log.append((epoch, mistakes, acc, acc_avg))
        print(f"  epoch {epoch:2d}  mistakes {mistakes:5d}  test accuracy {acc:.4f}  "
              f"averaged {acc_avg:.4f}", flush=True)
    return log, train_seconds, t


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=os.path.join(os.path.dirname(__file__), "..", "..", "data"))
    parser.add_argument("--json", default="", help="write the metrics here")
    parser.add_argument("--quick", action="store_true", help="2000 train / 2000 test images, 5 epochs")
    parser.add_argument("--epochs", type=int, default=0, help="default 10 (--quick: 5), as in C++")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train-examples", type=int, default=0, help="0 = all present")
    parser.add_argument("--test-examples", type=int, default=0, help="0 = all")
    args = parser.parse_args()
    torch.manual_seed(args.seed)  # nothing random is drawn from torch; set for good measure

    start = time.perf_counter()
    max_train = args.train_examples or (2000 if args.quick else 0)
    max_test = args.test_examples or (2000 if args.quick else 0)
    epochs = args.epochs or (5 if args.quick else 10)
    train_x, train_y, test_x, test_y = load_mnist(args.data_dir, max_train, max_test)
    print(f"digits (PyTorch {torch.__version__}): {len(train_y)} training images, "
          f"{len(test_y)} test images, {epochs} epochs", flush=True)
    log, train_seconds, seen = train(train_x, train_y, test_x, test_y, epochs, 1.0, args.seed)
    seconds = time.perf_counter() - start
    variant = dataset_variant(args.data_dir, "mnist")
    metrics = {
        "dataset": "mnist",
        "dataset_variant": variant,
        "train_examples": len(train_y),
        "test_examples": len(test_y),
        "epochs": epochs,
        "test_accuracy": log[-1][2],
        "averaged_test_accuracy": log[-1][3],
        "train_seconds": train_seconds,
        "items_per_second": seen / train_seconds,
        "seconds": seconds,
    }
    print(f"  test accuracy: perceptron {metrics['test_accuracy']:.4f}, averaged perceptron "
          f"{metrics['averaged_test_accuracy']:.4f}  ({seconds:.1f} s, "
          f"{metrics['items_per_second']:.0f} images/s in training)")
    if args.json:
        out = {"phase": "phase1_perceptron", "framework": "pytorch " + torch.__version__,
               "seed": args.seed, "quick": args.quick, "experiments": {"digits": metrics}}
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
