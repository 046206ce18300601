#!/usr/bin/env python3
"""PyTorch reference values for the C++ golden test (tests/test_golden.cpp).

    /usr/bin/python3 phase5_resnet/pytorch/make_golden.py      # writes tests/golden/resnet8.txt

A resnet-8 (stem, one basic block per stage, shortcut option A, BatchNorm in training
mode) on one batch of 4 formula images of 28x28: logits, loss, every parameter gradient;
then 3 steps of SGD (lr 0.1, momentum 0.9, weight decay 1e-4) on the same batch: the loss
before each step, every BatchNorm's running mean and variance after the 3 steps, and the
logits of the evaluation mode (running statistics) after them.

Inputs and weights are not stored: both sides compute them from the same formulas (below
and in test_golden.cpp), in double precision, rounded to float32:
  weight tensor number k (0-based, in the order of the C++ views ResNet::views), element
  i of the C++ (= PyTorch) layout, with fan_in = product of all dims but the first:
      rank >= 2:           sqrt(3 / fan_in) * sin(0.37 i + 0.91 (k + 1))
      BatchNorm gamma:     1 + 0.1 * sin(0.53 i + 0.91 (k + 1))
      other rank 1:        0.1 * sin(0.53 i + 0.91 (k + 1))
  image n, pixel p:  0.5 + 0.5 sin(0.013 p (n + 1) + 0.7 n)
  labels 3 1 4 1

File format, one record per tensor:
    NAME STRIDE COUNT
    v_0 v_STRIDE v_2STRIDE ... (COUNT numbers)
(large gradients are sampled every STRIDE-th element to keep the file small.)
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "golden")


def formula_tensor(k, name, shape):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    if len(shape) >= 2:
        fan_in = n // shape[0]
        v = math.sqrt(3.0 / fan_in) * np.sin(0.37 * i + 0.91 * (k + 1))
    elif name.endswith("gamma"):
        v = 1.0 + 0.1 * np.sin(0.53 * i + 0.91 * (k + 1))
    else:
        v = 0.1 * np.sin(0.53 * i + 0.91 * (k + 1))
    return torch.tensor(v.astype(np.float32).reshape(shape))


def images(n_images):
    p = np.arange(784, dtype=np.float64)
    rows = [0.5 + 0.5 * np.sin(0.013 * p * (n + 1) + 0.7 * n) for n in range(n_images)]
    return torch.tensor(np.stack(rows).astype(np.float32))


class Writer:
    def __init__(self, path, header):
        self.f = open(path, "w")
        for line in header.strip().splitlines():
            self.f.write("# " + line + "\n")

    def tensor(self, name, t, max_count=400):
        flat = t.detach().reshape(-1).double().numpy()
        stride = max(1, math.ceil(len(flat) / max_count))
        values = flat[::stride]
        self.f.write(f"{name} {stride} {len(values)}\n")
        self.f.write(" ".join(f"{v:.9g}" for v in values) + "\n")

    def close(self):
        self.f.close()


# --- resnet-8 ---------------------------------------------------------------------------

def conv_bn_views(name, c, oc, k):
    return [(name + ".w", (oc, c, k, k)), (name + ".bn.gamma", (oc,)), (name + ".bn.beta", (oc,))]


# (name, shape) in the order of ResNet::views (resnet.cpp's Layout)
VIEWS = (conv_bn_views("stem", 1, 16, 3)
         + conv_bn_views("stage1.block0.conv1", 16, 16, 3)
         + conv_bn_views("stage1.block0.conv2", 16, 16, 3)
         + conv_bn_views("stage2.block0.conv1", 16, 32, 3)
         + conv_bn_views("stage2.block0.conv2", 32, 32, 3)
         + conv_bn_views("stage3.block0.conv1", 32, 64, 3)
         + conv_bn_views("stage3.block0.conv2", 64, 64, 3)
         + [("fc.w", (10, 64)), ("fc.b", (10,))])
BN_NAMES = [name[: -len(".bn.gamma")] for name, _ in VIEWS if name.endswith(".bn.gamma")]


class Net:
    def __init__(self):
        self.p = {name: formula_tensor(k, name, shape).requires_grad_()
                  for k, (name, shape) in enumerate(VIEWS)}
        self.running = {n: (torch.zeros(self.p[n + ".w"].shape[0]),
                            torch.ones(self.p[n + ".w"].shape[0])) for n in BN_NAMES}

    def conv_bn(self, name, x, stride, training):
        z = F.conv2d(x, self.p[name + ".w"], None, stride=stride, padding=1)
        mean, var = self.running[name]
        return F.batch_norm(z, mean, var, self.p[name + ".bn.gamma"], self.p[name + ".bn.beta"],
                            training=training, momentum=0.1, eps=1e-5)

    def block(self, name, x, stride, training):
        a1 = torch.relu(self.conv_bn(name + ".conv1", x, stride, training))
        y2 = self.conv_bn(name + ".conv2", a1, 1, training)
        short = x
        if stride != 1 or x.shape[1] != y2.shape[1]:  # option A: subsample, zero channels
            short = x[:, :, ::stride, ::stride]
            short = F.pad(short, (0, 0, 0, 0, 0, y2.shape[1] - x.shape[1]))
        return torch.relu(y2 + short)

    def forward(self, images, training=True):
        x = images.reshape(-1, 1, 28, 28)
        x = torch.relu(self.conv_bn("stem", x, 1, training))
        x = self.block("stage1.block0", x, 1, training)
        x = self.block("stage2.block0", x, 2, training)
        x = self.block("stage3.block0", x, 2, training)
        pooled = x.mean(dim=(2, 3))
        return F.linear(pooled, self.p["fc.w"], self.p["fc.b"])


def make_resnet8(path):
    net = Net()
    x = images(4)
    y = torch.tensor([3, 1, 4, 1])
    logits = net.forward(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    w = Writer(path, f"""
resnet-8 (shortcut A, BatchNorm in training mode) on 4 formula images of 28x28, computed by
phase5_resnet/pytorch/make_golden.py with PyTorch {torch.__version__}.
sgd_losses: 3 steps of SGD lr 0.1, momentum 0.9, weight decay 1e-4 on the same batch (the
loss before each step); running_*: the BatchNorm statistics after them (the forward pass
above already updated them once, so 4 updates in all); eval_logits: evaluation mode after
the 3 steps.
""")
    w.tensor("logits", logits)
    w.tensor("loss", loss.reshape(1))
    for name, _ in VIEWS:
        w.tensor("grad_" + name, net.p[name].grad)
    opt = torch.optim.SGD(net.p.values(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = F.cross_entropy(net.forward(x), y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    w.tensor("sgd_losses", torch.tensor(losses, dtype=torch.float64))
    for name in BN_NAMES:
        w.tensor("running_mean_" + name, net.running[name][0])
        w.tensor("running_var_" + name, net.running[name][1])
    with torch.no_grad():
        w.tensor("eval_logits", net.forward(x, training=False))
    w.close()


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    make_resnet8(os.path.join(OUT, "resnet8.txt"))
    for name in sorted(os.listdir(OUT)):
        print(os.path.join(OUT, name), os.path.getsize(os.path.join(OUT, name)), "bytes")
