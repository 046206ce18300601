// common/memory.h -- aligned float buffers (for packed gemm panels and the like).
//
// std::aligned_alloc is C++17 but missing from MSVC's runtime, may return nullptr, and
// requires the size to be a multiple of the alignment. aligned_float_alloc handles all
// three: it rounds the size up, uses _aligned_malloc on Windows, and throws
// std::bad_alloc instead of returning nullptr. Memory from it must be released with
// aligned_free (never free or delete): on Windows the two allocators differ.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>

#ifdef _WIN32
#include <malloc.h>
#endif

namespace common {

constexpr size_t kFloatAlignment = 64;  // one cache line; also a full AVX-512 register

// Storage for n floats starting on a 64-byte boundary (n may be 0). Throws std::bad_alloc.
inline float* aligned_float_alloc(size_t n) {
  if (n > (std::numeric_limits<size_t>::max() - kFloatAlignment) / sizeof(float)) {
    throw std::bad_alloc();
  }
  const size_t bytes =
      (n * sizeof(float) + kFloatAlignment - 1) / kFloatAlignment * kFloatAlignment;
  const size_t request = bytes == 0 ? kFloatAlignment : bytes;
#ifdef _WIN32
  void* p = _aligned_malloc(request, kFloatAlignment);
#else
  void* p = std::aligned_alloc(kFloatAlignment, request);
#endif
  if (p == nullptr) throw std::bad_alloc();
  return static_cast<float*>(p);
}

inline void aligned_free(float* p) {
#ifdef _WIN32
  _aligned_free(p);
#else
  std::free(p);
#endif
}

// For std::unique_ptr<float[], AlignedFree>: owns a buffer from aligned_float_alloc.
struct AlignedFree {
  void operator()(float* p) const { aligned_free(p); }
};
using AlignedFloats = std::unique_ptr<float[], AlignedFree>;

}  // namespace common
