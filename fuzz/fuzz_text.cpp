// fuzz/fuzz_text.cpp -- plain-text corpora (read_text_corpus, build_char_vocab).
// An accepted corpus must encode with its own vocabulary and decode back unchanged.
#include "data.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::expect_clean(data, size, [&](const std::string& path) {
    const std::string text = common::read_text_corpus(path);
    const common::CharVocab vocab = common::build_char_vocab(text);
    const std::vector<int> ids = vocab.encode(text);
    fuzz::check(vocab.decode(ids) == text, "decode(encode(text)) == text");
  });
  return 0;
}
