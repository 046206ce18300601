// phase5_resnet/bench.h -- the `bench` experiment: training and inference throughput of
// ResNet-20 and ResNet-56 at batch 128 on 28x28x1 inputs (the PyTorch twin's
// configuration), and where a training step's time goes.
#pragma once

#include <cstdint>

#include "json.h"

namespace phase5 {

// Writes into m: resnet20_train, resnet56_train, resnet20_infer, each
// {"items_per_second", "unit": "images", "config"}, and for the two training benches a
// "breakdown" of one step in seconds: matrix products, im2col/col2im, BatchNorm, the rest.
// Synthetic images (the throughput does not depend on the pixels). quick: one timed step.
void run_bench(uint64_t seed, bool quick, common::Json& m);

}  // namespace phase5
