// phase3_cnn_rnn/bench.h -- the `bench` experiment: throughput at fixed configurations.
//
// (a) LeNet-5 with ReLU and max-pooling, batch 64, SGD with momentum, one epoch over the
// MNIST training images, and inference over the test images; (b) the char-RNN, embedding
// 64, hidden 256, 32 x 100 characters per step, Adam, clipping. Each figure is the best
// of 3 runs. pytorch/twin.py mirrors the same configurations.
#pragma once

#include <cstdint>
#include <string>

#include "json.h"

namespace phase3 {

// Prints the three throughputs and writes {lenet_train, lenet_infer, char_rnn_train},
// each {items_per_second, unit, config}, into `out`.
void run_bench(const std::string& data_dir, uint64_t seed, bool quick, common::Json& out);

}  // namespace phase3
