// phase2_backprop/perceptron.h -- the phase-1 baseline, copied forward.
//
// Phase 1 ends with the multi-class perceptron on the digits (the error-correction
// procedure of the 1960s pattern-recognition books, e.g. Nilsson 1965, built from
// Rosenblatt's rule): one weight vector
// per class, predict the argmax of w_c . x + b_c, and on a mistake add x to the right
// class and subtract it from the predicted one. The averaged perceptron (Freund and
// Schapire 1999) predicts with the mean of the weights over all steps. Phases never
// include each other's files, so this is a short re-implementation, trained here on the
// same split as the MLP so the two accuracies can be printed side by side.
#pragma once

#include <cstdint>
#include <vector>

#include "rng.h"
#include "tensor.h"

namespace phase2 {

struct PerceptronResult {
  double test_accuracy = 0.0;           // final weights
  double averaged_test_accuracy = 0.0;  // averaged weights
};

// x (N, D) in [0, 1], labels in [0, classes). Visits the examples in a fresh random
// order every epoch.
PerceptronResult train_multiclass_perceptron(const common::Tensor& train_x,
                                             const std::vector<int>& train_y,
                                             const common::Tensor& test_x,
                                             const std::vector<int>& test_y, int classes,
                                             int epochs, common::Rng& rng);

}  // namespace phase2
