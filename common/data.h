// common/data.h -- dataset loaders, splits and mini-batches.
//
// Every loader validates what it reads (magic numbers, declared sizes against the
// file's length, value ranges) and throws common::Error with a one-line message that
// names the file and the problem. A missing dataset names the command that fetches it:
//   "data/mnist/train-images-idx3-ubyte not found: run scripts/get_data.sh mnist"
// and a damaged file in a folder that get_data.sh wrote (it holds SOURCE) adds
//   "...; if the download is damaged, fetch it again: scripts/get_data.sh --force mnist"
//
// Datasets live under DATA_DIR/NAME/ in the layout that scripts/get_data.sh writes
// (see the README at the repository root); DATA_DIR defaults to the repository's data/.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rng.h"
#include "tensor.h"

namespace common {

// ---------------------------------------------------------------------------
// Locations

// DATA_DIR/NAME/FILE, or throws "…/FILE not found: run scripts/get_data.sh NAME".
std::string require_data_file(const std::string& data_dir, const std::string& name,
                              const std::string& file);
// Contents of DATA_DIR/NAME/SOURCE (which source and variant get_data.sh used), first
// line only; "unknown" when the file is absent.
std::string dataset_variant(const std::string& data_dir, const std::string& name);

// ---------------------------------------------------------------------------
// IDX files (LeCun's MNIST format): big-endian magic 0x00000803 for images
// (count, rows, cols, then count*rows*cols bytes) and 0x00000801 for labels.

struct IdxImages {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // (count, rows, cols)
};
IdxImages read_idx_images(const std::string& path);
std::vector<uint8_t> read_idx_labels(const std::string& path);
// Writers, for tests and for the data script's conversions.
void write_idx_images(const std::string& path, const IdxImages& images);
void write_idx_labels(const std::string& path, const std::vector<uint8_t>& labels);

// An image classification dataset with a fixed train and test part.
struct ImageDataset {
  std::string name;     // "mnist", "fashion-mnist"
  std::string variant;  // from data/NAME/SOURCE
  int64_t rows = 0, cols = 0, classes = 10;
  Tensor train_x;            // (N_train, rows*cols), pixels scaled to [0, 1]
  std::vector<int> train_y;  // (N_train)
  Tensor test_x;             // (N_test, rows*cols)
  std::vector<int> test_y;   // (N_test)
};
// Loads DATA_DIR/NAME/{train,t10k}-{images-idx3,labels-idx1}-ubyte. max_train /
// max_test > 0 keep only the first that many examples (for --quick runs).
ImageDataset load_image_dataset(const std::string& data_dir, const std::string& name,
                                int64_t max_train = 0, int64_t max_test = 0);

// ---------------------------------------------------------------------------
// Text

// A whole UTF-8 text file; throws if it is empty or not valid UTF-8 (naming the
// byte offset of the first bad sequence).
std::string read_text_corpus(const std::string& path);

// Character vocabulary over Unicode code points, ids in order of first code point
// value (so the same text always gives the same ids).
struct CharVocab {
  std::vector<char32_t> chars;  // id -> code point
  int64_t size() const { return static_cast<int64_t>(chars.size()); }
  int id_of(char32_t c) const;                             // -1 when absent
  std::vector<int> encode(const std::string& utf8) const;  // throws on unknown chars
  std::string decode(std::span<const int> ids) const;
  std::string decode_one(int id) const;
};
CharVocab build_char_vocab(const std::string& utf8);

// Tab-separated lines. read_tsv checks that every line has exactly `columns` fields
// and reports "FILE:LINE: expected 3 tab-separated fields, found 2" otherwise.
// Lines end at '\n' only; a trailing '\r' is removed; empty lines are skipped.
std::vector<std::vector<std::string>> read_tsv(const std::string& path, int columns);

struct SentencePair {
  std::string ref;     // e.g. "Genesis 1:1"; empty for 2-column files
  std::string source;  // e.g. English
  std::string target;  // e.g. Spanish
};
// Accepts `source<TAB>target` or `ref<TAB>source<TAB>target` (the whole file one way).
std::vector<SentencePair> read_sentence_pairs(const std::string& path);

struct LabelledSentence {
  std::string text;
  int label = 0;
};
// `text<TAB>label` with an integer label in [0, max_label]; anything else is an error.
std::vector<LabelledSentence> read_labelled_sentences(const std::string& path, int max_label = 1);

// ---------------------------------------------------------------------------
// Splits and mini-batches

struct Split {
  std::vector<int64_t> train, validation, test;  // indices into the dataset
};
// A seeded random permutation of 0..n-1 cut into test (last test_fraction),
// validation (before it) and train (the rest). Same n, fractions, seed: same split.
Split split_indices(int64_t n, double validation_fraction, double test_fraction, uint64_t seed);

// Walks through n examples in mini-batches. With an Rng it reshuffles at every epoch
// (deterministically, from that Rng); without one it goes in order. The last, smaller
// batch is kept unless drop_last.
class BatchIterator {
 public:
  BatchIterator(int64_t n, int64_t batch_size, Rng* rng, bool drop_last = false);
  // Next batch of example indices; false at the end of an epoch (call start_epoch()).
  bool next(std::span<const int64_t>& batch);
  void start_epoch();
  int64_t batches_per_epoch() const;
  int64_t size() const { return static_cast<int64_t>(order_.size()); }

  // Where the walk is, for checkpoints: this epoch's order and how many examples of it
  // have been handed out. restore() puts them back (the Rng is restored separately),
  // checking that order is a permutation of 0..size()-1 and position is in [0, size()].
  const std::vector<int64_t>& order() const { return order_; }
  int64_t position() const { return pos_; }
  void restore(const std::vector<int64_t>& order, int64_t position);

 private:
  std::vector<int64_t> order_;
  int64_t batch_size_;
  int64_t pos_ = 0;
  Rng* rng_;
  bool drop_last_;
};

// dst row r = src row idx[r]. dst is resized to (idx.size(), row_size).
void gather_rows(const Tensor& src, std::span<const int64_t> idx, Tensor& dst);

}  // namespace common
