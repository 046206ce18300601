// phase4_lstm_gan/adding.cpp -- see adding.h. One training loop serves both models: the
// RNN (rnn.h) and the LSTM (lstm.h) share the interface config / params / state /
// recurrent_forward / recurrent_backward, so the loop below is written once, as a template.
#include "adding.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "error.h"
#include "layers.h"
#include "lstm.h"
#include "progress.h"
#include "rnn.h"

namespace phase4 {

// ---------------------------------------------------------------------------
// Data

void make_adding_batch(float* x, float* target, int64_t T, int64_t B, common::Rng& rng) {
  for (int64_t b = 0; b < B; ++b) {
    // One mark in each half: positions first in [0, T/2), second in [T/2, T).
    const int64_t first = rng.randint(0, T / 2);
    const int64_t second = T / 2 + rng.randint(0, T - T / 2);
    double sum = 0.0;
    for (int64_t t = 0; t < T; ++t) {
      float* xt = x + (t * B + b) * 2;  // (2): value, marker
      xt[0] = static_cast<float>(rng.uniform());
      xt[1] = t == first || t == second ? 1.0f : 0.0f;
      if (t == first || t == second) sum += xt[0];
    }
    target[b] = static_cast<float>(sum);
  }
}

// ---------------------------------------------------------------------------
// The head on the last step, and the loss

namespace {

// y = h_T W_hy^T + b_y (B, 1), loss = mean (y - target)^2. With `grads`, also backward:
// the head's gradient into grads and dLoss/dh_T into the state's top_d_h (the other steps
// get no gradient from outside: only the last step is read).
template <class Config, class Params, class State>
double last_step_loss(State& st, const Params& p, const Config& c, const float* target,
                      Params* grads) {
  const int64_t T = st.T, B = st.B, H = c.hidden;
  const float* h_T = st.top_h() + T * B * H;                                        // (B, H)
  std::vector<float> y(static_cast<size_t>(B)), d_y(static_cast<size_t>(B), 0.0f);  // (B, 1)
  linear_forward(y.data(), h_T, p.w_hy, p.b_y, B, H, 1);
  const double loss = mse_forward(y.data(), target, B);
  if (grads != nullptr) {
    mse_backward(d_y.data(), y.data(), target, B);
    float* d_h = st.top_d_h();  // (T, B, H)
    std::fill(d_h, d_h + T * B * H, 0.0f);
    linear_backward(d_h + (T - 1) * B * H, grads->w_hy, grads->b_y, d_y.data(), h_T, p.w_hy, B, H,
                    1);
  }
  return loss;
}

// Mean squared error on the whole test set, in chunks of 200 sequences.
template <class Config, class Params, class State>
double test_mse(const Params& p, const Config& c, const std::vector<float>& x,
                const std::vector<float>& target, int64_t T) {
  const int64_t n = static_cast<int64_t>(target.size()), chunk = std::min<int64_t>(200, n);
  State st(c, T, chunk);
  std::vector<float> xb(static_cast<size_t>(T * chunk * 2));
  double sum = 0.0;
  for (int64_t start = 0; start + chunk <= n; start += chunk) {
    for (int64_t t = 0; t < T; ++t)  // x is (T, n, 2): copy columns start..start+chunk
      std::copy(x.begin() + (t * n + start) * 2, x.begin() + (t * n + start + chunk) * 2,
                xb.begin() + t * chunk * 2);
    std::copy(xb.begin(), xb.end(), st.x.begin());
    st.reset_state();
    recurrent_forward(st, p, c);
    sum += last_step_loss<Config, Params, State>(st, p, c, target.data() + start, nullptr) *
           static_cast<double>(chunk);
  }
  return sum / static_cast<double>(n - n % chunk);
}

template <class Config, class Params, class State>
AddingResult train_adding(const Config& c, Params& p, const AddingConfig& ac, common::Rng& rng,
                          const char* name) {
  common::Timer clock;
  const int64_t T = ac.length, B = ac.batch;
  // The test set: its own generator, the same for both models and every seed.
  common::Rng test_rng(1000003);
  const int64_t n_test = ac.test_sequences;
  std::vector<float> test_x(static_cast<size_t>(T * n_test * 2)),
      test_y(static_cast<size_t>(n_test));
  make_adding_batch(test_x.data(), test_y.data(), T, n_test, test_rng);
  AddingResult result;
  for (float v : test_y) result.baseline_mse += (v - 1.0) * (v - 1.0);  // "predict 1.0"
  result.baseline_mse /= static_cast<double>(n_test);

  Params g(p);
  Adam adam(p.size());
  State st(c, T, B);
  std::vector<float> target(static_cast<size_t>(B));
  auto evaluate = [&](int64_t step) {
    result.eval_steps.push_back(static_cast<double>(step));
    result.test_mse = test_mse<Config, Params, State>(p, c, test_x, test_y, T);
    result.test_mse_history.push_back(result.test_mse);
  };
  evaluate(0);
  std::optional<common::ProgressBar> bar;
  if (ac.verbose) bar.emplace(std::string(name) + " T=" + std::to_string(T), ac.steps, "step");
  double window = 0.0;
  int64_t window_steps = 0;
  for (int64_t step = 0; step < ac.steps; ++step) {
    make_adding_batch(st.x.data(), target.data(), T, B, rng);
    st.reset_state();
    recurrent_forward(st, p, c);
    g.zero();
    const double loss = last_step_loss<Config, Params, State>(st, p, c, target.data(), &g);
    check_finite_loss(loss, step, "long_lag");
    recurrent_backward(g, st, p, c);
    clip_grad_norm(g.data.data(), g.size(), ac.clip);
    adam.step(p.data.data(), g.data.data(), ac.adam.lr, ac.adam);
    window += loss;
    ++window_steps;
    if ((step + 1) % ac.eval_every == 0 || step + 1 == ac.steps) {
      evaluate(step + 1);
      window = 0.0;
      window_steps = 0;
    }
    if (bar) {
      char metric[64];
      std::snprintf(metric, sizeof metric, "mse %.4f test %.4f",
                    window_steps > 0 ? window / static_cast<double>(window_steps) : loss,
                    result.test_mse);
      bar->update(step + 1, metric);
    }
  }
  if (bar) bar->finish();
  result.seconds = clock.seconds();
  return result;
}

}  // namespace

// ---------------------------------------------------------------------------
// The experiment: either model, same hidden size, optimiser, data and step budget

AddingResult run_adding(Cell cell, const AddingConfig& ac) {
  if (ac.length < 4) throw common::Error("long_lag: sequences need at least 4 steps");
  common::Rng rng(ac.seed);
  if (cell == Cell::kRnn) {
    const RnnConfig c{.vocab = 0, .input = 2, .hidden = ac.hidden, .output = 1};
    RnnParams p(c);
    rnn_init(p, c, rng);
    return train_adding<RnnConfig, RnnParams, RnnState>(c, p, ac, rng, "RNN");
  }
  const LstmConfig c{.vocab = 0,
                     .input = 2,
                     .hidden = ac.hidden,
                     .layers = 1,
                     .output = 1,
                     .forget_bias = 1.0f,
                     .chrono_tmax = ac.chrono ? ac.length : 0};
  LstmParams p(c);
  lstm_init(p, c, rng);
  return train_adding<LstmConfig, LstmParams, LstmState>(c, p, ac, rng, "LSTM");
}

}  // namespace phase4
