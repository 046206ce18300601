"""The Python side of common/, for the framework twins (PHASE/pytorch/twin.py).

Only what a twin needs to see exactly the same data and the same random numbers as the
C++ program: the project's generator (common/rng.h, bit for bit) and the IDX reader
(common/data.h, with the same checks). The models themselves stay in each twin.

A twin imports it with
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "common" / "python"))
    from aij_common import Rng, load_image_dataset
"""
import math
import os
import struct
import sys

import numpy as np

MASK64 = (1 << 64) - 1


class Rng:
    """xoshiro256** seeded with splitmix64, with common/rng.cpp's own distributions."""

    def __init__(self, seed):
        x = seed & MASK64
        self.s = []
        for _ in range(4):  # splitmix64
            x = (x + 0x9E3779B97F4A7C15) & MASK64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            self.s.append(z ^ (z >> 31))
        self.spare = None

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK64

    def next_u64(self):  # xoshiro256**
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def uniform(self):  # [0, 1) from the top 53 bits
        return (self.next_u64() >> 11) * (1.0 / 9007199254740992.0)

    def normal(self):  # Box-Muller, the second value kept for the next call
        if self.spare is not None:
            z, self.spare = self.spare, None
            return z
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        r = math.sqrt(-2.0 * math.log(u1))
        self.spare = r * math.sin(2.0 * math.pi * u2)
        return r * math.cos(2.0 * math.pi * u2)

    def randint(self, lo, hi):  # [lo, hi), unbiased: the incomplete last block is rejected
        span = hi - lo
        limit = MASK64 - MASK64 % span
        while True:
            x = self.next_u64()
            if x < limit:
                return lo + x % span

    def shuffle(self, v):  # Fisher-Yates from the back
        for i in range(len(v) - 1, 0, -1):
            j = self.randint(0, i + 1)
            v[i], v[j] = v[j], v[i]


def read_idx(path, magic, max_count=0, name="mnist"):
    """An IDX file as a uint8 array (count, rows, cols) or (count,); checks magic and length."""
    if not os.path.exists(path):
        sys.exit(f"twin.py: {path} not found: run scripts/get_data.sh {name}")
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8 or struct.unpack(">I", data[:4])[0] != magic:
        sys.exit(f"twin.py: {path}: not an IDX file with magic 0x{magic:08x}")
    dims = 3 if magic == 0x803 else 1
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    header = 4 + 4 * dims
    count = int(np.prod(shape))
    if len(data) != header + count:
        sys.exit(f"twin.py: {path}: header says {count} bytes of data, file has {len(data) - header}")
    array = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
    return array[:max_count] if max_count > 0 else array


def load_image_dataset(data_dir, name, max_train=0, max_test=0):
    """DATA_DIR/NAME's four IDX files as uint8 arrays: train_x, train_y, test_x, test_y."""
    d = os.path.join(data_dir, name)
    return (read_idx(os.path.join(d, "train-images-idx3-ubyte"), 0x803, max_train, name),
            read_idx(os.path.join(d, "train-labels-idx1-ubyte"), 0x801, max_train, name),
            read_idx(os.path.join(d, "t10k-images-idx3-ubyte"), 0x803, max_test, name),
            read_idx(os.path.join(d, "t10k-labels-idx1-ubyte"), 0x801, max_test, name))


def dataset_variant(data_dir, name):
    """First line of DATA_DIR/NAME/SOURCE, as common::dataset_variant."""
    try:
        with open(os.path.join(data_dir, name, "SOURCE")) as f:
            return f.readline().strip()
    except OSError:
        return "unknown"
