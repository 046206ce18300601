// Tests for common/checkpoint.h: the exact byte layout, round trips, loading into a
// model, and rejection of every kind of damaged file (including a mutation fuzz test).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "files.h"
#include "test_util.h"

using test_util::TempDir;

namespace {

common::Tensor counting_tensor(const std::vector<int64_t>& shape, float start) {
  common::Tensor t(shape);
  for (int64_t i = 0; i < t.size(); ++i) t[i] = start + 0.5f * static_cast<float>(i);
  return t;
}

bool same_bits(const common::Tensor& a, const common::Tensor& b) {
  if (a.shape() != b.shape()) return false;
  for (int64_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) return false;
  }
  return true;
}

// Recomputes the trailing CRC-32, so a test can reach the checks that come before it.
void fix_crc(std::vector<uint8_t>& bytes) {
  if (bytes.size() < 4) return;
  const uint32_t crc = common::crc32(bytes.data(), bytes.size() - 4);
  test_util::put_field(bytes, {bytes.size() - 4, 4, false}, crc);
}

// A checkpoint with one tensor "w" of shape (2) holding {1, 2} and no metadata: 49 bytes
//   0 magic | 8 version | 12 metadata count | 16 tensor count | 20 name length | 24 'w' |
//   25 rank | 29 dim | 37 data | 45 crc
std::vector<uint8_t> tiny_checkpoint(const TempDir& dir) {
  common::Tensor w({2});
  w[0] = 1.0f;
  w[1] = 2.0f;
  common::save_checkpoint(dir.file("tiny.ckpt"), {{"w", &w}});
  return test_util::read_bytes(dir.file("tiny.ckpt"));
}

}  // namespace

TEST(Checkpoint, ByteLayoutIsExactlyAsDocumented) {
  TempDir dir;
  const std::vector<uint8_t> bytes = tiny_checkpoint(dir);
  std::vector<uint8_t> expected = {'A', 'I', 'J',  '-',  'C', 'K', 'P', 'T',  // magic
                                   2,   0,   0,    0,                         // version 2
                                   0,   0,   0,    0,                         // no metadata
                                   1,   0,   0,    0,                         // 1 tensor
                                   1,   0,   0,    0,    'w',                 // name
                                   1,   0,   0,    0,                         // rank 1
                                   2,   0,   0,    0,    0,   0,   0,   0,    // dim 2 (i64)
                                   0,   0,   0x80, 0x3F,                      // 1.0f
                                   0,   0,   0,    0x40,                      // 2.0f
                                   0,   0,   0,    0};                        // crc, below
  fix_crc(expected);
  EXPECT_EQ(bytes, expected);
}

TEST(Checkpoint, RoundTripKeepsNamesShapesAndBits) {
  TempDir dir;
  const common::Tensor a = counting_tensor({3}, 1.0f);
  const common::Tensor b = counting_tensor({2, 3}, -4.0f);
  const common::Tensor c = counting_tensor({2, 1, 2, 3}, 0.25f);
  const common::Tensor empty({0, 5});
  common::Tensor special({7});
  special[0] = -0.0f;
  special[1] = std::numeric_limits<float>::infinity();
  special[2] = -std::numeric_limits<float>::infinity();
  special[3] = std::bit_cast<float>(0x7FC01234u);  // a NaN with a payload
  special[4] = std::numeric_limits<float>::denorm_min();
  special[5] = std::numeric_limits<float>::max();
  special[6] = 3.14159265f;
  const std::string path = dir.file("model.ckpt");
  common::save_checkpoint(
      path, {{"a", &a}, {"layer.b", &b}, {"conv.c", &c}, {"e", &empty}, {"special", &special}});
  const std::vector<common::NamedTensor> read = common::read_checkpoint(path);
  ASSERT_EQ(read.size(), 5u);
  const std::vector<std::pair<std::string, const common::Tensor*>> expected = {
      {"a", &a}, {"layer.b", &b}, {"conv.c", &c}, {"e", &empty}, {"special", &special}};
  for (size_t i = 0; i < read.size(); ++i) {
    EXPECT_EQ(read[i].name, expected[i].first);
    EXPECT_TRUE(same_bits(read[i].tensor, *expected[i].second)) << read[i].name;
  }
  // Nothing but the checkpoint is left in the directory (no temporary file).
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(Checkpoint, EmptyCheckpointRoundTrips) {
  TempDir dir;
  common::save_checkpoint(dir.file("none.ckpt"), {});
  EXPECT_TRUE(common::read_checkpoint(dir.file("none.ckpt")).empty());
}

TEST(Checkpoint, SaveRejectsBadTensorLists) {
  TempDir dir;
  const std::string path = dir.file("bad.ckpt");
  const common::Tensor t({2});
  const common::Tensor scalar;  // rank 0
  EXPECT_ERROR(common::save_checkpoint(path, {{"w", &t}, {"w", &t}}), "tensor 'w' appears twice");
  EXPECT_ERROR(common::save_checkpoint(path, {{"w", nullptr}}), "null");
  EXPECT_ERROR(common::save_checkpoint(path, {{"", &t}}), "empty name");
  EXPECT_ERROR(common::save_checkpoint(path, {{"a\nb", &t}}),
               "tensor 'a?b' has a control character");
  EXPECT_ERROR(common::save_checkpoint(path, {{"s", &scalar}}), "rank 0");
  EXPECT_FALSE(common::file_exists(path));
}

TEST(Checkpoint, SaveOverwritesThePreviousCheckpoint) {
  TempDir dir;
  const std::string path = dir.file("model.ckpt");
  const common::Tensor big = counting_tensor({100}, 0.0f);
  const common::Tensor small = counting_tensor({2}, 9.0f);
  common::save_checkpoint(path, {{"w", &big}});
  common::save_checkpoint(path, {{"w", &small}});
  const auto read = common::read_checkpoint(path);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_TRUE(same_bits(read[0].tensor, small));
}

// ---------------------------------------------------------------------------
// Loading into a model

TEST(LoadCheckpoint, FillsTheModelsTensors) {
  TempDir dir;
  const std::string path = dir.file("model.ckpt");
  const common::Tensor w = counting_tensor({2, 3}, 1.0f), b = counting_tensor({2}, -1.0f);
  common::save_checkpoint(path, {{"fc1.weight", &w}, {"fc1.bias", &b}});
  common::Tensor w2({2, 3}), b2({2});
  common::load_checkpoint(path, {{"fc1.bias", &b2}, {"fc1.weight", &w2}});  // any order
  EXPECT_TRUE(same_bits(w2, w));
  EXPECT_TRUE(same_bits(b2, b));
}

TEST(LoadCheckpoint, NamesAndShapesMustMatchExactly) {
  TempDir dir;
  const std::string path = dir.file("model.ckpt");
  const common::Tensor w = counting_tensor({10, 784}, 1.0f), b = counting_tensor({10}, 0.0f);
  common::save_checkpoint(path, {{"fc1.weight", &w}, {"fc1.bias", &b}});

  common::Tensor wrong({10, 785}), bias({10}), extra({3});
  EXPECT_EQ(test_util::error_of([&] {
              common::load_checkpoint(path, {{"fc1.weight", &wrong}, {"fc1.bias", &bias}});
            }),
            "checkpoint " + path +
                ": tensor 'fc1.weight' has shape (10, 784), the model expects (10, 785)");
  common::Tensor weight({10, 784});
  EXPECT_ERROR(common::load_checkpoint(
                   path, {{"fc1.weight", &weight}, {"fc1.bias", &bias}, {"fc2.bias", &extra}}),
               "checkpoint " + path + ": missing tensor 'fc2.bias'");
  EXPECT_ERROR(common::load_checkpoint(path, {{"fc1.weight", &weight}}),
               "checkpoint " + path + ": unexpected tensor 'fc1.bias'");
  // None of the failed loads wrote anything into the model.
  for (const common::Tensor* t : {&wrong, &bias, &extra, &weight}) {
    for (float v : *t) ASSERT_EQ(v, 0.0f);
  }
}

// ---------------------------------------------------------------------------
// Metadata

TEST(CheckpointMeta, RoundTripsEveryTypeBitForBit) {
  TempDir dir;
  const std::string path = dir.file("state.ckpt");
  common::Rng rng(42);
  rng.normal();  // leaves a cached Box-Muller value: part of the state
  common::CheckpointMeta meta;
  meta.set_int("step", -9000000000);
  meta.set_real("lr", 0.1);
  meta.set_real("nan", std::bit_cast<double>(0x7FF8000000001234ull));
  meta.set_text("blob", std::string("a\0b\xFF", 4));
  meta.set_text("empty", "");
  meta.set_ints("order", {3, 1, 2, 0});
  meta.set_rng("rng", rng);
  const common::Tensor w = counting_tensor({2}, 1.0f);
  common::save_checkpoint(path, {{"w", &w}}, meta);

  common::Tensor w2({2});
  const common::CheckpointMeta read = common::load_checkpoint(path, {{"w", &w2}});
  EXPECT_TRUE(same_bits(w, w2));
  EXPECT_EQ(read.source, path);
  EXPECT_EQ(read.get_int("step"), -9000000000);
  EXPECT_EQ(read.get_real("lr"), 0.1);
  EXPECT_EQ(std::bit_cast<uint64_t>(read.get_real("nan")), 0x7FF8000000001234ull);
  EXPECT_EQ(read.get_text("blob"), std::string("a\0b\xFF", 4));
  EXPECT_EQ(read.get_text("empty"), "");
  EXPECT_EQ(read.get_ints("order"), (std::vector<int64_t>{3, 1, 2, 0}));
  common::Rng restored(7);
  read.get_rng("rng", restored);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(restored.normal(), rng.normal());
  EXPECT_EQ(read.entries().size(), meta.entries().size());
  // read_checkpoint (the tensors-only reader) still works on a file with metadata.
  EXPECT_EQ(common::read_checkpoint(path).size(), 1u);
}

TEST(CheckpointMeta, MissingKeysAndWrongTypesAreClearErrors) {
  TempDir dir;
  const std::string path = dir.file("state.ckpt");
  common::CheckpointMeta meta;
  meta.set_int("step", 5);
  meta.set_ints("short", {1, 2});
  common::save_checkpoint(path, {}, meta);
  const common::CheckpointMeta read = common::read_checkpoint_file(path).meta;
  EXPECT_ERROR(read.get_int("epoch"), path + ": no metadata 'epoch'");
  EXPECT_ERROR(read.get_real("step"), path + ": metadata 'step' is not a real");
  common::Rng rng;
  EXPECT_ERROR(read.get_rng("short", rng), path + ": metadata 'short' is not a saved Rng state");
  EXPECT_ERROR(meta.set_int("", 1), "empty name");
  EXPECT_ERROR(meta.set_int("a\tb", 1), "control character");
}

TEST(CheckpointMeta, TheSameStateGivesTheSameBytes) {
  TempDir dir;
  common::CheckpointMeta a, b;
  a.set_int("x", 1);
  a.set_int("y", 2);
  b.set_int("y", 2);  // another insertion order
  b.set_int("x", 1);
  common::save_checkpoint(dir.file("a"), {}, a);
  common::save_checkpoint(dir.file("b"), {}, b);
  EXPECT_EQ(test_util::read_bytes(dir.file("a")), test_util::read_bytes(dir.file("b")));
}

TEST(ReadCheckpoint, OlderAndNewerFormatVersionsAreRefused) {
  TempDir dir;
  const std::string path = dir.file("x.ckpt");
  // A version-1 file ("AIJCKPT1", no version field, no metadata) holding "w" = {1, 2}.
  std::vector<uint8_t> v1 = {'A', 'I', 'J', 'C',  'K',  'P', 'T', '1', 1,    0, 0, 0, 1, 0,
                             0,   0,   'w', 1,    0,    0,   0,   2,   0,    0, 0, 0, 0, 0,
                             0,   0,   0,   0x80, 0x3F, 0,   0,   0,   0x40, 0, 0, 0, 0};
  fix_crc(v1);
  test_util::write_bytes(path, v1);
  EXPECT_ERROR(common::read_checkpoint(path), path + ": checkpoint format version 1");
  std::vector<uint8_t> v3 = tiny_checkpoint(dir);
  v3[8] = 3;
  fix_crc(v3);
  test_util::write_bytes(path, v3);
  EXPECT_ERROR(common::read_checkpoint(path),
               path +
                   ": checkpoint format version 3, but this program reads version 2 "
                   "(written by a newer program: update this one)");
}

TEST(ReadCheckpoint, RejectsBadMetadataEvenWithAValidChecksum) {
  TempDir dir;
  const std::string path = dir.file("x.ckpt");
  common::CheckpointMeta meta;
  meta.set_ints("k", {7});  // entry at 16: key length, 'k' at 20, type at 21, count at 22
  common::save_checkpoint(path, {}, meta);
  const std::vector<uint8_t> valid = test_util::read_bytes(path);
  const struct {
    test_util::Field field;
    uint64_t value;
    std::string message;
  } cases[] = {
      {{16, 4, false}, 0, "metadata entry 0 declares a key of 0 bytes"},
      {{16, 4, false}, 5000, "metadata entry 0 declares a key of 5000 bytes"},
      {{21, 1, false}, 9, "metadata 'k' has unknown type 9"},
      {{22, 4, false}, 0xFFFFFFFF, "metadata 'k' integers needs 34359738360 bytes"},
      {{21, 1, false}, 3, "7 unexpected bytes after the last tensor"},  // as text: 1 byte
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    std::vector<uint8_t> bytes = valid;
    test_util::put_field(bytes, c.field, c.value);
    fix_crc(bytes);
    test_util::write_bytes(path, bytes);
    EXPECT_ERROR(common::read_checkpoint(path), path + ": ");
    EXPECT_ERROR(common::read_checkpoint(path), c.message);
  }
}

// ---------------------------------------------------------------------------
// Damaged files

TEST(ReadCheckpoint, RejectsEmptyShortAndForeignFiles) {
  TempDir dir;
  const std::string path = dir.file("x.ckpt");
  test_util::write_bytes(path, {});
  EXPECT_ERROR(common::read_checkpoint(path), path + ": file is empty");
  test_util::write_text(path, "AIJ-CKPT");
  EXPECT_ERROR(common::read_checkpoint(path), path + ": 8 bytes is too short for a checkpoint");
  std::vector<uint8_t> bytes = tiny_checkpoint(dir);
  bytes[3] = 'X';
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_checkpoint(path), path + ": not a checkpoint");
}

TEST(ReadCheckpoint, RejectsEveryTruncation) {
  TempDir dir;
  const std::string path = dir.file("x.ckpt");
  const std::vector<uint8_t> valid = tiny_checkpoint(dir);
  for (size_t length = 0; length < valid.size(); ++length) {
    SCOPED_TRACE(length);
    test_util::write_bytes(path, std::vector<uint8_t>(valid.begin(), valid.begin() + length));
    EXPECT_ERROR(common::read_checkpoint(path), path);
  }
  test_util::write_bytes(path, std::vector<uint8_t>(valid.begin(), valid.end() - 1));
  EXPECT_ERROR(common::read_checkpoint(path),
               path +
                   ": tensor 'w' declares shape (2), more data than the 7 bytes left in the file "
                   "(truncated or corrupt?)");
}

TEST(ReadCheckpoint, FlippedByteIsAChecksumMismatch) {
  TempDir dir;
  const std::string path = dir.file("x.ckpt");
  const std::vector<uint8_t> valid = tiny_checkpoint(dir);
  for (size_t at : {38u, 44u, 46u}) {  // inside the data, and inside the CRC itself
    std::vector<uint8_t> bytes = valid;
    bytes[at] ^= 0x01;
    test_util::write_bytes(path, bytes);
    EXPECT_ERROR(common::read_checkpoint(path), path + ": checksum mismatch: file corrupted");
  }
}

// Every single-bit flip, at every offset of a file with metadata and tensors, is an
// error: either a structural check or, failing those, the CRC catches it.
TEST(ReadCheckpoint, AFlippedBitAnywhereIsCaught) {
  TempDir dir;
  const std::string path = dir.file("x.ckpt");
  const common::Tensor w = counting_tensor({2, 3}, 1.0f);
  common::CheckpointMeta meta;
  meta.set_int("step", 1234);
  meta.set_real("lr", 0.01);
  meta.set_text("note", "hi");
  meta.set_ints("order", {2, 0, 1});
  common::save_checkpoint(path, {{"w", &w}}, meta);
  const std::vector<uint8_t> valid = test_util::read_bytes(path);
  const size_t data_end = valid.size() - 4;  // the CRC starts here
  int checksum_errors = 0;
  for (size_t at = 0; at < valid.size(); ++at) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> bytes = valid;
      bytes[at] ^= static_cast<uint8_t>(1u << bit);
      test_util::write_bytes(path, bytes);
      const std::string error = test_util::error_of([&] { common::read_checkpoint(path); });
      ASSERT_EQ(error.rfind(path + ": ", 0), 0u)
          << "offset " << at << " bit " << bit << ": " << error;
      checksum_errors += error.find("checksum mismatch") != std::string::npos;
      // A flip inside the floats or the CRC parses fine: only the checksum can see it.
      if (at >= data_end - 4 * 6) {
        EXPECT_NE(error.find("checksum mismatch"), std::string::npos);
      }
    }
  }
  EXPECT_GT(checksum_errors, 8 * 4 * 6);
}

TEST(ReadCheckpoint, RejectsTrailingGarbage) {
  TempDir dir;
  const std::string path = dir.file("x.ckpt");
  std::vector<uint8_t> bytes = tiny_checkpoint(dir);
  bytes.insert(bytes.end(), {'j', 'u', 'n', 'k'});
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_checkpoint(path), path + ": 4 unexpected bytes after the last tensor");
}

// Damage with a valid CRC: the structural checks alone must catch it.
TEST(ReadCheckpoint, RejectsBadDeclarationsEvenWithAValidChecksum) {
  TempDir dir;
  const std::string path = dir.file("x.ckpt");
  const std::vector<uint8_t> valid = tiny_checkpoint(dir);
  const struct {
    test_util::Field field;
    uint64_t value;
    std::string message;
  } cases[] = {
      {{8, 4, false}, 1, "checkpoint format version 1, but this program reads version 2"},
      {{8, 4, false}, 3, "version 3, but this program reads version 2 (written by a newer"},
      {{12, 4, false}, 4, "declares 4 metadata entries, more than the 29 bytes left"},
      {{12, 4, false}, 1, "metadata entry 0 has a control character"},
      {{16, 4, false}, 2, "declares 2 tensors, more than the 25 bytes left can hold"},
      {{16, 4, false}, 0xFFFFFFFF, "declares 4294967295 tensors"},
      {{16, 4, false}, 0, "25 unexpected bytes after the last tensor"},
      {{20, 4, false}, 0, "tensor 0 declares a name of 0 bytes"},
      {{20, 4, false}, 0xFFFFFFFF, "tensor 0 declares a name of 4294967295 bytes"},
      {{20, 4, false}, 30, "tensor 0 name needs 30 bytes at offset 24 but only 21 remain"},
      {{24, 1, false}, '\n', "tensor 0 has a control character in its name"},
      {{25, 4, false}, 0, "tensor 'w' has rank 0 (expected 1 to 4)"},
      {{25, 4, false}, 5, "tensor 'w' has rank 5"},
      {{29, 8, false}, static_cast<uint64_t>(-1), "tensor 'w' has a negative dimension -1"},
      {{29, 8, false}, 0x8000000000000000, "negative dimension -9223372036854775808"},
      {{29, 8, false},
       0x7FFFFFFFFFFFFFFF,
       "tensor 'w' declares shape (9223372036854775807), more data than the 8 bytes left"},
      {{29, 8, false}, 3, "declares shape (3)"},
      {{29, 8, false}, 1, "4 unexpected bytes after the last tensor"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    std::vector<uint8_t> bytes = valid;
    test_util::put_field(bytes, c.field, c.value);
    fix_crc(bytes);
    test_util::write_bytes(path, bytes);
    EXPECT_ERROR(common::read_checkpoint(path), path + ": ");
    EXPECT_ERROR(common::read_checkpoint(path), c.message);
  }
}

// A zero dimension makes a tensor empty, but must not hide garbage in the others
// (found by the fuzz test below: the product overflowed in the Tensor constructor).
TEST(ReadCheckpoint, RejectsHugeDimensionsBesideAZero) {
  TempDir dir;
  const std::string path = dir.file("x.ckpt");
  const common::Tensor empty({1, 1, 0});  // dims at offsets 29, 37, 45
  common::save_checkpoint(path, {{"z", &empty}});
  EXPECT_EQ(common::read_checkpoint(path)[0].tensor.shape(), (std::vector<int64_t>{1, 1, 0}));
  std::vector<uint8_t> bytes = test_util::read_bytes(path);
  test_util::put_field(bytes, {29, 8, false}, uint64_t{1} << 62);
  test_util::put_field(bytes, {37, 8, false}, 4);
  fix_crc(bytes);
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_checkpoint(path),
               path +
                   ": tensor 'z' declares shape (4611686018427387904, 4, 0), whose dimensions "
                   "multiply past 2^63");
}

TEST(ReadCheckpoint, RejectsDuplicateNames) {
  TempDir dir;
  const std::string path = dir.file("x.ckpt");
  const common::Tensor t({1});
  common::save_checkpoint(path, {{"w", &t}, {"v", &t}});
  std::vector<uint8_t> bytes = test_util::read_bytes(path);
  bytes[24 + 1 + 4 + 8 + 4 + 4] = 'w';  // the second name
  fix_crc(bytes);
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_checkpoint(path), path + ": tensor 'w' appears twice");
}

TEST(ReadCheckpoint, MutationFuzz) {
  TempDir dir;
  const std::string path = dir.file("valid.ckpt");
  const common::Tensor a = counting_tensor({3}, 1.0f), b = counting_tensor({2, 2}, 2.0f),
                       c = counting_tensor({1, 2, 1, 2}, 3.0f), d({0, 2});
  common::save_checkpoint(path, {{"a", &a}, {"bb", &b}, {"ccc", &c}, {"d", &d}});
  const std::vector<uint8_t> valid = test_util::read_bytes(path);

  // The header fields of every tensor record, found by walking the valid layout.
  std::vector<test_util::Field> fields = {{8, 4, false}, {12, 4, false}, {16, 4, false}};
  size_t at = 20;
  for (const auto& [name, tensor] :
       {std::pair{std::string("a"), &a}, std::pair{std::string("bb"), &b},
        std::pair{std::string("ccc"), &c}, std::pair{std::string("d"), &d}}) {
    fields.push_back({at, 4, false});  // name length
    at += 4 + name.size();
    fields.push_back({at, 4, false});  // rank
    at += 4;
    for (int r = 0; r < tensor->rank(); ++r, at += 8) fields.push_back({at, 8, false});
    at += 4 * static_cast<size_t>(tensor->size());
  }
  ASSERT_EQ(at + 4, valid.size());

  // Half of the variants get a correct CRC, so the parser (not only the checksum)
  // has to catch the damage.
  const auto fix_half = [](std::vector<uint8_t>& bytes, common::Rng& rng) {
    if (rng.randint(0, 2) == 0) fix_crc(bytes);
  };
  const int loaded = test_util::fuzz_loader(
      valid, fields, 99, 3000,
      [](const std::string& p) {
        for (const common::NamedTensor& t : common::read_checkpoint(p)) {
          int64_t elements = 1;
          for (int64_t dim : t.tensor.shape()) elements *= dim;
          ASSERT_EQ(t.tensor.size(), elements);
        }
      },
      fix_half);
  EXPECT_GT(loaded, 0);  // e.g. a flipped data byte with a fixed CRC
  EXPECT_LT(loaded, 3000);
}
