#!/usr/bin/env python3
"""The framework twin of phase2_backprop: the digits MLP and the spirals MLP in PyTorch.

Same architecture, initialisation, data, batch order and hyper-parameters as the C++
program -- literally the same numbers: the C++ program draws everything from
common::Rng (xoshiro256** seeded by splitmix64, Box-Muller normals), and the Rng class
below re-implements it, so both sides start from identical weights and visit the
examples in the identical order. What remains different is the arithmetic (OpenBLAS and
PyTorch's kernels against our gemm) and therefore the last bits of every float.

  digits   784-256-128-10 ReLU, softmax cross-entropy, He-normal weights, zero biases,
           SGD momentum 0.9, lr 0.05 decayed linearly to 0, batch 64, 20 epochs,
           MNIST as scripts/get_data.sh provides it (10,000 train / 10,000 test here)
  spirals  2-64-64-2 ReLU, the same recipe with lr 0.05, batch 32, 300 epochs, on
           500 + 500 generated training points and 500 + 500 held-out ones

Usage (scripts/compare.sh runs it with the fast OpenBLAS environment):
  twin.py --data-dir DATA_DIR --json FILE [--quick] [--seed N]
Writes {"experiments": {"digits": {...}, "spirals": {...}}} with the C++ program's keys.
"""
import argparse
import json
import math
import pathlib
import sys
import time

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "common" / "python"))
from aij_common import Rng, load_image_dataset  # noqa: E402  (common/python)


# ---------------------------------------------------------------------------
# Data

def load_mnist(data_dir, max_train, max_test):
    train_x, train_y, test_x, test_y = load_image_dataset(data_dir, "mnist", max_train, max_test)
    def part(x, y):  # (N, 784) float32 scaled as common/data.cpp does, labels int64
        return (torch.tensor(x.reshape(len(x), -1).astype(np.float32) / np.float32(255.0)),
                torch.tensor(y.astype(np.int64)))
    return part(train_x, train_y) + part(test_x, test_y)


def two_spirals(per_class, noise, rng):
    """datasets.cpp's two_spirals, draw for draw."""
    xy = np.zeros((2 * per_class, 2), dtype=np.float32)
    labels = np.zeros(2 * per_class, dtype=np.int64)
    for k in range(2 * per_class):
        label = k % 2
        i = 96.0 * rng.uniform()
        phi = i * math.pi / 16.0
        r = (104.0 - i) / 104.0
        sign = 1.0 if label == 0 else -1.0
        px = sign * r * math.sin(phi) + noise * rng.normal()
        py = sign * r * math.cos(phi) + noise * rng.normal()
        xy[k] = (px, py)
        labels[k] = label
    return torch.tensor(xy), torch.tensor(labels)


# ---------------------------------------------------------------------------
# Model: Linear layers with He-normal weights drawn like mlp.h (section 5) (row-major, W then b)

def make_mlp(sizes, rng):
    layers = []
    for i in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[i], sizes[i + 1])
        std = math.sqrt(2.0 / sizes[i])
        w = np.array([rng.normal() * std for _ in range(sizes[i] * sizes[i + 1])])
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(w.astype(np.float32)).view(sizes[i + 1], sizes[i]))
            lin.bias.zero_()
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers)


def evaluate(model, x, y):
    with torch.no_grad():
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y).item()
        accuracy = (logits.argmax(1) == y).double().mean().item()
    return loss, accuracy


def train(model, x, y, x_test, y_test, epochs, batch, lr, momentum, rng):
    """train.cpp's train_minibatch: reshuffle the previous order every epoch, keep the
    last short batch, lr decayed linearly per step, time the steps only."""
    n = x.shape[0]
    order = list(range(n))
    steps_per_epoch = (n + batch - 1) // batch
    total = steps_per_epoch * epochs
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    step, train_seconds, history = 0, 0.0, []
    for epoch in range(1, epochs + 1):
        rng.shuffle(order)
        idx_all = torch.tensor(order)
        t0 = time.perf_counter()
        loss_sum = 0.0
        for b in range(0, n, batch):
            idx = idx_all[b:b + batch]
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            for group in opt.param_groups:
                group["lr"] = lr * (1.0 - step / total)
            opt.step()
            loss_sum += loss.item() * idx.numel()
            step += 1
        train_seconds += time.perf_counter() - t0
        test_loss, test_acc = evaluate(model, x_test, y_test)
        history.append((epoch, loss_sum / n, test_loss, test_acc))
    return train_seconds, history


# ---------------------------------------------------------------------------
# Experiments

def digits(args):
    t0 = time.perf_counter()
    quick = args.quick
    x, y, x_test, y_test = load_mnist(args.data_dir, 2000 if quick else 0, 1000 if quick else 0)
    epochs = 3 if quick else 20
    rng = Rng(args.seed)
    model = make_mlp([784, 256, 128, 10], rng)
    train_seconds, history = train(model, x, y, x_test, y_test, epochs, 64, 0.05, 0.9, rng)
    for epoch, train_loss, test_loss, test_acc in history:
        print(f"  digits epoch {epoch:3d}  train loss {train_loss:.4f}  test loss {test_loss:.4f}"
              f"  test acc {test_acc:.4f}", flush=True)
    return {
        "dataset": "mnist",
        "train_examples": int(x.shape[0]),
        "test_examples": int(x_test.shape[0]),
        "epochs": epochs,
        "test_accuracy": history[-1][3],
        "final_train_loss": history[-1][1],
        "train_seconds": train_seconds,
        "items_per_second": x.shape[0] * epochs / train_seconds,
        "seconds": time.perf_counter() - t0,
    }


def spirals(args):
    t0 = time.perf_counter()
    quick = args.quick
    rng = Rng(args.seed)
    x, y = two_spirals(250 if quick else 500, 0.02, rng)
    x_test, y_test = two_spirals(500, 0.02, rng)
    epochs = 40 if quick else 300
    model = make_mlp([2, 64, 64, 2], rng)
    train_seconds, history = train(model, x, y, x_test, y_test, epochs, 32, 0.05, 0.9, rng)
    print(f"  spirals: test accuracy {history[-1][3]:.4f} after {epochs} epochs", flush=True)
    return {
        "train_examples": int(x.shape[0]),
        "test_examples": int(x_test.shape[0]),
        "epochs": epochs,
        "test_accuracy": history[-1][3],
        "final_train_loss": history[-1][1],
        "items_per_second": x.shape[0] * epochs / train_seconds,
        "seconds": time.perf_counter() - t0,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    result = {"phase": "phase2_backprop", "framework": "pytorch " + torch.__version__,
              "seed": args.seed, "threads": torch.get_num_threads(), "quick": args.quick,
              "experiments": {"digits": digits(args), "spirals": spirals(args)}}
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
