// common/tests/checkpoint_writer.cpp -- a helper for the kill -9 test in
// test_resume.cpp: saves PATH over and over (step 0, 1, 2, ...) until it is killed.
// Each checkpoint holds a tensor "w" of 2^16 floats, all equal to the step, and the
// metadata "step", so the test can tell a whole checkpoint from a mixed one.
#include <algorithm>
#include <cstdio>

#include "checkpoint.h"
#include "error.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: checkpoint_writer PATH\n");
    return 2;
  }
  return common::run_main("checkpoint_writer", [&] {
    common::Tensor w({1 << 16});
    for (int64_t step = 0;; ++step) {
      std::fill(w.begin(), w.end(), static_cast<float>(step));
      common::CheckpointMeta meta;
      meta.set_int("step", step);
      common::save_checkpoint(argv[1], {{"w", &w}}, meta);
    }
    return 0;
  });
}
