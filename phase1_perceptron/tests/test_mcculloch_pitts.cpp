// phase1_perceptron/tests/test_mcculloch_pitts.cpp -- the McCulloch-Pitts unit and circuits.
#include <gtest/gtest.h>

#include "error.h"
#include "mcculloch_pitts.h"

namespace phase1 {
namespace {

TEST(Phase1McCullochPitts, UnitCountsExcitationAgainstThreshold) {
  const MPUnit two_of_three{"u", {0, 1, 2}, {}, 2};
  EXPECT_EQ(mp_fire(two_of_three, {0, 0, 0}), 0);
  EXPECT_EQ(mp_fire(two_of_three, {1, 0, 0}), 0);
  EXPECT_EQ(mp_fire(two_of_three, {1, 0, 1}), 1);
  EXPECT_EQ(mp_fire(two_of_three, {1, 1, 1}), 1);
}

TEST(Phase1McCullochPitts, InhibitionIsAbsolute) {
  // Three excitatory inputs far above a threshold of 1 are still vetoed by one inhibitor.
  const MPUnit u{"u", {0, 1, 2}, {3}, 1};
  EXPECT_EQ(mp_fire(u, {1, 1, 1, 0}), 1);
  EXPECT_EQ(mp_fire(u, {1, 1, 1, 1}), 0);
}

TEST(Phase1McCullochPitts, EveryTruthTableIsExact) {
  const auto circuits = mp_all_circuits();
  ASSERT_EQ(circuits.size(), 7u);
  for (const CircuitSpec& spec : circuits) {
    const TruthTable t = mp_truth_table(spec.circuit, spec.reference);
    EXPECT_EQ(t.inputs.size(), size_t{1} << spec.circuit.inputs.size()) << spec.circuit.name;
    EXPECT_TRUE(t.correct()) << spec.circuit.name << "\n" << format_truth_table(spec.circuit, t);
  }
}

TEST(Phase1McCullochPitts, XorNetworkIsExactAndNeedsTwoLayers) {
  const MPCircuit x = mp_xor();
  EXPECT_EQ(mp_run(x, {0, 0}), std::vector<int>{0});
  EXPECT_EQ(mp_run(x, {0, 1}), std::vector<int>{1});
  EXPECT_EQ(mp_run(x, {1, 0}), std::vector<int>{1});
  EXPECT_EQ(mp_run(x, {1, 1}), std::vector<int>{0});
  EXPECT_EQ(mp_layers(x), 2);
  EXPECT_EQ(mp_layers(mp_and()), 1);
  EXPECT_EQ(mp_layers(mp_nor()), 1);
  EXPECT_EQ(mp_layers(mp_nand()), 2);
}

TEST(Phase1McCullochPitts, AdderAddsEveryPairOfTwoBitNumbers) {
  const MPCircuit adder = mp_two_bit_adder();
  for (int a = 0; a < 4; ++a) {
    for (int b = 0; b < 4; ++b) {
      const std::vector<int> s = mp_run(adder, {a >> 1, a & 1, b >> 1, b & 1});
      EXPECT_EQ(4 * s[0] + 2 * s[1] + s[2], a + b) << a << " + " << b;
    }
  }
}

TEST(Phase1McCullochPitts, CheckerCatchesAWrongCircuit) {
  // An "AND" with threshold 1 is an OR: the table check must notice.
  MPCircuit wrong = mp_and();
  wrong.units[0].threshold = 1;
  const TruthTable t = mp_truth_table(
      wrong, [](const std::vector<int>& v) { return std::vector<int>{v[0] & v[1]}; });
  EXPECT_FALSE(t.correct());
  EXPECT_EQ(t.rows_correct, 2);
  EXPECT_NE(format_truth_table(wrong, t).find("WRONG"), std::string::npos);
}

TEST(Phase1McCullochPitts, RejectsBadWiringAndInputs) {
  MPCircuit loop = mp_xor();
  loop.units[0].excitatory = {3};  // reads a unit computed after it
  EXPECT_THROW(mp_run(loop, {0, 1}), common::Error);
  EXPECT_THROW(mp_run(mp_and(), {0, 2}), common::Error);
  EXPECT_THROW(mp_run(mp_and(), {0}), common::Error);
}

TEST(Phase1McCullochPitts, DescribesUnits) {
  const auto lines = mp_describe(mp_xor());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "h1  = [x >= 1] unless y");
  EXPECT_EQ(lines[2], "out = [h1 + h2 >= 1]");
  EXPECT_EQ(mp_describe(mp_nor())[0], "out = 1 unless x or y");
}

}  // namespace
}  // namespace phase1
