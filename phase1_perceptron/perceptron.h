// phase1_perceptron/perceptron.h -- Rosenblatt's perceptron (1957/58) and Novikoff's
// convergence theorem (1962).
//
// Frank Rosenblatt, "The perceptron: a probabilistic model for information storage and
// organization in the brain" (Psychological Review, 1958), replaced the hand-set wiring of
// a McCulloch-Pitts unit by real-valued weights learned from examples:
//
//   y_hat = step(w . x + b),      step(a) = 1 if a > 0, else 0
//   w <- w + eta * (y - y_hat) * x
//   b <- b + eta * (y - y_hat)
//
// When the prediction is right, (y - y_hat) = 0 and nothing changes; when it is wrong,
// the example is added to (target 1) or subtracted from (target 0) the weights.
//
// Novikoff ("On convergence proofs on perceptrons", 1962) proved that on linearly separable
// data the rule makes at most (R / gamma)^2 mistakes, R the largest |x| and gamma the
// margin of any unit-length separating direction. XOR is not linearly separable, so the
// rule never settles: with a fixed visiting order it falls into a cycle.
//
// Dimension letters: N examples, D inputs per example.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "image.h"

namespace phase1 {

// --- Data -------------------------------------------------------------------------------

struct BinaryDataset {
  std::string name;
  int D = 2;
  std::vector<double> x;  // inputs (N, D)
  std::vector<int> y;     // targets (N), 0 or 1
  int64_t size() const { return static_cast<int64_t>(y.size()); }
  const double* row(int64_t i) const { return x.data() + i * D; }
};

// The four points (0,0), (0,1), (1,0), (1,1), in that order, with the gate's outputs as
// targets. gate: "AND", "OR", "NAND", "NOR" or "XOR".
BinaryDataset gate_dataset(const std::string& gate);

// --- The perceptron ---------------------------------------------------------------------

struct Perceptron {
  std::vector<double> w;   // weights (D)
  double b = 0.0;          // bias (the negated threshold of an MP unit)
  bool learn_bias = true;  // false: the line is forced through the origin (Novikoff's form)
};

// y_hat = step(w . x + b)
int perceptron_predict(const Perceptron& p, const double* x);
// Fraction of the examples predicted right.
double perceptron_accuracy(const Perceptron& p, const BinaryDataset& data);
// Rosenblatt's rule on one example: w += eta (y - y_hat) x, b += eta (y - y_hat).
// Returns true when the prediction was wrong (and the weights changed).
bool perceptron_update(Perceptron& p, const double* x, int y, double lr);

// --- Training on a logic gate ----------------------------------------------------------

struct GateConfig {
  double lr = 0.1;          // eta in w += eta (y - y_hat) x
  double init_scale = 0.5;  // w and b start uniform in [-init_scale, init_scale]
  int max_epochs = 50;      // give up after this many epochs (a cycle usually stops XOR sooner)
  uint64_t seed = 1;        // for the initial weights only: the visiting order is fixed
};

struct GateRun {
  std::string gate;
  bool converged = false;             // some epoch made no mistake
  int epochs = 0;                     // epochs run, the error-free one included
  double accuracy = 0.0;              // best accuracy of any weights the rule visited
  double final_accuracy = 0.0;        // accuracy of the last weights
  bool cycled = false;                // the weights came back to an earlier epoch's weights
  int cycle_start = -1;               // ...the end of this epoch (0 = the initial weights)
  int cycle_period = 0;               // ...this many epochs later
  std::vector<int> mistakes;          // per epoch
  std::vector<Perceptron> epoch_end;  // weights after each epoch; [0] = initial
  std::vector<Perceptron> steps;      // weights after every single example
  Perceptron final;
};

// Visits the four points in a fixed order each epoch, until an epoch without mistakes,
// a cycle, or max_epochs.
GateRun train_gate(const BinaryDataset& data, const GateConfig& config);
// The weights of one repetition of the cycle, step by step (empty unless run.cycled).
std::vector<Perceptron> cycle_states(const GateRun& run, int64_t examples_per_epoch);
// "epoch  3  1 mistake    w = ( 0.213,  0.087)  b = -0.250", one line per epoch; for a
// cycle, then one line per example of one turn of it.
std::string format_gate_trace(const GateRun& run, const BinaryDataset& data);

// --- Pictures ---------------------------------------------------------------------------

// The square [lo, hi]^2 drawn size x size pixels: the background shaded by the
// perceptron's answer (light red where it says 1, light blue where it says 0), earlier
// decision lines in grey (`ghosts`), the current line w . x + b = 0 in black, and the data
// points as discs (red: target 1, blue: target 0). D must be 2.
common::Image decision_picture(const BinaryDataset& data, const Perceptron& p,
                               const std::vector<Perceptron>& ghosts, double lo, double hi,
                               int size);

// --- Convergence theorem (Novikoff 1962) -------------------------------------------------

struct SeparableConfig {
  int64_t n = 1000;     // points
  double margin = 0.1;  // every point is at least this far from the true line
  uint64_t seed = 1;
};

struct SeparableData {
  BinaryDataset data;     // N points uniform in [-1, 1]^2 outside the margin band
  std::vector<double> u;  // unit normal of the true separating line through the origin (D)
};
// Draws a random direction u, then points uniform in the square, keeping those with
// |u . x| >= margin; the target is [u . x > 0].
SeparableData make_separable_data(const SeparableConfig& config);

struct NovikoffResult {
  int64_t mistakes = 0;  // updates made until an epoch without mistakes
  int epochs = 0;
  double R = 0.0;      // max_i |x_i|
  double gamma = 0.0;  // min_i s_i (u . x_i), s_i = +1 / -1 for target 1 / 0
  double bound = 0.0;  // (R / gamma)^2
  Perceptron p;        // the learned weights (no bias)
};
// Trains a bias-free perceptron from w = 0, visiting the points in a fresh random order
// each epoch (seed), until an epoch without mistakes. Throws common::Error if that takes
// more than bound + 1 epochs, which the theorem forbids.
NovikoffResult count_mistakes_to_convergence(const SeparableData& data, uint64_t seed,
                                             double lr = 1.0);

}  // namespace phase1
