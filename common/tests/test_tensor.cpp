// Tests for common::Tensor: shapes, row-major layout, reshape rules.
#include <gtest/gtest.h>

#include "error.h"
#include "tensor.h"

using common::Tensor;

TEST(Tensor, ZeroFilledWithShape) {
  Tensor t({2, 3, 4});
  EXPECT_EQ(t.rank(), 3);
  EXPECT_EQ(t.size(), 24);
  EXPECT_EQ(t.dim(0), 2);
  EXPECT_EQ(t.dim(2), 4);
  EXPECT_EQ(t.shape_str(), "(2, 3, 4)");
  for (float v : t) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, RowMajorLayout) {
  Tensor t({2, 3, 4, 5});
  t.at(1, 2, 3, 4) = 7.0f;
  EXPECT_EQ(t[((1 * 3 + 2) * 4 + 3) * 5 + 4], 7.0f);
  Tensor m({3, 4});
  m.at(2, 1) = 5.0f;
  EXPECT_EQ(m.row(2)[1], 5.0f);
}

TEST(Tensor, ValueSemantics) {
  Tensor a({2, 2});
  a.fill(1.0f);
  Tensor b = a;
  b[0] = 9.0f;
  EXPECT_EQ(a[0], 1.0f);
}

TEST(Tensor, ReshapeKeepsDataAndChecksSize) {
  Tensor t({2, 6});
  t[7] = 3.0f;
  t.reshape({3, 4});
  EXPECT_EQ(t.at(1, 3), 3.0f);
  EXPECT_THROW(t.reshape({5, 2}), common::Error);
}

TEST(Tensor, RejectsBadShapes) {
  EXPECT_THROW(Tensor({1, 2, 3, 4, 5}), common::Error);
  EXPECT_THROW(Tensor({-1, 2}), common::Error);
  EXPECT_THROW(Tensor(std::vector<int64_t>{}), common::Error);
}

TEST(Tensor, CheckShapeNamesTheTensor) {
  Tensor t({10, 784});
  EXPECT_NO_THROW(common::check_shape(t, {10, 784}, "fc1.weight"));
  try {
    common::check_shape(t, {10, 785}, "fc1.weight");
    FAIL() << "expected an error";
  } catch (const common::Error& e) {
    EXPECT_NE(std::string(e.what()).find("fc1.weight"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("(10, 785)"), std::string::npos);
  }
}
