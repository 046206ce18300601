#!/usr/bin/env python3
"""phase4_lstm_gan/pytorch/gan_twin.py -- the GAN half of phase 4 in PyTorch.

The framework twin of gan.cpp, dcgan.cpp and evaluator.cpp: the same architectures,
initialisation schemes, data, hyper-parameters and protocol, written with torch.nn and autograd.

  gan    the evaluator (LeNet-5, ReLU + max-pooling, He-normal weights, Adam lr 1e-3, 4 epochs,
         batch 64) trained on the 10,000 training images, its test accuracy and the scores of
         1,000 real test images; then the generators on the same 10,000 images, batch 64 (the
         last short batch dropped), Adam lr 2e-4, beta1 0.5, one D step (a real batch and a
         generated batch, each through D alone) then one G step with the non-saturating loss
         on the same generated batch:
           mlp    G 64 -> 256 -> 512 -> 784 (LeakyReLU 0.2, tanh), D 784 -> 512 -> 256 -> 1,
                  nn.Linear's default initialisation, 30 epochs
           dcgan  G 100 -> 128x7x7 (BN, ReLU) -> ConvT 64 (BN, ReLU) -> ConvT 1 (tanh);
                  D conv 64 (LeakyReLU) -> conv 128 (BN, LeakyReLU) -> 1; 4x4 kernels, stride 2,
                  padding 1; weights N(0, 0.02^2), BN gamma N(1, 0.02^2), biases 0; 20 epochs
           cgan   the MLP nets with the one-hot label appended to both inputs, 100 epochs
         scored on 1,000 samples of G in evaluation mode: confident_fraction (max p > 0.9),
         class_entropy (nats), classes_covered (>= 5%), label_accuracy (cgan).
  bench  seconds per epoch: the MLP GAN over 8,000 digits, the DCGAN over 10,000, batch 64
         (the second of two epochs), as the C++ `bench`.

The random numbers differ from the C++ program's, so the two agree statistically, not digit
for digit. --quick mirrors the C++ --quick sizes; --model picks one generator.

    /usr/bin/python3 phase4_lstm_gan/pytorch/gan_twin.py --data-dir data --json out/gan_twin.json
    (fast BLAS: LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
                OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=2)
"""
import argparse
import json
import math
import pathlib
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "common" / "python"))
from aij_common import load_image_dataset  # noqa: E402  (common/python)


# --- The evaluator ----------------------------------------------------------------------

class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c3 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.c5, self.f6, self.out = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)
        for m in (self.c1, self.c3, self.c5, self.f6, self.out):
            fan_in = m.weight[0].numel()
            gain = 1.0 if m is self.out else 2.0
            nn.init.normal_(m.weight, 0.0, math.sqrt(gain / fan_in))
            nn.init.zeros_(m.bias)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.c1(x.view(-1, 1, 28, 28))), 2)
        h = F.max_pool2d(F.relu(self.c3(h)), 2)
        h = F.relu(self.f6(F.relu(self.c5(h.flatten(1)))))
        return self.out(h)


def train_evaluator(x, y, tx, ty, epochs):
    model = LeNet()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(64):
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    with torch.no_grad():
        accuracy = (model(tx).argmax(1) == ty).float().mean().item()
    return model, accuracy


def scores(evaluator, images, requested=None):
    with torch.no_grad():
        p = F.softmax(evaluator(images), 1)
    best, cls = p.max(1)
    hist = torch.bincount(cls, minlength=10).double() / len(images)
    nz = hist[hist > 0]
    out = {"confident_fraction": (best > 0.9).double().mean().item(),
           "class_entropy": float(-(nz * nz.log()).sum()),
           "classes_covered": int((hist >= 0.05).sum()),
           "class_histogram": [int(round(h * len(images))) for h in hist.tolist()]}
    if requested is not None:
        out["label_accuracy"] = (cls == requested).double().mean().item()
    return out


# --- The generators ---------------------------------------------------------------------

def mlp(sizes, last):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        layers.append(nn.LeakyReLU(0.2) if i + 2 < len(sizes) else last)
    return nn.Sequential(*layers)


class MlpGan:
    def __init__(self, classes=0):
        self.z_dim, self.classes = 64, classes
        self.g = mlp([64 + classes, 256, 512, 784], nn.Tanh())
        self.d = mlp([784 + classes, 512, 256, 1], nn.Identity())

    def one_hot(self, y):
        return F.one_hot(y, 10).float()

    def G(self, z, y):
        return self.g(torch.cat([z, self.one_hot(y)], 1) if self.classes else z)

    def D(self, x, y):
        return self.d(torch.cat([x, self.one_hot(y)], 1) if self.classes else x).view(-1)


class Dcgan:
    def __init__(self):
        self.z_dim, self.classes = 100, 0
        self.g = nn.Sequential(nn.Linear(100, 128 * 49), nn.Unflatten(1, (128, 7, 7)),
                               nn.BatchNorm2d(128), nn.ReLU(),
                               nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                               nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh(), nn.Flatten())
        self.d = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 64, 4, 2, 1),
                               nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1),
                               nn.BatchNorm2d(128), nn.LeakyReLU(0.2), nn.Flatten(),
                               nn.Linear(128 * 49, 1))
        for m in list(self.g) + list(self.d):
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, 0.0, 0.02)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.normal_(m.weight, 1.0, 0.02)
                nn.init.zeros_(m.bias)

    def G(self, z, y):
        return self.g(z)

    def D(self, x, y):
        return self.d(x).view(-1)


def train_gan(model, x, y, epochs):
    """x (N, 784) in [-1, 1]; returns seconds per epoch."""
    opt_g = torch.optim.Adam(model.g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(model.d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    model.g.train()
    model.d.train()
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(x))
        for b in range(len(x) // 64):
            idx = order[b * 64:(b + 1) * 64]
            real, real_y = x[idx], y[idx]
            fake_y = torch.randint(0, 10, (64,))
            fake = model.G(torch.randn(64, model.z_dim), fake_y)
            opt_d.zero_grad()
            loss_d = (F.binary_cross_entropy_with_logits(model.D(real, real_y), torch.ones(64)) +
                      F.binary_cross_entropy_with_logits(model.D(fake.detach(), fake_y),
                                                         torch.zeros(64)))
            loss_d.backward()
            opt_d.step()
            opt_g.zero_grad()
            loss_g = F.binary_cross_entropy_with_logits(model.D(fake, fake_y), torch.ones(64))
            loss_g.backward()
            opt_g.step()
        seconds.append(time.perf_counter() - start)
    return seconds


def sample(model, n):
    model.g.eval()
    with torch.no_grad():
        z = torch.randn(n, model.z_dim)
        y = torch.arange(n) % 10
        out = (model.G(z, y) + 1) / 2
    model.g.train()
    return out, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--json", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--model", default="all", choices=["all", "mlp", "dcgan", "cgan"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bench-only", action="store_true",
                    help="skip the training runs: only the two bench epochs (minutes, not an hour)")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    q = args.quick
    tx_, ty_, vx_, vy_ = load_image_dataset(args.data_dir, "mnist", 2000 if q else 10000,
                                            2000 if q else 0)
    x = torch.tensor(tx_.reshape(len(tx_), 784), dtype=torch.float32) / 255.0
    y = torch.tensor(ty_, dtype=torch.long)
    tx = torch.tensor(vx_.reshape(len(vx_), 784), dtype=torch.float32) / 255.0
    ty = torch.tensor(vy_, dtype=torch.long)

    gan = {"threads": torch.get_num_threads()}
    if not args.bench_only:
        evaluator, acc = train_evaluator(x, y, tx, ty, 3 if q else 4)
        gan["evaluator_test_accuracy"] = acc
        gan["real"] = scores(evaluator, tx[:1000])
        print(f"evaluator test accuracy {acc:.4f}; real digits {gan['real']}", flush=True)
        epochs = {"mlp": 3 if q else 30, "dcgan": 1 if q else 20, "cgan": 3 if q else 100}
        for name in ["mlp", "dcgan", "cgan"]:
            if args.model not in ("all", name):
                continue
            model = {"mlp": lambda: MlpGan(), "dcgan": Dcgan, "cgan": lambda: MlpGan(10)}[name]()
            secs = train_gan(model, 2 * x - 1, y, epochs[name])
            images, requested = sample(model, 1000)
            s = scores(evaluator, images, requested if name == "cgan" else None)
            s.update({"epochs": epochs[name], "seconds_per_epoch": sum(secs) / len(secs)})
            gan[name] = s
            print(name, s, flush=True)

    bench = {}
    if args.model == "all" or args.bench_only:
        for key, name, n in [("mlp_gan_epoch", "mlp", 640 if q else 8000),
                             ("dcgan_epoch", "dcgan", 640 if q else 10000)]:
            model = MlpGan() if name == "mlp" else Dcgan()
            secs = train_gan(model, 2 * x[:n] - 1, y[:n], 2)
            bench[key] = {"seconds_per_epoch": secs[-1], "items_per_second": n // 64 * 64 / secs[-1],
                          "unit": "images",
                          "config": f"PyTorch {name} GAN, one epoch over {n} digits, batch 64, "
                                    f"{torch.get_num_threads()} threads"}
            print(key, bench[key], flush=True)
    with open(args.json, "w") as f:
        json.dump({"phase": "phase4_lstm_gan", "quick": q,
                   "experiments": {"gan": gan, "bench": bench}}, f, indent=2)


if __name__ == "__main__":
    main()
