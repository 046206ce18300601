// phase2_backprop/pictures.h -- what a 2-input network computes, as a picture.
//
// A network with two inputs is a function of the plane, so we can simply look at it:
// every pixel is one input point, coloured by the network's belief that it belongs to
// class 1 (blue = class 0, white = undecided, red = class 1). The training points are
// drawn on top, and optionally the lines where each first-layer hidden unit switches,
// w1 x + w2 y + b = 0: the boundaries a hidden layer combines into a non-linear one.
#pragma once

#include <string>

#include "datasets.h"
#include "mlp.h"

namespace phase2 {

struct PlotBox {
  double x_min = -1.0, x_max = 1.0, y_min = -1.0, y_max = 1.0;
};

// P(class 1) of the network at each input point: the softmax of output 1 for a
// 2-class softmax-CE network, the single sigmoid output for an MSE network.
// xy (N, 2) -> prob (N).
void class1_probability(const Mlp<float>& model, const float* xy, int64_t N, float* prob);

// Writes a size x size PNG of the box with ds's points on top.
void write_decision_png(const std::string& path, const Mlp<float>& model, const Dataset& ds,
                        const PlotBox& box, bool draw_hidden_lines, int size = 400);

}  // namespace phase2
