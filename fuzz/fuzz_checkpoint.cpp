// fuzz/fuzz_checkpoint.cpp -- checkpoints: read_checkpoint_file (tensors and metadata),
// the Rng restore from every integer list, and load_checkpoint into a model shaped like
// the file's first tensor, which must copy exactly the bits that were read.
#include <bit>

#include "checkpoint.h"
#include "fuzz_support.h"

static bool same_bits(const common::Tensor& a, const common::Tensor& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](float x, float y) {
    return std::bit_cast<uint32_t>(x) == std::bit_cast<uint32_t>(y);
  });
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_clean(data, size, [&](const std::string& path) {
    const common::CheckpointFile file = common::read_checkpoint_file(path);
    for (const auto& [key, value] : file.meta.entries()) {
      if (std::holds_alternative<std::vector<int64_t>>(value)) {
        common::Rng rng;
        try {
          file.meta.get_rng(key, rng);
        } catch (const common::Error& e) {  // not an Rng state: fine, if said properly
          fuzz::check(std::string(e.what()).find(path) != std::string::npos,
                      "get_rng error names the file");
        }
      }
    }
    if (file.tensors.size() != 1) return;
    common::Tensor model(file.tensors[0].tensor.shape());
    common::load_checkpoint(path, {{file.tensors[0].name, &model}});
    fuzz::check(same_bits(model, file.tensors[0].tensor),
                "load_checkpoint copies the bits read_checkpoint_file returned");
  });
  return 0;
}
