// Tests for common/memory.h: aligned float buffers.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <new>

#include "memory.h"

TEST(AlignedFloatAlloc, SixtyFourByteAlignedForEverySize) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{1000}}) {
    float* p = common::aligned_float_alloc(n);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % common::kFloatAlignment, 0u) << n;
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<float>(i);  // ASan: all n usable
    common::aligned_free(p);
  }
}

TEST(AlignedFloatAlloc, ImpossibleSizesThrowInsteadOfReturningNull) {
  EXPECT_THROW(common::aligned_float_alloc(std::numeric_limits<size_t>::max() / 2), std::bad_alloc);
  EXPECT_THROW(common::aligned_float_alloc(std::numeric_limits<size_t>::max()), std::bad_alloc);
}

TEST(AlignedFloatAlloc, UniquePtrReleasesThroughAlignedFree) {
  common::AlignedFloats buffer(common::aligned_float_alloc(64));
  buffer[63] = 1.0f;
  EXPECT_EQ(buffer[63], 1.0f);
}
