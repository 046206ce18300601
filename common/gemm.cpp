// common/gemm.cpp -- C = alpha * op(A) * op(B) + beta * C, fast and portable.
//
// The plan (the one every high-performance BLAS follows, after Goto and van de Geijn,
// "Anatomy of High-Performance Matrix Multiplication", 2008):
//
//   for each panel of KC rows of op(B) (the "depth" blocks, in order):
//     pack op(B)[pc:pc+KC, :] into micro-panels of NR columns       -> packed_b
//     for each block of MC rows of op(A)    (spread over the threads):
//       pack op(A)[ic:ic+MC, pc:pc+KC] into micro-panels of MR rows  -> packed_a
//       for each micro-panel of B (NR columns), each micro-panel of A (MR rows):
//         micro-kernel: an MR x NR tile of C, accumulated in registers over KC
//
// Packing copies the operands into exactly the order the micro-kernel reads them, so
// the kernel's loads are contiguous whatever the transposes and strides were, and the
// blocks stay resident in cache while they are reused: a KC x NR micro-panel of B
// (64 KiB) in L1/L2, an MC x KC block of A in L2. Edges are handled by zero-padding the
// packed panels to whole MR / NR tiles and writing back only the valid part.
//
// The micro-kernel is plain C++ over a small fixed-size accumulator array; with -O3
// the compiler unrolls it and turns the inner j-loop into vector FMAs (the
// accumulators fit in the 32 AVX-512 registers). No intrinsics, no OpenMP.
//
// Determinism: each element of C is summed over k in the same order (blocks of KC in
// order, k ascending inside a block) however the work is split over threads, so the
// result is bitwise identical for any thread count.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "thread_pool.h"

namespace common {

namespace {

// Register tile: MR rows of A times NR columns of B. 6 x 64 floats = 24 vectors of
// 16 floats: 24 of the 32 AVX-512 registers hold accumulators, 4 hold a row of B and
// one the broadcast value of A. (With narrower vectors the compiler simply uses more
// instructions per row; the code stays correct everywhere.)
// (6 x 64 was measured fastest here with both GCC 12 and Clang 14; 12 x 32 and 8 x 48
// were within 10% with GCC.)
constexpr int64_t MR = 6;
constexpr int64_t NR = 64;
// Cache blocks (MC a multiple of MR).
constexpr int64_t KC = 256;
constexpr int64_t MC = 96;
constexpr int64_t NC = 3072;

// Clang keeps the accumulators in registers only when the i-loop of the micro-kernel
// is fully unrolled, which it must be asked for; GCC does it by itself (and would warn
// about the unknown pragma).
#if defined(__clang__)
#define AIJ_UNROLL_FULLY _Pragma("clang loop unroll(full)")
#else
#define AIJ_UNROLL_FULLY
#endif

// A 64-byte aligned float buffer, grown on demand (one per thread for A, one shared
// for B), so packing allocates nothing in the steady state.
struct AlignedBuffer {
  float* data = nullptr;
  size_t capacity = 0;
  ~AlignedBuffer() { std::free(data); }
  float* get(size_t n) {
    if (n > capacity) {
      std::free(data);
      data = static_cast<float*>(std::aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64));
      capacity = n;
    }
    return data;
  }
};

// A view of op(X) as a logical (rows, cols) matrix over row-major storage.
struct Operand {
  const float* data;
  int64_t ld;
  bool trans;
  float at(int64_t r, int64_t c) const { return trans ? data[c * ld + r] : data[r * ld + c]; }
};

// ---------------------------------------------------------------------------
// Packing

// op(A)[i0:i0+mc, p0:p0+kc] -> packed (ceil(mc/MR), kc, MR): for each micro-panel,
// column p holds the MR values a[i0+ir*MR+0..MR-1][p0+p], zero-padded past mc.
void pack_a(const Operand& a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* packed) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t rows = std::min(MR, mc - ir);
    float* dst = packed + ir * kc;  // this micro-panel: (kc, MR)
    if (!a.trans) {
      // Rows of A are contiguous: read row by row, scatter into the panel's columns.
      for (int64_t r = 0; r < rows; ++r) {
        const float* src = a.data + (i0 + ir + r) * a.ld + p0;
        for (int64_t p = 0; p < kc; ++p) dst[p * MR + r] = src[p];
      }
    } else {
      // A is stored transposed: op(A)[i][p] = A[p][i], so MR consecutive i are contiguous.
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = a.data + (p0 + p) * a.ld + i0 + ir;
        for (int64_t r = 0; r < rows; ++r) dst[p * MR + r] = src[r];
      }
    }
    for (int64_t r = rows; r < MR; ++r)
      for (int64_t p = 0; p < kc; ++p) dst[p * MR + r] = 0.0f;
  }
}

// op(B)[p0:p0+kc, j0+jr0 : j0+jr1] -> packed (ceil(nc/NR), kc, NR): micro-panel by
// micro-panel, row p holds the NR values b[p0+p][j..j+NR-1], zero-padded past nc.
void pack_b(const Operand& b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t panel_begin,
            int64_t panel_end, float* packed) {
  for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
    const int64_t jr = panel * NR;
    const int64_t cols = std::min(NR, nc - jr);
    float* dst = packed + jr * kc;  // this micro-panel: (kc, NR)
    for (int64_t p = 0; p < kc; ++p) {
      float* row = dst + p * NR;
      if (!b.trans) {
        std::memcpy(row, b.data + (p0 + p) * b.ld + j0 + jr, sizeof(float) * cols);
      } else {
        for (int64_t c = 0; c < cols; ++c) row[c] = b.data[(j0 + jr + c) * b.ld + p0 + p];
      }
      for (int64_t c = cols; c < NR; ++c) row[c] = 0.0f;
    }
  }
}

// ---------------------------------------------------------------------------
// Micro-kernel: acc (MR, NR) = sum over p of a[p, :]^T b[p, :]   (an outer product per p)
// then C_tile = alpha * acc + beta * C_tile  (beta == 0: C is only written).
// Tile element (i, j) lives at c[i * row_stride + j * col_stride]: col_stride is 1
// normally, and row_stride is 1 when gemm computes C^T instead of C (see gemm()).

void micro_kernel(int64_t kc, const float* __restrict a, const float* __restrict b, float alpha,
                  float beta, float* __restrict c, int64_t row_stride, int64_t col_stride,
                  int64_t rows, int64_t cols) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const float* ap = a + p * MR;  // column p of the A micro-panel: MR values
    const float* bp = b + p * NR;  // row p of the B micro-panel: NR values
    AIJ_UNROLL_FULLY for (int64_t i = 0; i < MR; ++i) {
      const float ai = ap[i];
      for (int64_t j = 0; j < NR; ++j) acc[i][j] += ai * bp[j];
    }
  }
  if (rows == MR && cols == NR && col_stride == 1) {  // the common, vectorised case
    for (int64_t i = 0; i < MR; ++i) {
      float* ci = c + i * row_stride;
      if (beta == 0.0f) {
        for (int64_t j = 0; j < NR; ++j) ci[j] = alpha * acc[i][j];
      } else if (beta == 1.0f) {
        for (int64_t j = 0; j < NR; ++j) ci[j] += alpha * acc[i][j];
      } else {
        for (int64_t j = 0; j < NR; ++j) ci[j] = alpha * acc[i][j] + beta * ci[j];
      }
    }
    return;
  }
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      float& cij = c[i * row_stride + j * col_stride];
      cij = beta == 0.0f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * cij;
    }
  }
}

// C (M, N) = beta * C, for the degenerate K == 0 case (beta == 0 overwrites NaN too).
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

// One thread's share of a depth block: rows [m_begin, m_end) of C against B's
// micro-panels [panel_begin, panel_end), with the B block already packed.
void multiply_block(const Operand& a, int64_t m_begin, int64_t m_end, int64_t p0, int64_t kc,
                    const float* packed_b, int64_t nc, int64_t panel_begin, int64_t panel_end,
                    float alpha, float beta, float* c, int64_t row_stride, int64_t col_stride) {
  thread_local AlignedBuffer packed_a_buffer;
  float* packed_a = packed_a_buffer.get(static_cast<size_t>(MC * kc));
  for (int64_t i0 = m_begin; i0 < m_end; i0 += MC) {
    const int64_t mc = std::min(MC, m_end - i0);
    pack_a(a, i0, mc, p0, kc, packed_a);
    for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
      const int64_t jr = panel * NR;
      const int64_t cols = std::min(NR, nc - jr);
      for (int64_t ir = 0; ir < mc; ir += MR) {
        const int64_t rows = std::min(MR, mc - ir);
        micro_kernel(kc, packed_a + ir * kc, packed_b + jr * kc, alpha, beta,
                     c + (i0 + ir) * row_stride + jr * col_stride, row_stride, col_stride, rows,
                     cols);
      }
    }
  }
}

// Strategy 1, for a tall C (many rows): the threads share each packed block of B and
// split C's rows evenly, in whole register tiles. Costs two synchronisations per
// depth block (pack B, then multiply).
void gemm_split_rows(const Operand& a, const Operand& b, int64_t M, int64_t N, int64_t K,
                     float alpha, float beta, float* c, int64_t row_stride, int64_t col_stride) {
  // Both buffers belong to the calling thread (workers only read packed_b through the
  // pointer), so gemm may also be called from inside another parallel loop.
  thread_local AlignedBuffer packed_b_buffer;
  const int threads = num_threads();
  const int64_t m_units = (M + MR - 1) / MR;  // rows of C in whole register tiles
  for (int64_t j0 = 0; j0 < N; j0 += NC) {
    const int64_t nc = std::min(NC, N - j0);
    const int64_t n_panels = (nc + NR - 1) / NR;
    for (int64_t p0 = 0; p0 < K; p0 += KC) {
      const int64_t kc = std::min(KC, K - p0);
      const float block_beta = p0 == 0 ? beta : 1.0f;  // later depth blocks accumulate
      float* packed_b = packed_b_buffer.get(static_cast<size_t>(n_panels * NR * kc));
      parallel_for(0, n_panels, 1,
                   [&](int64_t lo, int64_t hi) { pack_b(b, p0, kc, j0, nc, lo, hi, packed_b); });
      parallel_tasks(threads, [&](int t) {
        const int64_t lo = std::min(M, m_units * t / threads * MR);
        const int64_t hi = std::min(M, m_units * (t + 1) / threads * MR);
        if (lo < hi)
          multiply_block(a, lo, hi, p0, kc, packed_b, nc, 0, n_panels, alpha, block_beta,
                         c + j0 * col_stride, row_stride, col_stride);
      });
    }
  }
}

// Strategy 2, for a short C (a small batch times a wide layer): each thread owns a
// slice of C's columns, packs its own part of B and all of A, and runs the whole
// depth loop alone. One synchronisation per call instead of two per depth block.
void gemm_split_columns(const Operand& a, const Operand& b, int64_t M, int64_t N, int64_t K,
                        float alpha, float beta, float* c, int64_t row_stride, int64_t col_stride) {
  const int64_t n_panels = (N + NR - 1) / NR;
  const int threads = static_cast<int>(std::min<int64_t>(num_threads(), n_panels));
  parallel_tasks(threads, [&](int t) {
    thread_local AlignedBuffer packed_b_buffer;
    const int64_t j_lo = n_panels * t / threads * NR;
    const int64_t j_hi = std::min(N, n_panels * (t + 1) / threads * NR);
    for (int64_t j0 = j_lo; j0 < j_hi; j0 += NC) {
      const int64_t nc = std::min(NC, j_hi - j0);
      const int64_t panels = (nc + NR - 1) / NR;
      for (int64_t p0 = 0; p0 < K; p0 += KC) {
        const int64_t kc = std::min(KC, K - p0);
        float* packed_b = packed_b_buffer.get(static_cast<size_t>(panels * NR * kc));
        pack_b(b, p0, kc, j0, nc, 0, panels, packed_b);
        multiply_block(a, 0, M, p0, kc, packed_b, nc, 0, panels, alpha, p0 == 0 ? beta : 1.0f,
                       c + j0 * col_stride, row_stride, col_stride);
      }
    }
  });
}

void gemm_blocked(const Operand& a, const Operand& b, int64_t M, int64_t N, int64_t K, float alpha,
                  float beta, float* c, int64_t row_stride, int64_t col_stride) {
  const int64_t n_panels = (N + NR - 1) / NR;
  if (M <= 2 * MC && n_panels >= 2 * num_threads())
    gemm_split_columns(a, b, M, N, K, alpha, beta, c, row_stride, col_stride);
  else
    gemm_split_rows(a, b, M, N, K, alpha, beta, c, row_stride, col_stride);
}

}  // namespace

// ---------------------------------------------------------------------------

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const Operand a{A, lda, trans_a};
  const Operand b{B, ldb, trans_b};
  // A very narrow C (few columns, many rows, like a convolution with 6 output
  // channels) would waste most of each NR-wide tile. Then compute C^T = op(B)^T op(A)^T
  // instead, whose rows are C's columns: the same numbers, stored with the strides swapped.
  if (N < NR / 2 && M > N) {
    const Operand bt{B, ldb, !trans_b};
    const Operand at{A, lda, !trans_a};
    gemm_blocked(bt, at, N, M, K, alpha, beta, C, 1, ldc);
  } else {
    gemm_blocked(a, b, M, N, K, alpha, beta, C, ldc, 1);
  }
}

void gemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                    const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                    int64_t ldc) {
  const Operand a{A, lda, trans_a};
  const Operand b{B, ldb, trans_b};
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double sum = 0.0;
      for (int64_t p = 0; p < K; ++p) sum += static_cast<double>(a.at(i, p)) * b.at(p, j);
      const double old = beta == 0.0f ? 0.0 : static_cast<double>(beta) * C[i * ldc + j];
      C[i * ldc + j] = static_cast<float>(alpha * sum + old);
    }
  }
}

}  // namespace common
