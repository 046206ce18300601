// phase1_perceptron/mcculloch_pitts.h -- the McCulloch-Pitts neuron (1943) and circuits of them.
//
// Warren McCulloch and Walter Pitts, "A logical calculus of the ideas immanent in nervous
// activity" (Bulletin of Mathematical Biophysics, 1943), modelled a neuron as a binary
// threshold device:
//
//   * every input and the output is 0 or 1 (a neuron fires or it does not);
//   * excitatory inputs are counted, and the unit fires when the count reaches an integer
//     threshold theta;
//   * inhibition is absolute: a single active inhibitory input silences the unit,
//     whatever the excitatory count;
//   * nothing is learned: the wiring and the thresholds are chosen by hand.
//
//   y = 1  if  no inhibitory input is 1  and  sum_{i excitatory} x_i >= theta
//   y = 0  otherwise
//
// One such unit computes AND, OR, NOT or NOR. NAND and XOR need two layers. With enough
// units and layers, networks of threshold units compute every Boolean function; the
// 2-bit adder below is a small proof by example. What they cannot do is learn: that is
// Rosenblatt's contribution (perceptron.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace phase1 {

// --- The unit -------------------------------------------------------------------------
//
// A unit reads "wires": the circuit's inputs come first, then the outputs of the units
// computed so far (see MPCircuit). Indices below are wire numbers.

struct MPUnit {
  std::string name;             // the wire this unit drives ("h1", "out"), shown in tables
  std::vector<int> excitatory;  // wires counted towards the threshold
  std::vector<int> inhibitory;  // wires that silence the unit when any of them is 1
  int threshold = 1;            // theta: fires when the excitatory count reaches it
};

// y = [no inhibitory wire is 1] * [sum of excitatory wires >= theta]; wires hold 0 or 1.
int mp_fire(const MPUnit& unit, const std::vector<int>& wires);

// --- Circuits -------------------------------------------------------------------------
//
// A feed-forward network of units. Wires 0 .. I-1 are the I circuit inputs; unit k drives
// wire I + k and may read only wires before it, so evaluating the units in order is
// always possible (no loops: McCulloch and Pitts also studied nets with cycles, which
// act as memory, but a Boolean function needs none).

struct MPCircuit {
  std::string name;                       // "AND", "2-bit adder"
  std::vector<std::string> inputs;        // names of wires 0 .. I-1
  std::vector<MPUnit> units;              // unit k drives wire I + k
  std::vector<int> outputs;               // wires read out, in order
  std::vector<std::string> output_names;  // one per output ("out", "s1")
};

// Checks the wiring (every unit reads only earlier wires, names match) and throws
// common::Error naming the first problem.
void mp_check(const MPCircuit& circuit);
// Runs the units in order and returns the output wires. inputs: I values in {0, 1}.
std::vector<int> mp_run(const MPCircuit& circuit, const std::vector<int>& inputs);
// Layers: the longest chain of units from an input to an output.
int mp_layers(const MPCircuit& circuit);
// One line per unit, e.g. "h1 = [x >= 1] unless y".
std::vector<std::string> mp_describe(const MPCircuit& circuit);

// --- The gates and circuits, wired by hand ---------------------------------------------

MPCircuit mp_and();            // x AND y    one unit, theta = 2
MPCircuit mp_or();             // x OR y     one unit, theta = 1
MPCircuit mp_not();            // NOT x      one unit, theta = 0, x inhibitory
MPCircuit mp_nor();            // x NOR y    one unit, theta = 0, both inhibitory
MPCircuit mp_nand();           // x NAND y   an AND unit, then a NOT unit (two layers)
MPCircuit mp_xor();            // x XOR y    two "one but not the other" units, then OR
MPCircuit mp_two_bit_adder();  // (a1 a0) + (b1 b0) = (s2 s1 s0), from threshold units only

// --- Truth tables -----------------------------------------------------------------------

// The Boolean function a circuit is meant to compute, written with ordinary C++
// operators, so the circuit can be checked against it.
using BooleanFunction = std::function<std::vector<int>(const std::vector<int>&)>;

struct CircuitSpec {
  MPCircuit circuit;
  BooleanFunction reference;
  std::string meaning;  // "x AND y", "a + b"
};
// The seven circuits above with their reference functions, in teaching order.
std::vector<CircuitSpec> mp_all_circuits();

// Every input combination (2^I rows, the first input as the most significant bit), the
// circuit's outputs and the reference's.
struct TruthTable {
  std::vector<std::vector<int>> inputs;    // (2^I, I)
  std::vector<std::vector<int>> outputs;   // (2^I, O) from the circuit
  std::vector<std::vector<int>> expected;  // (2^I, O) from the reference
  int rows_correct = 0;
  bool correct() const { return rows_correct == static_cast<int>(inputs.size()); }
};
TruthTable mp_truth_table(const MPCircuit& circuit, const BooleanFunction& reference);
// The table as text: a header, one row per input combination, "ok" or the expected values.
std::string format_truth_table(const MPCircuit& circuit, const TruthTable& table);

}  // namespace phase1
