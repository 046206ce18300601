// fuzz/fuzz_checkpoint.cpp -- checkpoints (read_checkpoint, and load_checkpoint into a
// model whose one tensor has the shape of the first tensor found).
#include "checkpoint.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_clean(data, size, [&](const std::string& path) {
    const std::vector<common::NamedTensor> tensors = common::read_checkpoint(path);
    if (tensors.size() != 1) return;
    common::Tensor model(tensors[0].tensor.shape());
    common::load_checkpoint(path, {{tensors[0].name, &model}});
    fuzz::check(std::equal(model.begin(), model.end(), tensors[0].tensor.begin(),
                           [](float a, float b) {
                             return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b);
                           }),
                "load_checkpoint copies the bits read_checkpoint returned");
  });
  return 0;
}
