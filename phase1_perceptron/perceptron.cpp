// phase1_perceptron/perceptron.cpp -- see perceptron.h.
//
// Sections: data, the perceptron, training on a logic gate (with cycle detection),
// pictures, the convergence theorem.
#include "perceptron.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "error.h"
#include "rng.h"

namespace phase1 {

// --- Data -------------------------------------------------------------------------------

BinaryDataset gate_dataset(const std::string& gate) {
  // Targets for the inputs (0,0), (0,1), (1,0), (1,1).
  std::vector<int> y;
  if (gate == "AND") {
    y = {0, 0, 0, 1};
  } else if (gate == "OR") {
    y = {0, 1, 1, 1};
  } else if (gate == "NAND") {
    y = {1, 1, 1, 0};
  } else if (gate == "NOR") {
    y = {1, 0, 0, 0};
  } else if (gate == "XOR") {
    y = {0, 1, 1, 0};
  } else {
    throw common::Error("unknown gate '" + gate + "', expected AND, OR, NAND, NOR or XOR");
  }
  return {gate, 2, {0, 0, 0, 1, 1, 0, 1, 1}, y};
}

// --- The perceptron ---------------------------------------------------------------------

//   y_hat = step(w . x + b),  step(a) = 1 if a > 0 else 0
int perceptron_predict(const Perceptron& p, const double* x) {
  double a = p.b;  // the activation w . x + b
  for (size_t j = 0; j < p.w.size(); ++j) a += p.w[j] * x[j];
  return a > 0.0 ? 1 : 0;
}

double perceptron_accuracy(const Perceptron& p, const BinaryDataset& data) {
  int64_t right = 0;
  for (int64_t i = 0; i < data.size(); ++i) {
    right += perceptron_predict(p, data.row(i)) == data.y[static_cast<size_t>(i)];
  }
  return static_cast<double>(right) / static_cast<double>(data.size());
}

//   w <- w + eta (y - y_hat) x        (eta = lr)
//   b <- b + eta (y - y_hat)
bool perceptron_update(Perceptron& p, const double* x, int y, double lr) {
  const int error = y - perceptron_predict(p, x);  // +1, 0 or -1
  if (error == 0) return false;
  for (size_t j = 0; j < p.w.size(); ++j) p.w[j] += lr * error * x[j];
  if (p.learn_bias) p.b += lr * error;
  return true;
}

// --- Training on a logic gate ----------------------------------------------------------
//
// Why a cycle is certain on XOR: the inputs are 0 or 1, so every update moves each weight
// by -eta, 0 or +eta; the weights stay on the grid w0 + eta * (integers). On data that is
// not separable they also stay bounded (the "perceptron cycling theorem", Minsky and
// Papert 1969; Block and Levin 1970), so they visit finitely many grid points. With a
// fixed visiting order, the weights at the end of an epoch decide everything that follows;
// once an end-of-epoch state repeats, the run repeats forever.
//
// The grid steps are sums of 0.1 in binary floating point, which do not come out exactly
// the same along different paths, so two states count as equal when they agree to 1e-9
// (the rounding error after a few hundred additions is around 1e-15).

namespace {

bool same_weights(const Perceptron& a, const Perceptron& b) {
  const double tol = 1e-9;
  if (std::fabs(a.b - b.b) > tol) return false;
  for (size_t j = 0; j < a.w.size(); ++j) {
    if (std::fabs(a.w[j] - b.w[j]) > tol) return false;
  }
  return true;
}

}  // namespace

GateRun train_gate(const BinaryDataset& data, const GateConfig& config) {
  if (!(config.lr > 0.0) || !std::isfinite(config.lr)) {
    throw common::UsageError("the learning rate must be a positive number, got " +
                             std::to_string(config.lr));
  }
  GateRun run;
  run.gate = data.name;
  common::Rng rng(config.seed);
  Perceptron p;
  p.w.resize(static_cast<size_t>(data.D));
  for (double& wj : p.w) wj = rng.uniform(-config.init_scale, config.init_scale);
  p.b = rng.uniform(-config.init_scale, config.init_scale);
  run.epoch_end.push_back(p);
  run.accuracy = perceptron_accuracy(p, data);

  for (int epoch = 1; epoch <= config.max_epochs; ++epoch) {
    int mistakes = 0;
    for (int64_t i = 0; i < data.size(); ++i) {  // fixed order: (0,0), (0,1), (1,0), (1,1)
      mistakes += perceptron_update(p, data.row(i), data.y[static_cast<size_t>(i)], config.lr);
      run.steps.push_back(p);
      run.accuracy = std::max(run.accuracy, perceptron_accuracy(p, data));
    }
    run.mistakes.push_back(mistakes);
    run.epochs = epoch;
    if (mistakes == 0) {
      run.converged = true;
      break;
    }
    // An epoch with mistakes changed the weights; have we been here before?
    for (int e = 0; e < epoch; ++e) {
      if (same_weights(p, run.epoch_end[static_cast<size_t>(e)])) {
        run.cycled = true;
        run.cycle_start = e;
        run.cycle_period = epoch - e;
        break;
      }
    }
    run.epoch_end.push_back(p);
    if (run.cycled) break;
  }
  run.final = p;
  run.final_accuracy = perceptron_accuracy(p, data);
  return run;
}

std::vector<Perceptron> cycle_states(const GateRun& run, int64_t examples_per_epoch) {
  if (!run.cycled) return {};
  // steps[k] holds the weights after example k (0-based over the whole run); the cycle
  // covers epochs cycle_start + 1 .. cycle_start + cycle_period.
  const auto first = static_cast<size_t>(run.cycle_start * examples_per_epoch);
  const auto last = static_cast<size_t>((run.cycle_start + run.cycle_period) * examples_per_epoch);
  return {run.steps.begin() + static_cast<std::ptrdiff_t>(first),
          run.steps.begin() + static_cast<std::ptrdiff_t>(last)};
}

std::string format_gate_trace(const GateRun& run, const BinaryDataset& data) {
  std::string s;
  const auto weights = [](const Perceptron& p) {
    char text[96];
    std::snprintf(text, sizeof text, "w = (%6.3f, %6.3f)  b = %6.3f", p.w[0], p.w[1], p.b);
    return std::string(text);
  };
  char line[96];
  s += "      start                   " + weights(run.epoch_end[0]) + "\n";
  for (size_t e = 0; e < run.mistakes.size(); ++e) {
    const int m = run.mistakes[e];
    const Perceptron& p = e + 1 < run.epoch_end.size() ? run.epoch_end[e + 1] : run.final;
    std::snprintf(line, sizeof line, "      epoch %2zu  %d mistake%s   ", e + 1, m,
                  m == 1 ? " " : "s");
    s += line + weights(p) + "\n";
  }
  if (run.cycled) {
    // One turn of the cycle, example by example. The weights change exactly when the
    // prediction was wrong, so comparing consecutive states tells what was said.
    s += "      one turn of the cycle, example by example:\n";
    const std::vector<Perceptron> turn = cycle_states(run, data.size());
    Perceptron before = run.epoch_end[static_cast<size_t>(run.cycle_start)];
    for (size_t k = 0; k < turn.size(); ++k) {
      const int64_t i = static_cast<int64_t>(k) % data.size();
      const int target = data.y[static_cast<size_t>(i)];
      const bool changed = !same_weights(before, turn[k]);
      std::snprintf(line, sizeof line, "        (%g,%g) target %d, said %d  %s", data.row(i)[0],
                    data.row(i)[1], target, changed ? 1 - target : target,
                    changed ? "-> update  " : "   no change");
      s += line + std::string("  ") + weights(turn[k]) + "\n";
      before = turn[k];
    }
  }
  return s;
}

// --- Pictures ---------------------------------------------------------------------------

namespace {

// The line w . x + b = 0 as a long segment in pixel coordinates: the point of the line
// nearest the origin, +- a long way along the line's direction (-w2, w1). draw_line
// clips it to the picture.
void draw_decision_line(common::Image& image, const Perceptron& p, double lo, double hi,
                        const uint8_t* color, int thickness) {
  const double w1 = p.w[0], w2 = p.w[1];
  const double norm2 = w1 * w1 + w2 * w2;
  if (!(norm2 > 0.0)) return;  // w = 0: no line (the answer is the same everywhere)
  const double px = -p.b * w1 / norm2, py = -p.b * w2 / norm2;  // nearest point to 0
  const double norm = std::sqrt(norm2);
  const double dx = -w2 / norm, dy = w1 / norm;  // unit direction
  const double reach = 10.0 * (hi - lo);
  const double scale = image.width / (hi - lo);
  const auto to_px = [&](double x) { return static_cast<float>((x - lo) * scale - 0.5); };
  const auto to_py = [&](double y) { return static_cast<float>((hi - y) * scale - 0.5); };
  for (int t = -(thickness / 2); t <= thickness / 2; ++t) {
    // A thicker line: copies shifted by whole pixels across the line's main direction.
    const float ox = std::fabs(dx) < std::fabs(dy) ? static_cast<float>(t) : 0.0f;
    const float oy = std::fabs(dx) < std::fabs(dy) ? 0.0f : static_cast<float>(t);
    common::draw_line(image, to_px(px - reach * dx) + ox, to_py(py - reach * dy) + oy,
                      to_px(px + reach * dx) + ox, to_py(py + reach * dy) + oy, color);
  }
}

}  // namespace

common::Image decision_picture(const BinaryDataset& data, const Perceptron& p,
                               const std::vector<Perceptron>& ghosts, double lo, double hi,
                               int size) {
  if (data.D != 2 || p.w.size() != 2) {
    throw common::Error("decision_picture draws 2-D data only, got D = " + std::to_string(data.D));
  }
  common::Image image(size, size, 3);
  // Pixel (px, py) shows the point x1 = lo + (px + 0.5) * step, x2 = hi - (py + 0.5) * step:
  // x2 grows upwards, as on paper.
  const double step = (hi - lo) / size;
  for (int py = 0; py < size; ++py) {
    for (int px = 0; px < size; ++px) {
      const double x1 = lo + (px + 0.5) * step, x2 = hi - (py + 0.5) * step;
      const bool says_one = p.w[0] * x1 + p.w[1] * x2 + p.b > 0.0;  // step(w . x + b)
      uint8_t* rgb = image.at(px, py);
      rgb[0] = says_one ? 255 : 215;
      rgb[1] = says_one ? 215 : 225;
      rgb[2] = says_one ? 215 : 255;
    }
  }
  const uint8_t grey[3] = {110, 110, 110}, black[3] = {0, 0, 0};
  for (const Perceptron& g : ghosts) draw_decision_line(image, g, lo, hi, grey, 1);
  draw_decision_line(image, p, lo, hi, black, 3);
  const uint8_t red[3] = {200, 30, 30}, blue[3] = {30, 60, 200};
  // A few points: large discs with a black outline; many: small plain dots.
  const bool few = data.size() <= 16;
  const float radius = few ? size / 28.0f : 1.8f;
  for (int64_t i = 0; i < data.size(); ++i) {
    const float cx = static_cast<float>((data.row(i)[0] - lo) / step - 0.5);
    const float cy = static_cast<float>((hi - data.row(i)[1]) / step - 0.5);
    if (few) common::draw_disc(image, cx, cy, radius + 1.5f, black);  // outline
    common::draw_disc(image, cx, cy, radius, data.y[static_cast<size_t>(i)] ? red : blue);
  }
  return image;
}

// --- Convergence theorem (Novikoff 1962) -------------------------------------------------
//
// Claim: if some unit vector u separates the data with margin gamma > 0,
//   s_i (u . x_i) >= gamma for all i        (s_i = +1 for target 1, -1 for target 0),
// and |x_i| <= R, then the perceptron started at w = 0 makes at most (R / gamma)^2 mistakes.
//
// Proof in two lines, after k mistakes (each mistake adds eta s_i x_i to w):
//   u . w_k   >= k eta gamma           (each mistake adds eta s_i (u . x_i) >= eta gamma)
//   |w_k|^2   <= k eta^2 R^2           (|w + eta s x|^2 = |w|^2 + 2 eta s (w . x) + eta^2 |x|^2,
//                                       and s (w . x) <= 0 on a mistake)
// Since u . w_k <= |w_k| (Cauchy-Schwarz, |u| = 1): k eta gamma <= sqrt(k) eta R, so
// k <= (R / gamma)^2. The learning rate cancels: from w = 0 it only rescales w.

SeparableData make_separable_data(const SeparableConfig& config) {
  if (config.n < 1) throw common::Error("make_separable_data: need at least one point");
  if (!(config.margin > 0.0 && config.margin < 1.0)) {
    throw common::UsageError("the margin must be in (0, 1), got " + std::to_string(config.margin));
  }
  common::Rng rng(config.seed);
  SeparableData out;
  const double angle = rng.uniform(0.0, 2.0 * 3.14159265358979323846);
  out.u = {std::cos(angle), std::sin(angle)};
  out.data.name = "separable";
  out.data.D = 2;
  while (out.data.size() < config.n) {
    const double x1 = rng.uniform(-1.0, 1.0), x2 = rng.uniform(-1.0, 1.0);
    const double along_u = out.u[0] * x1 + out.u[1] * x2;  // signed distance to the line
    if (std::fabs(along_u) < config.margin) continue;      // inside the band: redraw
    out.data.x.push_back(x1);
    out.data.x.push_back(x2);
    out.data.y.push_back(along_u > 0.0 ? 1 : 0);
  }
  return out;
}

NovikoffResult count_mistakes_to_convergence(const SeparableData& sep, uint64_t seed, double lr) {
  const BinaryDataset& data = sep.data;
  NovikoffResult r;
  // R = max_i |x_i|;  gamma = min_i s_i (u . x_i)
  r.gamma = INFINITY;
  for (int64_t i = 0; i < data.size(); ++i) {
    const double* x = data.row(i);
    const double s = data.y[static_cast<size_t>(i)] ? 1.0 : -1.0;
    r.R = std::max(r.R, std::sqrt(x[0] * x[0] + x[1] * x[1]));
    r.gamma = std::min(r.gamma, s * (sep.u[0] * x[0] + sep.u[1] * x[1]));
  }
  if (!(r.gamma > 0.0)) throw common::Error("the data is not separated by u (margin <= 0)");
  r.bound = (r.R / r.gamma) * (r.R / r.gamma);

  r.p.w = {0.0, 0.0};  // the theorem starts from w = 0
  r.p.learn_bias = false;
  common::Rng rng(seed);
  std::vector<int64_t> order(static_cast<size_t>(data.size()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  // Every epoch before the last makes at least one mistake, so more than bound + 1 epochs
  // would mean more than bound mistakes: the theorem would be false (or this code wrong).
  const int max_epochs = static_cast<int>(std::min(r.bound, 1e8)) + 1;
  for (int epoch = 1;; ++epoch) {
    if (epoch > max_epochs) {
      throw common::Error("no convergence within bound + 1 = " + std::to_string(max_epochs) +
                          " epochs: this contradicts Novikoff's theorem");
    }
    rng.shuffle(order);
    int64_t mistakes = 0;
    for (int64_t i : order) {
      mistakes += perceptron_update(r.p, data.row(i), data.y[static_cast<size_t>(i)], lr);
    }
    r.mistakes += mistakes;
    r.epochs = epoch;
    if (mistakes == 0) break;
  }
  return r;
}

}  // namespace phase1
