// common/float_env.cpp -- see float_env.h.
#include "float_env.h"

namespace common {

void flush_denormals_to_zero() {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__SSE__) && \
    (defined(__GNUC__) || defined(__clang__))
  // MXCSR bit 15 = FTZ (results that would be subnormal become 0),
  // bit 6 = DAZ (subnormal inputs are read as 0).
  unsigned int csr = __builtin_ia32_stmxcsr();
  csr |= (1u << 15) | (1u << 6);
  __builtin_ia32_ldmxcsr(csr);
#endif
}

}  // namespace common
