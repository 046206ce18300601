// phase4_lstm_gan/adding.h -- long time lags: the adding problem of Hochreiter and
// Schmidhuber (1997, experiment 4), the vanilla RNN (rnn.h) against the LSTM (lstm.h).
//
// Each sequence has T steps of two channels:
//   channel 1: a value drawn uniformly from [0, 1) at every step
//   channel 2: 1 at exactly two steps -- one in the first half, one in the second -- else 0
// Target, read from the network's last step only: the sum of the two marked values.
// Loss: mean squared error. Predicting the mean, 1.0, always scores Var(u1 + u2) = 2/12
// = 0.167: a network at that level has learnt nothing. To do better it must carry the
// first marked value across at least T/2 steps of distracting input -- exactly what the
// RNN's vanishing gradient (phase 3) cannot teach it.
#pragma once

#include <cstdint>
#include <vector>

#include "adam.h"
#include "lstm.h"
#include "rng.h"

namespace phase4 {

struct AddingConfig {
  int64_t length = 100;           // T: steps per sequence
  int64_t hidden = 64;            // H (both models)
  int64_t batch = 64;             // B: fresh random sequences per step
  int64_t steps = 3000;           // Adam steps
  AdamConfig adam{1e-3f};         // learning rate 1e-3, constant
  float clip = 1.0f;              // gradient-norm clipping
  bool chrono = true;             // LSTM: chrono initialisation with T_max = T (lstm.h);
                                  // false: forget-gate bias 1
  int64_t test_sequences = 1000;  // a fixed test set, drawn from its own seed
  int64_t eval_every = 250;       // steps between test-set evaluations (the curve)
  uint64_t seed = 1;
  bool verbose = true;  // progress bar
};

struct AddingResult {
  double test_mse = 0.0;                             // at the end of training
  double baseline_mse = 0.0;                         // "predict 1.0" on the same test set
  std::vector<double> eval_steps, test_mse_history;  // the curve (step 0 included)
  double seconds = 0.0;
};

// B sequences: x (T, B, 2) time-major, target (B).
void make_adding_batch(float* x, float* target, int64_t T, int64_t B, common::Rng& rng);

// Trains one model from scratch (seeded by config.seed) and evaluates it on the test set.
AddingResult run_adding(Cell cell, const AddingConfig& config);

}  // namespace phase4
