// phase2_backprop/tests/test_full.cpp -- label full: the whole default lesson, asserting the
// default-size results the README states. Not part of CI; `scripts/test.sh -L full` runs it.
// No wall-clock bound: speed is measured by `bench`.
#include <gtest/gtest.h>

#include <string>

#include "files.h"
#include "json.h"
#include "test_support.h"

namespace {

TEST(Phase2Full, DefaultLessonMeetsTheReadmeResults) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  common::testing::TempDir dir;
  const std::string json = dir.file("lesson.json");
  const auto r = common::testing::run_command(std::string(PHASE_EXE) + " --json " + json +
                                              " --out-dir " + dir.file("out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const common::Json e =
      common::testing::parse_json(common::read_file_text(json)).at("experiments");
  EXPECT_LT(e.at("gradcheck").at("max_relative_error").as_number(), 1e-6);
  EXPECT_EQ(e.at("xor").at("accuracy").as_number(), 1.0);
  EXPECT_GE(e.at("moons").at("test_accuracy").as_number(), 0.98);
  EXPECT_GE(e.at("spirals").at("test_accuracy").as_number(), 0.98);
  EXPECT_GE(e.at("digits").at("test_accuracy").as_number(), 0.955);
  EXPECT_NEAR(e.at("digits").at("test_accuracy").as_number(), 0.9618, 0.002);  // README figure
}

}  // namespace
