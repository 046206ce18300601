#!/usr/bin/env python3
"""PyTorch reference values for the C++ golden tests (tests/test_golden.cpp).

    /usr/bin/python3 phase3_cnn_rnn/pytorch/make_golden.py      # writes tests/golden/*.txt

Writes small text files computed by PyTorch on fixed inputs:
  lenet_relu_max.txt, lenet_tanh_avg.txt   LeNet-5 (both variants) on one batch of 8 images:
      logits, loss, every parameter gradient, then the losses of 5 SGD-momentum steps
  rnn.txt                                  the char-RNN (embedding, nn.RNN, linear) on one
      sequence of 12 tokens: logits, loss, every parameter gradient

Inputs and weights are not stored: both sides compute them from the same formulas (below
and in test_golden.cpp), in double precision, rounded to float32:
  weight tensor number k (0-based, in the order of the C++ views), element i of the
  C++ (= PyTorch) layout, with fan_in = product of all dims but the first:
      rank >= 2:  sqrt(3 / fan_in) * sin(0.37 i + 0.91 (k + 1))
      rank 1:     0.1 * sin(0.53 i + 0.91 (k + 1))
  image n, pixel p:  0.5 + 0.5 sin(0.013 p (n + 1) + 0.7 n)
  labels 3 1 4 1 5 9 2 6;   token sequence s_t = (7 t^2 + 3 t + 1) mod 10, t = 0..12

Layout: the C++ code stores activations channel-major with the batch innermost,
(C, H, W, N), but its weights in
PyTorch's layout -- filters (OC, C, KH, KW), C5's as the (120, 16, 5, 5) convolution --
so weights and gradients need no permutation.

File format, one record per tensor:
    NAME STRIDE COUNT
    v_0 v_STRIDE v_2STRIDE ... (COUNT numbers)
(large gradients are sampled every STRIDE-th element to keep the files small.)
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "golden")


def formula_tensor(k, shape):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    if len(shape) >= 2:
        fan_in = n // shape[0]
        v = math.sqrt(3.0 / fan_in) * np.sin(0.37 * i + 0.91 * (k + 1))
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

    def tensor(self, name, t, max_count=1500):
        flat = t.detach().reshape(-1).double().numpy()
        stride = max(1, math.ceil(len(flat) / max_count))
        values = flat[::stride]
        self.f.write(f"{name} {stride} {len(values)}\n")
        self.f.write(" ".join(f"{v:.9g}" for v in values) + "\n")

    def close(self):
        self.f.close()


# --- LeNet-5 --------------------------------------------------------------------------

# (name, C++ shape) in the order of LeNetParams::views()
LENET_VIEWS = [("c1_w", (6, 1, 5, 5)), ("c1_b", (6,)), ("c3_w", (16, 6, 5, 5)), ("c3_b", (16,)),
               ("c5_w", (120, 16, 5, 5)), ("c5_b", (120,)), ("f6_w", (84, 120)), ("f6_b", (84,)),
               ("out_w", (10, 84)), ("out_b", (10,))]


def lenet_forward(p, x, relu):
    act = torch.relu if relu else torch.tanh
    pool = (lambda z: F.max_pool2d(z, 2)) if relu else (lambda z: F.avg_pool2d(z, 2))
    z = x.reshape(-1, 1, 28, 28)
    z = pool(act(F.conv2d(z, p["c1_w"], p["c1_b"], padding=2)))  # C1, S2
    z = pool(act(F.conv2d(z, p["c3_w"], p["c3_b"])))              # C3, S4
    z = act(F.conv2d(z, p["c5_w"], p["c5_b"])).flatten(1)         # C5 (a 5x5 conv on 5x5)
    z = act(F.linear(z, p["f6_w"], p["f6_b"]))                    # F6
    return F.linear(z, p["out_w"], p["out_b"])


def make_lenet(relu, path):
    params = {name: formula_tensor(k, shape).requires_grad_()
              for k, (name, shape) in enumerate(LENET_VIEWS)}
    x = images(8)
    y = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    logits = lenet_forward(params, x, relu)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    w = Writer(path, f"""
LeNet-5 ({'ReLU + max-pooling' if relu else 'tanh + average pooling'}) on 8 formula images,
computed by phase3_cnn_rnn/pytorch/make_golden.py with PyTorch {torch.__version__}.
sgd_losses: 5 steps of SGD lr 0.003, momentum 0.9,
weight decay 5e-4 on the same batch (the loss before each step).
""")
    w.tensor("logits", logits)
    w.tensor("loss", loss.reshape(1))
    for name, _ in LENET_VIEWS:
        w.tensor("grad_" + name, params[name].grad)
    opt = torch.optim.SGD(params.values(), lr=0.003, momentum=0.9, weight_decay=5e-4)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = F.cross_entropy(lenet_forward(params, x, relu), y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    w.tensor("sgd_losses", torch.tensor(losses, dtype=torch.float64))
    w.close()


# --- The char-RNN ---------------------------------------------------------------------

def make_rnn(path):
    V, E, H, T = 10, 8, 16, 12
    views = [("embed", (V, E)), ("w_xh", (H, E)), ("w_hh", (H, H)), ("b_h", (H,)),
             ("w_hy", (V, H)), ("b_y", (V,))]
    t = {name: formula_tensor(k, shape) for k, (name, shape) in enumerate(views)}
    emb = torch.nn.Embedding(V, E)
    rnn = torch.nn.RNN(E, H, nonlinearity="tanh")  # (T, B, E) input, time-major
    out = torch.nn.Linear(H, V)
    with torch.no_grad():
        emb.weight.copy_(t["embed"])
        rnn.weight_ih_l0.copy_(t["w_xh"])
        rnn.weight_hh_l0.copy_(t["w_hh"])
        rnn.bias_ih_l0.copy_(t["b_h"])  # PyTorch has two biases; their sum is our b_h
        rnn.bias_hh_l0.zero_()
        out.weight.copy_(t["w_hy"])
        out.bias.copy_(t["b_y"])
    s = [(7 * i * i + 3 * i + 1) % V for i in range(T + 1)]
    inputs = torch.tensor(s[:T]).reshape(T, 1)
    targets = torch.tensor(s[1:]).reshape(T)
    h, _ = rnn(emb(inputs))                       # (T, 1, H), h0 = 0
    logits = out(h.reshape(T, H))                 # (T, V)
    loss = F.cross_entropy(logits, targets)
    loss.backward()
    w = Writer(path, f"""
Character RNN (embedding {E}, tanh RNN {H}, linear {V}) on one sequence of {T} tokens,
computed by phase3_cnn_rnn/pytorch/make_golden.py with PyTorch {torch.__version__}.
grad_b_h is the gradient of bias_ih (equal to that of bias_hh).
""")
    w.tensor("logits", logits)
    w.tensor("loss", loss.reshape(1))
    for name, grad in [("embed", emb.weight.grad), ("w_xh", rnn.weight_ih_l0.grad),
                       ("w_hh", rnn.weight_hh_l0.grad), ("b_h", rnn.bias_ih_l0.grad),
                       ("w_hy", out.weight.grad), ("b_y", out.bias.grad)]:
        w.tensor("grad_" + name, grad)
    w.close()


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    make_lenet(True, os.path.join(OUT, "lenet_relu_max.txt"))
    make_lenet(False, os.path.join(OUT, "lenet_tanh_avg.txt"))
    make_rnn(os.path.join(OUT, "rnn.txt"))
    for name in sorted(os.listdir(OUT)):
        print(os.path.join(OUT, name), os.path.getsize(os.path.join(OUT, name)), "bytes")
