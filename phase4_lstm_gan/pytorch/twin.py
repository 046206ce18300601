#!/usr/bin/env python3
"""phase4_lstm_gan/pytorch/twin.py -- the LSTM half of phase 4 in PyTorch.

The framework twin of adding.cpp and char_lstm.cpp: the same architectures, initialisation
schemes, data, hyper-parameters and protocols, written with torch.nn and autograd.

  long_lag   the adding problem (two channels: U[0, 1) values and a marker at one step of
             each half; target the sum of the two marked values; MSE on the last step), for
             T = 20, 50, 100 (3,000 steps) and 200 (1,500): nn.RNN tanh and nn.LSTM, hidden
             64, a linear head on h_T; weights U(-1/8, 1/8), biases 0 except the LSTM's
             chrono forget bias (b_f = log U[1, T - 1], b_i = -b_f); Adam lr 1e-3 constant,
             clipping 1.0, batch 64 fresh sequences per step; 1,000 fixed test sequences.
  char_lstm  embedding 64 (N(0,1)), nn.LSTM 1 x 256 (weights U(-1/16, 1/16), forget bias 1,
             other biases 0), linear to the vocabulary; tiny Shakespeare, the last 10% held
             out; 32 streams x 100 characters per step (truncated BPTT, the state carried
             between chunks), Adam lr 3e-3 with cosine decay, clipping at 5, 3,400 steps;
             validation read the same way; a 2,000-character sample at temperature 0.8.
  bench      the C++ `bench` configuration of the char-LSTM: training tokens/s, the best
             of 3 runs of 30 steps (experiments.bench.char_lstm_train.items_per_second).

Random numbers differ from the C++ program's (torch's generator, not xoshiro256**), so the
two agree statistically, not digit for digit. --quick mirrors the C++ --quick sizes.

    /usr/bin/python3 phase4_lstm_gan/pytorch/twin.py --data-dir data --json out/twin.json [--quick]

Writes {"experiments": {"long_lag": {"T20": {...}, ...}, "char_lstm": {...}}} with the key
names of the C++ program's --json (scripts/compare.sh prints them side by side).
"""
import argparse
import json
import math
import os
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def cosine(base, step, total):
    return base * 0.5 * (1.0 + math.cos(math.pi * min(1.0, step / total)))


# --- long_lag: the adding problem -------------------------------------------------------

def adding_batch(T, B, gen):
    values = torch.rand(T, B, generator=gen)
    first = torch.randint(0, T // 2, (B,), generator=gen)
    second = T // 2 + torch.randint(0, T - T // 2, (B,), generator=gen)
    marks = torch.zeros(T, B)
    marks[first, torch.arange(B)] = 1.0
    marks[second, torch.arange(B)] = 1.0
    target = (values * marks).sum(0)
    return torch.stack([values, marks], dim=2), target  # (T, B, 2), (B)


class Recurrent(nn.Module):
    def __init__(self, cell, hidden, T, gen):
        super().__init__()
        self.rnn = (nn.LSTM if cell == "lstm" else nn.RNN)(2, hidden)
        self.head = nn.Linear(hidden, 1)
        k = 1.0 / math.sqrt(hidden)
        with torch.no_grad():
            for name, p in self.rnn.named_parameters():
                if name.startswith("weight"):
                    p.uniform_(-k, k, generator=gen)
                else:
                    p.zero_()
            if cell == "lstm":  # chrono: b_f = log(u), u ~ U[1, T - 1]; b_i = -b_f
                b_f = torch.log(torch.empty(hidden).uniform_(1.0, T - 1.0, generator=gen))
                self.rnn.bias_ih_l0[hidden:2 * hidden] = b_f
                self.rnn.bias_ih_l0[:hidden] = -b_f
            self.head.weight.uniform_(-k, k, generator=gen)
            self.head.bias.zero_()

    def forward(self, x):
        h, _ = self.rnn(x)
        return self.head(h[-1]).squeeze(1)


def run_long_lag(args):
    t0 = time.time()
    lengths = [20] if args.quick else [20, 50, 100, 200]
    hidden = 32 if args.quick else 64
    out = {}
    for T in lengths:
        steps = 600 if args.quick else (3000 if T <= 100 else 1500)
        test_x, test_y = adding_batch(T, 400 if args.quick else 1000, torch.Generator().manual_seed(1000003))
        row = {"steps": steps, "baseline_mse": ((test_y - 1.0) ** 2).mean().item()}
        for cell in ["rnn", "lstm"]:
            gen = torch.Generator().manual_seed(1)
            model = Recurrent(cell, hidden, T, gen)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            start = time.time()
            for step in range(steps):
                x, y = adding_batch(T, 64, gen)
                loss = F.mse_loss(model(x), y)
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
            with torch.no_grad():
                row[f"{cell}_test_mse"] = F.mse_loss(model(test_x), test_y).item()
            row[f"{cell}_seconds"] = time.time() - start
            print(f"  T = {T} {cell}: test MSE {row[f'{cell}_test_mse']:.4f} "
                  f"(baseline {row['baseline_mse']:.4f})", flush=True)
        out[f"T{T}"] = row
    out["seconds"] = time.time() - t0
    return out


# --- char_lstm ----------------------------------------------------------------------------

class CharLstm(nn.Module):
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, num_layers=layers)  # time-major (T, B, D)
        self.out = nn.Linear(hidden, vocab)
        k = 1.0 / math.sqrt(hidden)
        with torch.no_grad():
            nn.init.normal_(self.embed.weight, 0.0, 1.0)
            for name, p in self.lstm.named_parameters():
                if name.startswith("weight"):
                    p.uniform_(-k, k)
                else:
                    p.zero_()
                if name.startswith("bias_ih"):
                    p[hidden:2 * hidden] = 1.0  # forget-gate bias 1
            self.out.weight.uniform_(-k, k)
            self.out.bias.zero_()

    def forward(self, tokens, state):
        h, state = self.lstm(self.embed(tokens), state)
        return self.out(h), state


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


def load_corpus(data_dir, max_chars):
    path = os.path.join(data_dir, "shakespeare", "input.txt")
    if not os.path.exists(path):
        sys.exit(f"twin.py: {path} not found: run scripts/get_data.sh shakespeare")
    text = open(path, encoding="utf-8").read()
    if max_chars > 0:
        text = text[:max_chars]
    chars = sorted(set(text))  # ids in code point order, like common::build_char_vocab
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_val = len(ids) // 10
    return chars, index, ids[:len(ids) - n_val], ids[len(ids) - n_val:]


def zero_state(layers, B, hidden):
    return torch.zeros(layers, B, hidden), torch.zeros(layers, B, hidden)


def stream_loss(model, tokens, T, B, layers, hidden):
    s = Streams(tokens, T, B)
    state = zero_state(layers, B, hidden)
    total = 0.0
    with torch.no_grad():
        for c in range(s.chunks):
            x, y = s.chunk(c)
            logits, state = model(x, state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1)).item()
    return total / s.chunks


def words_of(text):
    return [w.rstrip("'") for w in re.findall(r"[A-Za-z][A-Za-z']*", text.lower()) if w.rstrip("'")]


def run_char_lstm(args):
    t0 = time.time()
    torch.manual_seed(1)
    chars, index, train, val = load_corpus(args.data_dir, 300000 if args.quick else 0)
    hidden, layers = (64 if args.quick else 256), 1
    steps, T, B = (300 if args.quick else 3400), 100, 32
    eval_every = 100 if args.quick else 200
    model = CharLstm(len(chars), 64, hidden, layers)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    s = Streams(train, T, B)
    state = zero_state(layers, B, hidden)
    train_seconds, history = 0.0, {}
    for step in range(steps):
        t = time.time()
        c = step % s.chunks
        state = zero_state(layers, B, hidden) if c == 0 else tuple(v.detach() for v in state)
        x, y = s.chunk(c)
        for g in opt.param_groups:
            g["lr"] = cosine(3e-3, step, steps)
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        train_seconds += time.time() - t
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            history[step + 1] = stream_loss(model, val, T, B, layers, hidden)
            print(f"  char_lstm step {step + 1}: validation loss {history[step + 1]:.3f}", flush=True)
    gen = torch.Generator().manual_seed(1)
    st = zero_state(layers, 1, hidden)
    text = "ROMEO:"
    with torch.no_grad():
        for ch in text:
            logits, st = model(torch.tensor([[index[ch]]]), st)
        for _ in range(2000):
            nxt = torch.multinomial(torch.softmax(logits[0, 0] / 0.8, dim=0), 1, generator=gen).item()
            text += chars[nxt]
            logits, st = model(torch.tensor([[nxt]]), st)
    known = set(words_of("".join(chars[i] for i in train.tolist())))
    words = words_of(text[len("ROMEO:"):])
    result = {"hidden": hidden, "layers": layers, "steps": steps, "val_loss": history[steps],
              "tokens_per_second": steps * T * B / train_seconds, "train_seconds": train_seconds,
              "sample": text, "known_word_fraction": sum(w in known for w in words) / max(1, len(words)),
              "seconds": time.time() - t0}
    if 2000 in history:
        result["val_loss_at_2000"] = history[2000]
    return result


# --- bench: the C++ `bench` configuration ---------------------------------------------

def run_bench(args):
    """char-LSTM training tokens/s: embedding 64, 1 x 256, 32 streams x 100 characters,
    Adam, clipping at 5; the best of 3 runs of 30 steps after 2 warm-up steps, as in C++."""
    torch.manual_seed(1)
    chars, index, train, val = load_corpus(args.data_dir, 0)
    hidden, layers, T, B = 256, 1, 100, 32
    steps = 3 if args.quick else 30
    model = CharLstm(len(chars), 64, hidden, layers)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    s = Streams(train, T, B)
    state = zero_state(layers, B, hidden)
    step = 0

    def train_steps(n):
        nonlocal state, step
        for _ in range(n):
            c = step % s.chunks
            state = zero_state(layers, B, hidden) if c == 0 else tuple(v.detach() for v in state)
            x, y = s.chunk(c)
            logits, state = model(x, state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            step += 1

    train_steps(2)
    best = 0.0
    for _ in range(3):
        t = time.time()
        train_steps(steps)
        best = max(best, steps * T * B / (time.time() - t))
    print(f"  char-LSTM training {best:9.0f} tokens/s", flush=True)
    return {"char_lstm_train": {"items_per_second": best, "unit": "tokens"}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--experiments", default="long_lag,char_lstm,bench",
                        help="comma-separated subset of long_lag,char_lstm,bench")
    args = parser.parse_args()
    runners = {"long_lag": run_long_lag, "char_lstm": run_char_lstm, "bench": run_bench}
    results = {}
    for name in args.experiments.split(","):
        if name not in runners:
            sys.exit(f"twin.py: unknown experiment '{name}' (expected long_lag, char_lstm, bench)")
        print(f"=== {name} (PyTorch {torch.__version__}, {torch.get_num_threads()} threads)",
              flush=True)
        results[name] = runners[name](args)
    with open(args.json, "w") as f:
        json.dump({"phase": "phase4_lstm_gan", "framework": f"PyTorch {torch.__version__}",
                   "threads": torch.get_num_threads(), "quick": args.quick,
                   "experiments": results}, f, indent=2)


if __name__ == "__main__":
    main()
