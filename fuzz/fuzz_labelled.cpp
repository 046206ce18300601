// fuzz/fuzz_labelled.cpp -- labelled sentences (read_labelled_sentences, `text<TAB>label`).
#include "data.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (int max_label : {1, 4}) {
    fuzz::expect_clean(data, size, [&](const std::string& path) {
      for (const auto& s : common::read_labelled_sentences(path, max_label))
        fuzz::check(s.label >= 0 && s.label <= max_label, "label in [0, max_label]");
    });
  }
  return 0;
}
