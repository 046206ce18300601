// common/data.cpp -- see data.h.
//
// One rule runs through every loader in this file: never trust a number read from a
// file. A declared count or size is compared with the bytes actually present before it
// is used to index or allocate anything, and every failure becomes a one-line
// common::Error that starts with the file's path, so the learner knows which file to
// fetch again. tests/test_data.cpp feeds thousands of damaged files through these
// functions to hold us to it.
//
// Sections: locations, IDX files, image datasets, UTF-8 text, tab-separated files,
// splits and mini-batches.
#include "data.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <limits>
#include <numeric>
#include <string_view>

#include "error.h"
#include "files.h"

namespace common {

// ---------------------------------------------------------------------------
// Locations

std::string require_data_file(const std::string& data_dir, const std::string& name,
                              const std::string& file) {
  const std::string path = join_path(join_path(data_dir, name), file);
  if (!file_exists(path)) throw Error(path + " not found: run scripts/get_data.sh " + name);
  return path;
}

std::string dataset_variant(const std::string& data_dir, const std::string& name) {
  const std::string path = join_path(join_path(data_dir, name), "SOURCE");
  if (!file_exists(path)) return "unknown";
  const std::string text = read_file_text(path);
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line.empty() ? "unknown" : line;
}

// Runs read(); when it fails on a file inside a folder that scripts/get_data.sh wrote
// (one holding SOURCE), the message also says how to fetch that dataset again: a
// truncated or damaged download is the usual cause, and re-running get_data.sh without
// --force would keep the folder, since it looks complete.
template <class Read>
static auto with_refetch_hint(const std::string& path, Read&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const Error& e) {
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty() || !file_exists((dir / "SOURCE").string())) throw;
    throw Error(std::string(e.what()) + "; if the download is damaged, fetch it again: " +
                "scripts/get_data.sh --force " + dir.filename().string());
  }
}

// ---------------------------------------------------------------------------
// IDX files
//
// Layout (every integer is an unsigned 32-bit big-endian number):
//   images: magic 0x00000803, count, rows, cols, then count*rows*cols pixel bytes
//   labels: magic 0x00000801, count, then count label bytes
// In the magic, the third byte is the element type (0x08 = unsigned byte) and the
// fourth the number of dimensions (3 for images, 1 for labels).

constexpr uint32_t kIdxImagesMagic = 0x00000803;
constexpr uint32_t kIdxLabelsMagic = 0x00000801;
constexpr size_t kIdxImagesHeader = 16;  // magic, count, rows, cols
constexpr size_t kIdxLabelsHeader = 8;   // magic, count
// No image dataset we use comes near this; a larger side means a corrupt header.
constexpr int64_t kIdxMaxSide = 4096;

// Big-endian: the most significant byte comes first, whatever the machine's own order.
static uint32_t read_be32(const std::vector<uint8_t>& bytes, size_t offset) {
  return (uint32_t{bytes[offset]} << 24) | (uint32_t{bytes[offset + 1]} << 16) |
         (uint32_t{bytes[offset + 2]} << 8) | uint32_t{bytes[offset + 3]};
}

static void append_be32(std::vector<uint8_t>& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

static std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", value);
  return text;
}

// a * b, or false when the product does not fit in 64 bits. Sizes read from a file are
// multiplied only through this, so a corrupt header cannot wrap around to a small,
// plausible-looking number.
static bool checked_mul(uint64_t a, uint64_t b, uint64_t& product) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
  product = a * b;
  return true;
}

// The file must be at least header-sized and start with the expected magic number.
static void check_idx_header(const std::string& path, const std::vector<uint8_t>& bytes,
                             size_t header_size, uint32_t magic, const std::string& kind) {
  if (bytes.empty()) throw Error(path + ": file is empty (expected an IDX " + kind + " file)");
  if (bytes.size() >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B) {
    throw Error(path + ": file is gzip-compressed; decompress it first (gunzip)");
  }
  if (bytes.size() < header_size) {
    throw Error(path + ": " + std::to_string(bytes.size()) + " bytes is shorter than the " +
                std::to_string(header_size) + "-byte header of an IDX " + kind +
                " file (truncated?)");
  }
  const uint32_t found = read_be32(bytes, 0);
  if (found != magic) {
    throw Error(path + ": magic number " + hex32(found) + " is not " + hex32(magic) + " (IDX " +
                kind + ")");
  }
}

// The data after the header must be exactly as long as the header says: fewer bytes
// means an interrupted download, more means the file is not what we think it is.
static void check_idx_payload(const std::string& path, const std::string& declared,
                              uint64_t declared_bytes, size_t actual_bytes) {
  if (actual_bytes == declared_bytes) return;
  const std::string why = actual_bytes < declared_bytes ? "truncated?" : "trailing bytes?";
  throw Error(path + ": declared " + declared + " (" + std::to_string(declared_bytes) +
              " bytes) but the file holds " + std::to_string(actual_bytes) +
              " bytes after the header (" + why + ")");
}

static IdxImages read_idx_images_unchecked(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  check_idx_header(path, bytes, kIdxImagesHeader, kIdxImagesMagic, "images");
  IdxImages images;
  images.count = read_be32(bytes, 4);
  images.rows = read_be32(bytes, 8);
  images.cols = read_be32(bytes, 12);
  if (images.count == 0) throw Error(path + ": declares 0 images");
  if (images.rows < 1 || images.rows > kIdxMaxSide || images.cols < 1 ||
      images.cols > kIdxMaxSide) {
    throw Error(path + ": image size " + std::to_string(images.rows) + "x" +
                std::to_string(images.cols) + " is outside 1..4096 (corrupt header?)");
  }
  const std::string declared = std::to_string(images.count) + " images of " +
                               std::to_string(images.rows) + "x" + std::to_string(images.cols);
  // With count < 2^32 and rows, cols <= 4096 the product stays below 2^56; the checked
  // multiply states that instead of leaving the reader to work it out.
  uint64_t declared_bytes = 0;
  if (!checked_mul(static_cast<uint64_t>(images.count),
                   static_cast<uint64_t>(images.rows * images.cols), declared_bytes)) {
    throw Error(path + ": declared " + declared + " is too large");
  }
  check_idx_payload(path, declared, declared_bytes, bytes.size() - kIdxImagesHeader);
  images.pixels.assign(bytes.begin() + kIdxImagesHeader, bytes.end());
  return images;
}

static std::vector<uint8_t> read_idx_labels_unchecked(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  check_idx_header(path, bytes, kIdxLabelsHeader, kIdxLabelsMagic, "labels");
  const uint32_t count = read_be32(bytes, 4);
  if (count == 0) throw Error(path + ": declares 0 labels");
  check_idx_payload(path, std::to_string(count) + " labels", count,
                    bytes.size() - kIdxLabelsHeader);
  return std::vector<uint8_t>(bytes.begin() + kIdxLabelsHeader, bytes.end());
}

IdxImages read_idx_images(const std::string& path) {
  return with_refetch_hint(path, [&] { return read_idx_images_unchecked(path); });
}

std::vector<uint8_t> read_idx_labels(const std::string& path) {
  return with_refetch_hint(path, [&] { return read_idx_labels_unchecked(path); });
}

void write_idx_images(const std::string& path, const IdxImages& images) {
  // Refuse to write a file that read_idx_images would reject.
  constexpr int64_t kMaxCount = std::numeric_limits<uint32_t>::max();
  if (images.count < 1 || images.count > kMaxCount || images.rows < 1 ||
      images.rows > kIdxMaxSide || images.cols < 1 || images.cols > kIdxMaxSide ||
      static_cast<uint64_t>(images.pixels.size()) !=
          static_cast<uint64_t>(images.count * images.rows * images.cols)) {
    throw Error(path + ": cannot write " + std::to_string(images.count) + " images of " +
                std::to_string(images.rows) + "x" + std::to_string(images.cols) + " from " +
                std::to_string(images.pixels.size()) + " pixels");
  }
  std::vector<uint8_t> out;
  out.reserve(kIdxImagesHeader + images.pixels.size());
  append_be32(out, kIdxImagesMagic);
  append_be32(out, static_cast<uint32_t>(images.count));
  append_be32(out, static_cast<uint32_t>(images.rows));
  append_be32(out, static_cast<uint32_t>(images.cols));
  out.insert(out.end(), images.pixels.begin(), images.pixels.end());
  write_file_atomic(path, out.data(), out.size());
}

void write_idx_labels(const std::string& path, const std::vector<uint8_t>& labels) {
  if (labels.empty() || labels.size() > std::numeric_limits<uint32_t>::max()) {
    throw Error(path + ": cannot write " + std::to_string(labels.size()) + " labels");
  }
  std::vector<uint8_t> out;
  out.reserve(kIdxLabelsHeader + labels.size());
  append_be32(out, kIdxLabelsMagic);
  append_be32(out, static_cast<uint32_t>(labels.size()));
  out.insert(out.end(), labels.begin(), labels.end());
  write_file_atomic(path, out.data(), out.size());
}

// ---------------------------------------------------------------------------
// Image datasets

// One part (prefix "train" or "t10k") of an image dataset: the images and labels files
// checked against each other, scaled to [0, 1], cut to the first max_count examples.
static void load_image_part(const std::string& data_dir, const std::string& name,
                            const std::string& prefix, int64_t max_count, int64_t classes,
                            ImageDataset& dataset, Tensor& x, std::vector<int>& y) {
  const std::string images_path = require_data_file(data_dir, name, prefix + "-images-idx3-ubyte");
  const std::string labels_path = require_data_file(data_dir, name, prefix + "-labels-idx1-ubyte");
  const IdxImages images = read_idx_images(images_path);
  const std::vector<uint8_t> labels = read_idx_labels(labels_path);

  if (static_cast<int64_t>(labels.size()) != images.count) {
    throw Error(labels_path + ": holds " + std::to_string(labels.size()) + " labels but " +
                images_path + " holds " + std::to_string(images.count) + " images");
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= classes) {
      throw Error(labels_path + ": label " + std::to_string(labels[i]) + " at index " +
                  std::to_string(i) + " is outside 0.." + std::to_string(classes - 1));
    }
  }
  // The first part read fixes the image size; the other must agree.
  if (dataset.rows == 0) {
    dataset.rows = images.rows;
    dataset.cols = images.cols;
  } else if (images.rows != dataset.rows || images.cols != dataset.cols) {
    throw Error(images_path + ": images are " + std::to_string(images.rows) + "x" +
                std::to_string(images.cols) + " but the other part's are " +
                std::to_string(dataset.rows) + "x" + std::to_string(dataset.cols));
  }

  const int64_t keep = max_count > 0 ? std::min(max_count, images.count) : images.count;
  const int64_t pixels_per_image = images.rows * images.cols;
  x = Tensor({keep, pixels_per_image});  // (N, rows*cols)
  for (int64_t i = 0; i < keep * pixels_per_image; ++i) {
    x[i] = static_cast<float>(images.pixels[static_cast<size_t>(i)]) / 255.0f;
  }
  y.assign(labels.begin(), labels.begin() + keep);
}

ImageDataset load_image_dataset(const std::string& data_dir, const std::string& name,
                                int64_t max_train, int64_t max_test) {
  ImageDataset dataset;
  dataset.name = name;
  dataset.variant = dataset_variant(data_dir, name);
  load_image_part(data_dir, name, "train", max_train, dataset.classes, dataset, dataset.train_x,
                  dataset.train_y);
  load_image_part(data_dir, name, "t10k", max_test, dataset.classes, dataset, dataset.test_x,
                  dataset.test_y);
  return dataset;
}

// ---------------------------------------------------------------------------
// UTF-8 text
//
// UTF-8 writes a code point in 1 to 4 bytes; the lead byte says how many:
//   U+0000..U+007F     0xxxxxxx
//   U+0080..U+07FF     110xxxxx 10xxxxxx
//   U+0800..U+FFFF     1110xxxx 10xxxxxx 10xxxxxx
//   U+10000..U+10FFFF  11110xxx 10xxxxxx 10xxxxxx 10xxxxxx
// Valid UTF-8 always uses the shortest form (a longer, "overlong" form could smuggle a
// second spelling of '/' or '\0' past a check), never encodes the UTF-16 surrogates
// U+D800..U+DFFF, and stops at U+10FFFF.

struct Utf8Char {
  char32_t code_point = 0;
  int length = 0;                 // bytes used; 0 when invalid
  const char* problem = nullptr;  // why it is invalid
};

// Decodes the character that starts at text[pos] (pos < text.size()).
static Utf8Char decode_utf8(std::string_view text, size_t pos) {
  const uint8_t lead = static_cast<uint8_t>(text[pos]);
  if (lead < 0x80) return {lead, 1, nullptr};
  int length = 0;
  char32_t code_point = 0, smallest = 0;  // smallest: below it the form is overlong
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
    smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
    smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
    smallest = 0x10000;
  } else if ((lead & 0xC0) == 0x80) {
    return {0, 0, "continuation byte without a lead byte"};
  } else {
    return {0, 0, "byte 0xF8..0xFF never occurs in UTF-8"};
  }
  for (int i = 1; i < length; ++i) {
    if (pos + i >= text.size()) return {0, 0, "sequence truncated by the end of the text"};
    const uint8_t next = static_cast<uint8_t>(text[pos + i]);
    if ((next & 0xC0) != 0x80) return {0, 0, "sequence truncated (missing continuation byte)"};
    code_point = (code_point << 6) | (next & 0x3F);
  }
  if (code_point < smallest) return {0, 0, "overlong encoding"};
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return {0, 0, "UTF-16 surrogate"};
  if (code_point > 0x10FFFF) return {0, 0, "code point above U+10FFFF"};
  return {code_point, length, nullptr};
}

static std::string encode_utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

// "'é' (U+00E9)", or just "U+000A" for control characters, which would break the line.
static std::string describe_char(char32_t c) {
  char code[16];
  std::snprintf(code, sizeof code, "U+%04X", static_cast<unsigned>(c));
  const bool control = c < 0x20 || (c >= 0x7F && c < 0xA0);
  return control ? std::string(code) : "'" + encode_utf8(c) + "' (" + code + ")";
}

// Every code point of text; throws "WHERE: invalid UTF-8 at byte offset N (why)", with
// the line number after WHERE ("FILE:LINE: ...") when the text is a whole file.
static std::vector<char32_t> decode_utf8_all(std::string_view text, const std::string& where,
                                             bool is_file) {
  std::vector<char32_t> code_points;
  code_points.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const Utf8Char c = decode_utf8(text, pos);
    if (c.length == 0) {
      std::string location = where;
      if (is_file) {
        const auto newlines =
            std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(pos), '\n');
        location += ":" + std::to_string(newlines + 1);
      }
      throw Error(location + ": invalid UTF-8 at byte offset " + std::to_string(pos) + " (" +
                  c.problem + ")");
    }
    code_points.push_back(c.code_point);
    pos += static_cast<size_t>(c.length);
  }
  return code_points;
}

static std::string read_text_corpus_unchecked(const std::string& path) {
  std::string text = read_file_text(path);
  if (text.empty()) throw Error(path + ": file is empty (expected UTF-8 text)");
  decode_utf8_all(text, path, true);
  return text;
}

std::string read_text_corpus(const std::string& path) {
  return with_refetch_hint(path, [&] { return read_text_corpus_unchecked(path); });
}

// chars is sorted (build_char_vocab makes it so), so a binary search finds an id.
int CharVocab::id_of(char32_t c) const {
  const auto it = std::lower_bound(chars.begin(), chars.end(), c);
  if (it == chars.end() || *it != c) return -1;
  return static_cast<int>(it - chars.begin());
}

std::vector<int> CharVocab::encode(const std::string& utf8) const {
  // id_of's binary search needs sorted, distinct code points; a hand-made vocabulary
  // that breaks this would give wrong ids silently, so check once per call.
  if (std::adjacent_find(chars.begin(), chars.end(), std::greater_equal<char32_t>()) !=
      chars.end()) {
    throw Error("CharVocab: chars must be sorted and distinct (use build_char_vocab)");
  }
  std::vector<int> ids;
  for (char32_t c : decode_utf8_all(utf8, "CharVocab::encode", false)) {
    const int id = id_of(c);
    if (id < 0) {
      throw Error("CharVocab::encode: character " + describe_char(c) +
                  " is not in the vocabulary of " + std::to_string(size()) + " characters");
    }
    ids.push_back(id);
  }
  return ids;
}

std::string CharVocab::decode_one(int id) const {
  if (id < 0 || id >= size()) {
    throw Error("CharVocab::decode: id " + std::to_string(id) + " is outside 0.." +
                std::to_string(size() - 1));
  }
  return encode_utf8(chars[static_cast<size_t>(id)]);
}

std::string CharVocab::decode(std::span<const int> ids) const {
  std::string text;
  for (int id : ids) text += decode_one(id);
  return text;
}

CharVocab build_char_vocab(const std::string& utf8) {
  CharVocab vocab;
  vocab.chars = decode_utf8_all(utf8, "build_char_vocab", false);
  std::sort(vocab.chars.begin(), vocab.chars.end());
  vocab.chars.erase(std::unique(vocab.chars.begin(), vocab.chars.end()), vocab.chars.end());
  vocab.chars.shrink_to_fit();
  return vocab;
}

// ---------------------------------------------------------------------------
// Tab-separated files

struct TsvLine {
  int64_t number = 0;  // 1-based line number in the file, empty lines included
  std::vector<std::string> fields;
};

// The non-empty lines of a UTF-8 file, split at tabs. Lines end at '\n' only: the
// sentiment data has U+0085 (NEL) inside sentences, which some libraries would treat
// as a line break, and Windows files lose the '\r' of their "\r\n".
static std::vector<TsvLine> read_tsv_lines(const std::string& path) {
  const std::string text = read_file_text(path);
  if (text.empty()) throw Error(path + ": file is empty");
  // Validating the whole file first means every field below is valid UTF-8 too: '\n',
  // '\r' and '\t' are ASCII, and ASCII bytes never occur inside a multi-byte character.
  decode_utf8_all(text, path, true);

  std::vector<TsvLine> lines;
  int64_t number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;

    TsvLine parsed{number, {}};
    for (size_t field_start = 0;;) {
      const size_t tab = line.find('\t', field_start);
      parsed.fields.emplace_back(line.substr(field_start, tab - field_start));
      if (tab == std::string_view::npos) break;
      field_start = tab + 1;
    }
    lines.push_back(std::move(parsed));
  }
  if (lines.empty()) throw Error(path + ": holds only empty lines");
  return lines;
}

static std::string line_prefix(const std::string& path, const TsvLine& line) {
  return path + ":" + std::to_string(line.number) + ": ";
}

static void check_field_count(const std::string& path, const TsvLine& line, size_t columns) {
  if (line.fields.size() == columns) return;
  throw Error(line_prefix(path, line) + "expected " + std::to_string(columns) +
              " tab-separated fields, found " + std::to_string(line.fields.size()));
}

std::vector<std::vector<std::string>> read_tsv(const std::string& path, int columns) {
  if (columns < 1) throw Error("read_tsv " + path + ": columns must be at least 1");
  std::vector<std::vector<std::string>> rows;
  for (TsvLine& line : read_tsv_lines(path)) {
    check_field_count(path, line, static_cast<size_t>(columns));
    rows.push_back(std::move(line.fields));
  }
  return rows;
}

std::vector<SentencePair> read_sentence_pairs(const std::string& path) {
  std::vector<TsvLine> lines = read_tsv_lines(path);
  // The first line decides the layout; every other line must follow it.
  const size_t columns = lines.front().fields.size();
  if (columns != 2 && columns != 3) {
    throw Error(line_prefix(path, lines.front()) +
                "expected 2 (source, target) or 3 (ref, source, target) tab-separated "
                "fields, found " +
                std::to_string(columns));
  }
  std::vector<SentencePair> pairs;
  pairs.reserve(lines.size());
  for (TsvLine& line : lines) {
    check_field_count(path, line, columns);
    SentencePair pair;
    if (columns == 3) pair.ref = std::move(line.fields[0]);
    pair.source = std::move(line.fields[columns - 2]);
    pair.target = std::move(line.fields[columns - 1]);
    if (pair.source.empty() || pair.target.empty()) {
      throw Error(line_prefix(path, line) + "empty " + (pair.source.empty() ? "source" : "target") +
                  " sentence");
    }
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

// A label is plain decimal digits (no sign, no spaces) with a value in [0, max_label].
static bool parse_label(std::string_view text, int max_label, int& label) {
  if (text.empty() || text.size() > 9) return false;  // 9 digits cannot overflow an int
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > max_label) return false;
  label = value;
  return true;
}

std::vector<LabelledSentence> read_labelled_sentences(const std::string& path, int max_label) {
  if (max_label < 0) throw Error("read_labelled_sentences " + path + ": max_label must be >= 0");
  std::vector<LabelledSentence> sentences;
  for (TsvLine& line : read_tsv_lines(path)) {
    check_field_count(path, line, 2);
    LabelledSentence sentence;
    sentence.text = std::move(line.fields[0]);
    if (sentence.text.empty()) throw Error(line_prefix(path, line) + "empty sentence");
    if (!parse_label(line.fields[1], max_label, sentence.label)) {
      throw Error(line_prefix(path, line) + "label '" + line.fields[1] +
                  "' is not an integer in [0, " + std::to_string(max_label) + "]");
    }
    sentences.push_back(std::move(sentence));
  }
  return sentences;
}

// ---------------------------------------------------------------------------
// Splits and mini-batches

Split split_indices(int64_t n, double validation_fraction, double test_fraction, uint64_t seed) {
  if (n < 0) throw Error("split_indices: n must be >= 0, got " + std::to_string(n));
  // Written as !(x >= 0) so that NaN fails the check too.
  if (!(validation_fraction >= 0) || !(test_fraction >= 0) ||
      !(validation_fraction + test_fraction < 1)) {
    throw Error("split_indices: fractions must be >= 0 with validation + test < 1, got " +
                std::to_string(validation_fraction) + " and " + std::to_string(test_fraction));
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  Rng rng(seed);
  rng.shuffle(order);

  // round(a) + round(b) < a + b + 1 <= n + 1 because a + b < n, so the two counts
  // never add up to more than n (train may end up empty for tiny n).
  const auto n_test = static_cast<ptrdiff_t>(std::llround(static_cast<double>(n) * test_fraction));
  const auto n_val =
      static_cast<ptrdiff_t>(std::llround(static_cast<double>(n) * validation_fraction));
  const auto train_end = order.begin() + (static_cast<ptrdiff_t>(n) - n_test - n_val);
  const auto val_end = train_end + n_val;
  Split split;
  split.train.assign(order.begin(), train_end);
  split.validation.assign(train_end, val_end);
  split.test.assign(val_end, order.end());
  return split;
}

BatchIterator::BatchIterator(int64_t n, int64_t batch_size, Rng* rng, bool drop_last)
    : batch_size_(batch_size), rng_(rng), drop_last_(drop_last) {
  if (n < 0) throw Error("BatchIterator: n must be >= 0, got " + std::to_string(n));
  if (batch_size < 1) {
    throw Error("BatchIterator: batch size must be >= 1, got " + std::to_string(batch_size));
  }
  order_.resize(static_cast<size_t>(n));
  std::iota(order_.begin(), order_.end(), int64_t{0});
  start_epoch();
}

// Shuffling the previous epoch's order (rather than 0..n-1 again) is just as random
// and keeps the sequence of epochs a pure function of the Rng's seed.
void BatchIterator::start_epoch() {
  pos_ = 0;
  if (rng_) rng_->shuffle(order_);
}

bool BatchIterator::next(std::span<const int64_t>& batch) {
  const int64_t take = std::min(batch_size_, size() - pos_);
  if (take == 0 || (drop_last_ && take < batch_size_)) return false;
  batch = std::span<const int64_t>(order_.data() + pos_, static_cast<size_t>(take));
  pos_ += take;
  return true;
}

void BatchIterator::restore(const std::vector<int64_t>& order, int64_t position) {
  if (order.size() != order_.size()) {
    throw Error("BatchIterator::restore: saved order has " + std::to_string(order.size()) +
                " examples, this iterator walks " + std::to_string(order_.size()));
  }
  std::vector<bool> seen(order.size(), false);
  for (int64_t i : order) {
    if (i < 0 || i >= size() || seen[static_cast<size_t>(i)]) {
      throw Error("BatchIterator::restore: saved order is not a permutation of 0.." +
                  std::to_string(size() - 1));
    }
    seen[static_cast<size_t>(i)] = true;
  }
  if (position < 0 || position > size()) {
    throw Error("BatchIterator::restore: position " + std::to_string(position) + " is outside 0.." +
                std::to_string(size()));
  }
  order_ = order;
  pos_ = position;
}

int64_t BatchIterator::batches_per_epoch() const {
  return drop_last_ ? size() / batch_size_ : (size() + batch_size_ - 1) / batch_size_;
}

void gather_rows(const Tensor& src, std::span<const int64_t> idx, Tensor& dst) {
  if (&src == &dst) throw Error("gather_rows: dst must be a different tensor from src");
  if (src.rank() < 1) throw Error("gather_rows: src has no rows (rank 0)");
  const int64_t rows = src.dim(0);
  int64_t row_size = 1;  // product of every dimension after the first
  for (int d = 1; d < src.rank(); ++d) row_size *= src.dim(d);
  // Check every index before touching dst, so a bad batch leaves it as it was.
  for (size_t r = 0; r < idx.size(); ++r) {
    if (idx[r] < 0 || idx[r] >= rows) {
      throw Error("gather_rows: index " + std::to_string(idx[r]) + " at position " +
                  std::to_string(r) + " is outside 0.." + std::to_string(rows - 1));
    }
  }
  dst.resize({static_cast<int64_t>(idx.size()), row_size});
  for (size_t r = 0; r < idx.size(); ++r) {
    const float* from = src.data() + idx[r] * row_size;
    std::copy(from, from + row_size, dst.data() + static_cast<int64_t>(r) * row_size);
  }
}

}  // namespace common
