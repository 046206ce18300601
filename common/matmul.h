// common/matmul.h -- matrix products that read like the equation.
//
//   matmul(y, x, transpose(w));                  // y  = x W^T
//   matmul_accumulate(dw, transpose(dy), x);     // dW += dY^T X
//   matmul(d, a, transpose(b), -2.0f);           // D  = -2 A B^T
//   matmul_plain(...), matmul_plain_accumulate(...)  // the same by the textbook loop
//
// A matrix view is a pointer, a shape (rows, cols) and a row stride: element (i, j) is
// data[i * stride + j] (row-major, as everywhere in this project). A view owns nothing;
// it names a block of memory that a Tensor or a std::vector holds. `mat(p, rows, cols)`
// makes one (stride = cols), `mat(tensor)` views a rank-2 Tensor; `transpose(v)` is the same memory
// read as v^T (no copy).
//
// Shapes are checked on every call (three comparisons, nothing next to the product): a
// product whose shapes do not chain, or an output of the wrong shape, names both shapes
// and aborts in a debug build (so a debugger stops on the faulty call), and throws
// std::invalid_argument in a release build.
//
// Under the views sits common::gemm (gemm.h), the one fast kernel, called with its raw
// BLAS-style arguments (transpose flags, M, N, K, leading dimensions) only here:
//   * matmul / matmul_accumulate on float go to common::gemm (blocked, vectorised,
//     threaded); on double they take the plain loop, which is what the gradient checks
//     need (tiny networks, double precision).
//   * matmul_plain / matmul_plain_accumulate are that plain loop for any type: the
//     textbook triple loop, summing over k in ascending order from zero, then adding
//     `scale * sum` to the old value or storing it. It is the reference the tests hold
//     gemm to, and the right call for products too small to pay for gemm's packing and
//     thread hand-off (a few microseconds per call).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <type_traits>

#include "gemm.h"
#include "tensor.h"

namespace common {

// A writable matrix: element (i, j) at data[i * stride + j].
template <class T>
struct MatView {
  T* data = nullptr;
  int64_t rows = 0, cols = 0;
  int64_t stride = 0;  // distance between rows, >= cols
};

// A read-only matrix, possibly transposed: the logical (rows, cols) matrix is the memory
// as stored when `transposed` is false, and the stored (cols, rows) matrix read
// column by column when it is true.
template <class T>
struct ConstMatView {
  const T* data = nullptr;
  int64_t rows = 0, cols = 0;  // logical shape, after the transpose
  int64_t stride = 0;          // row stride of the memory as stored
  bool transposed = false;

  ConstMatView() = default;
  ConstMatView(const T* d, int64_t r, int64_t c, int64_t s, bool t = false)
      : data(d), rows(r), cols(c), stride(s), transposed(t) {}
  ConstMatView(MatView<T> v)  // NOLINT: a writable view is readable too
      : data(v.data), rows(v.rows), cols(v.cols), stride(v.stride) {}
  // Element (i, j) of the logical matrix.
  T operator()(int64_t i, int64_t j) const {
    return transposed ? data[j * stride + i] : data[i * stride + j];
  }
};

// mat(p, rows, cols [, stride]): a view of rows x cols values at p.
template <class T>
MatView<T> mat(T* data, int64_t rows, int64_t cols, int64_t stride) {
  return MatView<T>{.data = data, .rows = rows, .cols = cols, .stride = stride};
}
template <class T>
MatView<T> mat(T* data, int64_t rows, int64_t cols) {
  return mat(data, rows, cols, cols);
}
template <class T>
ConstMatView<T> mat(const T* data, int64_t rows, int64_t cols, int64_t stride) {
  return ConstMatView<T>(data, rows, cols, stride);
}
template <class T>
ConstMatView<T> mat(const T* data, int64_t rows, int64_t cols) {
  return ConstMatView<T>(data, rows, cols, cols);
}

// mat(t): a rank-2 Tensor (rows, cols) as a matrix.
inline MatView<float> mat(Tensor& t) {
  if (t.rank() != 2) throw std::invalid_argument("mat: the tensor is not a matrix (rank 2)");
  return mat(t.data(), t.dim(0), t.dim(1));
}
inline ConstMatView<float> mat(const Tensor& t) {
  if (t.rank() != 2) throw std::invalid_argument("mat: the tensor is not a matrix (rank 2)");
  return mat(t.data(), t.dim(0), t.dim(1));
}

// v^T: the same memory, rows and columns swapped.
template <class T>
ConstMatView<T> transpose(ConstMatView<T> v) {
  return ConstMatView<T>(v.data, v.cols, v.rows, v.stride, !v.transposed);
}
template <class T>
ConstMatView<T> transpose(MatView<T> v) {
  return transpose(ConstMatView<T>(v));
}

namespace detail {

// Names the three shapes and what is wrong; aborts (debug) or throws (release).
// In matmul.cpp, away from the inlined products.
[[noreturn]] void shape_error(const char* op, int64_t a_rows, int64_t a_cols, int64_t b_rows,
                              int64_t b_cols, int64_t out_rows, int64_t out_cols,
                              const char* problem);

template <class T>
void check_product(const char* op, const MatView<T>& out, const ConstMatView<T>& a,
                   const ConstMatView<T>& b) {
  const char* problem = nullptr;
  if (a.cols != b.rows) {
    problem = "the inner dimensions differ";
  } else if (out.rows != a.rows || out.cols != b.cols) {
    problem = "wrong output shape";
  } else if (out.stride < out.cols || a.stride < (a.transposed ? a.rows : a.cols) ||
             b.stride < (b.transposed ? b.rows : b.cols)) {
    problem = "a row stride is shorter than its row";
  }
  if (problem != nullptr) {
    shape_error(op, a.rows, a.cols, b.rows, b.cols, out.rows, out.cols, problem);
  }
}

// out = scale * a b (+ out when accumulate): the textbook triple loop.
template <class T>
void plain_product(MatView<T> out, ConstMatView<T> a, ConstMatView<T> b, T scale, bool accumulate) {
  for (int64_t i = 0; i < out.rows; ++i) {
    for (int64_t j = 0; j < out.cols; ++j) {
      T sum = 0;
      for (int64_t p = 0; p < a.cols; ++p) sum += a(i, p) * b(p, j);
      T& o = out.data[i * out.stride + j];
      o = scale * sum + (accumulate ? o : T(0));
    }
  }
}

template <class T>
void product(const char* op, MatView<T> out, ConstMatView<T> a, ConstMatView<T> b, T scale,
             bool accumulate) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  check_product(op, out, a, b);
  if constexpr (std::is_same_v<T, float>) {
    common::gemm(a.transposed, b.transposed, out.rows, out.cols, a.cols, scale, a.data, a.stride,
                 b.data, b.stride, accumulate ? 1.0f : 0.0f, out.data, out.stride);
  } else {
    plain_product(out, a, b, scale, accumulate);
  }
}

}  // namespace detail

// In the two operations below, T is deduced from the output alone (std::type_identity_t
// keeps the inputs out of the deduction), so a writable view passes as an input too.
template <class T>
using InView = ConstMatView<std::type_identity_t<T>>;

// out = scale * a b      (out's old contents are never read)
template <class T>
void matmul(MatView<T> out, InView<T> a, InView<T> b, std::type_identity_t<T> scale = T(1)) {
  detail::product("matmul", out, a, b, scale, false);
}

// out += scale * a b     (for gradients, which accumulate)
template <class T>
void matmul_accumulate(MatView<T> out, InView<T> a, InView<T> b,
                       std::type_identity_t<T> scale = T(1)) {
  detail::product("matmul_accumulate", out, a, b, scale, true);
}

// The plain loop, whatever T (see the header comment).
template <class T>
void matmul_plain(MatView<T> out, InView<T> a, InView<T> b, std::type_identity_t<T> scale = T(1)) {
  detail::check_product("matmul_plain", out, a, b);
  detail::plain_product(out, a, b, scale, false);
}
template <class T>
void matmul_plain_accumulate(MatView<T> out, InView<T> a, InView<T> b,
                             std::type_identity_t<T> scale = T(1)) {
  detail::check_product("matmul_plain_accumulate", out, a, b);
  detail::plain_product(out, a, b, scale, true);
}

}  // namespace common
