// phase4_lstm_gan/tests/test_gan_full.cpp -- label full: the GAN half of the default lesson,
// as a learner runs it (`gan`, then `gan --dataset fashion-mnist`), asserting every figure
// README.md states in "The GAN half". Not part of CI (many minutes on 2 cores); `scripts/test.sh -L
// full` runs it. No wall-clock bound: speed is measured by `phase4_lstm_gan bench`.
#include <gtest/gtest.h>

#include <string>

#include "files.h"
#include "json.h"
#include "test_support.h"

namespace {

common::Json run_gan(const common::testing::TempDir& dir, const std::string& args,
                     const std::string& name) {
  const std::string json = dir.file(name + ".json");
  const auto r = common::testing::run_command(std::string(PHASE_EXE) + " gan " + args +
                                              " --out-dir " + dir.path() + " --json " + json +
                                              " > " + dir.file(name + ".txt") + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << common::read_file_text(dir.file(name + ".txt"));
  return common::testing::parse_json(common::read_file_text(json)).at("experiments").at("gan");
}

TEST(GanFull, DefaultGanLessonMeetsTheReadmeResults) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  AIJ_REQUIRE_DATA(common::default_data_dir(), "fashion-mnist");
  common::testing::TempDir dir;
  const common::Json g = run_gan(dir, "", "digits");
  EXPECT_GE(g.at("evaluator_test_accuracy").as_number(), 0.965);
  const common::Json& mlp = g.at("mlp");
  EXPECT_EQ(mlp.at("epochs").as_number(), 30);
  EXPECT_GE(mlp.at("confident_fraction").as_number(), 0.25);
  EXPECT_GE(mlp.at("class_entropy").as_number(), 1.6);
  EXPECT_GE(mlp.at("classes_covered").as_number(), 5);
  const common::Json& dcgan = g.at("dcgan");
  EXPECT_EQ(dcgan.at("epochs").as_number(), 20);
  EXPECT_GE(dcgan.at("confident_fraction").as_number(), 0.40);
  EXPECT_GE(dcgan.at("class_entropy").as_number(), 1.9);
  EXPECT_GE(dcgan.at("classes_covered").as_number(), 8);
  const common::Json& cgan = g.at("cgan");
  EXPECT_EQ(cgan.at("epochs").as_number(), 100);
  EXPECT_GE(cgan.at("label_accuracy").as_number(), 0.75);
  EXPECT_GE(cgan.at("confident_fraction").as_number(), 0.60);
  // The ceiling: real test digits score higher than any generator.
  const common::Json& real = g.at("real");
  EXPECT_GE(real.at("confident_fraction").as_number(), dcgan.at("confident_fraction").as_number());
  EXPECT_GE(real.at("class_entropy").as_number(), 2.2);

  const common::Json f = run_gan(dir, "--dataset fashion-mnist", "fashion");
  EXPECT_GE(f.at("evaluator_fashion_test_accuracy").as_number(), 0.80);
  EXPECT_GE(f.at("dcgan_fashion").at("confident_fraction").as_number(), 0.3);
  EXPECT_TRUE(common::file_exists(dir.file("gan_dcgan_fashion_samples.png")));
  EXPECT_TRUE(common::file_exists(dir.file("gan_mlp_classes.svg")));
  EXPECT_TRUE(common::file_exists(dir.file("gan_cgan_epochs.png")));
}

}  // namespace
