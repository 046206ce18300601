// common/files.cpp -- see files.h.
#include "files.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "error.h"
#include "platform.h"

namespace common {

bool file_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  // On Linux a directory opens like a file and then reads as empty; say what it is.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw Error("cannot open " + path + ": is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path + ": " + std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (in.bad()) throw Error("cannot read " + path);
  return bytes;
}

std::string read_file_text(const std::string& path) {
  std::vector<uint8_t> bytes = read_file_bytes(path);
  return std::string(bytes.begin(), bytes.end());
}

void make_dirs(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error("cannot create directory " + dir + ": " + ec.message());
}

// PATH.tmp-PID-N: unique per process (PID) and per call (N), so two programs, or two
// threads, saving the same file never write into each other's temporary file.
static std::string temporary_name(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + ".tmp-" + std::to_string(platform::process_id()) + "-" +
         std::to_string(counter.fetch_add(1));
}

// The error for a failed system call, with errno read before any cleanup can change it.
[[noreturn]] static void fail(const std::string& what, int saved_errno, const std::string& tmp) {
  std::error_code ignored;
  std::filesystem::remove(tmp, ignored);
  throw Error(what + ": " + std::strerror(saved_errno));
}

// Crash safety, in order: the bytes go to a fresh temporary file, which is flushed to
// the disk (fsync) before it is renamed over PATH; then the directory is synced so that
// the rename itself survives a power cut. A process killed at any point leaves PATH
// either as it was or complete -- at worst a stale PATH.tmp-* file stays behind.
void write_file_atomic(const std::string& path, const void* data, size_t size) {
  std::filesystem::path p(path);
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  if (p.has_parent_path()) make_dirs(dir);
  const std::string tmp = temporary_name(path);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw Error("cannot write " + tmp + ": " + std::strerror(errno));
  errno = 0;
  bool ok = size == 0 || std::fwrite(data, 1, size, f) == size;
  ok = ok && platform::sync_file(f);
  int saved_errno = errno;
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    saved_errno = errno;
  }
  if (!ok) fail("cannot write " + tmp, saved_errno != 0 ? saved_errno : EIO, tmp);
  // std::filesystem::rename replaces an existing PATH on every platform (std::rename
  // fails on Windows when the target exists).
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw Error("cannot rename " + tmp + " to " + path + ": " + ec.message());
  }
  if (!platform::sync_directory(dir)) {
    throw Error("cannot sync directory " + dir + " after writing " + path + ": " +
                std::strerror(errno));
  }
}

void write_file_atomic(const std::string& path, const std::string& text) {
  write_file_atomic(path, text.data(), text.size());
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return (std::filesystem::path(dir) / name).string();
}

#ifndef AIJ_DATA_DIR
#define AIJ_DATA_DIR "data"
#endif
#ifndef AIJ_SOURCE_DIR
#define AIJ_SOURCE_DIR "."
#endif

std::string default_data_dir() {
  return AIJ_DATA_DIR;
}
std::string default_out_dir(const std::string& phase) {
  return join_path(join_path(AIJ_SOURCE_DIR, "out"), phase);
}

// Table-driven CRC-32: crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8), pre- and
// post-inverted, reflected polynomial 0xEDB88320.
static const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

uint32_t crc32(const void* data, size_t size, uint32_t crc) {
  const auto& table = crc_table();
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

}  // namespace common
