#!/usr/bin/env python3
"""Writes phase2_backprop/tests/golden/mlp_golden.txt: PyTorch's answers for two small
3-layer MLPs, which tests/test_golden.cpp compares with our hand-written backward passes.

For each network the file holds the inputs, the weights, the output, the loss, the
gradient of every parameter and of the input, then the losses of 5 steps of SGD with
momentum on the same batch and the weights after them. Everything is computed in float64
so that the reference itself carries no rounding error worth mentioning.

  a.*  5-8-6-3, ReLU hidden layers, softmax cross-entropy (torch.nn.functional.cross_entropy)
  b.*  5-8-6-3, tanh hidden layers, sigmoid output, MSE in the 1986 form
       L = mean over examples of 1/2 sum over outputs (y - t)^2

Format (plain text, one tensor per line, '#' starts a comment):
  NAME RANK DIM_1 ... DIM_RANK VALUE_1 ... VALUE_n        (n = product of the dims)
A scalar has rank 0 and one value. Labels are written as numbers too.

Run:  /usr/bin/python3 phase2_backprop/pytorch/make_golden.py
"""
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "golden", "mlp_golden.txt")

N, SIZES = 8, [5, 8, 6, 3]
LR, MOMENTUM, STEPS = 0.1, 0.9, 5


def line(name, t):
    t = torch.as_tensor(t, dtype=torch.float64).detach()
    dims = " ".join(str(d) for d in t.shape)
    values = " ".join(repr(float(v)) for v in t.flatten())
    return f"{name} {t.dim()}{' ' + dims if dims else ''} {values}\n"


def make_net(hidden):
    layers = []
    for i in range(len(SIZES) - 1):
        layers.append(torch.nn.Linear(SIZES[i], SIZES[i + 1]).double())
        if i < len(SIZES) - 2:
            layers.append(hidden())
    return torch.nn.Sequential(*layers)


def linears(net):
    return [m for m in net if isinstance(m, torch.nn.Linear)]


def write_network(out, prefix, net, x, loss_fn, target, output_fn):
    out.write(f"# network {prefix}\n")
    out.write(line(prefix + ".x", x))
    out.write(line(prefix + ".target", target))
    for k, lin in enumerate(linears(net), start=1):
        out.write(line(f"{prefix}.W{k}", lin.weight))
        out.write(line(f"{prefix}.b{k}", lin.bias))
    xg = x.clone().requires_grad_(True)
    z = net(xg)
    loss = loss_fn(z, target)
    loss.backward()
    out.write(line(prefix + ".output", output_fn(z)))
    out.write(line(prefix + ".loss", loss))
    for k, lin in enumerate(linears(net), start=1):
        out.write(line(f"{prefix}.dW{k}", lin.weight.grad))
        out.write(line(f"{prefix}.db{k}", lin.bias.grad))
    out.write(line(prefix + ".dx", xg.grad))
    # 5 steps of SGD with momentum on the same batch: the loss each step starts from.
    net.zero_grad()
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(net(x), target)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    out.write(line(prefix + ".step_losses", torch.tensor(losses, dtype=torch.float64)))
    for k, lin in enumerate(linears(net), start=1):
        out.write(line(f"{prefix}.W{k}_after", lin.weight))
        out.write(line(f"{prefix}.b{k}_after", lin.bias))


def main():
    torch.manual_seed(2)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as out:
        out.write("# phase2_backprop golden values, written by pytorch/make_golden.py\n")
        out.write(f"# torch {torch.__version__}, float64; N = {N}, sizes {SIZES}, "
                  f"SGD lr {LR} momentum {MOMENTUM}, {STEPS} steps\n")
        out.write(line("sgd.lr", torch.tensor(LR, dtype=torch.float64)))
        out.write(line("sgd.momentum", torch.tensor(MOMENTUM, dtype=torch.float64)))

        # a: ReLU + softmax cross-entropy. Output written: the logits.
        net = make_net(torch.nn.ReLU)
        x = torch.randn(N, SIZES[0], dtype=torch.float64)
        labels = torch.randint(0, SIZES[-1], (N,))
        write_network(out, "a", net, x, torch.nn.functional.cross_entropy, labels,
                      lambda z: z)

        # b: tanh hidden, sigmoid output, MSE (1986 form). Output written: sigmoid(z).
        net = make_net(torch.nn.Tanh)
        x = torch.randn(N, SIZES[0], dtype=torch.float64)
        target = torch.rand(N, SIZES[-1], dtype=torch.float64)

        def mse(z, t):
            return 0.5 * ((torch.sigmoid(z) - t) ** 2).sum(dim=1).mean()

        write_network(out, "b", net, x, mse, target, torch.sigmoid)
    print(f"wrote {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
