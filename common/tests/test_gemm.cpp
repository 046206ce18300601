// Tests for common::gemm against the naive gemm_reference, over many shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "gemm.h"
#include "rng.h"
#include "thread_pool.h"

namespace {

struct Case {
  bool ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  float alpha, beta;
};

struct Buffers {
  std::vector<float> a, b, c0;
};

Buffers make_buffers(const Case& cs, common::Rng& rng) {
  const int64_t a_rows = cs.ta ? cs.k : cs.m, b_rows = cs.tb ? cs.n : cs.k;
  Buffers buf;
  buf.a.resize(static_cast<size_t>(a_rows * cs.lda));
  buf.b.resize(static_cast<size_t>(b_rows * cs.ldb));
  buf.c0.resize(static_cast<size_t>(cs.m * cs.ldc));
  for (auto& x : buf.a) x = static_cast<float>(rng.uniform(-1, 1));
  for (auto& x : buf.b) x = static_cast<float>(rng.uniform(-1, 1));
  for (auto& x : buf.c0) x = static_cast<float>(rng.uniform(-1, 1));
  return buf;
}

std::vector<float> run_gemm(const Case& cs, const Buffers& buf, bool reference) {
  std::vector<float> c = buf.c0;
  auto fn = reference ? common::gemm_reference : common::gemm;
  fn(cs.ta, cs.tb, cs.m, cs.n, cs.k, cs.alpha, buf.a.data(), cs.lda, buf.b.data(), cs.ldb, cs.beta,
     c.data(), cs.ldc);
  return c;
}

// Compares on C's (m, n) part with a tolerance that grows with sqrt(k) (float rounding
// of k products), and checks that the padding columns past n were not touched.
void expect_close(const Case& cs, const std::vector<float>& got, const std::vector<float>& want,
                  const std::vector<float>& original) {
  const float tol = 2e-6f * std::sqrt(static_cast<float>(cs.k) + 1.0f) * 8.0f + 1e-6f;
  for (int64_t i = 0; i < cs.m; ++i) {
    for (int64_t j = 0; j < cs.ldc; ++j) {
      const size_t idx = static_cast<size_t>(i * cs.ldc + j);
      if (j < cs.n) {
        ASSERT_NEAR(got[idx], want[idx], tol * (1.0f + std::fabs(want[idx])))
            << "at (" << i << ", " << j << ") m=" << cs.m << " n=" << cs.n << " k=" << cs.k
            << " ta=" << cs.ta << " tb=" << cs.tb << " alpha=" << cs.alpha << " beta=" << cs.beta;
      } else {
        ASSERT_EQ(std::memcmp(&got[idx], &original[idx], sizeof(float)), 0)
            << "wrote outside C at (" << i << ", " << j << ")";
      }
    }
  }
}

struct RestoreThreads {
  ~RestoreThreads() { common::set_num_threads(0); }
};

int64_t pick_size(common::Rng& rng) {
  // Sizes that stress the edges: 1, primes, multiples +-1 of every variant's tile (MR 4, 8;
  // NR 8, 12, 24, 48) and narrow width (8, 16, 32), and sizes that cross the cache blocks
  // (KC = 256, MC = 128).
  static const int64_t sizes[] = {1,  2,  3,   4,   5,   7,   8,   9,   11,  12,  13, 16, 17,
                                  23, 24, 25,  31,  32,  33,  47,  48,  49,  63,  64, 65, 95,
                                  96, 97, 127, 128, 129, 131, 255, 256, 257, 300, 521};
  return sizes[rng.randint(0, sizeof(sizes) / sizeof(sizes[0]))];
}

}  // namespace

TEST(Gemm, MatchesReferenceOnRandomShapes) {
  RestoreThreads restore;
  common::Rng rng(2024);
  const float alphas[] = {1.0f, -0.5f, 2.0f};
  const float betas[] = {0.0f, 1.0f, 0.5f};
  for (int trial = 0; trial < 400; ++trial) {
    Case cs;
    cs.ta = trial % 2;
    cs.tb = (trial / 2) % 2;
    cs.m = pick_size(rng);
    cs.n = pick_size(rng);
    cs.k = pick_size(rng);
    if (cs.m * cs.n * cs.k > 8'000'000) cs.k = 7;                        // keep the reference fast
    const int64_t pad = rng.randint(0, 3) == 0 ? rng.randint(1, 9) : 0;  // strided views
    cs.lda = (cs.ta ? cs.m : cs.k) + pad;
    cs.ldb = (cs.tb ? cs.k : cs.n) + pad;
    cs.ldc = cs.n + pad;
    cs.alpha = alphas[rng.randint(0, 3)];
    cs.beta = betas[rng.randint(0, 3)];
    common::set_num_threads(1 + trial % 2);
    const Buffers buf = make_buffers(cs, rng);
    expect_close(cs, run_gemm(cs, buf, false), run_gemm(cs, buf, true), buf.c0);
  }
}

TEST(Gemm, TallSkinnyAndShortWideShapes) {
  RestoreThreads restore;
  common::Rng rng(5);
  // The shapes real layers produce: im2col convolutions (few output channels),
  // small-batch fully connected layers, a matrix-vector product.
  const Case cases[] = {
      {false, false, 3136, 6, 25, 25, 6, 6, 1.0f, 0.0f},  // conv C1 on 4 images
      {false, true, 3136, 6, 25, 25, 25, 6, 1.0f, 1.0f},
      {true, false, 6, 25, 3136, 6, 25, 25, 1.0f, 0.0f},  // its weight gradient
      {false, false, 1, 300, 129, 129, 300, 300, 1.0f, 0.0f},
      {false, false, 300, 1, 129, 129, 1, 1, 1.0f, 0.0f},
      {true, true, 5, 700, 3, 5, 3, 700, 0.5f, 0.5f},
      {false, false, 64, 10, 784, 784, 10, 10, 1.0f, 0.0f},
  };
  for (int threads : {1, 2}) {
    common::set_num_threads(threads);
    for (const Case& cs : cases) {
      const Buffers buf = make_buffers(cs, rng);
      expect_close(cs, run_gemm(cs, buf, false), run_gemm(cs, buf, true), buf.c0);
    }
  }
}

TEST(Gemm, BetaZeroOverwritesNaN) {
  const int64_t m = 20, n = 40, k = 9;
  std::vector<float> a(static_cast<size_t>(m * k), 1.0f), b(static_cast<size_t>(k * n), 1.0f);
  std::vector<float> c(static_cast<size_t>(m * n), std::numeric_limits<float>::quiet_NaN());
  common::gemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  for (float v : c) EXPECT_EQ(v, 9.0f);
  // K == 0 with beta == 0 also clears C.
  std::fill(c.begin(), c.end(), std::numeric_limits<float>::quiet_NaN());
  common::gemm(false, false, m, n, 0, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  for (float v : c) EXPECT_EQ(v, 0.0f);
}

TEST(Gemm, OneAndTwoThreadsAreBitwiseIdentical) {
  RestoreThreads restore;
  common::Rng rng(99);
  const Case cases[] = {
      {false, false, 1024, 1024, 1024, 1024, 1024, 1024, 1.0f, 0.0f},
      {true, false, 333, 517, 700, 333, 517, 517, 1.0f, 1.0f},
      {false, true, 64, 256, 784, 784, 784, 256, 1.0f, 0.0f},
      {false, false, 50176, 6, 25, 25, 6, 6, 1.0f, 0.0f},
      {true, true, 31, 97, 601, 31, 601, 97, -1.0f, 0.5f},
  };
  for (const Case& cs : cases) {
    const Buffers buf = make_buffers(cs, rng);
    common::set_num_threads(1);
    const std::vector<float> one = run_gemm(cs, buf, false);
    common::set_num_threads(2);
    const std::vector<float> two = run_gemm(cs, buf, false);
    ASSERT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0)
        << "m=" << cs.m << " n=" << cs.n << " k=" << cs.k;
  }
}

TEST(Gemm, CallableFromInsideAParallelLoop) {
  RestoreThreads restore;
  common::set_num_threads(2);
  common::Rng rng(3);
  const Case cs{false, false, 50, 70, 300, 300, 70, 70, 1.0f, 0.0f};
  const Buffers buf = make_buffers(cs, rng);
  const std::vector<float> want = run_gemm(cs, buf, true);
  std::vector<std::vector<float>> results(4);
  common::parallel_for(0, 4, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) results[static_cast<size_t>(i)] = run_gemm(cs, buf, false);
  });
  for (const auto& r : results) expect_close(cs, r, want, buf.c0);
}

// Every route the kernel takes (see gemm.cpp "Routes"), each against the reference and with 1
// and 2 threads bitwise equal: one row (B in place, and B transposed: dot products), one
// column, narrow C (one and two vectors wide), a small C summed over a long K, a short C
// reading B in place, a C that fills its tiles better transposed, a tiny product.
TEST(Gemm, EveryRouteMatchesTheReferenceOnOneAndTwoThreads) {
  RestoreThreads restore;
  common::Rng rng(7);
  const Case cases[] = {
      {false, false, 1, 1152, 384, 384, 1152, 1152, 1.0f, 0.0f},  // one row, B in place
      {true, false, 1, 1000, 300, 1, 1000, 1000, 0.5f, 1.0f},     // ... op(A) strided
      {false, true, 1, 1152, 384, 384, 384, 1152, 1.0f, 0.0f},    // one row, dot products
      {true, true, 1, 777, 301, 1, 301, 777, -1.0f, 0.5f},
      {false, false, 2000, 1, 300, 300, 1, 1, 1.0f, 0.0f},  // one column
      {false, true, 2000, 1, 300, 300, 300, 1, 1.0f, 1.0f},
      {false, false, 50176, 6, 25, 25, 6, 6, 1.0f, 0.0f},          // narrow, one vector
      {true, false, 6400, 16, 150, 6400, 16, 16, 1.0f, 1.0f},      // narrow
      {false, true, 3000, 25, 70, 70, 70, 25, 1.0f, 0.0f},         // narrow, two vectors on AVX-512
      {false, true, 6, 25, 12544, 12544, 12544, 25, 1.0f, 1.0f},   // small C, long K
      {false, false, 6, 50176, 25, 25, 50176, 50176, 1.0f, 0.0f},  // short C, B in place
      {true, false, 25, 6000, 6, 25, 6000, 6000, 1.0f, 0.0f},
      {false, true, 32, 256, 256, 256, 256, 256, 1.0f, 1.0f},  // short C, B packed
      {false, true, 3200, 65, 256, 256, 256, 65, 1.0f, 0.0f},
      {false, false, 9, 7, 5, 5, 7, 7, 1.0f, 0.0f},  // tiny: one thread
  };
  for (const Case& cs : cases) {
    const Buffers buf = make_buffers(cs, rng);
    const std::vector<float> want = run_gemm(cs, buf, true);
    common::set_num_threads(1);
    const std::vector<float> one = run_gemm(cs, buf, false);
    expect_close(cs, one, want, buf.c0);
    common::set_num_threads(2);
    const std::vector<float> two = run_gemm(cs, buf, false);
    ASSERT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0)
        << "m=" << cs.m << " n=" << cs.n << " k=" << cs.k;
  }
}

// The routes sum every element in the same order (KC blocks, k ascending), so a product gives
// the same bits whichever route its shape takes: the narrow route's C equals the first
// columns of a wide product, and a one-row product equals a row of a batched one. (The one
// exception, dot products for a single row times a transposed B -- or a single column,
// which is the same product transposed -- is documented in gemm.cpp.)
TEST(Gemm, RoutesGiveTheSameBits) {
  RestoreThreads restore;
  common::set_num_threads(2);
  common::Rng rng(11);
  const int64_t M = 3000, K = 600, wide = 200;
  std::vector<float> a(static_cast<size_t>(M * K)), b(static_cast<size_t>(K * wide));
  for (auto& x : a) x = static_cast<float>(rng.uniform(-1, 1));
  for (auto& x : b) x = static_cast<float>(rng.uniform(-1, 1));
  std::vector<float> c_wide(static_cast<size_t>(M * wide));
  common::gemm(false, false, M, wide, K, 1.0f, a.data(), K, b.data(), wide, 0.0f, c_wide.data(),
               wide);
  for (int64_t n : {2, 6, 16, 25, 32}) {  // the narrow route
    std::vector<float> c(static_cast<size_t>(M * n));
    common::gemm(false, false, M, n, K, 1.0f, a.data(), K, b.data(), wide, 0.0f, c.data(), n);
    for (int64_t i = 0; i < M; ++i)
      ASSERT_EQ(std::memcmp(&c[static_cast<size_t>(i * n)], &c_wide[static_cast<size_t>(i * wide)],
                            sizeof(float) * static_cast<size_t>(n)),
                0)
          << "n=" << n << " row " << i;
  }
  for (int64_t row : {0, 17, 2999}) {  // the one-row route
    std::vector<float> c(static_cast<size_t>(wide));
    common::gemm(false, false, 1, wide, K, 1.0f, &a[static_cast<size_t>(row * K)], K, b.data(),
                 wide, 0.0f, c.data(), wide);
    ASSERT_EQ(std::memcmp(c.data(), &c_wide[static_cast<size_t>(row * wide)],
                          sizeof(float) * static_cast<size_t>(wide)),
              0)
        << "row " << row;
  }
}

TEST(Gemm, KernelInfoDescribesTheBuild) {
  const common::GemmKernelInfo k = common::gemm_kernel_info();
  EXPECT_GT(std::string(k.instruction_set).size(), 0u);
  EXPECT_GE(k.vector_bits, 128);
  EXPECT_EQ(k.kc, 256);  // the same depth blocks on every target: the same sums everywhere
  EXPECT_EQ(k.nr % (k.vector_bits / 32), 0);
  // The tile fits the registers: accumulators + one row of B + one broadcast.
  const int lanes = k.vector_bits / 32;
  EXPECT_LE(k.mr * k.nr / lanes + k.nr / lanes + 1, k.registers);
#if defined(__AVX512F__)
  EXPECT_STREQ(k.instruction_set, "AVX-512");
#elif defined(__AVX2__)
  EXPECT_STREQ(k.instruction_set, "AVX2+FMA");
#elif defined(__aarch64__)
  EXPECT_STREQ(k.instruction_set, "NEON");
#elif defined(__SSE2__)
  EXPECT_STREQ(k.instruction_set, "SSE2");
#endif
  if (k.vector_types) {
    EXPECT_GT(common::gemm_fma_peak_probe(10), 0.0);
  }
}
