// phase1_perceptron/mcculloch_pitts.cpp -- see mcculloch_pitts.h.
//
// Sections: the unit, circuits (checking, running, describing), the hand-wired gates and
// circuits, truth tables.
#include "mcculloch_pitts.h"

#include <algorithm>
#include <cstdio>

#include "error.h"

namespace phase1 {

// --- The unit -------------------------------------------------------------------------

//   y = 1  if  no inhibitory input is 1  and  sum_{i excitatory} x_i >= theta,  else 0
//   (x_i = wires[i], theta = unit.threshold)
int mp_fire(const MPUnit& unit, const std::vector<int>& wires) {
  // Absolute inhibition comes first: one active inhibitory wire vetoes everything.
  for (int i : unit.inhibitory) {
    if (wires[static_cast<size_t>(i)] == 1) return 0;
  }
  int count = 0;  // how many excitatory inputs are firing
  for (int i : unit.excitatory) count += wires[static_cast<size_t>(i)];
  return count >= unit.threshold ? 1 : 0;
}

// --- Circuits -------------------------------------------------------------------------

void mp_check(const MPCircuit& circuit) {
  const int n_inputs = static_cast<int>(circuit.inputs.size());
  const auto fail = [&](const std::string& what) {
    throw common::Error("McCulloch-Pitts circuit '" + circuit.name + "': " + what);
  };
  for (size_t k = 0; k < circuit.units.size(); ++k) {
    const MPUnit& unit = circuit.units[k];
    const int own_wire = n_inputs + static_cast<int>(k);
    for (const auto* list : {&unit.excitatory, &unit.inhibitory}) {
      for (int w : *list) {
        // Feed-forward: a unit may read the inputs and the units before it, nothing else.
        if (w < 0 || w >= own_wire) {
          fail("unit '" + unit.name + "' (wire " + std::to_string(own_wire) + ") reads wire " +
               std::to_string(w) + ", expected a wire in [0, " + std::to_string(own_wire) + ")");
        }
      }
    }
    if (unit.threshold < 0) fail("unit '" + unit.name + "' has a negative threshold");
  }
  if (circuit.outputs.size() != circuit.output_names.size()) {
    fail(std::to_string(circuit.outputs.size()) + " outputs but " +
         std::to_string(circuit.output_names.size()) + " output names");
  }
  const int n_wires = n_inputs + static_cast<int>(circuit.units.size());
  for (int w : circuit.outputs) {
    if (w < 0 || w >= n_wires) fail("output wire " + std::to_string(w) + " does not exist");
  }
}

std::vector<int> mp_run(const MPCircuit& circuit, const std::vector<int>& inputs) {
  if (inputs.size() != circuit.inputs.size()) {
    throw common::Error("McCulloch-Pitts circuit '" + circuit.name + "' takes " +
                        std::to_string(circuit.inputs.size()) + " inputs, got " +
                        std::to_string(inputs.size()));
  }
  for (int v : inputs) {
    if (v != 0 && v != 1) {
      throw common::Error("McCulloch-Pitts inputs are 0 or 1, got " + std::to_string(v));
    }
  }
  mp_check(circuit);
  // wires: the inputs, then one value per unit as it is computed.
  std::vector<int> wires = inputs;
  for (const MPUnit& unit : circuit.units) wires.push_back(mp_fire(unit, wires));
  std::vector<int> out;
  for (int w : circuit.outputs) out.push_back(wires[static_cast<size_t>(w)]);
  return out;
}

int mp_layers(const MPCircuit& circuit) {
  mp_check(circuit);
  // depth[w]: 0 for an input, 1 + the deepest wire read for a unit.
  std::vector<int> depth(circuit.inputs.size(), 0);
  for (const MPUnit& unit : circuit.units) {
    int d = 0;
    for (int w : unit.excitatory) d = std::max(d, depth[static_cast<size_t>(w)]);
    for (int w : unit.inhibitory) d = std::max(d, depth[static_cast<size_t>(w)]);
    depth.push_back(d + 1);
  }
  int layers = 0;
  for (int w : circuit.outputs) layers = std::max(layers, depth[static_cast<size_t>(w)]);
  return layers;
}

std::vector<std::string> mp_describe(const MPCircuit& circuit) {
  mp_check(circuit);
  std::vector<std::string> names = circuit.inputs;
  for (const MPUnit& unit : circuit.units) names.push_back(unit.name);
  size_t width = 0;  // the longest unit name, so that the '=' signs line up
  for (const MPUnit& unit : circuit.units) width = std::max(width, unit.name.size());
  std::vector<std::string> lines;
  for (const MPUnit& unit : circuit.units) {
    std::string line = unit.name + std::string(width - unit.name.size(), ' ') + " = ";
    if (unit.excitatory.empty() && unit.threshold == 0) {
      line += "1";  // a count of zero always reaches a threshold of zero
    } else {
      line += "[";
      for (size_t i = 0; i < unit.excitatory.size(); ++i) {
        line += (i ? " + " : "") + names[static_cast<size_t>(unit.excitatory[i])];
      }
      if (unit.excitatory.empty()) line += "0";
      line += " >= " + std::to_string(unit.threshold) + "]";
    }
    if (!unit.inhibitory.empty()) {
      line += " unless ";
      for (size_t i = 0; i < unit.inhibitory.size(); ++i) {
        line += (i ? " or " : "") + names[static_cast<size_t>(unit.inhibitory[i])];
      }
    }
    lines.push_back(line);
  }
  return lines;
}

// --- The gates and circuits, wired by hand ---------------------------------------------
//
// Wire numbers: for two-input gates x = 0, y = 1, and the first unit is wire 2.

// AND: both inputs must fire, so the count must reach 2.
MPCircuit mp_and() {
  return {.name = "AND",
          .inputs = {"x", "y"},
          .units = {{.name = "out", .excitatory = {0, 1}, .inhibitory = {}, .threshold = 2}},
          .outputs = {2},
          .output_names = {"out"}};
}

// OR: one active input is enough.
MPCircuit mp_or() {
  return {.name = "OR",
          .inputs = {"x", "y"},
          .units = {{.name = "out", .excitatory = {0, 1}, .inhibitory = {}, .threshold = 1}},
          .outputs = {2},
          .output_names = {"out"}};
}

// NOT: with a threshold of 0 the unit fires on its own ("spontaneously", with no
// excitation at all) unless the inhibitory input vetoes it.
MPCircuit mp_not() {
  return {.name = "NOT",
          .inputs = {"x"},
          .units = {{.name = "out", .excitatory = {}, .inhibitory = {0}, .threshold = 0}},
          .outputs = {1},
          .output_names = {"out"}};
}

// NOR: the same trick with two inhibitory inputs: fires only when neither is active.
MPCircuit mp_nor() {
  return {.name = "NOR",
          .inputs = {"x", "y"},
          .units = {{.name = "out", .excitatory = {}, .inhibitory = {0, 1}, .threshold = 0}},
          .outputs = {2},
          .output_names = {"out"}};
}

// NAND needs two layers here: inhibition in an MP unit is an OR of vetoes ("x or y
// silences me"), while NAND needs "x and y together silence me". So compute AND first
// and let it inhibit a spontaneously firing unit.
MPCircuit mp_nand() {
  return {.name = "NAND",
          .inputs = {"x", "y"},
          .units =
              {// wire 2 = x AND y
               {.name = "both", .excitatory = {0, 1}, .inhibitory = {}, .threshold = 2},
               // wire 3 = NOT wire 2
               {.name = "out", .excitatory = {}, .inhibitory = {2}, .threshold = 0}},
          .outputs = {3},
          .output_names = {"out"}};
}

// XOR = (x AND NOT y) OR (y AND NOT x). Each "one but not the other" detector is a single
// unit thanks to inhibition; a second layer ORs them. No single threshold unit can do it
// (perceptron.h shows why for the learnable version).
MPCircuit mp_xor() {
  return {.name = "XOR",
          .inputs = {"x", "y"},
          .units =
              {// wire 2: x unless y
               {.name = "h1", .excitatory = {0}, .inhibitory = {1}, .threshold = 1},
               // wire 3: y unless x
               {.name = "h2", .excitatory = {1}, .inhibitory = {0}, .threshold = 1},
               // wire 4: h1 OR h2
               {.name = "out", .excitatory = {2, 3}, .inhibitory = {}, .threshold = 1}},
          .outputs = {4},
          .output_names = {"out"}};
}

// A 2-bit adder: (a1 a0) + (b1 b0) = (s2 s1 s0), values 0..3 + 0..3 = 0..6.
//
// Low bit: s0 = a0 XOR b0 and the carry c0 = a0 AND b0 (a "half adder").
// High bit: add a1 + b1 + c0, three bits, with threshold units that count:
//   at_least_1 = [a1 + b1 + c0 >= 1],  at_least_2 = [... >= 2],  all_3 = [... >= 3]
//   s2 (carry out) = at_least_2                      (majority: a single unit!)
//   s1 (sum bit)   = the count is odd = exactly_1 OR all_3,
//                    exactly_1 = at_least_1 unless at_least_2
// Counting against a threshold is what makes MP units natural adders.
MPCircuit mp_two_bit_adder() {
  // Wires: a1 = 0, a0 = 1, b1 = 2, b0 = 3, then units from wire 4 on.
  MPCircuit c;
  c.name = "2-bit adder";
  c.inputs = {"a1", "a0", "b1", "b0"};
  c.units = {
      // 4: a0 unless b0
      {.name = "lo_one", .excitatory = {1}, .inhibitory = {3}, .threshold = 1},
      // 5: b0 unless a0
      {.name = "lo_other", .excitatory = {3}, .inhibitory = {1}, .threshold = 1},
      // 6: a0 XOR b0
      {.name = "s0", .excitatory = {4, 5}, .inhibitory = {}, .threshold = 1},
      // 7: a0 AND b0, the carry into the high bit
      {.name = "c0", .excitatory = {1, 3}, .inhibitory = {}, .threshold = 2},
      // 8: a1 + b1 + c0 >= 1
      {.name = "ge1", .excitatory = {0, 2, 7}, .inhibitory = {}, .threshold = 1},
      // 9: a1 + b1 + c0 >= 2  (this is s2)
      {.name = "ge2", .excitatory = {0, 2, 7}, .inhibitory = {}, .threshold = 2},
      // 10: a1 + b1 + c0 >= 3
      {.name = "ge3", .excitatory = {0, 2, 7}, .inhibitory = {}, .threshold = 3},
      // 11: exactly one of the three
      {.name = "one", .excitatory = {8}, .inhibitory = {9}, .threshold = 1},
      // 12: exactly one or all three: the count is odd
      {.name = "s1", .excitatory = {11, 10}, .inhibitory = {}, .threshold = 1},
  };
  c.outputs = {9, 12, 6};
  c.output_names = {"s2", "s1", "s0"};
  return c;
}

// --- Truth tables -----------------------------------------------------------------------

std::vector<CircuitSpec> mp_all_circuits() {
  const auto unary = [](auto f) {
    return [f](const std::vector<int>& v) { return std::vector<int>{f(v[0])}; };
  };
  const auto binary = [](auto f) {
    return [f](const std::vector<int>& v) { return std::vector<int>{f(v[0], v[1])}; };
  };
  // The adder's reference is plain integer addition, read back as three bits.
  const BooleanFunction add = [](const std::vector<int>& v) {
    const int a = 2 * v[0] + v[1], b = 2 * v[2] + v[3], s = a + b;
    return std::vector<int>{(s >> 2) & 1, (s >> 1) & 1, s & 1};
  };
  return {
      {mp_and(), binary([](int x, int y) { return x & y; }), "x AND y"},
      {mp_or(), binary([](int x, int y) { return x | y; }), "x OR y"},
      {mp_not(), unary([](int x) { return 1 - x; }), "NOT x"},
      {mp_nor(), binary([](int x, int y) { return 1 - (x | y); }), "NOT (x OR y)"},
      {mp_nand(), binary([](int x, int y) { return 1 - (x & y); }), "NOT (x AND y)"},
      {mp_xor(), binary([](int x, int y) { return x ^ y; }), "x XOR y"},
      {mp_two_bit_adder(), add, "(a1 a0) + (b1 b0) in binary"},
  };
}

TruthTable mp_truth_table(const MPCircuit& circuit, const BooleanFunction& reference) {
  const int n = static_cast<int>(circuit.inputs.size());
  TruthTable table;
  for (int row = 0; row < (1 << n); ++row) {
    std::vector<int> in(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) in[static_cast<size_t>(i)] = (row >> (n - 1 - i)) & 1;
    table.inputs.push_back(in);
    table.outputs.push_back(mp_run(circuit, in));
    table.expected.push_back(reference(in));
    if (table.outputs.back() == table.expected.back()) ++table.rows_correct;
  }
  return table;
}

std::string format_truth_table(const MPCircuit& circuit, const TruthTable& table) {
  // Each column is as wide as its name (at least 1), values right-aligned under it.
  const auto cell = [](const std::string& text, size_t width) {
    return std::string(width > text.size() ? width - text.size() : 0, ' ') + text;
  };
  std::string s = "   ";
  for (const auto& name : circuit.inputs) {
    s += ' ';
    s += name;
  }
  s += " |";
  for (const auto& name : circuit.output_names) {
    s += ' ';
    s += name;
  }
  s += "\n";
  for (size_t r = 0; r < table.inputs.size(); ++r) {
    s += "   ";
    for (size_t i = 0; i < circuit.inputs.size(); ++i) {
      s += ' ';
      s += cell(std::to_string(table.inputs[r][i]), circuit.inputs[i].size());
    }
    s += " |";
    for (size_t o = 0; o < circuit.output_names.size(); ++o) {
      s += ' ';
      s += cell(std::to_string(table.outputs[r][o]), circuit.output_names[o].size());
    }
    if (table.outputs[r] == table.expected[r]) {
      s += "   ok\n";
    } else {
      s += "   WRONG, expected";
      for (int v : table.expected[r]) {
        s += ' ';
        s += std::to_string(v);
      }
      s += "\n";
    }
  }
  return s;
}

}  // namespace phase1
