// common/tensor.cpp -- see tensor.h.
#include "tensor.h"

#include <algorithm>
#include <cstdint>

#include "error.h"

namespace common {

static int64_t element_count(const std::vector<int64_t>& shape) {
  if (shape.empty() || shape.size() > static_cast<size_t>(Tensor::kMaxRank))
    throw Error("tensor rank must be 1 to 4, got " + std::to_string(shape.size()));
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Error("tensor dimension must be >= 0, got " + std::to_string(d));
    if (d > 0 && n > INT64_MAX / d) throw Error("tensor shape too large (overflows 64 bits)");
    n *= d;
  }
  return n;
}

Tensor::Tensor(const std::vector<int64_t>& shape) {
  resize(shape);
}

void Tensor::fill(float value) {
  std::fill(data_.begin(), data_.end(), value);
}

void Tensor::reshape(const std::vector<int64_t>& shape) {
  if (element_count(shape) != size()) {
    throw Error("cannot reshape " + shape_str() + " to a shape with " +
                std::to_string(element_count(shape)) + " elements");
  }
  rank_ = static_cast<int>(shape.size());
  std::copy(shape.begin(), shape.end(), shape_.begin());
}

void Tensor::resize(const std::vector<int64_t>& shape) {
  int64_t n = element_count(shape);
  data_.assign(static_cast<size_t>(n), 0.0f);
  rank_ = static_cast<int>(shape.size());
  shape_.fill(0);
  std::copy(shape.begin(), shape.end(), shape_.begin());
}

std::string Tensor::shape_str() const {
  std::string s = "(";
  for (int i = 0; i < rank_; ++i) s += (i ? ", " : "") + std::to_string(shape_[i]);
  return s + ")";
}

void check_shape(const Tensor& t, const std::vector<int64_t>& shape, const std::string& what) {
  if (t.shape() != shape) {
    Tensor expected(shape);
    throw Error(what + ": expected shape " + expected.shape_str() + ", got " + t.shape_str());
  }
}

}  // namespace common
