#!/usr/bin/env python3
"""PyTorch reference values for the GAN half's golden test (tests/test_gan_golden.cpp).

    /usr/bin/python3 phase4_lstm_gan/pytorch/gan_make_golden.py   # writes tests/golden/gan_dcgan.txt

One DCGAN generator and discriminator (the C++ architecture of dcgan.h, with narrow layers so
that the file stays small: z 6 -> 8x7x7 -> 4x14x14 -> 1x28x28; D 1x28x28 -> 4x14x14 -> 8x7x7
-> 1) on a batch of 3, in training mode (BatchNorm with batch statistics):
  g_images     G(z), (3, 784)
  d_logits     D(G(z)), (3)
  loss_g       the non-saturating generator loss BCE(D(G(z)), 1)
  d_images     its gradient with respect to the images G(z) (through the frozen D)
  g.<name>     its gradient with respect to every G tensor
  loss_d       BCE(D(x), 1) + BCE(D(G(z)), 0) with real images x, D called once per batch
  d.<name>     its gradient with respect to every D tensor
  d_logits_real  D(x), (3)

Inputs and weights are not stored: both sides compute them from formulas, in double
precision, rounded to float32. Tensor number k counts G's tensors first, then D's, in the
order of the C++ ParamBlock (dcgan.cpp); element i in PyTorch's (= the C++) layout;
fan_in = product of all dims but the first:
    rank >= 2:        sqrt(3 / fan_in) * sin(0.37 i + 0.91 (k + 1))
    BatchNorm gamma:  1 + 0.1 sin(0.53 i + 0.91 (k + 1))
    other rank 1:     0.1 sin(0.53 i + 0.91 (k + 1))
    z[n][j]           sin(0.7 n + 0.3 j + 0.1)
    real x[n][p]      sin(0.013 p (n + 1) + 0.7 n)          (pixels in [-1, 1])

File format (as phase 3's), one record per tensor:
    NAME STRIDE COUNT
    v_0 v_STRIDE v_2STRIDE ... (COUNT numbers)
"""
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "golden", "gan_dcgan.txt")
N, Z, G0, G1, D1, D2 = 3, 6, 8, 4, 4, 8


def formula(k, shape, name):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    if len(shape) >= 2:
        v = math.sqrt(3.0 / (n // shape[0])) * np.sin(0.37 * i + 0.91 * (k + 1))
    elif "gamma" in name:
        v = 1.0 + 0.1 * np.sin(0.53 * i + 0.91 * (k + 1))
    else:
        v = 0.1 * np.sin(0.53 * i + 0.91 * (k + 1))
    return torch.tensor(v.astype(np.float32).reshape(shape))


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(Z, G0 * 49)
        self.bn0 = nn.BatchNorm2d(G0)
        self.deconv1 = nn.ConvTranspose2d(G0, G1, 4, 2, 1)
        self.bn1 = nn.BatchNorm2d(G1)
        self.deconv2 = nn.ConvTranspose2d(G1, 1, 4, 2, 1)

    def tensors(self):  # the order of dcgan.cpp's ParamBlock
        return [("fc_w", self.fc.weight), ("fc_b", self.fc.bias),
                ("bn0_gamma", self.bn0.weight), ("bn0_beta", self.bn0.bias),
                ("deconv1_w", self.deconv1.weight), ("deconv1_b", self.deconv1.bias),
                ("bn1_gamma", self.bn1.weight), ("bn1_beta", self.bn1.bias),
                ("deconv2_w", self.deconv2.weight), ("deconv2_b", self.deconv2.bias)]

    def forward(self, z):
        h = self.fc(z).view(-1, G0, 7, 7)
        h = F.relu(self.bn0(h))
        h = F.relu(self.bn1(self.deconv1(h)))
        return torch.tanh(self.deconv2(h)).view(-1, 784)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, D1, 4, 2, 1)
        self.conv2 = nn.Conv2d(D1, D2, 4, 2, 1)
        self.bn = nn.BatchNorm2d(D2)
        self.fc = nn.Linear(D2 * 49, 1)

    def tensors(self):
        return [("conv1_w", self.conv1.weight), ("conv1_b", self.conv1.bias),
                ("conv2_w", self.conv2.weight), ("conv2_b", self.conv2.bias),
                ("bn_gamma", self.bn.weight), ("bn_beta", self.bn.bias),
                ("fc_w", self.fc.weight), ("fc_b", self.fc.bias)]

    def forward(self, x):
        h = F.leaky_relu(self.conv1(x.view(-1, 1, 28, 28)), 0.2)
        h = F.leaky_relu(self.bn(self.conv2(h)), 0.2)
        return self.fc(h.flatten(1)).view(-1)


class Writer:
    def __init__(self, path):
        self.f = open(path, "w")
        self.f.write("# written by pytorch/gan_make_golden.py (PyTorch %s); see its docstring\n"
                     % torch.__version__)

    def put(self, name, t, stride=1):
        v = t.detach().double().flatten().numpy()[::stride]
        self.f.write("%s %d %d\n" % (name, stride, len(v)))
        self.f.write(" ".join("%.9g" % x for x in v) + "\n")


def main():
    torch.manual_seed(0)
    g, d = Generator(), Discriminator()
    k = 0
    with torch.no_grad():
        for net in (g, d):
            for name, p in net.tensors():
                p.copy_(formula(k, tuple(p.shape), name))
                k += 1
    n = np.arange(N, dtype=np.float64)[:, None]
    z = torch.tensor(np.sin(0.7 * n + 0.3 * np.arange(Z)[None, :] + 0.1).astype(np.float32))
    p = np.arange(784, dtype=np.float64)[None, :]
    real = torch.tensor(np.sin(0.013 * p * (n + 1) + 0.7 * n).astype(np.float32))

    w = Writer(OUT)
    # G's step: non-saturating loss through D, images' gradient, G's gradients.
    fake = g(z)
    fake.retain_grad()
    logits = d(fake)
    loss_g = F.binary_cross_entropy_with_logits(logits, torch.ones(N))
    loss_g.backward()
    w.put("g_images", fake, 7)
    w.put("d_logits", logits)
    w.put("loss_g", loss_g.view(1))
    w.put("d_images", fake.grad, 7)
    for name, t in g.tensors():
        w.put("g." + name, t.grad, 1 if t.numel() <= 400 else 3)
    # D's step: a real and a generated batch, each through D alone (BatchNorm per batch).
    d.zero_grad()
    logits_real = d(real)
    logits_fake = d(fake.detach())
    loss_d = (F.binary_cross_entropy_with_logits(logits_real, torch.ones(N)) +
              F.binary_cross_entropy_with_logits(logits_fake, torch.zeros(N)))
    loss_d.backward()
    w.put("d_logits_real", logits_real)
    w.put("loss_d", loss_d.view(1))
    for name, t in d.tensors():
        w.put("d." + name, t.grad, 1 if t.numel() <= 400 else 3)
    w.f.close()
    print("wrote", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
