// fuzz/fuzz_tsv.cpp -- tab-separated files (read_tsv with 1 to 3 columns).
#include "data.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (int columns = 1; columns <= 3; ++columns) {
    fuzz::expect_clean(data, size, [&](const std::string& path) {
      for (const auto& row : common::read_tsv(path, columns))
        fuzz::check(row.size() == static_cast<size_t>(columns), "every row has `columns` fields");
    });
  }
  return 0;
}
