// common/checkpoint.h -- saving and loading named tensors and the training state.
//
// File format, version 2 (little-endian):
//   "AIJ-CKPT"                          8-byte magic
//   u32 format_version                  2
//   u32 metadata_count
//   per entry: u32 key_length, key bytes, u8 type, then the value:
//               1 int     i64
//               2 real    f64 (the 64 IEEE-754 bits)
//               3 text    u32 length, bytes (any bytes: text or a binary blob)
//               4 ints    u32 count, count x i64
//   u32 tensor_count
//   per tensor: u32 name_length, name bytes (UTF-8), u32 rank, rank x i64 dims,
//               prod(dims) x f32 data
//   u32 crc32 of every byte before it
// Keys and names are 1..1024 bytes without control characters; entries are stored in
// key order, so the same state always gives the same bytes.
//
// Guarantees:
// - Crash safety: the file is written through write_file_atomic (a unique temporary
//   file, fsync, rename, fsync of the directory). A program killed mid-save, even with
//   kill -9, leaves the previous checkpoint intact and loadable.
// - Validation: loading checks the magic, the version, every declared size against the
//   bytes that remain (before allocating anything), the CRC-32, and the names and shapes
//   against the model. Any mismatch is a one-line common::Error naming the file.
// - Versions: a file written in another format version (version 1 is the earlier
//   "AIJCKPT1" format without metadata) is refused with a message saying so.
// - Exact resume: floats and doubles are stored bit for bit, and the metadata holds the
//   rest of the training state (step, optimiser scalars, data position, Rng state), so
//   a run resumed from a checkpoint computes what the uninterrupted run would have.
//   Optimiser buffers (momentum, Adam moments) are saved as tensors next to the weights.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "rng.h"
#include "tensor.h"

namespace common {

constexpr uint32_t kCheckpointVersion = 2;

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// The metadata block: named integers, reals, byte strings and integer lists. Getters
// throw common::Error naming the key (and the file, for metadata read from one) when the
// key is missing or holds another type.
class CheckpointMeta {
 public:
  using Value = std::variant<int64_t, double, std::string, std::vector<int64_t>>;

  void set_int(const std::string& key, int64_t value) { set(key, value); }
  void set_real(const std::string& key, double value) { set(key, value); }
  void set_text(const std::string& key, std::string value) { set(key, std::move(value)); }
  void set_ints(const std::string& key, std::vector<int64_t> value) { set(key, std::move(value)); }
  // An Rng's complete state (RngState), stored as a list of 6 integers.
  void set_rng(const std::string& key, const Rng& rng);

  bool has(const std::string& key) const { return entries_.count(key) != 0; }
  int64_t get_int(const std::string& key) const;
  double get_real(const std::string& key) const;
  const std::string& get_text(const std::string& key) const;
  const std::vector<int64_t>& get_ints(const std::string& key) const;
  // Restores rng to the saved state.
  void get_rng(const std::string& key, Rng& rng) const;

  const std::map<std::string, Value>& entries() const { return entries_; }

  // Where the metadata came from, for error messages ("" when built in memory).
  std::string source;

 private:
  void set(const std::string& key, Value value);
  template <class T>
  const T& get(const std::string& key, const char* type) const;
  std::map<std::string, Value> entries_;
};

// Everything in a checkpoint file.
struct CheckpointFile {
  CheckpointMeta meta;
  std::vector<NamedTensor> tensors;
};

// Writes the tensors and the metadata (crash-safe; see above).
void save_checkpoint(const std::string& path,
                     const std::vector<std::pair<std::string, const Tensor*>>& tensors,
                     const CheckpointMeta& meta = {});
// Reads every tensor and the metadata (validated, CRC checked).
CheckpointFile read_checkpoint_file(const std::string& path);
// Reads every tensor in the file (validated, CRC checked).
std::vector<NamedTensor> read_checkpoint(const std::string& path);
// Fills the model's tensors; the file must hold exactly these names with these shapes.
// Returns the metadata, for resuming. On any error the tensors are left unchanged.
CheckpointMeta load_checkpoint(const std::string& path,
                               const std::vector<std::pair<std::string, Tensor*>>& tensors);

}  // namespace common
