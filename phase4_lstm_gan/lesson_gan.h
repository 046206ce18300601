// phase4_lstm_gan/lesson_gan.h -- the GAN half of phase 4's lesson: the experiment `gan` and
// the GAN part of `bench` (lesson_gan.cpp). main.cpp calls these two entry points.
//
// Reading order of the GAN half:
//   gan_layers.h   linear, LeakyReLU, tanh, sigmoid + binary cross-entropy from logits, Adam
//   gan.h/.cpp     the game (losses, alternating updates), the MLP GAN and the cGAN
//   deconv.h       the transposed convolution: plain loops and the im2col/col2im form
//   batchnorm.h    batch normalisation, per channel
//   gan_conv.h     the convolution (copied from phase 3)
//   dcgan.h/.cpp   the DCGAN
//   evaluator.h/.cpp  the CNN that scores samples: confident fraction, class entropy, coverage
#pragma once

#include <string>

#include "cli.h"
#include "json.h"

namespace phase4 {

// Trains the generators on the digits (dataset "mnist": mlp, dcgan, cgan) or on clothes
// ("fashion-mnist": the DCGAN), scores their samples with an evaluator CNN trained on the same
// data, writes the pictures into flags.out_dir and the numbers into metrics (experiment "gan").
// model: "all" or one of "mlp", "dcgan", "cgan". flags.epochs overrides every model's epochs.
void run_gan_experiment(const common::CommonFlags& flags, const std::string& dataset,
                        const std::string& model, common::Metrics& metrics);

// Seconds per training epoch at fixed configurations (the PyTorch twin's): the MLP GAN over
// 8,000 digits and the DCGAN over 10,000, batch 64. Writes bench["mlp_gan_epoch"] and
// bench["dcgan_epoch"].
void run_gan_bench(const common::CommonFlags& flags, common::Json& bench);

}  // namespace phase4
