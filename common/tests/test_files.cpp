// Tests for common/files.h: atomic writes, reading, paths and CRC-32.
#include <gtest/gtest.h>

#ifndef _WIN32
#include <sys/resource.h>
#endif

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "files.h"
#include "test_util.h"

using test_util::TempDir;

TEST(Crc32, StandardCheckValue) {
  // The check value every CRC-32 (IEEE) implementation publishes.
  const std::string digits = "123456789";
  EXPECT_EQ(common::crc32(digits.data(), digits.size()), 0xCBF43926u);
  EXPECT_EQ(common::crc32(nullptr, 0), 0u);
}

TEST(Crc32, RunningChecksumEqualsOneShot) {
  const std::string text = "The quick brown fox jumps over the lazy dog";
  const uint32_t whole = common::crc32(text.data(), text.size());
  const uint32_t first = common::crc32(text.data(), 10);
  EXPECT_EQ(common::crc32(text.data() + 10, text.size() - 10, first), whole);
  EXPECT_EQ(whole, 0x414FA339u);  // published value for this sentence
}

TEST(WriteFileAtomic, RoundTripsBinaryBytes) {
  TempDir dir;
  std::vector<uint8_t> bytes(1000);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7);  // has zeros
  const std::string path = dir.file("data.bin");
  common::write_file_atomic(path, bytes.data(), bytes.size());
  EXPECT_EQ(common::read_file_bytes(path), bytes);
  EXPECT_TRUE(common::file_exists(path));
}

TEST(WriteFileAtomic, RoundTripsTextAndEmptyFiles) {
  TempDir dir;
  common::write_file_atomic(dir.file("a.txt"), std::string("line 1\nline 2\n"));
  EXPECT_EQ(common::read_file_text(dir.file("a.txt")), "line 1\nline 2\n");
  common::write_file_atomic(dir.file("empty.txt"), std::string());
  EXPECT_TRUE(common::file_exists(dir.file("empty.txt")));
  EXPECT_TRUE(common::read_file_bytes(dir.file("empty.txt")).empty());
}

TEST(WriteFileAtomic, LeavesNoTemporaryFileBehind) {
  TempDir dir;
  common::write_file_atomic(dir.file("out.json"), std::string("{}"));
  common::write_file_atomic(dir.file("out.json"), std::string("{\"a\": 1}"));
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(WriteFileAtomic, OverwriteReplacesWholeContent) {
  TempDir dir;
  const std::string path = dir.file("model.ckpt");
  common::write_file_atomic(path, std::string(5000, 'a'));
  common::write_file_atomic(path, std::string("short"));
  EXPECT_EQ(common::read_file_text(path), "short");  // no tail of the old, longer file
}

#ifndef _WIN32
TEST(WriteFileAtomic, FailedWriteKeepsThePreviousFileAndSaysWhy) {
  // A write that cannot complete: a file-size limit (RLIMIT_FSIZE, which binds root too)
  // below the new content's size makes fwrite fail with EFBIG. The old file must survive
  // untouched, no temporary file may stay behind, and the message must give the reason
  // that errno had at the failure (not whatever the cleanup left in it).
  TempDir dir;
  const std::string path = dir.file("model.ckpt");
  common::write_file_atomic(path, std::string("old, complete checkpoint"));
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);  // else the signal kills us
  rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string error =
      test_util::error_of([&] { common::write_file_atomic(path, std::string(100000, 'n')); });
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous_handler);
  EXPECT_NE(error.find("cannot write " + path + ".tmp-"), std::string::npos) << error;
  EXPECT_NE(error.find(std::strerror(EFBIG)), std::string::npos) << error;
  EXPECT_EQ(common::read_file_text(path), "old, complete checkpoint");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}
#endif

TEST(WriteFileAtomic, FailedRenameLeavesNoTemporaryFile) {
  // A non-empty directory where the file should go: the rename over it must fail.
  TempDir dir;
  const std::string path = dir.file("out");
  std::filesystem::create_directory(path);
  test_util::write_text(common::join_path(path, "inside"), "x");
  EXPECT_ERROR(common::write_file_atomic(path, std::string("new")),
               "cannot rename " + path + ".tmp-");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);
}

TEST(WriteFileAtomic, ConcurrentWritersOfOneFileNeverMixTheirBytes) {
  // Each writer has its own temporary file, so the result is always one whole version.
  TempDir dir;
  const std::string path = dir.file("shared.txt");
  const std::string a(20000, 'a'), b(30000, 'b');
  std::atomic<int> errors{0};
  auto writer = [&](const std::string& text) {
    for (int i = 0; i < 30; ++i) {
      try {
        common::write_file_atomic(path, text);
      } catch (const common::Error&) {
        errors++;
      }
    }
  };
  std::thread t1(writer, std::cref(a)), t2(writer, std::cref(b));
  t1.join();
  t2.join();
  EXPECT_EQ(errors.load(), 0);
  const std::string result = common::read_file_text(path);
  EXPECT_TRUE(result == a || result == b);
}

TEST(WriteFileAtomic, CreatesParentDirectories) {
  TempDir dir;
  const std::string path = common::join_path(dir.path(), "a/b/c/file.txt");
  common::write_file_atomic(path, std::string("x"));
  EXPECT_EQ(common::read_file_text(path), "x");
}

TEST(ReadFileBytes, MissingFileNamesThePath) {
  TempDir dir;
  const std::string path = dir.file("absent.bin");
  EXPECT_FALSE(common::file_exists(path));
  EXPECT_ERROR(common::read_file_bytes(path), path);
}

TEST(ReadFileBytes, DirectoryIsAnError) {
  TempDir dir;
  EXPECT_FALSE(common::file_exists(dir.path()));  // only regular files count
  EXPECT_ERROR(common::read_file_bytes(dir.path()), dir.path());
}

TEST(Paths, JoinPath) {
  EXPECT_EQ(common::join_path("a/b", "c.png"), "a/b/c.png");
  EXPECT_EQ(common::join_path("a/b/", "c.png"), "a/b/c.png");
  EXPECT_EQ(common::join_path("", "c.png"), "c.png");
}

TEST(Paths, MakeDirsIsIdempotent) {
  TempDir dir;
  const std::string nested = common::join_path(dir.path(), "x/y/z");
  common::make_dirs(nested);
  common::make_dirs(nested);
  EXPECT_TRUE(std::filesystem::is_directory(nested));
  // A regular file in the way is an error naming the directory.
  test_util::write_text(dir.file("blocker"), "x");
  EXPECT_ERROR(common::make_dirs(common::join_path(dir.file("blocker"), "sub")), "blocker");
}
