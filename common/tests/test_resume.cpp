// Tests for the two promises checkpoints make to long training runs (checkpoint.h):
//   1. a save killed at any moment (kill -9) leaves the previous checkpoint loadable;
//   2. training resumed from a checkpoint computes exactly, bit for bit, what the
//      uninterrupted run computes.
#include <gtest/gtest.h>

#ifndef _WIN32
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#endif

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint.h"
#include "data.h"
#include "rng.h"
#include "test_util.h"

using test_util::TempDir;

// ---------------------------------------------------------------------------
// 1. kill -9 in the middle of a save

#ifndef _WIN32
extern char** environ;

namespace {

// Starts `program path` in a child process; returns its pid.
pid_t spawn(const std::string& program, const std::string& path) {
  std::vector<char*> argv = {const_cast<char*>(program.c_str()), const_cast<char*>(path.c_str()),
                             nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), environ) != 0) return -1;
  return pid;
}

// Removes the temporary files a killed save left beside `path`; returns how many.
int remove_stale_temporaries(const std::string& dir, const std::string& name) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(name + ".tmp-", 0) == 0) {
      std::filesystem::remove(entry.path());
      ++count;
    }
  }
  return count;
}

}  // namespace

TEST(CheckpointCrash, KillNineDuringASaveLeavesTheLastCheckpointLoadable) {
  TempDir dir;
  const std::string path = dir.file("model.ckpt");
  common::Tensor w({1 << 16});
  std::fill(w.begin(), w.end(), -1.0f);
  common::CheckpointMeta first;
  first.set_int("step", -1);
  common::save_checkpoint(path, {{"w", &w}}, first);

  common::Rng rng(5);
  int killed_mid_save = 0, newer_loaded = 0;
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const pid_t pid = spawn(AIJ_CHECKPOINT_WRITER, path);
    ASSERT_GT(pid, 0) << "could not start " << AIJ_CHECKPOINT_WRITER;
    std::this_thread::sleep_for(std::chrono::milliseconds(rng.randint(5, 120)));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "the writer stopped by itself (exit status " << status << "): did a save fail?";
    // A stale temporary file shows the kill landed inside a save.
    killed_mid_save += remove_stale_temporaries(dir.path(), "model.ckpt") > 0;

    std::fill(w.begin(), w.end(), 0.0f);
    common::CheckpointMeta meta;
    ASSERT_NO_THROW(meta = common::load_checkpoint(path, {{"w", &w}}));
    const int64_t step = meta.get_int("step");
    newer_loaded += step >= 0;
    ASSERT_TRUE(
        std::all_of(w.begin(), w.end(), [&](float v) { return v == static_cast<float>(step); }))
        << "checkpoint of step " << step << " holds data of another step";
  }
  EXPECT_GT(killed_mid_save, 0) << "no kill landed inside a save: the test proved nothing";
  EXPECT_GT(newer_loaded, 0) << "the writer never completed a save";
}
#endif

// ---------------------------------------------------------------------------
// 2. Exact resume
//
// A small training loop with every kind of state a real one has: weights, an optimiser
// buffer (momentum), a shuffled mini-batch walk, random noise drawn from the Rng each
// step (like dropout), and a step counter driving a learning-rate schedule.

namespace {

constexpr int64_t N = 64, D = 8;  // examples, features

struct Trainer {
  common::Tensor x{N, D}, y{N};      // data (N, D), targets (N)
  common::Tensor w{D}, velocity{D};  // weights (D) and SGD momentum (D)
  common::Rng rng;
  common::BatchIterator batches;
  int64_t step = 0;

  explicit Trainer(uint64_t seed) : rng(seed), batches(N, 5, &rng) {
    common::Rng data_rng(123);  // the data is the same whatever the seed
    for (float& v : x) v = static_cast<float>(data_rng.normal());
    for (float& v : y) v = static_cast<float>(data_rng.normal());
    for (float& v : w) v = static_cast<float>(rng.normal(0.0, 0.1));
  }

  // One step of SGD with momentum on the squared error, with noisy inputs.
  void train_step() {
    std::span<const int64_t> batch;
    if (!batches.next(batch)) {
      batches.start_epoch();
      batches.next(batch);
    }
    const double lr = 0.05 / (1.0 + 0.01 * static_cast<double>(step));  // schedule
    std::vector<float> grad(D, 0.0f);
    for (int64_t n : batch) {
      float prediction = 0.0f;
      std::vector<float> noisy(D);
      for (int64_t d = 0; d < D; ++d) {
        noisy[d] = x[n * D + d] + static_cast<float>(rng.normal(0.0, 0.05));
        prediction += w[d] * noisy[d];
      }
      for (int64_t d = 0; d < D; ++d) grad[d] += 2.0f * (prediction - y[n]) * noisy[d];
    }
    for (int64_t d = 0; d < D; ++d) {
      velocity[d] = 0.9f * velocity[d] + grad[d] / static_cast<float>(batch.size());
      w[d] -= static_cast<float>(lr) * velocity[d];
    }
    ++step;
  }

  void save(const std::string& path) const {
    common::CheckpointMeta meta;
    meta.set_int("step", step);
    meta.set_rng("rng", rng);
    meta.set_ints("batch_order", batches.order());
    meta.set_int("batch_position", batches.position());
    common::save_checkpoint(path, {{"w", &w}, {"velocity", &velocity}}, meta);
  }

  void load(const std::string& path, bool restore_rng = true) {
    const common::CheckpointMeta meta =
        common::load_checkpoint(path, {{"w", &w}, {"velocity", &velocity}});
    step = meta.get_int("step");
    if (restore_rng) meta.get_rng("rng", rng);
    batches.restore(meta.get_ints("batch_order"), meta.get_int("batch_position"));
  }
};

bool same_bits(const common::Tensor& a, const common::Tensor& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](float p, float q) {
    return std::bit_cast<uint32_t>(p) == std::bit_cast<uint32_t>(q);
  });
}

}  // namespace

TEST(CheckpointResume, ResumedTrainingEqualsTheUninterruptedRunBitForBit) {
  constexpr int kSteps = 100;
  Trainer uninterrupted(7);
  for (int i = 0; i < kSteps; ++i) uninterrupted.train_step();

  TempDir dir;
  for (int stop_at : {1, 12, 13, 50, 99}) {  // mid-epoch and at epoch boundaries (13 batches)
    SCOPED_TRACE("stopped after step " + std::to_string(stop_at));
    {
      Trainer first(7);
      for (int i = 0; i < stop_at; ++i) first.train_step();
      first.save(dir.file("run.ckpt"));
    }                      // the first process is gone; only the file remains
    Trainer resumed(999);  // another seed: everything must come from the checkpoint
    resumed.load(dir.file("run.ckpt"));
    EXPECT_EQ(resumed.step, stop_at);
    while (resumed.step < kSteps) resumed.train_step();
    EXPECT_TRUE(same_bits(resumed.w, uninterrupted.w));
    EXPECT_TRUE(same_bits(resumed.velocity, uninterrupted.velocity));
    EXPECT_EQ(resumed.rng.next_u64(), common::Rng(uninterrupted.rng).next_u64());
  }
}

// The control: without the Rng state the resumed run drifts, so the test above would
// notice a checkpoint that forgot it.
TEST(CheckpointResume, ForgettingTheRngStateChangesTheResult) {
  Trainer uninterrupted(7);
  for (int i = 0; i < 100; ++i) uninterrupted.train_step();
  TempDir dir;
  Trainer first(7);
  for (int i = 0; i < 50; ++i) first.train_step();
  first.save(dir.file("run.ckpt"));
  Trainer resumed(999);
  resumed.load(dir.file("run.ckpt"), /*restore_rng=*/false);
  while (resumed.step < 100) resumed.train_step();
  EXPECT_FALSE(same_bits(resumed.w, uninterrupted.w));
}

TEST(BatchIterator, RestoreChecksTheSavedWalk) {
  common::Rng rng(1);
  common::BatchIterator batches(4, 2, &rng);
  EXPECT_ERROR(batches.restore({0, 1, 2}, 0), "saved order has 3 examples");
  EXPECT_ERROR(batches.restore({0, 1, 1, 3}, 0), "not a permutation of 0..3");
  EXPECT_ERROR(batches.restore({0, 1, 2, 9}, 0), "not a permutation");
  EXPECT_ERROR(batches.restore({3, 2, 1, 0}, 5), "position 5 is outside 0..4");
  batches.restore({3, 2, 1, 0}, 2);
  std::span<const int64_t> batch;
  ASSERT_TRUE(batches.next(batch));
  EXPECT_EQ(std::vector<int64_t>(batch.begin(), batch.end()), (std::vector<int64_t>{1, 0}));
  EXPECT_FALSE(batches.next(batch));
}
