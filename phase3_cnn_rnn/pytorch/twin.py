#!/usr/bin/env python3
"""phase3_cnn_rnn/pytorch/twin.py -- LeNet-5 and the character RNN of phase 3 in PyTorch.

The framework twin of lenet.cpp and rnn.cpp: the same architectures, initialisation
schemes, data, hyper-parameters and protocols, written with torch.nn and autograd.

  lenet     LeNet-5 with ReLU and max-pooling (C1 6@5x5 with padding 2, S2, C3 16@5x5, S4,
            C5 120, F6 84, 10 outputs); He-normal weights (LeCun-normal for the output
            layer), zero biases; SGD lr 0.05 with a per-step cosine decay to 0, momentum
            0.9, weight decay 5e-4, batch 64, 20 epochs, reshuffled every epoch; the MNIST
            training images present in DATA_DIR/mnist, tested on the 10,000 test images.
  char_rnn  embedding 64 (N(0,1)), nn.RNN tanh 256 (weights U(-1/16, 1/16), biases 0),
            linear to the vocabulary (U(-1/16, 1/16), bias 0); tiny Shakespeare, the
            last 10% held out; 32 streams x 100 characters per step (truncated BPTT, the
            hidden state carried between chunks, reset at each new pass), Adam lr 2e-3 with
            cosine decay, gradient-norm clipping at 5, 6000 steps; validation read the same
            way; a 500-character sample at temperature 0.8 after "ROMEO:".
  bench     the configurations of the C++ `bench`: LeNet-5 training images/s over one
            epoch at batch 64, inference images/s at batch 1000, char-RNN training tokens/s
            over 100 steps; each the best of 3 runs.

The random numbers differ from the C++ program's (torch's generator, not xoshiro256**), so
the two runs agree statistically, not digit for digit. --quick mirrors the C++ --quick sizes.

    /usr/bin/python3 phase3_cnn_rnn/pytorch/twin.py --data-dir data --json out/twin.json [--quick]
    (fast BLAS: LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
                OPENBLAS_CORETYPE=SkylakeX OMP_NUM_THREADS=2)

Writes {"experiments": {"lenet": {...}, "char_rnn": {...}, "bench": {...}}} with the key
names of the C++ program's --json (scripts/compare.sh prints them side by side).
"""
import argparse
import json
import math
import os
import pathlib
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "common" / "python"))
from aij_common import dataset_variant, load_image_dataset  # noqa: E402  (common/python)


# --- Data -------------------------------------------------------------------------------

def load_images(data_dir, name, max_train, max_test):
    tx, ty, vx, vy = load_image_dataset(data_dir, name, max_train, max_test)
    to_x = lambda a: torch.tensor(a, dtype=torch.float32).reshape(-1, 1, 28, 28) / 255.0
    return to_x(tx), torch.tensor(ty, dtype=torch.long), to_x(vx), torch.tensor(vy, dtype=torch.long)


# --- LeNet-5 ----------------------------------------------------------------------------

class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5, padding=2)
        self.c3 = nn.Conv2d(6, 16, 5)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.out = nn.Linear(84, 10)
        for layer in [self.c1, self.c3, self.c5, self.f6, self.out]:
            fan_in = layer.weight[0].numel()
            gain = 1.0 if layer is self.out else 2.0  # LeCun for the output, He elsewhere
            nn.init.normal_(layer.weight, 0.0, math.sqrt(gain / fan_in))
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)
        x = F.relu(self.c5(x)).flatten(1)
        x = F.relu(self.f6(x))
        return self.out(x)


def cosine(base, step, total):
    return base * 0.5 * (1.0 + math.cos(math.pi * min(1.0, step / total)))


def accuracy(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    model.train()
    return correct / len(x)


def run_lenet(args):
    t0 = time.time()
    torch.manual_seed(1)
    tx, ty, vx, vy = load_images(args.data_dir, "mnist", 10000 if args.quick else 0,
                                 2000 if args.quick else 0)
    epochs, batch, lr = (2 if args.quick else 20), 64, 0.05
    model = LeNet5()
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    steps_per_epoch = math.ceil(len(tx) / batch)
    total, step, train_seconds, images = epochs * steps_per_epoch, 0, 0.0, 0
    for epoch in range(1, epochs + 1):
        perm = torch.randperm(len(tx))
        loss_sum, t_epoch = 0.0, time.time()
        for i in range(0, len(tx), batch):
            idx = perm[i:i + batch]
            for g in opt.param_groups:
                g["lr"] = cosine(lr, step, total)
            loss = F.cross_entropy(model(tx[idx]), ty[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            step += 1
            images += len(idx)
        train_seconds += time.time() - t_epoch
        acc = accuracy(model, vx, vy)
        print(f"  lenet epoch {epoch:2d}  train loss {loss_sum / steps_per_epoch:.4f}  "
              f"test accuracy {acc:.4f}  ({time.time() - t0:.1f} s)", flush=True)
    return {"dataset": "mnist", "dataset_variant": dataset_variant(args.data_dir, "mnist"),
            "train_examples": len(tx), "test_examples": len(vx), "epochs": epochs,
            "test_accuracy": acc, "final_train_loss": loss_sum / steps_per_epoch,
            "train_seconds": train_seconds, "items_per_second": images / train_seconds,
            "seconds": time.time() - t0}


# --- The character RNN ------------------------------------------------------------------

class CharRnn(nn.Module):
    def __init__(self, vocab, embed=64, hidden=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = nn.RNN(embed, hidden, nonlinearity="tanh")  # time-major (T, B, D)
        self.out = nn.Linear(hidden, vocab)
        k = 1.0 / math.sqrt(hidden)
        nn.init.normal_(self.embed.weight, 0.0, 1.0)
        for w in [self.rnn.weight_ih_l0, self.rnn.weight_hh_l0, self.out.weight]:
            nn.init.uniform_(w, -k, k)
        for b in [self.rnn.bias_ih_l0, self.rnn.bias_hh_l0, self.out.bias]:
            nn.init.zeros_(b)

    def forward(self, tokens, h0):  # tokens (T, B), h0 (1, B, H)
        h, h_last = self.rnn(self.embed(tokens), h0)
        return self.out(h), h_last  # (T, B, V), (1, B, H)


class Streams:
    """B streams side by side: stream b is tokens[b*L:(b+1)*L+1], L = (n-1) // B."""

    def __init__(self, tokens, T, B):
        self.tokens, self.T, self.B = tokens, T, B
        self.length = (len(tokens) - 1) // B
        self.chunks = self.length // T
        self.starts = torch.arange(B) * self.length

    def chunk(self, c):
        pos = self.starts[None, :] + c * self.T + torch.arange(self.T)[:, None]  # (T, B)
        return self.tokens[pos], self.tokens[pos + 1]


def load_corpus(data_dir, name, max_chars):
    path = os.path.join(data_dir, name, "input.txt" if name == "shakespeare" else "kjv.txt")
    if not os.path.exists(path):
        sys.exit(f"twin.py: {path} not found: run scripts/get_data.sh {name}")
    text = open(path, encoding="utf-8").read()
    if max_chars > 0:
        text = text[:max_chars]
    chars = sorted(set(text))  # ids in code point order, like common::build_char_vocab
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_val = len(ids) // 10
    return text, chars, index, ids[:len(ids) - n_val], ids[len(ids) - n_val:]


def stream_loss(model, tokens, T, B, hidden):
    T = min(T, (len(tokens) - 1) // B)
    s = Streams(tokens, T, B)
    h = torch.zeros(1, B, hidden)
    total = 0.0
    with torch.no_grad():
        for c in range(s.chunks):
            x, y = s.chunk(c)
            logits, h = model(x, h)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item()
    return total / s.chunks


def words_of(text):
    return [w.rstrip("'") for w in re.findall(r"[A-Za-z][A-Za-z']*", text.lower()) if w.rstrip("'")]


def sample(model, chars, index, prompt, n, temperature, hidden, generator):
    h = torch.zeros(1, 1, hidden)
    out = prompt
    with torch.no_grad():
        logits = None
        for ch in prompt:
            logits, h = model(torch.tensor([[index[ch]]]), h)
        for _ in range(n):
            p = torch.softmax(logits[0, 0] / temperature, dim=0)
            nxt = torch.multinomial(p, 1, generator=generator).item()
            out += chars[nxt]
            logits, h = model(torch.tensor([[nxt]]), h)
    return out


def train_char_rnn(model, train, val, steps, T, B, hidden, lr, clip, eval_every, log=True):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    s = Streams(train, T, B)
    h = torch.zeros(1, B, hidden)
    train_seconds, window, window_steps, val_loss = 0.0, 0.0, 0, float("nan")
    for step in range(steps):
        t = time.time()
        c = step % s.chunks
        h = torch.zeros(1, B, hidden) if c == 0 else h.detach()  # truncated BPTT
        x, y = s.chunk(c)
        for g in opt.param_groups:
            g["lr"] = cosine(lr, step, steps)
        logits, h = model(x, h)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        train_seconds += time.time() - t
        window += loss.item()
        window_steps += 1
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            val_loss = stream_loss(model, val, T, B, hidden)
            if log:
                print(f"  char_rnn step {step + 1}: train loss {window / window_steps:.3f}, "
                      f"validation loss {val_loss:.3f}", flush=True)
            window, window_steps = 0.0, 0
    return val_loss, train_seconds


def run_char_rnn(args):
    t0 = time.time()
    torch.manual_seed(1)
    text, chars, index, train, val = load_corpus(args.data_dir, "shakespeare",
                                                 300000 if args.quick else 0)
    hidden = 64 if args.quick else 256
    steps = 300 if args.quick else 6000
    model = CharRnn(len(chars), 64, hidden)
    val_loss, train_seconds = train_char_rnn(model, train, val, steps, 100, 32, hidden, 2e-3, 5.0,
                                             100 if args.quick else 1000)
    gen = torch.Generator().manual_seed(1)
    text_sample = sample(model, chars, index, "ROMEO:", 500, 0.8, hidden, gen)
    known = set(words_of("".join(chars[i] for i in train.tolist())))
    words = words_of(text_sample[len("ROMEO:"):])
    fraction = sum(w in known for w in words) / max(1, len(words))
    print(text_sample, flush=True)
    return {"corpus": "shakespeare", "dataset_variant": dataset_variant(args.data_dir, "shakespeare"),
            "hidden": hidden, "steps": steps, "val_loss": val_loss,
            "tokens_per_second": steps * 100 * 32 / train_seconds, "train_seconds": train_seconds,
            "sample": text_sample, "known_word_fraction": fraction, "seconds": time.time() - t0}


# --- bench ------------------------------------------------------------------------------

def run_bench(args):
    threads = torch.get_num_threads()
    torch.manual_seed(1)
    tx, ty, vx, vy = load_images(args.data_dir, "mnist", 2000 if args.quick else 0,
                                 2000 if args.quick else 0)
    model = LeNet5()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def epoch(max_steps):
        perm, images = torch.randperm(len(tx)), 0
        for step, i in enumerate(range(0, len(tx), 64)):
            if step >= max_steps:
                break
            idx = perm[i:i + 64]
            loss = F.cross_entropy(model(tx[idx]), ty[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            images += len(idx)
        return images

    repeats = 3  # each figure is the best of 3 runs, as in the C++ bench
    epoch(5)  # warm-up
    train_ips = 0.0
    for _ in range(repeats):
        t = time.time()
        images = epoch(1 << 30)
        train_ips = max(train_ips, images / (time.time() - t))
    accuracy(model, vx, vy, 1000)  # warm-up
    infer_ips = 0.0
    for _ in range(repeats):
        t = time.time()
        accuracy(model, vx, vy, 1000)
        infer_ips = max(infer_ips, len(vx) / (time.time() - t))

    _, chars, _, train, val = load_corpus(args.data_dir, "shakespeare", 300000 if args.quick else 0)
    rnn = CharRnn(len(chars), 64, 256)
    steps = 10 if args.quick else 100
    train_char_rnn(rnn, train, val[:20000], 3, 100, 32, 256, 2e-3, 5.0, 1 << 30, log=False)
    seconds = min(train_char_rnn(rnn, train, val[:20000], steps, 100, 32, 256, 2e-3, 5.0, 1 << 30,
                                 log=False)[1] for _ in range(repeats))
    th = f"{threads} thread(s)"
    result = {
        "lenet_train": {"items_per_second": train_ips, "unit": "images",
                        "config": f"PyTorch LeNet-5 ReLU + max-pool, batch 64, SGD momentum 0.9, "
                                  f"best of 3 epochs of {len(tx)} MNIST training images, {th}"},
        "lenet_infer": {"items_per_second": infer_ips, "unit": "images",
                        "config": f"PyTorch LeNet-5, forward only, batch 1000, best of 3 passes "
                                  f"over {len(vx)} MNIST test images, {th}"},
        "char_rnn_train": {"items_per_second": steps * 3200 / seconds, "unit": "tokens",
                           "config": f"PyTorch char-RNN embedding 64, hidden 256, vocab "
                                     f"{len(chars)}, sequence 100, batch 32, Adam, clip 5, "
                                     f"best of 3 runs of {steps} steps, {th}"}}
    for name, r in result.items():
        print(f"  {name:15s} {r['items_per_second']:10.0f} {r['unit']}/s  ({r['config']})",
              flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--experiments", default="lenet,char_rnn,bench",
                        help="comma-separated subset of lenet,char_rnn,bench")
    args = parser.parse_args()
    runners = {"lenet": run_lenet, "char_rnn": run_char_rnn, "bench": run_bench}
    results = {}
    for name in args.experiments.split(","):
        if name not in runners:
            sys.exit(f"twin.py: unknown experiment '{name}' (expected lenet, char_rnn, bench)")
        print(f"=== {name} (PyTorch {torch.__version__}, {torch.get_num_threads()} threads)",
              flush=True)
        results[name] = runners[name](args)
    with open(args.json, "w") as f:
        json.dump({"phase": "phase3_cnn_rnn", "framework": f"PyTorch {torch.__version__}",
                   "threads": torch.get_num_threads(), "quick": args.quick,
                   "experiments": results}, f, indent=2)


if __name__ == "__main__":
    main()
