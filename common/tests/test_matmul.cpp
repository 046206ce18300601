// Tests for common/matmul.h: every transpose combination, overwrite and accumulate,
// strided views, float (gemm and the plain loop) and double, against
// common::gemm_reference; and the shape checks.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "matmul.h"
#include "rng.h"

namespace {

std::vector<float> random_values(int64_t n, common::Rng& rng) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<float>(rng.uniform(-1, 1));
  return v;
}

// Runs out (M, N) [+]= scale * op(A) op(B) through the views and through gemm_reference,
// with row strides 3 longer than the rows, and compares on the whole buffer (the
// padding must be untouched).
void check_against_reference(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float scale,
                             bool accumulate, bool plain) {
  common::Rng rng(static_cast<uint64_t>(M * 1000 + N * 10 + K));
  const int64_t a_rows = ta ? K : M, a_cols = ta ? M : K;
  const int64_t b_rows = tb ? N : K, b_cols = tb ? K : N;
  const int64_t lda = a_cols + 3, ldb = b_cols + 3, ldc = N + 3;
  const std::vector<float> a = random_values(a_rows * lda, rng);
  const std::vector<float> b = random_values(b_rows * ldb, rng);
  const std::vector<float> c0 = random_values(M * ldc, rng);

  std::vector<float> got = c0, want = c0;
  const common::ConstMatView<float> A = common::mat(a.data(), a_rows, a_cols, lda);
  const common::ConstMatView<float> B = common::mat(b.data(), b_rows, b_cols, ldb);
  const common::MatView<float> C = common::mat(got.data(), M, N, ldc);
  const auto opA = ta ? common::transpose(A) : A;
  const auto opB = tb ? common::transpose(B) : B;
  if (plain) {
    if (accumulate) {
      common::matmul_plain_accumulate(C, opA, opB, scale);
    } else {
      common::matmul_plain(C, opA, opB, scale);
    }
  } else if (accumulate) {
    common::matmul_accumulate(C, opA, opB, scale);
  } else {
    common::matmul(C, opA, opB, scale);
  }
  common::gemm_reference(ta, tb, M, N, K, scale, a.data(), lda, b.data(), ldb,
                         accumulate ? 1.0f : 0.0f, want.data(), ldc);

  const float tol = 1e-5f * std::sqrt(static_cast<float>(K) + 1.0f);
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const size_t at = static_cast<size_t>(i * ldc + j);
      if (j < N) {
        ASSERT_NEAR(got[at], want[at], tol * (1.0f + std::fabs(want[at])))
            << "(" << i << ", " << j << ") M=" << M << " N=" << N << " K=" << K << " ta=" << ta
            << " tb=" << tb << " accumulate=" << accumulate << " plain=" << plain;
      } else {
        ASSERT_EQ(got[at], c0[at]) << "wrote into the row padding at (" << i << ", " << j << ")";
      }
    }
  }
}

TEST(Matmul, GemmAndPlainLoopMatchTheReferenceForEveryTranspose) {
  for (bool plain : {false, true})
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (bool accumulate : {false, true}) {
          check_against_reference(ta, tb, 2, 3, 4, 1.0f, accumulate, plain);
          check_against_reference(ta, tb, 37, 41, 29, 1.0f, accumulate, plain);
          check_against_reference(ta, tb, 37, 41, 29, -2.0f, accumulate, plain);
        }
}

TEST(Matmul, TransposeSwapsTheShapeAndReadsTheSameMemory) {
  const float w[6] = {1, 2, 3, 4, 5, 6};  // (2, 3)
  const common::ConstMatView<float> v = common::mat(w, 2, 3);
  const common::ConstMatView<float> t = common::transpose(v);
  EXPECT_EQ(t.rows, 3);
  EXPECT_EQ(t.cols, 2);
  EXPECT_EQ(t(2, 1), v(1, 2));
  EXPECT_EQ(t(2, 1), 6.0f);
  const common::ConstMatView<float> back = common::transpose(t);
  EXPECT_FALSE(back.transposed);
  EXPECT_EQ(back(1, 0), 4.0f);
}

TEST(Matmul, DoubleUsesThePlainLoopExactly) {
  // y = x W^T with x (1, 2) = [1 2], W (2, 2) = [[3 4] [5 6]]: y = [11 17]; then += again.
  const double x[2] = {1, 2}, w[4] = {3, 4, 5, 6};
  double y[2] = {100, 100};
  common::matmul(common::mat(y, 1, 2), common::mat(x, 1, 2),
                 common::transpose(common::mat(w, 2, 2)));
  EXPECT_EQ(y[0], 11.0);
  EXPECT_EQ(y[1], 17.0);
  common::matmul_accumulate(common::mat(y, 1, 2), common::mat(x, 1, 2),
                            common::transpose(common::mat(w, 2, 2)));
  EXPECT_EQ(y[0], 22.0);
  EXPECT_EQ(y[1], 34.0);
}

TEST(Matmul, PlainLoopSumsInTheDocumentedOrder) {
  // matmul_plain: sum over k ascending from zero, then add to the old value.
  common::Rng rng(7);
  const std::vector<float> a = random_values(4 * 5, rng), b = random_values(5 * 3, rng);
  std::vector<float> c(12, 0.5f);
  common::matmul_plain_accumulate(common::mat(c.data(), 4, 3), common::mat(a.data(), 4, 5),
                                  common::mat(b.data(), 5, 3));
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 3; ++j) {
      float sum = 0;
      for (int64_t p = 0; p < 5; ++p)
        sum += a[static_cast<size_t>(i * 5 + p)] * b[static_cast<size_t>(p * 3 + j)];
      EXPECT_EQ(c[static_cast<size_t>(i * 3 + j)], sum + 0.5f);
    }
}

#ifdef NDEBUG
TEST(Matmul, ShapeMismatchThrowsNamingBothShapes) {
  std::vector<float> a(6), b(8), c(8);
  try {
    // (2 x 3) times (4 x 2): the inner dimensions 3 and 4 differ.
    common::matmul(common::mat(c.data(), 2, 2), common::mat(a.data(), 2, 3),
                   common::mat(b.data(), 4, 2));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("(2 x 3)"), std::string::npos) << message;
    EXPECT_NE(message.find("(4 x 2)"), std::string::npos) << message;
    EXPECT_NE(message.find("inner dimensions"), std::string::npos) << message;
  }
  // Right inner dimension, wrong output: (2 x 3)(3 x 2) into (2 x 3).
  EXPECT_THROW(common::matmul_accumulate(common::mat(c.data(), 2, 3), common::mat(a.data(), 2, 3),
                                         common::mat(b.data(), 3, 2)),
               std::invalid_argument);
  // A stride shorter than the row it holds.
  EXPECT_THROW(common::matmul(common::mat(c.data(), 2, 2), common::mat(a.data(), 2, 3, 2),
                              common::mat(b.data(), 3, 2)),
               std::invalid_argument);
}
#else
TEST(MatmulDeathTest, ShapeMismatchAbortsNamingBothShapes) {
  std::vector<float> a(6), b(8), c(8);
  EXPECT_DEATH(common::matmul(common::mat(c.data(), 2, 2), common::mat(a.data(), 2, 3),
                              common::mat(b.data(), 4, 2)),
               "\\(2 x 3\\) times \\(4 x 2\\).*inner dimensions");
}
#endif

}  // namespace
