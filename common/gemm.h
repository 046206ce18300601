// common/gemm.h -- the one fast kernel: general matrix multiply.
//
//   C = alpha * op(A) * op(B) + beta * C        op(X) = X or X^T
//
// All matrices are row-major (see tensor.h). op(A) is (M, K), op(B) is (K, N), C is (M, N).
// lda/ldb/ldc are the row strides (leading dimensions) of the matrices as stored:
//   A stored (M, K) with lda >= K when trans_a is false, (K, M) with lda >= M when true;
//   B stored (K, N) with ldb >= N when trans_b is false, (N, K) with ldb >= K when true;
//   C stored (M, N) with ldc >= N.
// beta == 0 means "overwrite C": its old contents are never read, so C may hold NaN.
//
// Fully connected layers, convolutions (through im2col), RNN/LSTM gates and attention
// all reduce to this call, so this is the one place where performance engineering lives.
// It is cache-blocked, packs panels of A and B into contiguous buffers, runs a
// register-tiled micro-kernel whose tile is chosen for the target's vector registers
// (AVX-512, AVX2, NEON, SSE2; written with the compiler's generic vector types, no
// intrinsics), takes its own routes for short, narrow and tiny products, and splits the
// work over common's thread pool. The split depends only on the problem size
// and the thread count, and every element of C is summed in the same order whatever the
// number of threads, so 1 and 2 threads give bitwise-identical results.
#pragma once

#include <cstdint>

namespace common {

void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// The textbook triple loop, accumulating in double. Slow and obviously correct: the
// tests compare gemm() against it.
void gemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                    const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                    int64_t ldc);

// What the kernel was compiled for, for benchmarks and reports.
struct GemmKernelInfo {
  const char* instruction_set = "";  // "AVX-512", "AVX2+FMA", "AVX", "NEON", "SSE2", "generic"
  int vector_bits = 0;               // width of the vectors the micro-kernel computes with
  int registers = 0;                 // vector registers the tile was sized for
  int mr = 0, nr = 0;                // register tile: MR rows x NR columns of C
  int kc = 0, mc = 0, nc = 0;        // cache blocks
  bool vector_types = false;         // micro-kernel built from vector types (GCC, Clang)
  bool fma = false;                  // fused multiply-add instructions available
};
GemmKernelInfo gemm_kernel_info();

// The smallest product (M * N * K multiply-adds) that gemm splits over the current threads;
// smaller ones run on the calling thread. Set from the pool's measured hand-off time
// (common::parallel_hand_off_seconds), so it differs between machines.
int64_t gemm_serial_work();

// For measuring the machine's peak: runs `iterations` rounds of independent vector FMAs at
// the kernel's width on the calling thread and returns the floating-point operations done
// (0 when the kernel was built without vector types). Time it to get FLOP/s.
double gemm_fma_peak_probe(int64_t iterations);

}  // namespace common
