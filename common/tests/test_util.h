// common/tests/test_util.h -- helpers shared by the file, data and checkpoint tests: raw
// file writing, error expectations and the mutation fuzzer. (Temporary directories and
// the data-or-skip rule come from common/test_support.h, shared by every phase.)
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "error.h"
#include "rng.h"
#include "test_support.h"

namespace test_util {

using common::testing::TempDir;  // from common/test_support.h

// Writes bytes as they are (no .tmp dance: tests want to create broken files).
inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("test could not write " + path);
}

inline void write_text(const std::string& path, const std::string& text) {
  write_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

// The names of the entries in dir, sorted: a test of an atomic write checks that only
// the written file is there (no temporary file left behind).
inline std::vector<std::string> file_names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs f, which must throw common::Error, and returns the message ("" if it did not).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const common::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace test_util

// EXPECT_ERROR(statement, text): the statement throws common::Error whose one-line
// message contains text. Any other exception escapes and fails the test.
#define EXPECT_ERROR(statement, text)                                                  \
  do {                                                                                 \
    const std::string message_ = test_util::error_of([&] { statement; });              \
    EXPECT_FALSE(message_.empty()) << "expected common::Error from: " #statement;      \
    EXPECT_NE(message_.find(text), std::string::npos) << "message: " << message_;      \
    EXPECT_EQ(message_.find('\n'), std::string::npos) << "not one line: " << message_; \
  } while (0)

namespace test_util {

// A field of a binary header that the fuzzer may overwrite with extreme values.
struct Field {
  size_t offset;
  int width;  // 4 or 8 bytes
  bool big_endian;
};

inline void put_field(std::vector<uint8_t>& bytes, const Field& field, uint64_t value) {
  for (int i = 0; i < field.width; ++i) {
    const size_t at =
        field.offset + static_cast<size_t>(field.big_endian ? field.width - 1 - i : i);
    if (at < bytes.size()) bytes[at] = static_cast<uint8_t>(value >> (8 * i));
  }
}

// A randomly damaged copy of a valid file: flipped bytes, a truncation, inserted or
// deleted bytes, appended garbage, or a header field set to an extreme value.
inline std::vector<uint8_t> mutate(const std::vector<uint8_t>& valid, common::Rng& rng,
                                   const std::vector<Field>& fields) {
  std::vector<uint8_t> bytes = valid;
  const auto random_byte = [&] { return static_cast<uint8_t>(rng.randint(0, 256)); };
  const auto random_pos = [&](size_t size) {
    return static_cast<size_t>(rng.randint(0, static_cast<int64_t>(size)));
  };
  switch (rng.randint(0, 6)) {
    case 0:  // flip a few bytes
      for (int64_t k = rng.randint(1, 5); k > 0; --k) {
        bytes[random_pos(bytes.size())] ^= static_cast<uint8_t>(rng.randint(1, 256));
      }
      break;
    case 1:  // truncate
      bytes.resize(random_pos(bytes.size()));
      break;
    case 2:  // insert bytes
      for (int64_t k = rng.randint(1, 9); k > 0; --k) {
        bytes.insert(bytes.begin() + static_cast<ptrdiff_t>(random_pos(bytes.size() + 1)),
                     random_byte());
      }
      break;
    case 3: {  // delete a range
      const size_t at = random_pos(bytes.size());
      const size_t n = std::min(bytes.size() - at, static_cast<size_t>(rng.randint(1, 17)));
      bytes.erase(bytes.begin() + static_cast<ptrdiff_t>(at),
                  bytes.begin() + static_cast<ptrdiff_t>(at + n));
      break;
    }
    case 4:  // append garbage
      for (int64_t k = rng.randint(1, 9); k > 0; --k) bytes.push_back(random_byte());
      break;
    default: {  // a header field set to an extreme value
      static const uint64_t extremes[] = {0,
                                          1,
                                          2,
                                          255,
                                          4096,
                                          4097,
                                          65536,
                                          0x7FFFFFFF,
                                          0x80000000,
                                          0xFFFFFFFE,
                                          0xFFFFFFFF,
                                          0x100000000,
                                          0x7FFFFFFFFFFFFFFF,
                                          0x8000000000000000,
                                          0xFFFFFFFFFFFFFFFF};
      const Field& field =
          fields[static_cast<size_t>(rng.randint(0, static_cast<int64_t>(fields.size())))];
      uint64_t value = extremes[rng.randint(0, static_cast<int64_t>(std::size(extremes)))];
      if (rng.randint(0, 4) == 0) value = rng.next_u64();
      put_field(bytes, field, value);
      break;
    }
  }
  return bytes;
}

// Loads `variants` mutations of `valid` with load(path): each must either load or throw
// common::Error naming the file on one line; any other exception or a crash fails.
// Returns how many variants loaded, so the test can check that both outcomes occurred.
template <class Load>
int fuzz_loader(const std::vector<uint8_t>& valid, const std::vector<Field>& fields, uint64_t seed,
                int variants, Load&& load,
                void (*fix_up)(std::vector<uint8_t>&, common::Rng&) = nullptr) {
  TempDir dir;
  common::Rng rng(seed);
  int loaded = 0;
  for (int i = 0; i < variants; ++i) {
    std::vector<uint8_t> bytes = mutate(valid, rng, fields);
    if (fix_up) fix_up(bytes, rng);
    // A new name each time: ext4 flushes a file to disk when it is truncated and
    // rewritten, which made reusing one name 20 times slower.
    const std::string path = dir.file("fuzzed_" + std::to_string(i) + ".bin");
    write_bytes(path, bytes);
    struct Remove {
      const std::string& path;
      ~Remove() { std::filesystem::remove(path); }
    } remove_afterwards{path};
    try {
      load(path);
      ++loaded;
    } catch (const common::Error& e) {
      const std::string message = e.what();
      if (message.find(path) == std::string::npos || message.find('\n') != std::string::npos) {
        ADD_FAILURE() << "variant " << i
                      << ": message does not name the file on one line: " << message;
        return loaded;
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << "variant " << i
                    << ": threw something other than common::Error: " << e.what();
      return loaded;
    }
  }
  return loaded;
}

}  // namespace test_util
