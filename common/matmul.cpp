// common/matmul.cpp -- the shape-error report of matmul.h.
#include "matmul.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace common::detail {

void shape_error(const char* op, int64_t a_rows, int64_t a_cols, int64_t b_rows, int64_t b_cols,
                 int64_t out_rows, int64_t out_cols, const char* problem) {
  char message[256];
  std::snprintf(message, sizeof message,
                "%s: (%" PRId64 " x %" PRId64 ") times (%" PRId64 " x %" PRId64 ") into (%" PRId64
                " x %" PRId64 "): %s",
                op, a_rows, a_cols, b_rows, b_cols, out_rows, out_cols, problem);
#ifdef NDEBUG
  throw std::invalid_argument(message);
#else
  std::fprintf(stderr, "%s\n", message);
  std::abort();
#endif
}

}  // namespace common::detail
