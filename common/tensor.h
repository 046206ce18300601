// common/tensor.h -- a contiguous float32 array with a shape.
//
// Layout convention for the whole project (said once, here):
//   * Row-major: the LAST dimension is contiguous in memory. A (N, C, H, W) tensor
//     stores element (n, c, h, w) at offset ((n*C + c)*H + h)*W + w.
//   * Dimension letters used in shape comments everywhere:
//       N batch, C channels, H height, W width, T time steps, D model width,
//       V vocabulary, K/M inner sizes of a matrix product.
//   * A matrix is a rank-2 tensor (rows, cols); its leading dimension is cols.
//
// Tensor has value semantics (copying copies the data), owns its buffer, and has no
// autograd: every phase writes its backward passes by hand. Accessors are
// bounds-checked in debug builds (NDEBUG not defined) and free in release builds.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace common {

class Tensor {
 public:
  static constexpr int kMaxRank = 4;

  Tensor() = default;
  Tensor(std::initializer_list<int64_t> shape) : Tensor(std::vector<int64_t>(shape)) {}
  explicit Tensor(const std::vector<int64_t>& shape);  // zero-filled

  int rank() const { return rank_; }
  int64_t dim(int i) const {
    assert(i >= 0 && i < rank_);
    return shape_[i];
  }
  std::vector<int64_t> shape() const { return {shape_.begin(), shape_.begin() + rank_}; }
  int64_t size() const { return static_cast<int64_t>(data_.size()); }
  bool empty() const { return data_.empty(); }

  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  float* begin() { return data_.data(); }
  float* end() { return data_.data() + data_.size(); }
  const float* begin() const { return data_.data(); }
  const float* end() const { return data_.data() + data_.size(); }

  // Flat access.
  float& operator[](int64_t i) {
    assert(i >= 0 && i < size());
    return data_[static_cast<size_t>(i)];
  }
  float operator[](int64_t i) const {
    assert(i >= 0 && i < size());
    return data_[static_cast<size_t>(i)];
  }

  // Indexed access; the number of indices must equal the rank.
  float& at(int64_t i) { return data_[offset({i})]; }
  float& at(int64_t i, int64_t j) { return data_[offset({i, j})]; }
  float& at(int64_t i, int64_t j, int64_t k) { return data_[offset({i, j, k})]; }
  float& at(int64_t i, int64_t j, int64_t k, int64_t l) { return data_[offset({i, j, k, l})]; }
  float at(int64_t i) const { return data_[offset({i})]; }
  float at(int64_t i, int64_t j) const { return data_[offset({i, j})]; }
  float at(int64_t i, int64_t j, int64_t k) const { return data_[offset({i, j, k})]; }
  float at(int64_t i, int64_t j, int64_t k, int64_t l) const { return data_[offset({i, j, k, l})]; }

  // Pointer to the start of row i of the first dimension (e.g. sample i of a batch).
  float* row(int64_t i) { return data() + i * (size() / shape_[0]); }
  const float* row(int64_t i) const { return data() + i * (size() / shape_[0]); }

  void fill(float value);
  void zero() { fill(0.0f); }
  // Same number of elements, new shape; throws common::Error otherwise.
  void reshape(const std::vector<int64_t>& shape);
  // New shape, contents zeroed; reuses the buffer when it is large enough.
  void resize(const std::vector<int64_t>& shape);

  bool same_shape(const Tensor& other) const { return shape() == other.shape(); }
  std::string shape_str() const;  // "(64, 1, 28, 28)"

 private:
  size_t offset(std::initializer_list<int64_t> idx) const {
    assert(static_cast<int>(idx.size()) == rank_);
    size_t off = 0;
    int d = 0;
    for (int64_t i : idx) {
      assert(i >= 0 && i < shape_[d]);
      off = off * static_cast<size_t>(shape_[d]) + static_cast<size_t>(i);
      ++d;
    }
    return off;
  }

  std::vector<float> data_;
  std::array<int64_t, kMaxRank> shape_{};
  int rank_ = 0;
};

// Throws common::Error naming `what` unless t has exactly the given shape.
void check_shape(const Tensor& t, const std::vector<int64_t>& shape, const std::string& what);

}  // namespace common
