// common/files.h -- small file helpers shared by the loaders and writers.
//
// Every writer in the project goes through write_file_atomic(): the bytes go to a
// unique temporary file "path.tmp-PID-N", which is synced to the disk and then renamed
// over "path" (and the directory synced), so an interrupted write -- a crash, kill -9, a
// power cut -- never leaves a half-written checkpoint, image or metrics file behind.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace common {

bool file_exists(const std::string& path);
// Whole file as bytes; throws common::Error "cannot open PATH: REASON".
std::vector<uint8_t> read_file_bytes(const std::string& path);
std::string read_file_text(const std::string& path);
// Creates the parent directory if needed, writes and fsyncs path.tmp-PID-N, renames it
// to path, fsyncs the directory. Throws common::Error naming the file and the reason.
void write_file_atomic(const std::string& path, const void* data, size_t size);
void write_file_atomic(const std::string& path, const std::string& text);
// mkdir -p; throws common::Error on failure.
void make_dirs(const std::string& dir);
// "a/b" + "c.png" -> "a/b/c.png"
std::string join_path(const std::string& dir, const std::string& name);

// The repository's data/ and out/PHASE directories, recorded at build time; the
// defaults of --data-dir and --out-dir.
std::string default_data_dir();
std::string default_out_dir(const std::string& phase);

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as used by PNG and by our
// checkpoints. Pass the previous value as `crc` to continue a running checksum.
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

}  // namespace common
