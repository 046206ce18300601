// phase5_resnet/conv.cpp -- see conv.h.
#include "conv.h"

#include <string>

#include "error.h"

namespace phase5 {

void check_conv_shape(const Conv2dShape& s) {
  if (s.N < 1 || s.H < 1 || s.W < 1 || s.C < 1 || s.OC < 1 || s.KH < 1 || s.KW < 1 ||
      s.stride < 1 || s.pad < 0 || s.H + 2 * s.pad < s.KH || s.W + 2 * s.pad < s.KW) {
    throw common::Error("convolution: bad sizes (input " + std::to_string(s.H) + "x" +
                        std::to_string(s.W) + "x" + std::to_string(s.C) + ", kernel " +
                        std::to_string(s.KH) + "x" + std::to_string(s.KW) + ", stride " +
                        std::to_string(s.stride) + ", pad " + std::to_string(s.pad) + ")");
  }
}

}  // namespace phase5
