// phase1_perceptron/tests/test_perceptron.cpp -- Rosenblatt's rule, the XOR cycle and
// Novikoff's bound.
#include <gtest/gtest.h>

#include <cmath>

#include "error.h"
#include "perceptron.h"

namespace phase1 {
namespace {

TEST(Phase1Perceptron, UpdatesOnlyOnMistakes) {
  Perceptron p{{1.0, -1.0}, 0.0};
  const double x[2] = {1.0, 0.0};  // w . x + b = 1 > 0: says 1
  EXPECT_FALSE(perceptron_update(p, x, 1, 0.5));
  EXPECT_EQ(p.w[0], 1.0);
  EXPECT_TRUE(perceptron_update(p, x, 0, 0.5));  // wrong: w -= 0.5 x, b -= 0.5
  EXPECT_DOUBLE_EQ(p.w[0], 0.5);
  EXPECT_DOUBLE_EQ(p.w[1], -1.0);
  EXPECT_DOUBLE_EQ(p.b, -0.5);
}

TEST(Phase1Perceptron, StepOfZeroIsZero) {
  const Perceptron p{{0.0, 0.0}, 0.0};
  const double x[2] = {1.0, 1.0};
  EXPECT_EQ(perceptron_predict(p, x), 0);
}

// The promise: AND, OR and NAND converge within 20 epochs from the default seed
// and from 20 others.
TEST(Phase1Perceptron, SeparableGatesConvergeWithin20EpochsFrom21Seeds) {
  for (const char* gate : {"AND", "OR", "NAND", "NOR"}) {
    for (uint64_t seed = 1; seed <= 21; ++seed) {
      GateConfig config;
      config.seed = seed;
      const GateRun run = train_gate(gate_dataset(gate), config);
      EXPECT_TRUE(run.converged) << gate << " seed " << seed;
      EXPECT_LE(run.epochs, 20) << gate << " seed " << seed;
      EXPECT_EQ(run.final_accuracy, 1.0) << gate << " seed " << seed;
      EXPECT_EQ(run.mistakes.back(), 0);
    }
  }
}

TEST(Phase1Perceptron, XorNeverConvergesAndStaysAtOrBelowThreeQuarters) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    for (double lr : {0.1, 1.0}) {
      GateConfig config;
      config.seed = seed;
      config.lr = lr;
      const GateRun run = train_gate(gate_dataset("XOR"), config);
      EXPECT_FALSE(run.converged) << "seed " << seed;
      EXPECT_LE(run.accuracy, 0.75) << "seed " << seed;
      EXPECT_TRUE(run.cycled) << "seed " << seed << ": no cycle within 50 epochs";
    }
  }
}

TEST(Phase1Perceptron, XorCycleReturnsToItsStart) {
  const BinaryDataset data = gate_dataset("XOR");
  const GateRun run = train_gate(data, GateConfig{});
  ASSERT_TRUE(run.cycled);
  const std::vector<Perceptron> turn = cycle_states(run, data.size());
  ASSERT_EQ(turn.size(), static_cast<size_t>(run.cycle_period * data.size()));
  // The last state of one turn is the state the turn started from.
  const Perceptron& start = run.epoch_end[static_cast<size_t>(run.cycle_start)];
  EXPECT_NEAR(turn.back().w[0], start.w[0], 1e-9);
  EXPECT_NEAR(turn.back().w[1], start.w[1], 1e-9);
  EXPECT_NEAR(turn.back().b, start.b, 1e-9);
  // And replaying the rule from the start of the cycle gives the same turn.
  Perceptron p = start;
  for (size_t k = 0; k < turn.size(); ++k) {
    const int64_t i = static_cast<int64_t>(k) % data.size();
    perceptron_update(p, data.row(i), data.y[static_cast<size_t>(i)], 0.1);
    EXPECT_NEAR(p.w[0], turn[k].w[0], 1e-12);
    EXPECT_NEAR(p.b, turn[k].b, 1e-12);
  }
  EXPECT_NE(format_gate_trace(run, data).find("one turn of the cycle"), std::string::npos);
}

// README exercise 2: XOR from zero weights with lr 1, traced on paper.
TEST(Phase1Perceptron, XorFromZeroWeightsCyclesAsOnPaper) {
  GateConfig config;
  config.init_scale = 0.0;
  config.lr = 1.0;
  const GateRun run = train_gate(gate_dataset("XOR"), config);
  EXPECT_EQ(run.mistakes, (std::vector<int>{2, 3, 4}));
  EXPECT_TRUE(run.cycled);
  EXPECT_EQ(run.cycle_start, 2);
  EXPECT_EQ(run.cycle_period, 1);
  EXPECT_EQ(run.final.w[0], -1.0);
  EXPECT_EQ(run.final.w[1], 0.0);
  EXPECT_EQ(run.final.b, 1.0);
  EXPECT_EQ(run.accuracy, 0.5);  // every state visited gets exactly 2 of 4 right
}

// README exercise 1: NAND by hand, w = (-2, -2), b = 3.
TEST(Phase1Perceptron, HandPickedNandWeights) {
  const Perceptron p{{-2.0, -2.0}, 3.0};
  EXPECT_EQ(perceptron_accuracy(p, gate_dataset("NAND")), 1.0);
}

TEST(Phase1Perceptron, RejectsBadConfigAndGate) {
  GateConfig config;
  config.lr = 0.0;
  EXPECT_THROW(train_gate(gate_dataset("AND"), config), common::Error);
  EXPECT_THROW(gate_dataset("XNOR"), common::Error);
}

TEST(Phase1Perceptron, SeparableDataRespectsTheMargin) {
  SeparableConfig config;
  config.n = 500;
  config.margin = 0.2;
  const SeparableData d = make_separable_data(config);
  ASSERT_EQ(d.data.size(), 500);
  EXPECT_NEAR(d.u[0] * d.u[0] + d.u[1] * d.u[1], 1.0, 1e-12);
  for (int64_t i = 0; i < d.data.size(); ++i) {
    const double along = d.u[0] * d.data.row(i)[0] + d.u[1] * d.data.row(i)[1];
    EXPECT_GE(std::fabs(along), 0.2);
    EXPECT_EQ(d.data.y[static_cast<size_t>(i)], along > 0.0 ? 1 : 0);
  }
}

TEST(Phase1Perceptron, NovikoffBoundHoldsOnManyDataSets) {
  for (double margin : {0.3, 0.1, 0.03, 0.01, 0.003}) {
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      SeparableConfig config;
      config.margin = margin;
      config.seed = seed;
      const SeparableData d = make_separable_data(config);
      const NovikoffResult r = count_mistakes_to_convergence(d, seed);
      EXPECT_GT(r.mistakes, 0);
      EXPECT_LE(r.mistakes, r.bound) << "margin " << margin << " seed " << seed;
      EXPECT_GE(r.gamma, margin);
      EXPECT_EQ(perceptron_accuracy(r.p, d.data), 1.0);  // it did separate the data
    }
  }
}

TEST(Phase1Perceptron, LearningRateCancelsFromZeroWeights) {
  SeparableConfig config;
  const SeparableData d = make_separable_data(config);
  const NovikoffResult a = count_mistakes_to_convergence(d, 3, 1.0);
  const NovikoffResult b = count_mistakes_to_convergence(d, 3, 0.25);  // a power of 2: exact
  EXPECT_EQ(a.mistakes, b.mistakes);
  EXPECT_DOUBLE_EQ(a.p.w[0] * 0.25, b.p.w[0]);
}

TEST(Phase1Perceptron, PictureShadesEachSideOfTheLine) {
  const BinaryDataset data = gate_dataset("AND");
  const Perceptron p{{1.0, 1.0}, -1.5};  // x + y > 1.5
  const common::Image img = decision_picture(data, p, {}, -0.5, 1.5, 100);
  ASSERT_EQ(img.width, 100);
  ASSERT_EQ(img.channels, 3);
  // Top-right corner (1.5, 1.5) says 1 (reddish), bottom-left (-0.5, -0.5) says 0 (bluish).
  EXPECT_GT(img.at(99, 0)[0], img.at(99, 0)[2]);
  EXPECT_LT(img.at(0, 99)[0], img.at(0, 99)[2]);
}

}  // namespace
}  // namespace phase1
