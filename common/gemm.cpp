// common/gemm.cpp -- C = alpha * op(A) * op(B) + beta * C, fast on every CPU a learner has.
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
// blocks stay resident in cache while they are reused. Edges are handled by zero-padding
// the packed panels to whole MR / NR tiles and writing back only the valid part.
//
// Packing pays only when a packed panel is reused. Three shapes of real layers reuse
// little, and get their own route (see "Routes" below): a short C (a batch of a few rows,
// or one row when a language model generates) reads B in place; a narrow C (a convolution
// with 6 output channels) streams A in place through a narrow kernel; a tiny product runs
// on one thread.
//
// The register tile MR x NR is chosen at compile time from the vector registers of the
// target (see "The register tile"): the accumulators, one row of B and a broadcast value
// of A must all fit in the register file, or the tile spills to memory on every step
// (a 6 x 64 tile, right for 32 registers of 512 bits, ran 5x slower with 256-bit vectors).
//
// Determinism: each element of C is summed over k in the same order on every route
// (blocks of KC in order, k ascending inside a block, then C = alpha * acc + beta * C),
// however the work is split over threads, so the result is bitwise identical for any
// thread count, and a product gives the same bits whichever route its shape takes.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "thread_pool.h"

namespace common {

namespace {

// ---------------------------------------------------------------------------
// The register tile
//
// kLanes floats fit in one vector register. MR x NR accumulators take MR * NR / kLanes
// registers; one row of the B micro-panel takes NR / kLanes more, and the broadcast value
// of A one more. The x86 tiles below were the fastest that fit, measured on the Intel Xeon of
// docs/PERFORMANCE.md with GCC 12 and Clang 14 among 12 x 32, 14 x 32, 6 x 64 and 8 x 48 for
// 512-bit (within 10% of each other), 6 x 16, 4 x 24 and 3 x 32 for 256-bit, and 6 x 8, 4 x 12
// and 3 x 16 for 128-bit (3 x 16 was 5% faster but needs 17 registers). The NEON tile follows
// the same rule; its speed could not be measured (it is tested under emulation).

#if defined(__AVX512F__)
// 512-bit vectors, 32 registers: 24 accumulators + 3 for B + 1 broadcast = 28.
constexpr int64_t kLanes = 16, kRegisters = 32, MR = 8, NR = 48;
constexpr const char* kInstructionSet = "AVX-512";
#elif defined(__AVX__)
// AVX2 (and AVX): 256-bit vectors, 16 registers: 12 accumulators + 3 for B + 1 = 16.
constexpr int64_t kLanes = 8, kRegisters = 16, MR = 4, NR = 24;
#if defined(__AVX2__) && defined(__FMA__)
constexpr const char* kInstructionSet = "AVX2+FMA";
#else
constexpr const char* kInstructionSet = "AVX";
#endif
#elif defined(__aarch64__) || defined(__ARM_NEON)
// NEON: 128-bit vectors, 32 registers: 24 accumulators + 3 for B + 2 holding 8 values of A
// (an FMA can take its scalar from any lane) = 29.
constexpr int64_t kLanes = 4, kRegisters = 32, MR = 8, NR = 12;
constexpr const char* kInstructionSet = "NEON";
#elif defined(__SSE2__) || defined(_M_X64)
// The x86-64 baseline: 128-bit vectors, 16 registers: 12 accumulators + 3 for B + 1 = 16.
constexpr int64_t kLanes = 4, kRegisters = 16, MR = 4, NR = 12;
constexpr const char* kInstructionSet = "SSE2";
#else
// Anything else: a small tile that any register file holds.
constexpr int64_t kLanes = 4, kRegisters = 16, MR = 4, NR = 8;
constexpr const char* kInstructionSet = "generic";
#endif

// Cache blocks. KC is the same on every target: it fixes where the sum over k is cut into
// blocks, so every build sums in the same order. MC (a multiple of MR) keeps an MC x KC
// block of A in L2; NC bounds the packed B block.
#ifndef AIJ_KC
#define AIJ_KC 256
#endif
#ifndef AIJ_MCR
#define AIJ_MCR 128
#endif
constexpr int64_t KC = AIJ_KC;
constexpr int64_t MC = MR * (AIJ_MCR / MR);
constexpr int64_t NC = 3072;

// Routes (thresholds measured with common_bench's layer-shaped table).
// A C with at most kShortRows rows reads B in place (a packed B panel would be reused by
// only a few micro-panels of A).
constexpr int64_t kShortRows = 4 * MR;
// A C with at most kNarrowCols columns (and more rows than columns) takes the narrow kernel:
// one or two vectors of C per row, A streamed in place.
constexpr int64_t kNarrowCols = 2 * kLanes;
// Small products run on one thread, because handing half of the work to another thread
// costs a fixed time (publishing the job, the worker noticing it, the caller waiting for its
// last task): see serial_work() below.

static_assert(NR % kLanes == 0 && MC % MR == 0, "tile and blocks must fit the vector width");

// GCC and Clang compile the micro-kernels from their generic vector types: a Vec is kLanes
// floats in one register, `a * v + c` is a vector FMA, and no intrinsic names a CPU. Other
// compilers get the plain loops below, which they may vectorise themselves.
#if defined(__GNUC__)
#define AIJ_GEMM_VECTORS 1
// Every accumulator must live in its own register, so the loops over the tile are unrolled
// completely (GCC stops unrolling by itself at about 16 iterations; then the accumulators
// went to memory and the narrow kernel ran 3x slower).
#define AIJ_UNROLL _Pragma("GCC unroll 64")
typedef float Vec __attribute__((vector_size(kLanes * sizeof(float))));
constexpr int64_t NV = NR / kLanes;  // vectors per row of the tile
Vec load_vec(const float* p) {
  Vec v;
  std::memcpy(&v, p, sizeof v);  // an unaligned vector load
  return v;
}
// A row of B, loaded once into registers and used by all MR rows of the tile. Left to
// itself, GCC's tuning for AMD Zen 3 (-march=native there says znver3) instead folds the
// load into each of the MR multiply-adds that use it ("vfmadd231ps (mem), bcast, acc"):
// the same values, but MR loads per vector instead of one, and Zen 3 issues only two vector
// loads per cycle, so the 4 x 24 tile became load-bound and ran at 62% of the machine's peak
// (66% of OpenBLAS). The empty asm statement below emits no instruction; it only tells the
// compiler that the value is in a vector register ("+x" on x86) and may have changed there,
// so later uses must read that register, not memory. Other tunings already kept B in
// registers: for them it changes nothing. The numbers never change: only where the operand
// is read from.
Vec load_vec_in_register(const float* p) {
  Vec v = load_vec(p);
#if defined(__x86_64__) || defined(__i386__)
  asm("" : "+x"(v));
#elif defined(__aarch64__)
  asm("" : "+w"(v));
#endif
  return v;
}
#endif

// A 64-byte aligned float buffer, grown on demand (one per thread), so packing allocates
// nothing in the steady state.
struct AlignedBuffer {
  float* data = nullptr;
  size_t capacity = 0;
  ~AlignedBuffer() { ::operator delete[](data, std::align_val_t{64}); }
  float* get(size_t n) {
    if (n > capacity) {
      ::operator delete[](data, std::align_val_t{64});
      data = nullptr;  // if the next line throws, the destructor must not free twice
      data = static_cast<float*>(::operator new[](n * sizeof(float), std::align_val_t{64}));
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
  // Element (r, c) of op(X) is data[r * row_step() + c * col_step()].
  int64_t row_step() const { return trans ? 1 : ld; }
  int64_t col_step() const { return trans ? ld : 1; }
  const float* ptr(int64_t r, int64_t c) const { return data + r * row_step() + c * col_step(); }
};

// Where a tile of C lives: element (i, j) at c[i * row_stride + j * col_stride]. col_stride
// is 1 normally; row_stride is 1 when gemm computes C^T instead of C (see gemm()).
struct CTile {
  float* c;
  int64_t row_stride, col_stride;
  int64_t rows, cols;  // the valid part of the tile
};

// C_tile = alpha * acc + beta * C_tile, for an accumulator tile of `ld` columns (beta == 0:
// C is only written, so it may hold NaN).
void update_c(const float* acc, int64_t ld, float alpha, float beta, const CTile& t) {
  for (int64_t i = 0; i < t.rows; ++i) {
    const float* ai = acc + i * ld;
    float* ci = t.c + i * t.row_stride;
    if (t.col_stride == 1) {  // contiguous: the loops vectorise
      if (beta == 0.0f) {
        for (int64_t j = 0; j < t.cols; ++j) ci[j] = alpha * ai[j];
      } else if (beta == 1.0f) {
        for (int64_t j = 0; j < t.cols; ++j) ci[j] += alpha * ai[j];
      } else {
        for (int64_t j = 0; j < t.cols; ++j) ci[j] = alpha * ai[j] + beta * ci[j];
      }
    } else {
      for (int64_t j = 0; j < t.cols; ++j) {
        float& cij = ci[j * t.col_stride];
        cij = beta == 0.0f   ? alpha * ai[j]
              : beta == 1.0f ? cij + alpha * ai[j]
                             : alpha * ai[j] + beta * cij;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Packing

// dst[p * width + r] = src[r * ld + p] for r < rows, p < kc: copies rows of a row-major
// matrix into columns of a panel (the panels want, for each p, the values of several rows
// side by side). The plain loop reads one value and writes one value at a time; with vector
// types the copy goes in T x T blocks that are transposed in registers (log2(T) rounds of
// two-vector shuffles), so each value costs a fraction of an instruction. That made the
// packing of a transposed B four times faster (the weights of x W^T, in every layer).
void copy_transposed_plain(const float* src, int64_t ld, int64_t rows, int64_t kc, float* dst,
                           int64_t width) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t p = 0; p < kc; ++p) dst[p * width + r] = src[r * ld + p];
}

#if defined(AIJ_GEMM_VECTORS)
template <int64_t T>
struct Lanes {
  typedef float type __attribute__((vector_size(T * sizeof(float))));
};

// One round of the transpose: for each pair of rows (i, i + 2^B), exchange the lanes whose
// bit B differs, i.e. swap bit B of the row index with bit B of the lane index.
#define AIJ_INLINE __attribute__((always_inline)) inline
template <int64_t T, int B, size_t... J>
AIJ_INLINE typename Lanes<T>::type take_low(typename Lanes<T>::type x, typename Lanes<T>::type y,
                                            std::index_sequence<J...>) {
  return __builtin_shufflevector(
      x, y, (((J >> B) & 1) == 0 ? int64_t(J) : T + int64_t(J) - (int64_t{1} << B))...);
}
template <int64_t T, int B, size_t... J>
AIJ_INLINE typename Lanes<T>::type take_high(typename Lanes<T>::type x, typename Lanes<T>::type y,
                                             std::index_sequence<J...>) {
  return __builtin_shufflevector(
      x, y, (((J >> B) & 1) == 0 ? int64_t(J) + (int64_t{1} << B) : T + int64_t(J))...);
}
template <int64_t T, int B = 0>
AIJ_INLINE void transpose_in_registers(typename Lanes<T>::type* r) {
  if constexpr ((int64_t{1} << B) < T) {
    AIJ_UNROLL for (int64_t i = 0; i < T; ++i) {
      if (i & (int64_t{1} << B)) continue;
      const int64_t k = i | (int64_t{1} << B);
      const auto low = take_low<T, B>(r[i], r[k], std::make_index_sequence<T>{});
      const auto high = take_high<T, B>(r[i], r[k], std::make_index_sequence<T>{});
      r[i] = low;
      r[k] = high;
    }
    transpose_in_registers<T, B + 1>(r);
  }
}

template <int64_t T>  // T divides width
void copy_transposed(const float* src, int64_t ld, int64_t rows, int64_t kc, float* dst,
                     int64_t width) {
  using V = typename Lanes<T>::type;
  int64_t r0 = 0;
  for (; r0 + T <= rows; r0 += T) {
    int64_t p = 0;
    for (; p + T <= kc; p += T) {
      V block[T];  // rows r0.., values p..p+T-1 -> after the transpose, values p.., rows r0..
      for (int64_t i = 0; i < T; ++i) std::memcpy(&block[i], src + (r0 + i) * ld + p, sizeof(V));
      transpose_in_registers<T>(block);
      for (int64_t q = 0; q < T; ++q) std::memcpy(dst + (p + q) * width + r0, &block[q], sizeof(V));
    }
    copy_transposed_plain(src + r0 * ld + p, ld, T, kc - p, dst + p * width + r0, width);
  }
  copy_transposed_plain(src + r0 * ld, ld, rows - r0, kc, dst + r0, width);
}
#else
template <int64_t T>
void copy_transposed(const float* src, int64_t ld, int64_t rows, int64_t kc, float* dst,
                     int64_t width) {
  copy_transposed_plain(src, ld, rows, kc, dst, width);
}
#endif

// op(A)[i0:i0+mc, p0:p0+kc] -> packed (ceil(mc/MR), kc, MR): for each micro-panel,
// column p holds the MR values a[i0+ir*MR+0..MR-1][p0+p], zero-padded past mc.
void pack_a(const Operand& a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* packed) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t rows = std::min(MR, mc - ir);
    float* dst = packed + ir * kc;  // this micro-panel: (kc, MR)
    if (!a.trans) {
      // Rows of A are contiguous: copy them into the panel's columns.
      copy_transposed<std::min(MR, kLanes)>(a.data + (i0 + ir) * a.ld + p0, a.ld, rows, kc, dst,
                                            MR);
    } else {
      // A is stored transposed: op(A)[i][p] = A[p][i], so MR consecutive i are contiguous:
      // a whole micro-panel copies one MR-float block per p (a fixed-size memcpy, one vector
      // load and store; the loop over a variable row count was scalar).
      const float* src = a.data + p0 * a.ld + i0 + ir;
      if (rows == MR)
        for (int64_t p = 0; p < kc; ++p)
          std::memcpy(dst + p * MR, src + p * a.ld, sizeof(float) * MR);
      else
        for (int64_t p = 0; p < kc; ++p)
          for (int64_t r = 0; r < rows; ++r) dst[p * MR + r] = src[p * a.ld + r];
    }
    for (int64_t r = rows; r < MR; ++r)
      for (int64_t p = 0; p < kc; ++p) dst[p * MR + r] = 0.0f;
  }
}

// op(B)[p0:p0+kc, j0 + panel*W ...] -> packed (panels, kc, W): micro-panel by micro-panel,
// row p holds the W values b[p0+p][j..j+W-1], zero-padded past nc. W is NR for the tile
// kernel and the narrow kernel's width for the narrow one.
void pack_b(const Operand& b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, int64_t width,
            int64_t panel_begin, int64_t panel_end, float* packed) {
  for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
    const int64_t jr = panel * width;
    const int64_t cols = std::min(width, nc - jr);
    float* dst = packed + jr * kc;  // this micro-panel: (kc, width)
    if (!b.trans) {
      for (int64_t p = 0; p < kc; ++p)
        std::memcpy(dst + p * width, b.data + (p0 + p) * b.ld + j0 + jr, sizeof(float) * cols);
    } else {
      // B is stored transposed: column j of op(B) is row j of B, contiguous over p.
      copy_transposed<kLanes>(b.data + (j0 + jr) * b.ld + p0, b.ld, cols, kc, dst, width);
    }
    for (int64_t p = 0; p < kc; ++p)
      for (int64_t col = cols; col < width; ++col) dst[p * width + col] = 0.0f;
  }
}

// ---------------------------------------------------------------------------
// Micro-kernel: acc (MR, NR) = sum over p of a[p, :]^T b[p, :]   (an outer product per p)
// then C_tile = alpha * acc + beta * C_tile.
//
// A is read at a[i * a_row + p * a_col]: a packed micro-panel (a_row = 1, a_col = MR), or
// op(A) in place (each value is a scalar broadcast, so any strides work). B is read at
// b[p * b_row + j]: a packed micro-panel (b_row = NR) or a row-major B in place (b_row = ldb).

#if defined(AIJ_GEMM_VECTORS)
// W is the number of vectors of the tile's columns computed: NV for a whole micro-panel of
// B; fewer for the last panel when C's columns end inside it (see micro_kernel below).
template <int64_t W>
void micro_kernel_vectors(int64_t kc, const float* __restrict a, int64_t a_row, int64_t a_col,
                          const float* __restrict b, int64_t b_row, float alpha, float beta,
                          const CTile& tile) {
  Vec acc[MR][W] = {};
  for (int64_t p = 0; p < kc; ++p) {
    const float* ap = a + p * a_col;
    Vec bp[W];  // row p of B: W vectors
    AIJ_UNROLL for (int64_t v = 0; v < W; ++v) bp[v] =
        load_vec_in_register(b + p * b_row + v * kLanes);
    AIJ_UNROLL for (int64_t i = 0; i < MR; ++i) {
      const float ai = ap[i * a_row];  // broadcast to every lane by the product below
      AIJ_UNROLL for (int64_t v = 0; v < W; ++v) acc[i][v] += ai * bp[v];
    }
  }
  if (tile.rows == MR && tile.cols == W * kLanes && tile.col_stride == 1) {
    // A whole tile of contiguous rows: update C straight from the registers (the same
    // arithmetic as update_c, so the same bits; through memory it cost a sixth of a small
    // product's time).
    AIJ_UNROLL for (int64_t i = 0; i < MR; ++i) {
      float* ci = tile.c + i * tile.row_stride;
      AIJ_UNROLL for (int64_t v = 0; v < W; ++v) {
        Vec out = alpha * acc[i][v];
        if (beta == 1.0f)
          out = load_vec(ci + v * kLanes) + alpha * acc[i][v];
        else if (beta != 0.0f)
          out = alpha * acc[i][v] + beta * load_vec(ci + v * kLanes);
        std::memcpy(ci + v * kLanes, &out, sizeof out);
      }
    }
    return;
  }
  float out[MR][W * kLanes];
  std::memcpy(out, acc, sizeof out);
  update_c(&out[0][0], W * kLanes, alpha, beta, tile);
}

// The last micro-panel of B is zero-padded to NR columns; when C's columns end early in it
// (the char-RNN's 65 logits are 48 + 17 columns; a width of 256 is 5 x 48 + 16), the tile
// computes only the vectors that hold real columns: 2 of 3 for 17 columns, 1 of 3 for 16.
// Each element of C is summed exactly as in a whole tile, so the bits do not change. Measured
// on the AMD EPYC (Zen 4) of docs/PERFORMANCE.md, 1 thread, medians of 3: the 3200 x 65 x 256
// logits product went from 71 to 82 GFLOP/s, 256 x 256 x 256 from 96 to 107, the char-RNN's
// weight gradient (256 x 256 x 3200) from 80 to 96.
void micro_kernel(int64_t kc, const float* __restrict a, int64_t a_row, int64_t a_col,
                  const float* __restrict b, int64_t b_row, float alpha, float beta,
                  const CTile& tile) {
  static_assert(NV >= 1 && NV <= 3, "the dispatch below covers tiles of 1 to 3 vectors");
  const int64_t vectors = (tile.cols + kLanes - 1) / kLanes;
  if constexpr (NV >= 2) {
    if (vectors == 1)
      return micro_kernel_vectors<1>(kc, a, a_row, a_col, b, b_row, alpha, beta, tile);
  }
  if constexpr (NV == 3) {
    if (vectors == 2)
      return micro_kernel_vectors<2>(kc, a, a_row, a_col, b, b_row, alpha, beta, tile);
  }
  micro_kernel_vectors<NV>(kc, a, a_row, a_col, b, b_row, alpha, beta, tile);
}
#else
// The same kernel as plain loops, for compilers without vector types.
void micro_kernel(int64_t kc, const float* __restrict a, int64_t a_row, int64_t a_col,
                  const float* __restrict b, int64_t b_row, float alpha, float beta,
                  const CTile& tile) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int64_t i = 0; i < MR; ++i) {
      const float ai = a[i * a_row + p * a_col];
      for (int64_t j = 0; j < NR; ++j) acc[i][j] += ai * b[p * b_row + j];
    }
  }
  update_c(&acc[0][0], NR, alpha, beta, tile);
}
#endif

// ---------------------------------------------------------------------------
// The tile route: packed A, packed (or in-place) B, MR x NR tiles.

// One thread's share of a depth block: rows [m_begin, m_end) of C against B's micro-panels
// [panel_begin, panel_end). `b_panel(panel)` gives the panel's first row and row stride.
//
// A packed micro-panel of A serves one tile per panel of B. When there are only a few panels
// (C has at most kInPlaceAPanels * NR columns: the 65 logits of a character model, the 64
// inputs of an embedding's gradient), packing A costs about as much as the products it feeds
// (a copy of all of A, read from far caches, for 2-3 tiles each), so whole micro-panels of A are
// read in place: the micro-kernel broadcasts its MR values from op(A)'s own rows (any strides
// work). Only the last micro-panel, when op(A) ends inside it, is packed (its zero padding keeps
// the kernel from reading past A). The sums are the same, in the same order: the bits do not
// change.
constexpr int64_t kInPlaceAPanels = 3;

template <typename PanelOfB>
void multiply_block(const Operand& a, int64_t m_begin, int64_t m_end, int64_t p0, int64_t kc,
                    const PanelOfB& b_panel, int64_t nc, int64_t panel_begin, int64_t panel_end,
                    float alpha, float beta, float* c, int64_t row_stride, int64_t col_stride) {
  thread_local AlignedBuffer packed_a_buffer;
  float* packed_a = packed_a_buffer.get(static_cast<size_t>(MC * kc));
  const bool a_in_place = panel_end - panel_begin <= kInPlaceAPanels;
  for (int64_t i0 = m_begin; i0 < m_end; i0 += MC) {
    const int64_t mc = std::min(MC, m_end - i0);
    const int64_t whole = a_in_place ? mc / MR * MR : 0;  // rows read in place
    pack_a(a, i0 + whole, mc - whole, p0, kc, packed_a + whole * kc);
    for (int64_t panel = panel_begin; panel < panel_end; ++panel) {
      const int64_t jr = panel * NR;
      const auto [b, b_row] = b_panel(panel);
      for (int64_t ir = 0; ir < mc; ir += MR) {
        const CTile tile{c + (i0 + ir) * row_stride + jr * col_stride, row_stride, col_stride,
                         std::min(MR, mc - ir), std::min(NR, nc - jr)};
        if (ir < whole)
          micro_kernel(kc, a.ptr(i0 + ir, p0), a.row_step(), a.col_step(), b, b_row, alpha, beta,
                       tile);
        else
          micro_kernel(kc, packed_a + ir * kc, 1, MR, b, b_row, alpha, beta, tile);
      }
    }
  }
}

struct PanelPointer {
  const float* b;
  int64_t row;
};

// For a tall C (many rows): the threads share the packed B and split C's rows evenly, in
// whole register tiles. B is packed for several depth blocks at once (up to kPackedB floats,
// 1 MiB, which stays in the L2 and L3 caches while the threads read it),
// so a product with a long K synchronises twice per chunk of blocks (pack, multiply) instead
// of twice per block: for the char-RNN's weight gradient (K = 3200) that was 26 waits per
// call, a sixth of its time.
constexpr int64_t kPackedB = int64_t{1} << 18;

void gemm_split_rows(const Operand& a, const Operand& b, int64_t M, int64_t N, int64_t K,
                     float alpha, float beta, float* c, int64_t row_stride, int64_t col_stride,
                     int threads) {
  // The buffer belongs to the calling thread (workers only read it through the pointer), so
  // gemm may also be called from inside another parallel loop.
  thread_local AlignedBuffer packed_b_buffer;
  const int64_t m_units = (M + MR - 1) / MR;  // rows of C in whole register tiles
  const int64_t depth_blocks = (K + KC - 1) / KC;
  for (int64_t j0 = 0; j0 < N; j0 += NC) {
    const int64_t nc = std::min(NC, N - j0);
    const int64_t n_panels = (nc + NR - 1) / NR;
    const int64_t block_floats = n_panels * NR * KC;  // one depth block of packed B
    const int64_t chunk = std::clamp<int64_t>(kPackedB / block_floats, 1, depth_blocks);
    float* packed_b = packed_b_buffer.get(static_cast<size_t>(chunk * block_floats));
    for (int64_t q0 = 0; q0 < depth_blocks; q0 += chunk) {
      const int64_t q1 = std::min(depth_blocks, q0 + chunk);
      // Depth block q (rows p0 = q * KC .. of op(B)) lives at packed_b + (q - q0) * block_floats.
      auto pack = [&](int64_t lo, int64_t hi) {  // items: (block, panel) pairs
        for (int64_t item = lo; item < hi; ++item) {
          const int64_t q = q0 + item / n_panels, panel = item % n_panels;
          const int64_t p0 = q * KC, kc = std::min(KC, K - p0);
          pack_b(b, p0, kc, j0, nc, NR, panel, panel + 1, packed_b + (q - q0) * block_floats);
        }
      };
      // More tasks than threads, claimed first come first served, so that a thread that
      // finishes early takes the next slice instead of waiting (a task is a fixed range of
      // rows, so who runs it never changes the result); but no task under MC rows, since
      // each task reads all of the packed B once more.
      const int64_t by_size = (M + MC - 1) / MC;
      const int tasks = threads == 1
                            ? 1
                            : static_cast<int>(std::min<int64_t>(
                                  m_units, std::clamp<int64_t>(by_size, threads, 4 * threads)));
      auto multiply = [&](int t) {
        const int64_t lo = std::min(M, m_units * t / tasks * MR);
        const int64_t hi = std::min(M, m_units * (t + 1) / tasks * MR);
        for (int64_t q = q0; q < q1 && lo < hi; ++q) {
          const int64_t p0 = q * KC, kc = std::min(KC, K - p0);
          const float* block = packed_b + (q - q0) * block_floats;
          const auto b_panel = [&](int64_t panel) {
            return PanelPointer{block + panel * NR * kc, NR};
          };
          multiply_block(a, lo, hi, p0, kc, b_panel, nc, 0, n_panels, alpha,
                         p0 == 0 ? beta : 1.0f,  // later depth blocks accumulate
                         c + j0 * col_stride, row_stride, col_stride);
        }
      };
      if (threads == 1) {
        pack(0, (q1 - q0) * n_panels);
        multiply(0);
      } else {
        parallel_for(0, (q1 - q0) * n_panels, 1, pack);
        parallel_tasks(tasks, multiply);
      }
    }
  }
}

// For a short C (a small batch times a wide layer): each thread owns a slice of C's
// columns and runs the whole depth loop alone: one synchronisation per call. B is read in
// place when it is stored row-major (a packed panel would serve only a few tiles), else
// packed; the last, partial panel is always packed, zero-padded to NR columns.
void gemm_split_columns(const Operand& a, const Operand& b, int64_t M, int64_t N, int64_t K,
                        float alpha, float beta, float* c, int64_t row_stride, int64_t col_stride,
                        int threads) {
  const int64_t n_panels = (N + NR - 1) / NR;
  // One task per thread: each task packs all of A (more tasks, for balance, measured slower).
  const int tasks = static_cast<int>(std::min<int64_t>(threads, n_panels));
  const bool b_in_place = !b.trans && M <= kShortRows;
  auto slice = [&](int t) {
    thread_local AlignedBuffer packed_b_buffer;
    const int64_t j_lo = n_panels * t / tasks * NR;
    const int64_t j_hi = std::min(N, n_panels * (t + 1) / tasks * NR);
    for (int64_t j0 = j_lo; j0 < j_hi; j0 += NC) {
      const int64_t nc = std::min(NC, j_hi - j0);
      const int64_t panels = (nc + NR - 1) / NR;
      const int64_t full_panels = b_in_place ? nc / NR : 0;  // read in place
      for (int64_t p0 = 0; p0 < K; p0 += KC) {
        const int64_t kc = std::min(KC, K - p0);
        float* packed_b = packed_b_buffer.get(static_cast<size_t>(panels * NR * kc));
        pack_b(b, p0, kc, j0, nc, NR, full_panels, panels, packed_b);
        const auto b_panel = [&](int64_t panel) {
          if (panel < full_panels) return PanelPointer{b.ptr(p0, j0 + panel * NR), b.ld};
          return PanelPointer{packed_b + panel * NR * kc, NR};
        };
        multiply_block(a, 0, M, p0, kc, b_panel, nc, 0, panels, alpha, p0 == 0 ? beta : 1.0f,
                       c + j0 * col_stride, row_stride, col_stride);
      }
    }
  };
  if (tasks == 1)
    slice(0);
  else
    parallel_tasks(tasks, slice);
}

void gemm_tiles(const Operand& a, const Operand& b, int64_t M, int64_t N, int64_t K, float alpha,
                float beta, float* c, int64_t row_stride, int64_t col_stride, int threads) {
  const int64_t n_panels = (N + NR - 1) / NR;
  // Split columns only while A is small: each thread packs all of it.
  if (M <= 2 * kShortRows && n_panels >= threads)
    gemm_split_columns(a, b, M, N, K, alpha, beta, c, row_stride, col_stride, threads);
  else
    gemm_split_rows(a, b, M, N, K, alpha, beta, c, row_stride, col_stride, threads);
}

// ---------------------------------------------------------------------------
// The narrow route: C has few columns (N <= 2 vectors) and many rows, as in a convolution
// with 6 or 16 output channels lowered by im2col. A tile of MR x NR would leave most of its
// lanes idle, and packing A (the big operand, used once per column panel) would cost as
// much as the product. So the kernel keeps one or two vectors of C per row for many rows
// (all the accumulator registers), reads A in place and only packs the tiny B.

#if defined(AIJ_GEMM_VECTORS)
template <int64_t V>  // vectors per row of C: N <= V * kLanes
constexpr int64_t narrow_rows() {
  return (kRegisters - V - 2) / V;  // accumulators; the rest hold B and a broadcast
}

template <int64_t V>
void narrow_kernel(int64_t kc, const float* __restrict a, int64_t a_row, int64_t a_col,
                   const float* __restrict b, float alpha, float beta, const CTile& tile) {
  constexpr int64_t R = narrow_rows<V>();
  Vec acc[R][V] = {};
  for (int64_t p = 0; p < kc; ++p) {
    Vec bp[V];
    AIJ_UNROLL for (int64_t v = 0; v < V; ++v) bp[v] =
        load_vec_in_register(b + (p * V + v) * kLanes);
    AIJ_UNROLL for (int64_t i = 0; i < R; ++i) {
      const float ai = a[i * a_row + p * a_col];
      AIJ_UNROLL for (int64_t v = 0; v < V; ++v) acc[i][v] += ai * bp[v];
    }
  }
  float out[R][V * kLanes];
  std::memcpy(out, acc, sizeof out);
  update_c(&out[0][0], V * kLanes, alpha, beta, tile);
}

template <int64_t V>
void gemm_narrow(const Operand& a, const Operand& b, int64_t M, int64_t N, int64_t K, float alpha,
                 float beta, float* c, int64_t row_stride, int64_t col_stride, int threads) {
  constexpr int64_t R = narrow_rows<V>(), W = V * kLanes;
  thread_local AlignedBuffer packed_b_buffer;
  const int64_t blocks = (M + R - 1) / R;  // blocks of R rows
  threads = static_cast<int>(std::min<int64_t>(threads, blocks));
  for (int64_t p0 = 0; p0 < K; p0 += KC) {
    const int64_t kc = std::min(KC, K - p0);
    float* packed_b = packed_b_buffer.get(static_cast<size_t>(W * kc));  // (kc, W)
    pack_b(b, p0, kc, 0, N, W, 0, 1, packed_b);
    const float block_beta = p0 == 0 ? beta : 1.0f;
    auto rows = [&](int t) {
      thread_local AlignedBuffer edge_buffer;
      for (int64_t blk = blocks * t / threads; blk < blocks * (t + 1) / threads; ++blk) {
        const int64_t i0 = blk * R, rows_here = std::min(R, M - i0);
        const CTile tile{c + i0 * row_stride, row_stride, col_stride, rows_here, N};
        if (rows_here == R) {
          narrow_kernel<V>(kc, a.ptr(i0, p0), a.row_step(), a.col_step(), packed_b, alpha,
                           block_beta, tile);
        } else {  // the last rows: a zero-padded copy of A, R rows tall
          float* edge = edge_buffer.get(static_cast<size_t>(R * kc));
          std::memset(edge, 0, sizeof(float) * static_cast<size_t>(R * kc));
          for (int64_t i = 0; i < rows_here; ++i) {
            const float* src = a.ptr(i0 + i, p0);
            for (int64_t p = 0; p < kc; ++p) edge[i * kc + p] = src[p * a.col_step()];
          }
          narrow_kernel<V>(kc, edge, kc, 1, packed_b, alpha, block_beta, tile);
        }
      }
    };
    if (threads == 1)
      rows(0);
    else
      parallel_tasks(threads, rows);
  }
}
#endif

// ---------------------------------------------------------------------------
// The one-row route: C is a single row (a language model generating one token at a time).
// Every value of B is used once, so nothing is packed.

// c (1, N) = alpha * a (1, K) B (K, N) + beta * c, B row-major in place: acc += a[p] * B[p, :]
// row after row, so B streams through in storage order (walking it in column strips instead,
// a page apart per row, ran at half the speed). The sum over p runs in KC blocks in the same
// order as the tile route, so a one-row product gives the same bits as that row of a
// batched one. The threads split the columns.
void gemm_row(const Operand& a, const Operand& b, int64_t N, int64_t K, float alpha, float beta,
              float* c, int64_t col_stride, int threads) {
  const int64_t vectors = (N + kLanes - 1) / kLanes;
  threads = static_cast<int>(std::min<int64_t>(threads, vectors));
  auto run = [&](int t) {
    thread_local AlignedBuffer acc_buffer;
    const int64_t j0 = vectors * t / threads * kLanes;
    const int64_t j1 = std::min(N, vectors * (t + 1) / threads * kLanes);
    float* acc = acc_buffer.get(static_cast<size_t>(j1 - j0));  // (j1 - j0)
    for (int64_t p0 = 0; p0 < K; p0 += KC) {
      const int64_t kc = std::min(KC, K - p0);
      std::fill(acc, acc + (j1 - j0), 0.0f);
      // kRows rows of B per pass over acc: each vector of acc is loaded once, takes kRows
      // multiply-adds in order of p (the same order as one row at a time), and is stored
      // once: an eighth of the memory traffic of one row per pass.
      constexpr int64_t kRows = 8;
      int64_t p = p0;
      for (; p + kRows <= p0 + kc; p += kRows) {
        float ap[kRows];
        const float* bp[kRows];
        for (int64_t r = 0; r < kRows; ++r) {
          ap[r] = a.at(0, p + r);
          bp[r] = b.ptr(p + r, j0);
        }
        int64_t j = 0;
#if defined(AIJ_GEMM_VECTORS)
        for (; j + kLanes <= j1 - j0; j += kLanes) {
          Vec v = load_vec(acc + j);
          AIJ_UNROLL for (int64_t r = 0; r < kRows; ++r) v += ap[r] * load_vec(bp[r] + j);
          std::memcpy(acc + j, &v, sizeof v);
        }
#endif
        for (; j < j1 - j0; ++j)
          for (int64_t r = 0; r < kRows; ++r) acc[j] += ap[r] * bp[r][j];
      }
      for (; p < p0 + kc; ++p) {
        const float ap = a.at(0, p);
        const float* bp = b.ptr(p, j0);
        for (int64_t j = 0; j < j1 - j0; ++j) acc[j] += ap * bp[j];
      }
      update_c(acc, 0, alpha, p0 == 0 ? beta : 1.0f,
               CTile{c + j0 * col_stride, 0, col_stride, 1, j1 - j0});
    }
  };
  if (threads == 1)
    run(0);
  else
    parallel_tasks(threads, run);
}

// c (1, N) = alpha * a (1, K) B^T + beta * c with B stored (N, K): each c[j] is the dot
// product of a with row j of B, both contiguous. The dot products run kLanes terms at a
// time in vector lanes, then the lanes are added in a fixed order: the one route whose
// summation order differs from the others (within the gemm tests' tolerance; still the same
// bits for any thread count). A single column C = A b takes it too, as C^T = b^T A^T.
void gemm_row_dot(const Operand& a, const Operand& b, int64_t N, int64_t K, float alpha, float beta,
                  float* c, int64_t col_stride, int threads) {
  thread_local AlignedBuffer a_buffer;
  const float* av = a.ptr(0, 0);
  if (a.col_step() != 1) {  // gather a into one contiguous row
    float* row = a_buffer.get(static_cast<size_t>(K));
    for (int64_t p = 0; p < K; ++p) row[p] = a.at(0, p);
    av = row;
  }
#if defined(AIJ_GEMM_VECTORS)
  constexpr int64_t R = kLanes;  // rows of B at a time: one accumulator vector each
#else
  constexpr int64_t R = 8;
#endif
  const int64_t groups = (N + R - 1) / R;
  threads = static_cast<int>(std::min<int64_t>(threads, groups));
  auto run = [&](int t) {
    for (int64_t g = groups * t / threads; g < groups * (t + 1) / threads; ++g) {
      const int64_t j0 = g * R, rows = std::min(R, N - j0);
      float sum[R] = {};
#if defined(AIJ_GEMM_VECTORS)
      const int64_t k_vec = K / kLanes * kLanes;
      Vec acc[R] = {};  // acc[r]: the kLanes partial sums of row j0 + r
      if (rows == R) {
        for (int64_t p = 0; p < k_vec; p += kLanes) {
          const Vec x = load_vec(av + p);
          AIJ_UNROLL for (int64_t r = 0; r < R; ++r) acc[r] +=
              x * load_vec(b.data + (j0 + r) * b.ld + p);
        }
      } else {  // the last rows of B
        for (int64_t p = 0; p < k_vec; p += kLanes)
          for (int64_t r = 0; r < rows; ++r)
            acc[r] += load_vec(av + p) * load_vec(b.data + (j0 + r) * b.ld + p);
      }
      // Each row's partial sums added across lanes, for all R rows at once: transpose the
      // R x kLanes block so that lane r holds row r, then add the kLanes vectors in order.
      transpose_in_registers<kLanes>(acc);
      Vec total = acc[0];
      for (int64_t l = 1; l < kLanes; ++l) total += acc[l];
      std::memcpy(sum, &total, sizeof sum);
#else
      const int64_t k_vec = 0;
#endif
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t p = k_vec; p < K; ++p) sum[r] += av[p] * b.data[(j0 + r) * b.ld + p];
      update_c(sum, R, alpha, beta, CTile{c + j0 * col_stride, 0, col_stride, 1, rows});
    }
  };
  if (threads == 1)
    run(0);
  else
    parallel_tasks(threads, run);
}

// ---------------------------------------------------------------------------
// Routes

void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

// How much of the register tiles an (M, N) product fills: 1 when both are whole tiles.
double tile_fill(int64_t M, int64_t N) {
  const auto fill = [](int64_t n, int64_t tile) {
    return static_cast<double>(n) / static_cast<double>((n + tile - 1) / tile * tile);
  };
  return fill(M, MR) * fill(N, NR);
}

// C (M, N) = alpha * op(A) op(B) + beta * C, with C's element (i, j) at
// c[i * row_stride + j * col_stride]: picks the route for the shape.
void multiply(const Operand& a, const Operand& b, int64_t M, int64_t N, int64_t K, float alpha,
              float beta, float* c, int64_t row_stride, int64_t col_stride, int threads) {
  if (M == 1) {
    if (b.trans)
      gemm_row_dot(a, b, N, K, alpha, beta, c, col_stride, threads);
    else
      gemm_row(a, b, N, K, alpha, beta, c, col_stride, threads);
    return;
  }
#if defined(AIJ_GEMM_VECTORS)
  if (N <= kNarrowCols && M > N) {
    if (N <= kLanes)
      gemm_narrow<1>(a, b, M, N, K, alpha, beta, c, row_stride, col_stride, threads);
    else
      gemm_narrow<2>(a, b, M, N, K, alpha, beta, c, row_stride, col_stride, threads);
    return;
  }
#endif
  gemm_tiles(a, b, M, N, K, alpha, beta, c, row_stride, col_stride, threads);
}

// The smallest product (in multiply-adds) worth splitting over `threads` threads. Splitting
// saves the time of (1 - 1/threads) of the work and costs one hand-off of a job to the pool,
// which differs between machines: a fixed threshold of 4 M multiply-adds, set on the Intel
// Xeon of docs/PERFORMANCE.md, kept the 32 x 256 x 256 product of an RNN step (2 M) on one
// thread, where on an AMD EPYC (Zen 4) with its 0.5 us hand-off 2 threads ran it 1.5-1.7x
// faster. So the pool times its hand-off once (parallel_hand_off_seconds), and a product is
// split when the time it saves is at least 4 hand-offs, at an assumed kLanes * 4 G
// multiply-adds per second per thread (matrix-vector products, bound by memory, are slower,
// which only makes splitting them pay sooner). Which thread count runs a product never
// changes its result (every route sums in the same order).
int64_t serial_work(int threads) {
  const double rate = static_cast<double>(kLanes) * 4e9;  // multiply-adds per second
  const double saved_fraction = 1.0 - 1.0 / threads;
  const double work = 4.0 * parallel_hand_off_seconds() * rate / saved_fraction;
  return std::clamp<int64_t>(static_cast<int64_t>(work), int64_t{1} << 16, int64_t{1} << 24);
}

// Whether computing C^T = op(B)^T op(A)^T (the same numbers, C's strides swapped) suits the
// shape better than C itself: a column vector C (N == 1) becomes a row; a C that is small
// both ways with the longer side as columns (a weight gradient summed over a long batch)
// becomes narrow, and so does a short C times a transposed B; and a C that fills its register
// tiles far better transposed (6 columns against NR = 48) is turned round.
bool better_transposed(int64_t M, int64_t N, bool trans_b) {
  if (M == 1) return false;  // the one-row routes
  if (N == 1) return true;
#if defined(AIJ_GEMM_VECTORS)
  if (N <= kNarrowCols && M > N) return false;  // already the narrow route
  if (M <= kNarrowCols && N <= 2 * kNarrowCols && N > M) return true;
  // x W^T for a small batch x (an RNN step): the tile route would transpose all of W into
  // packed panels on every call, as much work as the product; C^T = W x^T is narrow, reads
  // W in place and packs only x.
  if (M <= kNarrowCols && N > M && trans_b) return true;
#endif
  return tile_fill(N, M) > 2 * tile_fill(M, N);
}

}  // namespace

// ---------------------------------------------------------------------------

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {  // beta * C only (beta == 0 overwrites NaN too)
    scale_c(M, N, beta, C, ldc);
    return;
  }
  int threads = num_threads();
  if (threads > 1 && M * N * K < serial_work(threads)) threads = 1;
  if (better_transposed(M, N, trans_b)) {
    const Operand bt{B, ldb, !trans_b}, at{A, lda, !trans_a};
    multiply(bt, at, N, M, K, alpha, beta, C, 1, ldc, threads);
  } else {
    multiply(Operand{A, lda, trans_a}, Operand{B, ldb, trans_b}, M, N, K, alpha, beta, C, ldc, 1,
             threads);
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

GemmKernelInfo gemm_kernel_info() {
  GemmKernelInfo info;
  info.instruction_set = kInstructionSet;
  info.vector_bits = static_cast<int>(kLanes * 32);
  info.registers = static_cast<int>(kRegisters);
  info.mr = static_cast<int>(MR);
  info.nr = static_cast<int>(NR);
  info.kc = static_cast<int>(KC);
  info.mc = static_cast<int>(MC);
  info.nc = static_cast<int>(NC);
#if defined(AIJ_GEMM_VECTORS)
  info.vector_types = true;
#endif
#if defined(__FMA__) || defined(__aarch64__)
  info.fma = true;
#endif
  return info;
}

int64_t gemm_serial_work() {
  const int threads = num_threads();
  return threads > 1 ? serial_work(threads) : 0;
}

// The machine's multiply-add peak at the kernel's vector width: kRegisters - 2 independent
// accumulators (more than an FMA's latency times the FMA units), each updated `iterations`
// times. Returns the number of floating-point operations done (2 per lane per update).
double gemm_fma_peak_probe(int64_t iterations) {
#if defined(AIJ_GEMM_VECTORS)
  constexpr int64_t kAcc = kRegisters - 2;
  Vec acc[kAcc];
  for (int64_t r = 0; r < kAcc; ++r) acc[r] = Vec{} + static_cast<float>(r);
  const Vec m = Vec{} + 0.999999f, add = Vec{} + 1e-7f;
  for (int64_t it = 0; it < iterations; ++it) {
    AIJ_UNROLL for (int64_t r = 0; r < kAcc; ++r) acc[r] = acc[r] * m + add;
  }
  float sink = 0.0f;
  for (int64_t r = 0; r < kAcc; ++r) sink += acc[r][0];
  volatile float keep = sink;  // the loop's result is used, so it is not optimised away
  (void)keep;
  return 2.0 * static_cast<double>(kLanes) * static_cast<double>(kAcc) *
         static_cast<double>(iterations);
#else
  (void)iterations;
  return 0.0;
#endif
}

}  // namespace common
