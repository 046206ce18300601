#!/usr/bin/env python3
"""PyTorch reference values for the C++ golden test of the LSTM (tests/test_golden.cpp).

    /usr/bin/python3 phase4_lstm_gan/pytorch/make_golden.py      # writes tests/golden/lstm.txt

The character model of char_lstm -- embedding, nn.LSTM with 2 layers, linear head, mean
cross-entropy over every step -- on one batch of B = 2 sequences of T = 6 tokens:
logits, loss, the top layer's outputs and every parameter gradient.

Weights map one to one (gate order i, f, g, o is PyTorch's): our l{k}.w_x is
weight_ih_l{k}, l{k}.w_h is weight_hh_l{k}, and our one bias l{k}.b is bias_ih_l{k} +
bias_hh_l{k} (here bias_hh = 0, so the gradient of our b is bias_ih's gradient).

Inputs and weights are not stored: both sides compute them from the same formulas (below
and in test_golden.cpp), in double precision, rounded to float32:
  weight tensor number k (0-based, in the order of LstmParams::views()), element i, with
  fan_in = product of all dims but the first:
      rank 2:  sqrt(3 / fan_in) * sin(0.37 i + 0.91 (k + 1))
      rank 1:  0.1 * sin(0.53 i + 0.91 (k + 1))
  tokens, time-major (T + 1, B):  s[t][b] = (7 t^2 + 3 t + 1 + 5 b) mod V, t = 0..T;
  inputs s[0..T-1], targets s[1..T].

File format, one record per tensor:
    NAME STRIDE COUNT
    v_0 v_STRIDE v_2STRIDE ... (COUNT numbers)
"""
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "golden")

V, E, H, L, T, B = 10, 8, 16, 2, 6, 2


def formula_tensor(k, shape):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    if len(shape) >= 2:
        fan_in = n // shape[0]
        v = math.sqrt(3.0 / fan_in) * np.sin(0.37 * i + 0.91 * (k + 1))
    else:
        v = 0.1 * np.sin(0.53 * i + 0.91 * (k + 1))
    return torch.tensor(v.astype(np.float32).reshape(shape))


def write(f, name, t):
    flat = t.detach().reshape(-1).double().numpy()
    f.write(f"{name} 1 {len(flat)}\n")
    f.write(" ".join(f"{v:.9g}" for v in flat) + "\n")


def main():
    torch.manual_seed(0)
    views = [("embed", (V, E))]
    for k in range(L):
        views += [(f"l{k}.w_x", (4 * H, E if k == 0 else H)), (f"l{k}.w_h", (4 * H, H)),
                  (f"l{k}.b", (4 * H,))]
    views += [("w_hy", (V, H)), ("b_y", (V,))]
    t = {name: formula_tensor(k, shape) for k, (name, shape) in enumerate(views)}

    emb = torch.nn.Embedding(V, E)
    lstm = torch.nn.LSTM(E, H, num_layers=L)  # (T, B, E) input, time-major
    head = torch.nn.Linear(H, V)
    with torch.no_grad():
        emb.weight.copy_(t["embed"])
        for k in range(L):
            getattr(lstm, f"weight_ih_l{k}").copy_(t[f"l{k}.w_x"])
            getattr(lstm, f"weight_hh_l{k}").copy_(t[f"l{k}.w_h"])
            getattr(lstm, f"bias_ih_l{k}").copy_(t[f"l{k}.b"])  # our b = bias_ih + bias_hh
            getattr(lstm, f"bias_hh_l{k}").zero_()
        head.weight.copy_(t["w_hy"])
        head.bias.copy_(t["b_y"])
    s = torch.tensor([[(7 * tt * tt + 3 * tt + 1 + 5 * b) % V for b in range(B)]
                      for tt in range(T + 1)])
    inputs, targets = s[:-1], s[1:]
    h, _ = lstm(emb(inputs))                     # (T, B, H), h0 = c0 = 0
    logits = head(h)                             # (T, B, V)
    loss = F.cross_entropy(logits.reshape(T * B, V), targets.reshape(T * B))
    loss.backward()
    grads = {"embed": emb.weight.grad, "w_hy": head.weight.grad, "b_y": head.bias.grad}
    for k in range(L):
        grads[f"l{k}.w_x"] = getattr(lstm, f"weight_ih_l{k}").grad
        grads[f"l{k}.w_h"] = getattr(lstm, f"weight_hh_l{k}").grad
        grads[f"l{k}.b"] = getattr(lstm, f"bias_ih_l{k}").grad
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "lstm.txt"), "w") as f:
        f.write(f"# Character LSTM (embedding {E}, nn.LSTM {L} x {H}, linear {V}) on B = {B}\n")
        f.write(f"# sequences of T = {T} tokens, computed by phase4_lstm_gan/pytorch/make_golden.py\n")
        f.write(f"# with PyTorch {torch.__version__}.\n")
        write(f, "logits", logits)
        write(f, "h_top", h)
        write(f, "loss", loss.reshape(1))
        for name, _ in views:
            write(f, "grad_" + name, grads[name])
    print("wrote", os.path.join(OUT, "lstm.txt"))


if __name__ == "__main__":
    main()
