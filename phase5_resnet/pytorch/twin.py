#!/usr/bin/env python3
"""phase5_resnet/pytorch/twin.py -- the plain and residual networks of phase 5 in PyTorch.

The framework twin of resnet.cpp: the same family (3x3 conv stem with 16 channels, three
stages of n basic blocks with 16/32/64 channels, stride 2 at the start of stages 2 and 3,
global average pooling, a linear classifier; shortcut option A: subsampling and zero-padded
channels; the plain twin without shortcuts), the same initialisation (He-normal convolutions
with fan_in, BatchNorm gamma 1 and beta 0, the last BN of each residual block at 0 when
--zero-init is on, LeCun-normal classifier, zero bias), the same data (Fashion-MNIST from
DATA_DIR/fashion-mnist, the first --train-images training images, the 10,000 test images),
augmentation (random crop with 2 pixels of zero padding, horizontal flip with probability
1/2), the same schedule (SGD momentum 0.9, weight decay 1e-4, batch 128, the last partial
batch dropped, linear warm-up from lr/10 over --warmup steps, then cosine to 0 per step).

  degradation  plain-20, plain-56, resnet-20, resnet-56 with the C++ default budget
               (2 epochs of 10,000 images, lr 0.1, warm-up 50 steps, zero-init residual)
  bench        resnet20_train, resnet56_train (training images/s at batch 128, 28x28x1, the
               median of 5 steps after one warm-up step) and resnet20_infer

The random numbers differ from the C++ program's (torch's generator, not xoshiro256**), so
the two runs agree statistically, not digit for digit. --quick mirrors the C++ --quick
sizes (resnet-8 and -14 standing for -20 and -56, 1,000 training and 500 test images).

    /usr/bin/python3 phase5_resnet/pytorch/twin.py --data-dir data --json out/twin.json [--quick]

Writes {"experiments": {"degradation": {...}, "bench": {...}}} with the key names of the C++
program's --json (scripts/compare.sh prints them side by side).
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic == 0x803:
        n, rows, cols = struct.unpack(">III", data[4:16])
        return np.frombuffer(data, np.uint8, n * rows * cols, 16).reshape(n, rows * cols)
    if magic == 0x801:
        n = struct.unpack(">I", data[4:8])[0]
        return np.frombuffer(data, np.uint8, n, 8)
    raise ValueError(f"{path}: not an IDX file")


def load_fashion(data_dir, max_train, max_test):
    d = os.path.join(data_dir, "fashion-mnist")
    def find(stem):
        for name in (stem, stem + ".gz"):
            if os.path.exists(os.path.join(d, name)):
                return os.path.join(d, name)
        raise FileNotFoundError(f"{d}/{stem}: run scripts/get_data.sh fashion-mnist")
    tx = read_idx(find("train-images-idx3-ubyte"))
    ty = read_idx(find("train-labels-idx1-ubyte"))
    vx = read_idx(find("t10k-images-idx3-ubyte"))
    vy = read_idx(find("t10k-labels-idx1-ubyte"))
    if max_train:
        tx, ty = tx[:max_train], ty[:max_train]
    if max_test:
        vx, vy = vx[:max_test], vy[:max_test]
    f = lambda x: torch.tensor(x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return f(tx), torch.tensor(ty.astype(np.int64)), f(vx), torch.tensor(vy.astype(np.int64))


class Block(nn.Module):
    def __init__(self, c_in, c_out, stride, residual):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.residual, self.stride, self.pad = residual, stride, c_out - c_in

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        if self.residual:  # option A: subsample, zero-padded channels (at the end)
            s = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
            y = y + (F.pad(s, (0, 0, 0, 0, 0, self.pad)) if self.pad else s)
        return torch.relu(y)


class ResNet(nn.Module):
    def __init__(self, depth, residual, zero_init):
        super().__init__()
        n = (depth - 2) // 6
        self.stem = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        blocks, c = [], 16
        for stage in range(3):
            for i in range(n):
                first = stage > 0 and i == 0
                blocks.append(Block(c, 2 * c if first else c, 2 if first else 1, residual))
                c = 2 * c if first else c
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(c, 10)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
        nn.init.normal_(self.fc.weight, std=math.sqrt(1.0 / c))
        nn.init.zeros_(self.fc.bias)
        if zero_init and residual:
            for b in blocks:
                nn.init.zeros_(b.bn2.weight)

    def forward(self, x):
        x = self.blocks(torch.relu(self.bn(self.stem(x))))
        return self.fc(x.mean(dim=(2, 3)))


def augment(x, pad=2):
    n = x.shape[0]
    padded = F.pad(x, (pad, pad, pad, pad))
    out = torch.empty_like(x)
    dy = torch.randint(0, 2 * pad + 1, (n,))
    dx = torch.randint(0, 2 * pad + 1, (n,))
    flip = torch.rand(n) < 0.5
    for i in range(n):
        img = padded[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
        out[i] = img.flip(-1) if flip[i] else img
    return out


def accuracy(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 100):
            correct += (model(x[i:i + 100]).argmax(1) == y[i:i + 100]).sum().item()
    model.train()
    return correct / len(x)


def train(depth, residual, data, epochs, lr, warmup, zero_init, seed):
    torch.manual_seed(seed)
    tx, ty, vx, vy = data
    model = ResNet(depth, residual, zero_init)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    batch = min(128, len(tx))
    per_epoch = len(tx) // batch
    total = per_epoch * epochs
    step, losses, history, seconds, seen = 0, [], [], 0.0, 0
    for epoch in range(epochs):
        order = torch.randperm(len(tx))
        t0 = time.time()
        epoch_losses = []
        for b in range(per_epoch):
            idx = order[b * batch:(b + 1) * batch]
            if step < warmup:
                rate = lr * (0.1 + 0.9 * step / warmup)
            else:
                rate = lr * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1, total - warmup))))
            for g in opt.param_groups:
                g["lr"] = rate
            loss = F.cross_entropy(model(augment(tx[idx])), ty[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            epoch_losses.append(loss.item())
            step += 1
            seen += len(idx)
        seconds += time.time() - t0
        history.append((sum(epoch_losses) / len(epoch_losses), accuracy(model, vx, vy)))
        print(f"  {'resnet' if residual else 'plain'}-{depth} epoch {epoch + 1}: "
              f"train loss {history[-1][0]:.4f}, test accuracy {history[-1][1]:.4f}", flush=True)
    params = sum(p.numel() for p in model.parameters())
    return {"train_loss": history[-1][0], "test_accuracy": history[-1][1], "params": params,
            "seconds": seconds, "epochs": epochs, "images_per_second": seen / seconds,
            "train_loss_per_epoch": [h[0] for h in history],
            "test_accuracy_per_epoch": [h[1] for h in history]}


def bench(quick):
    steps = 1 if quick else 5
    torch.manual_seed(1)
    x = torch.rand(128, 1, 28, 28)
    y = torch.randint(0, 10, (128,))
    out = {}
    for depth in (20, 56):
        model = ResNet(depth, True, False)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
        times = []
        for i in range(steps + 1):
            t0 = time.time()
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if i:
                times.append(time.time() - t0)
        out[f"resnet{depth}_train"] = {"items_per_second": 128 / sorted(times)[len(times) // 2],
                                       "unit": "images"}
        if depth == 20:
            model.eval()
            times = []
            with torch.no_grad():
                for i in range(steps + 1):
                    t0 = time.time()
                    model(x)
                    if i:
                        times.append(time.time() - t0)
            out["resnet20_infer"] = {"items_per_second": 128 / sorted(times)[len(times) // 2],
                                     "unit": "images"}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--json", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    q = args.quick
    data = load_fashion(args.data_dir, 1000 if q else 10000, 500 if q else 0)
    epochs, warmup, zero_init = (1, 0, False) if q else (2, 50, True)
    shallow, deep = (8, 14) if q else (20, 56)
    deg = {}
    for key, depth, residual in (("plain_20", shallow, False), ("plain_56", deep, False),
                                 ("resnet_20", shallow, True), ("resnet_56", deep, True)):
        deg[key] = train(depth, residual, data, epochs, 0.1, warmup, zero_init, args.seed)
    result = {"experiments": {"degradation": deg, "bench": bench(q)}}
    with open(args.json, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
