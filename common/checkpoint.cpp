// common/checkpoint.cpp -- see checkpoint.h for the file format and its guarantees.
//
// Every number is written and read one byte at a time with shifts, least significant
// byte first, instead of copying structs or float arrays with memcpy. The file then
// means the same thing on every machine whatever its own byte order, and the code
// spells out the format.
//
// Reading never trusts a length from the file: before a name, a shape or a block of
// floats is read or allocated, its size is checked against the bytes that remain.
#include "checkpoint.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <utility>
#include <variant>

#include "error.h"
#include "files.h"

namespace common {

// ---------------------------------------------------------------------------
// Format constants

constexpr std::string_view kMagic = "AIJ-CKPT";
// Version 1 had its own magic and no version field; recognised only to say so.
constexpr std::string_view kVersion1Magic = "AIJCKPT1";
constexpr size_t kChecksumSize = 4;
// The smallest possible file: magic, version, no metadata, no tensors, the checksum.
constexpr size_t kMinFileSize = kMagic.size() + 4 + 4 + 4 + kChecksumSize;
// The smallest possible tensor: name length, a 1-byte name, rank 1, one dimension of 0.
constexpr size_t kMinTensorSize = 4 + 1 + 4 + 8;
// The smallest possible metadata entry: key length, a 1-byte key, type, an empty text.
constexpr size_t kMinEntrySize = 4 + 1 + 1 + 4;

// Metadata value types, as stored in the file (the index in CheckpointMeta::Value + 1).
enum : uint8_t { kTypeInt = 1, kTypeReal = 2, kTypeText = 3, kTypeInts = 4 };
// Names are short identifiers like "fc1.weight"; a longer one means a corrupt length.
constexpr size_t kMaxNameLength = 1024;

// A name is 1..1024 bytes without control characters, so that error messages quoting
// it stay on one line. Returns what is wrong with it, or nullptr.
static const char* name_problem(std::string_view name) {
  if (name.empty()) return "an empty name";
  if (name.size() > kMaxNameLength) return "a name longer than 1024 bytes";
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) return "a control character in its name";
  }
  return nullptr;
}

// The name with control characters shown as '?', for quoting a bad name in a message.
static std::string printable(std::string_view name) {
  std::string s(name.substr(0, 64));
  for (char& c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) c = '?';
  }
  return name.size() > 64 ? s + "..." : s;
}

// "(10, 784)", the same spelling as Tensor::shape_str().
static std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

// ---------------------------------------------------------------------------
// Writing

static void put_u32(std::vector<uint8_t>& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// Negative dimensions never get here; the cast keeps the two's-complement bits anyway.
static void put_i64(std::vector<uint8_t>& out, int64_t value) {
  const auto bits = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(bits >> (8 * i)));
}

// A float is stored as its 32 IEEE-754 bits, so NaN payloads and -0 survive unchanged.
static void put_f32(std::vector<uint8_t>& out, float value) {
  put_u32(out, std::bit_cast<uint32_t>(value));
}

static void put_u64(std::vector<uint8_t>& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

static void put_bytes(std::vector<uint8_t>& out, std::string_view bytes) {
  for (char c : bytes) out.push_back(static_cast<uint8_t>(c));
}

// One metadata entry: key, type byte, value.
static void put_entry(std::vector<uint8_t>& out, const std::string& key,
                      const CheckpointMeta::Value& value) {
  put_u32(out, static_cast<uint32_t>(key.size()));
  put_bytes(out, key);
  out.push_back(static_cast<uint8_t>(value.index() + 1));
  if (const auto* i = std::get_if<int64_t>(&value)) {
    put_i64(out, *i);
  } else if (const auto* r = std::get_if<double>(&value)) {
    put_u64(out, std::bit_cast<uint64_t>(*r));
  } else if (const auto* t = std::get_if<std::string>(&value)) {
    put_u32(out, static_cast<uint32_t>(t->size()));
    put_bytes(out, *t);
  } else {
    const auto& list = std::get<std::vector<int64_t>>(value);
    put_u32(out, static_cast<uint32_t>(list.size()));
    for (int64_t v : list) put_i64(out, v);
  }
}

// Throws unless the metadata fits the format: valid keys, values under 4 GiB.
static void check_meta(const CheckpointMeta& meta, const std::string& where) {
  for (const auto& [key, value] : meta.entries()) {
    if (const char* problem = name_problem(key)) {
      throw Error(where + "metadata key '" + printable(key) + "' has " + problem);
    }
    const auto* t = std::get_if<std::string>(&value);
    const auto* list = std::get_if<std::vector<int64_t>>(&value);
    if ((t && t->size() > std::numeric_limits<uint32_t>::max()) ||
        (list && list->size() > std::numeric_limits<uint32_t>::max())) {
      throw Error(where + "metadata '" + key + "' is too long (at most 2^32-1 items)");
    }
  }
}

void save_checkpoint(const std::string& path,
                     const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                     const CheckpointMeta& meta) {
  const std::string where = "save_checkpoint " + path + ": ";
  // Check everything first and work out the size, so the buffer is allocated once.
  check_meta(meta, where);
  std::set<std::string> seen;
  size_t total = kMinFileSize + 64 * meta.entries().size();
  for (const auto& [name, tensor] : tensors) {
    if (const char* problem = name_problem(name)) {
      throw Error(where + "tensor '" + printable(name) + "' has " + problem);
    }
    if (!seen.insert(name).second) throw Error(where + "tensor '" + name + "' appears twice");
    if (tensor == nullptr) throw Error(where + "tensor '" + name + "' is a null pointer");
    if (tensor->rank() < 1) {
      throw Error(where + "tensor '" + name + "' has rank 0; checkpoints hold ranks 1 to 4");
    }
    total += 4 + name.size() + 4 + 8 * static_cast<size_t>(tensor->rank()) +
             4 * static_cast<size_t>(tensor->size());
  }
  if (tensors.size() > std::numeric_limits<uint32_t>::max())
    throw Error(where + "too many tensors");

  std::vector<uint8_t> out;
  out.reserve(total);
  put_bytes(out, kMagic);
  put_u32(out, kCheckpointVersion);
  put_u32(out, static_cast<uint32_t>(meta.entries().size()));
  for (const auto& [key, value] : meta.entries()) put_entry(out, key, value);  // key order
  put_u32(out, static_cast<uint32_t>(tensors.size()));
  for (const auto& [name, tensor] : tensors) {
    put_u32(out, static_cast<uint32_t>(name.size()));
    put_bytes(out, name);
    put_u32(out, static_cast<uint32_t>(tensor->rank()));
    for (int64_t dim : tensor->shape()) put_i64(out, dim);
    for (float value : *tensor) put_f32(out, value);
  }
  put_u32(out, crc32(out.data(), out.size()));  // of every byte before it
  write_file_atomic(path, out.data(), out.size());
}

// ---------------------------------------------------------------------------
// Reading

// The unsigned 32-bit number stored least significant byte first at bytes[offset].
static uint32_t read_le32(const std::vector<uint8_t>& bytes, size_t offset) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= uint32_t{bytes[offset + i]} << (8 * i);
  return value;
}

// Reads little-endian values from bytes [0, end) of a file, checking before every read
// that the bytes are there. A corrupt length therefore ends in an error naming the file,
// never in a read past the end.
class ByteReader {
 public:
  ByteReader(const std::vector<uint8_t>& bytes, size_t end, const std::string& path)
      : bytes_(bytes), end_(end), path_(path) {}

  size_t remaining() const { return end_ - pos_; }

  // Throws unless n more bytes are available; `what` names the thing about to be read.
  void need(uint64_t n, const std::string& what) const {
    if (n <= remaining()) return;
    throw Error(path_ + ": " + what + " needs " + std::to_string(n) + " bytes at offset " +
                std::to_string(pos_) + " but only " + std::to_string(remaining()) +
                " remain (truncated?)");
  }

  void skip(size_t n, const std::string& what) {
    need(n, what);
    pos_ += n;
  }

  uint32_t u32(const std::string& what) {
    need(4, what);
    const uint32_t value = read_le32(bytes_, pos_);
    pos_ += 4;
    return value;
  }

  uint8_t u8(const std::string& what) {
    need(1, what);
    return bytes_[pos_++];
  }

  // Two's complement: the unsigned 64-bit pattern converts to the same signed value
  // (well defined since C++20).
  int64_t i64(const std::string& what) {
    need(8, what);
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= uint64_t{bytes_[pos_++]} << (8 * i);
    return static_cast<int64_t>(value);
  }

  std::string text(size_t n, const std::string& what) {
    need(n, what);
    std::string s(bytes_.begin() + static_cast<ptrdiff_t>(pos_),
                  bytes_.begin() + static_cast<ptrdiff_t>(pos_ + n));
    pos_ += n;
    return s;
  }

  void f32s(float* out, size_t n, const std::string& what) {
    need(4 * static_cast<uint64_t>(n), what);
    for (size_t k = 0; k < n; ++k, pos_ += 4)
      out[k] = std::bit_cast<float>(read_le32(bytes_, pos_));
  }

 private:
  const std::vector<uint8_t>& bytes_;
  size_t end_;
  size_t pos_ = 0;
  const std::string& path_;
};

// One tensor record: name length, name, rank, dims, data.
static NamedTensor read_tensor(ByteReader& in, const std::string& path, uint32_t index) {
  const std::string numbered = "tensor " + std::to_string(index);
  const uint32_t name_length = in.u32(numbered + " name length");
  if (name_length == 0 || name_length > kMaxNameLength) {
    throw Error(path + ": " + numbered + " declares a name of " + std::to_string(name_length) +
                " bytes (expected 1 to 1024)");
  }
  NamedTensor result;
  result.name = in.text(name_length, numbered + " name");
  if (const char* problem = name_problem(result.name)) {
    throw Error(path + ": " + numbered + " has " + problem);
  }
  const std::string quoted = "tensor '" + result.name + "'";

  const uint32_t rank = in.u32(quoted + " rank");
  if (rank < 1 || rank > static_cast<uint32_t>(Tensor::kMaxRank)) {
    throw Error(path + ": " + quoted + " has rank " + std::to_string(rank) + " (expected 1 to 4)");
  }
  std::vector<int64_t> shape(rank);
  for (int64_t& dim : shape) {
    dim = in.i64(quoted + " dimensions");
    if (dim < 0) {
      throw Error(path + ": " + quoted + " has a negative dimension " + std::to_string(dim));
    }
  }

  // A non-empty tensor's floats (4 bytes each) must fit in the bytes that remain. Each
  // dimension is compared with limit / product before multiplying, so the product
  // cannot overflow and a corrupt shape cannot ask for a huge allocation. An empty
  // tensor (some dimension 0) needs no bytes, but its other dimensions must still
  // multiply to a representable number: the Tensor constructor multiplies them all.
  const bool empty = std::find(shape.begin(), shape.end(), 0) != shape.end();
  const uint64_t max_elements = in.remaining() / 4;
  const uint64_t limit = empty ? std::numeric_limits<int64_t>::max() : max_elements;
  uint64_t product = 1;  // of the non-zero dimensions
  for (int64_t dim : shape) {
    if (dim == 0) continue;
    if (static_cast<uint64_t>(dim) > limit / product) {
      const std::string why = empty ? "whose dimensions multiply past 2^63 (corrupt?)"
                                    : "more data than the " + std::to_string(in.remaining()) +
                                          " bytes left in the file (truncated or corrupt?)";
      throw Error(path + ": " + quoted + " declares shape " + shape_string(shape) + ", " + why);
    }
    product *= static_cast<uint64_t>(dim);
  }
  const uint64_t elements = empty ? 0 : product;

  result.tensor = Tensor(shape);
  in.f32s(result.tensor.data(), static_cast<size_t>(elements), quoted + " data");
  return result;
}

// One metadata entry: key, type, value; every length checked before it is used.
static void read_entry(ByteReader& in, const std::string& path, uint32_t index,
                       CheckpointMeta& meta) {
  const std::string numbered = "metadata entry " + std::to_string(index);
  const uint32_t key_length = in.u32(numbered + " key length");
  if (key_length == 0 || key_length > kMaxNameLength) {
    throw Error(path + ": " + numbered + " declares a key of " + std::to_string(key_length) +
                " bytes (expected 1 to 1024)");
  }
  const std::string key = in.text(key_length, numbered + " key");
  if (const char* problem = name_problem(key)) {
    throw Error(path + ": " + numbered + " has " + problem);
  }
  if (meta.has(key)) throw Error(path + ": metadata key '" + key + "' appears twice");
  const std::string quoted = "metadata '" + key + "'";
  switch (const uint8_t type = in.u8(quoted + " type")) {
    case kTypeInt:
      meta.set_int(key, in.i64(quoted + " value"));
      break;
    case kTypeReal:
      meta.set_real(key, std::bit_cast<double>(in.i64(quoted + " value")));
      break;
    case kTypeText: {
      const uint32_t length = in.u32(quoted + " length");
      meta.set_text(key, in.text(length, quoted + " text"));
      break;
    }
    case kTypeInts: {
      const uint32_t count = in.u32(quoted + " count");
      in.need(8 * uint64_t{count}, quoted + " integers");  // before allocating them
      std::vector<int64_t> list(count);
      for (int64_t& v : list) v = in.i64(quoted + " integers");
      meta.set_ints(key, std::move(list));
      break;
    }
    default:
      throw Error(path + ": " + quoted + " has unknown type " + std::to_string(type) +
                  " (expected 1 int, 2 real, 3 text or 4 ints)");
  }
}

// The magic and the format version; a clear error for every other kind of file.
static void check_header(const std::vector<uint8_t>& bytes, const std::string& path) {
  if (bytes.empty()) throw Error(path + ": file is empty (expected a checkpoint)");
  const auto starts_with = [&](std::string_view magic) {
    return bytes.size() >= magic.size() && std::equal(magic.begin(), magic.end(), bytes.begin());
  };
  if (starts_with(kVersion1Magic)) {
    throw Error(path + ": checkpoint format version 1 (\"AIJCKPT1\", before metadata); this " +
                "program reads version " + std::to_string(kCheckpointVersion) +
                ": train again to write a new checkpoint");
  }
  if (bytes.size() < kMinFileSize) {
    throw Error(path + ": " + std::to_string(bytes.size()) +
                " bytes is too short for a checkpoint (at least " + std::to_string(kMinFileSize) +
                ": magic, version, counts, checksum)");
  }
  if (!starts_with(kMagic)) {
    throw Error(path + ": not a checkpoint (the file does not start with \"AIJ-CKPT\")");
  }
  const uint32_t version = read_le32(bytes, kMagic.size());
  if (version != kCheckpointVersion) {
    throw Error(path + ": checkpoint format version " + std::to_string(version) +
                ", but this program reads version " + std::to_string(kCheckpointVersion) +
                (version > kCheckpointVersion ? " (written by a newer program: update this one)"
                                              : " (an older format: train again)"));
  }
}

CheckpointFile read_checkpoint_file(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  check_header(bytes, path);

  // The records live between the header and the 4-byte checksum at the very end.
  ByteReader in(bytes, bytes.size() - kChecksumSize, path);
  in.skip(kMagic.size() + 4, "magic and version");
  CheckpointFile file;
  file.meta.source = path;
  const uint32_t entries = in.u32("metadata count");
  if (entries > in.remaining() / kMinEntrySize) {
    throw Error(path + ": declares " + std::to_string(entries) +
                " metadata entries, more than the " + std::to_string(in.remaining()) +
                " bytes left can hold (truncated or corrupt?)");
  }
  for (uint32_t i = 0; i < entries; ++i) read_entry(in, path, i, file.meta);

  const uint32_t count = in.u32("tensor count");
  if (count > in.remaining() / kMinTensorSize) {
    throw Error(path + ": declares " + std::to_string(count) + " tensors, more than the " +
                std::to_string(in.remaining()) + " bytes left can hold (truncated or corrupt?)");
  }
  file.tensors.reserve(count);  // bounded by the file size, checked just above
  std::set<std::string> seen;
  for (uint32_t i = 0; i < count; ++i) {
    file.tensors.push_back(read_tensor(in, path, i));
    if (!seen.insert(file.tensors.back().name).second) {
      throw Error(path + ": tensor '" + file.tensors.back().name + "' appears twice");
    }
  }
  if (in.remaining() != 0) {
    throw Error(path + ": " + std::to_string(in.remaining()) +
                " unexpected bytes after the last tensor (trailing garbage?)");
  }

  // Last, the checksum: it catches damage that still parses, like a flipped data byte.
  const size_t checksum_at = bytes.size() - kChecksumSize;
  const uint32_t stored = read_le32(bytes, checksum_at);
  const uint32_t computed = crc32(bytes.data(), checksum_at);
  if (stored != computed) {
    char detail[64];
    std::snprintf(detail, sizeof detail, " (stored CRC-32 0x%08X, computed 0x%08X)",
                  static_cast<unsigned>(stored), static_cast<unsigned>(computed));
    throw Error(path + ": checksum mismatch: file corrupted" + detail);
  }
  return file;
}

std::vector<NamedTensor> read_checkpoint(const std::string& path) {
  return read_checkpoint_file(path).tensors;
}

CheckpointMeta load_checkpoint(const std::string& path,
                               const std::vector<std::pair<std::string, Tensor*>>& tensors) {
  const std::string where = "checkpoint " + path + ": ";
  CheckpointFile file = read_checkpoint_file(path);
  const std::vector<NamedTensor>& stored = file.tensors;
  std::map<std::string, const Tensor*> by_name;
  for (const NamedTensor& t : stored) by_name[t.name] = &t.tensor;

  // Compare the file with the model completely before copying anything, so a failed
  // load leaves the model exactly as it was.
  std::set<std::string> expected;
  for (const auto& [name, tensor] : tensors) {
    if (tensor == nullptr) throw Error(where + "the model's tensor '" + name + "' is null");
    if (!expected.insert(name).second) {
      throw Error(where + "the model lists tensor '" + name + "' twice");
    }
    const auto found = by_name.find(name);
    if (found == by_name.end()) {
      throw Error(where + "missing tensor '" + name + "' (the model expects shape " +
                  tensor->shape_str() + ")");
    }
    if (!found->second->same_shape(*tensor)) {
      throw Error(where + "tensor '" + name + "' has shape " + found->second->shape_str() +
                  ", the model expects " + tensor->shape_str());
    }
  }
  for (const NamedTensor& t : stored) {
    if (expected.count(t.name) == 0) {
      throw Error(where + "unexpected tensor '" + t.name +
                  "' (the model has no tensor of that name)");
    }
  }

  for (const auto& [name, tensor] : tensors) {
    const Tensor& source = *by_name.at(name);
    std::copy(source.begin(), source.end(), tensor->begin());
  }
  return std::move(file.meta);
}

// ---------------------------------------------------------------------------
// Metadata

void CheckpointMeta::set(const std::string& key, Value value) {
  if (const char* problem = name_problem(key)) {
    throw Error("checkpoint metadata key '" + printable(key) + "' has " + problem);
  }
  entries_[key] = std::move(value);
}

template <class T>
const T& CheckpointMeta::get(const std::string& key, const char* type) const {
  const std::string where = source.empty() ? "checkpoint metadata" : source;
  const auto found = entries_.find(key);
  if (found == entries_.end()) {
    throw Error(where + ": no metadata '" + printable(key) +
                "' (saved by another program, or before it existed?)");
  }
  const T* value = std::get_if<T>(&found->second);
  if (value == nullptr) throw Error(where + ": metadata '" + key + "' is not " + type);
  return *value;
}

int64_t CheckpointMeta::get_int(const std::string& key) const {
  return get<int64_t>(key, "an int");
}
double CheckpointMeta::get_real(const std::string& key) const {
  return get<double>(key, "a real");
}
const std::string& CheckpointMeta::get_text(const std::string& key) const {
  return get<std::string>(key, "a text");
}
const std::vector<int64_t>& CheckpointMeta::get_ints(const std::string& key) const {
  return get<std::vector<int64_t>>(key, "a list of ints");
}

// RngState as 6 integers: the 4 state words (their bits), has_spare, the spare's bits.
void CheckpointMeta::set_rng(const std::string& key, const Rng& rng) {
  const RngState state = rng.state();
  std::vector<int64_t> words;
  for (uint64_t w : state.s) words.push_back(static_cast<int64_t>(w));
  words.push_back(state.has_spare ? 1 : 0);
  words.push_back(std::bit_cast<int64_t>(state.spare));
  set_ints(key, std::move(words));
}

void CheckpointMeta::get_rng(const std::string& key, Rng& rng) const {
  const std::vector<int64_t>& words = get_ints(key);
  const std::string where = source.empty() ? "checkpoint metadata" : source;
  if (words.size() != 6 || (words[4] != 0 && words[4] != 1)) {
    throw Error(where + ": metadata '" + key + "' is not a saved Rng state (6 integers)");
  }
  RngState state;
  for (size_t i = 0; i < 4; ++i) state.s[i] = static_cast<uint64_t>(words[i]);
  state.has_spare = words[4] == 1;
  state.spare = std::bit_cast<double>(words[5]);
  try {
    rng.set_state(state);
  } catch (const Error& e) {
    throw Error(where + ": metadata '" + key + "': " + e.what());
  }
}

}  // namespace common
