// Unit tests of the generated data sets and the pictures (label unit).
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "datasets.h"
#include "files.h"
#include "pictures.h"
#include "test_support.h"

namespace phase2 {
namespace {

TEST(Phase2Datasets, XorTruthTable) {
  const Dataset ds = xor_dataset();
  ASSERT_EQ(ds.size(), 4);
  for (int64_t n = 0; n < 4; ++n) {
    const int a = static_cast<int>(ds.x.at(n, 0)), b = static_cast<int>(ds.x.at(n, 1));
    EXPECT_EQ(ds.labels[n], a ^ b);
    EXPECT_EQ(ds.targets.at(n, 0), static_cast<float>(a ^ b));
  }
}

TEST(Phase2Datasets, EncoderIsTheIdentityOnOneHotPatterns) {
  const Dataset ds = encoder_dataset(8);
  ASSERT_EQ(ds.size(), 8);
  for (int64_t n = 0; n < 8; ++n)
    for (int64_t c = 0; c < 8; ++c) {
      EXPECT_EQ(ds.x.at(n, c), n == c ? 1.0f : 0.0f);
      EXPECT_EQ(ds.targets.at(n, c), ds.x.at(n, c));
    }
}

TEST(Phase2Datasets, SymmetryHasEightPalindromesOf64) {
  const Dataset ds = symmetry_dataset(6);
  ASSERT_EQ(ds.size(), 64);
  int symmetric = 0;
  for (int64_t n = 0; n < 64; ++n) {
    bool palindrome = true;
    for (int i = 0; i < 3; ++i) palindrome = palindrome && ds.x.at(n, i) == ds.x.at(n, 5 - i);
    EXPECT_EQ(ds.labels[n], palindrome ? 1 : 0) << n;
    symmetric += ds.labels[n];
  }
  EXPECT_EQ(symmetric, 8);  // the first 3 bits choose the string
  EXPECT_EQ(ds.labels[0b100001], 1);
  EXPECT_EQ(ds.labels[0b100000], 0);
  EXPECT_EQ(ds.x.at(0b100000, 0), 1.0f);  // pattern k is k in binary, most significant first
}

TEST(Phase2Datasets, SpiralsAreReproducibleBalancedAndInRange) {
  common::Rng a(3), b(3);
  const Dataset s1 = two_spirals(200, 0.02, a), s2 = two_spirals(200, 0.02, b);
  ASSERT_EQ(s1.size(), 400);
  int ones = 0;
  for (int64_t n = 0; n < s1.size(); ++n) {
    EXPECT_EQ(s1.x.at(n, 0), s2.x.at(n, 0));
    EXPECT_EQ(s1.x.at(n, 1), s2.x.at(n, 1));
    EXPECT_LE(std::hypot(s1.x.at(n, 0), s1.x.at(n, 1)), 1.1f);
    ones += s1.labels[n];
  }
  EXPECT_EQ(ones, 200);
}

TEST(Phase2Datasets, SpiralsWithoutNoiseLieOnTheirCurve) {
  common::Rng rng(4);
  const Dataset s = two_spirals(50, 0.0, rng);
  for (int64_t n = 0; n < s.size(); ++n) {
    // r = (104 - i) / 104 and phi = i pi / 16 on the class-0 spiral (class 1: rotated by pi).
    const double sign = s.labels[n] == 0 ? 1.0 : -1.0;
    const double x = sign * s.x.at(n, 0), y = sign * s.x.at(n, 1);
    const double r = std::hypot(x, y), i = 104.0 * (1.0 - r);
    EXPECT_NEAR(x, r * std::sin(i * 3.14159265358979 / 16.0), 1e-4);
    EXPECT_NEAR(y, r * std::cos(i * 3.14159265358979 / 16.0), 1e-4);
  }
}

TEST(Phase2Datasets, MoonsAreBalancedAndCentred) {
  common::Rng rng(5);
  const Dataset m = two_moons(500, 0.1, rng);
  ASSERT_EQ(m.size(), 1000);
  double mx = 0.0, my = 0.0;
  for (int64_t n = 0; n < m.size(); ++n) mx += m.x.at(n, 0) / 1000.0, my += m.x.at(n, 1) / 1000.0;
  EXPECT_NEAR(mx, 0.0, 0.1);
  EXPECT_NEAR(my, 0.0, 0.1);
}

TEST(Phase2Pictures, ProbabilityInUnitIntervalAndPngWritten) {
  common::Rng rng(6);
  MlpConfig config;
  config.sizes = {2, 4, 2};
  Mlp<float> model = make_mlp<float>(config);
  mlp_init(model, rng);
  const std::vector<float> xy = {0.0f, 0.0f, 5.0f, -5.0f, -100.0f, 100.0f};
  std::vector<float> p(3);
  class1_probability(model, xy.data(), 3, p.data());
  for (float v : p) {
    EXPECT_GE(v, 0.0f);
    EXPECT_LE(v, 1.0f);
  }
  common::testing::TempDir dir;
  const Dataset ds = xor_dataset();
  const std::string path = dir.file("xor.png");
  write_decision_png(path, model, ds, {-0.5, 1.5, -0.5, 1.5}, true, 64);
  const std::vector<uint8_t> bytes = common::read_file_bytes(path);
  ASSERT_GT(bytes.size(), 64u * 64u * 3u);
  EXPECT_EQ(bytes[1], 'P');
  EXPECT_EQ(bytes[2], 'N');
  EXPECT_EQ(bytes[3], 'G');
}

}  // namespace
}  // namespace phase2
