// common/checkpoint.h -- saving and loading named tensors.
//
// File format (little-endian), as in DESIGN.md §5:
//   "AIJCKPT1"                          8-byte magic
//   u32 tensor_count
//   per tensor: u32 name_length, name bytes (UTF-8), u32 rank, rank x i64 dims,
//               prod(dims) x f32 data
//   u32 crc32 of every byte before it
// Written to PATH.tmp and renamed, so an interrupted save never destroys the previous
// checkpoint. Loading checks the magic, every declared size against the file length,
// the CRC, and the names and shapes against what the model expects.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tensor.h"

namespace common {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

void save_checkpoint(const std::string& path,
                     const std::vector<std::pair<std::string, const Tensor*>>& tensors);
// Reads every tensor in the file (validated, CRC checked).
std::vector<NamedTensor> read_checkpoint(const std::string& path);
// Fills the model's tensors; the file must hold exactly these names with these shapes.
void load_checkpoint(const std::string& path,
                     const std::vector<std::pair<std::string, Tensor*>>& tensors);

}  // namespace common
