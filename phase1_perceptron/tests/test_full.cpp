// phase1_perceptron/tests/test_full.cpp -- label full: the whole default lesson, as a learner
// runs it, asserting the figures the README states. Not part of CI (it runs the default sizes);
// run it with `scripts/test.sh -L full`. No wall-clock bound: speed is measured by `bench`.
#include <gtest/gtest.h>

#include <string>

#include "files.h"
#include "json.h"
#include "test_support.h"

namespace {

TEST(Phase1Full, DefaultLessonMeetsTheReadmeResults) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  common::testing::TempDir dir;
  const std::string json = dir.file("lesson.json");
  const auto r = common::testing::run_command(std::string(PHASE_EXE) + " --out-dir " + dir.path() +
                                              " --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const common::Json d =
      common::testing::parse_json(common::read_file_text(json)).at("experiments").at("digits");
  // README: 0.8718 and 0.9141 (deterministic for seed 1; the promise is >= 0.83 / >= 0.90).
  EXPECT_GE(d.at("test_accuracy").as_number(), 0.83);
  EXPECT_GE(d.at("averaged_test_accuracy").as_number(), 0.90);
  EXPECT_NEAR(d.at("test_accuracy").as_number(), 0.8718, 0.002);
  EXPECT_NEAR(d.at("averaged_test_accuracy").as_number(), 0.9141, 0.002);
}

}  // namespace
