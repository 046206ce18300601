// The full test (label: full): the default lesson, every figure the README states.
// Run by scripts/test.sh -L full, not by CI (it takes as long as the lesson).
#include <gtest/gtest.h>

#include <string>

#include "files.h"
#include "json.h"
#include "test_support.h"

namespace {

using common::testing::run_command;
using common::testing::TempDir;

TEST(Full, DefaultLessonReproducesTheReadme) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "fashion-mnist");
  TempDir dir;
  const std::string json = dir.file("metrics.json");
  const auto r =
      run_command(std::string(PHASE_EXE) + " --out-dir " + dir.path() + " --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const common::Json j = common::testing::parse_json(common::read_file_text(json));
  const common::Json& e = j.at("experiments");

  // degradation: the deeper plain net trains worse; the deeper residual net does not.
  const common::Json& d = e.at("degradation");
  auto loss = [&](const char* k) { return d.at(k).at("train_loss").as_number(); };
  auto acc = [&](const char* k) { return d.at(k).at("test_accuracy").as_number(); };
  EXPECT_GT(loss("plain_56"), loss("plain_20"));
  EXPECT_LT(loss("resnet_56"), loss("plain_56"));
  EXPECT_LE(loss("resnet_56"), loss("resnet_20"));
  // The roadmap's success metric: a 50+ layer network that outperforms shallow ones.
  EXPECT_GT(acc("resnet_56"), acc("plain_20"));
  EXPECT_GE(acc("resnet_56"), acc("plain_56") + 0.01);
  EXPECT_GE(acc("resnet_56"), acc("resnet_20"));
  EXPECT_GT(acc("resnet_56"), 0.910);  // phase 3's LeNet-5 on Fashion-MNIST
  for (const char* f : {"degradation.svg", "resnet56_stem_filters.png",
                        "resnet56_misclassified.svg", "gradient_flow.svg", "batchnorm.svg"})
    EXPECT_TRUE(common::file_exists(dir.file(f))) << f;

  // gradient_flow at initialisation: the plain net's gradient grows by orders of magnitude
  // towards the input (BatchNorm's gradient explosion), the residual net's stays near
  // constant.
  const common::Json& g = e.at("gradient_flow");
  EXPECT_GT(g.at("plain_first_last_ratio").as_number(), 300.0);
  EXPECT_LT(g.at("resnet_first_last_ratio").as_number(), 60.0);

  // batchnorm: at lr 0.1 the BatchNorm net trains and the BN-free one does not do as well.
  const common::Json& b = e.at("batchnorm");
  EXPECT_LT(b.at("bn_lr_0.1").at("train_loss").as_number(), 1.5);
  const common::Json& no_bn = b.at("no_bn_lr_0.1");
  if (!no_bn.at("diverged").as_bool()) {
    EXPECT_GT(no_bn.at("train_loss").as_number(), b.at("bn_lr_0.1").at("train_loss").as_number());
  }

  // compare: every model has its numbers; the residual nets beat LeNet-5.
  const common::Json& c = e.at("compare");
  for (const char* k : {"lenet5", "vgg", "resnet_20", "resnet_56"})
    for (const char* key : {"test_accuracy", "params", "images_per_second"})
      EXPECT_TRUE(c.at(k).contains(key)) << k << " " << key;
  EXPECT_GT(c.at("resnet_56").at("test_accuracy").as_number(),
            c.at("lenet5").at("test_accuracy").as_number());
}

}  // namespace
