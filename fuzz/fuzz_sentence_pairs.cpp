// fuzz/fuzz_sentence_pairs.cpp -- sentence and verse pairs (read_sentence_pairs:
// `source<TAB>target`, or `ref<TAB>source<TAB>target` for the Bible verse pairs).
#include "data.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_clean(data, size, [&](const std::string& path) {
    const auto pairs = common::read_sentence_pairs(path);
    fuzz::check(!pairs.empty(), "an accepted file holds at least one pair");
  });
  return 0;
}
