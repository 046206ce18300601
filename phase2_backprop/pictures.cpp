// phase2_backprop/pictures.cpp -- see pictures.h.
#include "pictures.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "error.h"
#include "image.h"

namespace phase2 {

void class1_probability(const Mlp<float>& model, const float* xy, int64_t N, float* prob) {
  if (model.config.sizes.front() != 2)
    throw common::Error("class1_probability: the network must have 2 inputs");
  MlpState<float> state;
  mlp_forward(model, state, xy, N);
  const int64_t C = model.config.sizes.back();
  for (int64_t n = 0; n < N; ++n) {
    const float* out = mlp_output(model, state, n);
    if (model.config.loss == Loss::softmax_cross_entropy && C == 2) {
      prob[n] = 1.0f / (1.0f + std::exp(out[0] - out[1]));  // softmax of 2 logits
    } else if (C == 1) {
      prob[n] = std::clamp(out[0], 0.0f, 1.0f);
    } else {
      throw common::Error("class1_probability: needs 2 softmax outputs or 1 sigmoid output");
    }
  }
}

namespace {

// Blue (p = 0) -> white (p = 0.5) -> red (p = 1), pale so that the points stand out.
void background_colour(float p, uint8_t* rgb) {
  const uint8_t blue[3] = {150, 180, 255}, red[3] = {255, 165, 150};
  const float t = std::fabs(p - 0.5f) * 2.0f;  // 0 at the boundary, 1 when certain
  const uint8_t* end = p < 0.5f ? blue : red;
  for (int c = 0; c < 3; ++c) rgb[c] = static_cast<uint8_t>(255.0f + t * (end[c] - 255.0f));
}

}  // namespace

void write_decision_png(const std::string& path, const Mlp<float>& model, const Dataset& ds,
                        const PlotBox& box, bool draw_hidden_lines, int size) {
  const double sx = (box.x_max - box.x_min) / size, sy = (box.y_max - box.y_min) / size;
  // Pixel (px, py) shows the input point at its centre; y grows upwards.
  auto to_px = [&](double x) { return static_cast<float>((x - box.x_min) / sx - 0.5); };
  auto to_py = [&](double y) { return static_cast<float>((box.y_max - y) / sy - 0.5); };

  // The network on every pixel: one forward pass over a (size*size, 2) batch.
  const int64_t P = static_cast<int64_t>(size) * size;
  std::vector<float> grid(static_cast<size_t>(2 * P)), prob(static_cast<size_t>(P));
  for (int py = 0; py < size; ++py)
    for (int px = 0; px < size; ++px) {
      const size_t k = static_cast<size_t>(py) * size + px;
      grid[2 * k] = static_cast<float>(box.x_min + (px + 0.5) * sx);
      grid[2 * k + 1] = static_cast<float>(box.y_max - (py + 0.5) * sy);
    }
  class1_probability(model, grid.data(), P, prob.data());

  common::Image image(size, size, 3);
  const uint8_t boundary[3] = {40, 40, 40};
  for (int py = 0; py < size; ++py)
    for (int px = 0; px < size; ++px) {
      const float p = prob[static_cast<size_t>(py) * size + px];
      // The decision boundary: where p crosses 1/2 between this pixel and the next one.
      const bool right =
          px + 1 < size && (p > 0.5f) != (prob[static_cast<size_t>(py) * size + px + 1] > 0.5f);
      const bool below =
          py + 1 < size && (p > 0.5f) != (prob[static_cast<size_t>(py + 1) * size + px] > 0.5f);
      if (right || below)
        std::copy(boundary, boundary + 3, image.at(px, py));
      else
        background_colour(p, image.at(px, py));
    }

  if (draw_hidden_lines) {
    // Hidden unit j of the first layer switches on the line w_j1 x + w_j2 y + b_j = 0.
    // Its closest point to the origin is -b w / |w|^2, its direction (-w2, w1).
    const uint8_t line_colour[3] = {0, 140, 60};
    const float* W = model.weight(0);  // W (H, 2)
    const float* b = model.bias(0);    // b (H)
    const double span = 4.0 * std::max(box.x_max - box.x_min, box.y_max - box.y_min);
    for (int64_t j = 0; j < model.layers[0].out; ++j) {
      const double w1 = W[2 * j], w2 = W[2 * j + 1], norm2 = w1 * w1 + w2 * w2;
      if (norm2 < 1e-12) continue;
      const double cx = -b[j] * w1 / norm2, cy = -b[j] * w2 / norm2;
      const double dx = -w2 / std::sqrt(norm2), dy = w1 / std::sqrt(norm2);
      for (int offset = -1; offset <= 1; ++offset)  // 3 pixels wide
        common::draw_line(image, to_px(cx - span * dx) + offset, to_py(cy - span * dy),
                          to_px(cx + span * dx) + offset, to_py(cy + span * dy), line_colour);
    }
  }

  // Training points: a dark disc with a coloured centre.
  const float radius = ds.size() <= 16 ? 9.0f : 2.5f;
  const uint8_t outline[3] = {20, 20, 20};
  const uint8_t colour0[3] = {30, 70, 220}, colour1[3] = {220, 40, 30};
  for (int64_t n = 0; n < ds.size(); ++n) {
    const float cx = to_px(ds.x.at(n, 0)), cy = to_py(ds.x.at(n, 1));
    common::draw_disc(image, cx, cy, radius + 1.0f, outline);
    common::draw_disc(image, cx, cy, radius, ds.labels[n] == 1 ? colour1 : colour0);
  }
  common::write_png(path, image);
}

}  // namespace phase2
