// fuzz/fuzz_idx.cpp -- IDX images and labels (read_idx_images, read_idx_labels).
// The same bytes go through both readers; what one accepts must be self-consistent.
#include "data.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_clean(data, size, [&](const std::string& path) {
    const common::IdxImages images = common::read_idx_images(path);
    fuzz::check(
        images.pixels.size() == static_cast<size_t>(images.count * images.rows * images.cols),
        "pixel count == count * rows * cols");
  });
  fuzz::expect_clean(data, size, [&](const std::string& path) {
    const std::vector<uint8_t> labels = common::read_idx_labels(path);
    fuzz::check(labels.size() + 8 == size, "labels fill the file after the 8-byte header");
  });
  return 0;
}
